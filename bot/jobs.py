"""Extraction jobs: claim the source once, post a placeholder, queue the model run, then
replace the placeholder with results. Listeners build a Job and call `start`; nothing here
blocks the 3-second ack (listeners ack first)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.blocks import escape
from bot.errors import FileRejectedError, QueueFullError, RemoteExtractionError, RemoteInputError
from bot.publishing import publish, replace_placeholder
from bot.records import ItemRecord
from bot.services import Services, Tell
from extractor.errors import ExtractionError, InputError

logger = logging.getLogger(__name__)

BUSY = (
    "I'm already working through a queue of transcripts and can't take this one right now. "
    "Please try again in a few minutes."
)
FAILED = (
    "Sorry, I couldn't extract action items this time (the error is in my log). Please try again in a minute."
)
SUPERSEDED = "This request was picked up again; the results are in a newer message."
NOT_IN_CHANNEL = (
    "I can't post in this conversation. Invite me first with `/invite @actionbot`, then try again."
)


@dataclass(frozen=True)
class Job:
    """One request to extract: where it came from, where results go, how to get the text."""

    kind: str  # command | file | shortcut | mention
    source_key: str
    channel: str
    thread_ts: str | None  # results go in this thread; None puts them at the top level
    user: str | None
    title: str
    meeting_date: dt.date | None
    load: Callable[[], str]  # runs on a worker (a file download happens here)
    participants: tuple[str, ...] = field(default=())
    placeholder: str = ""


def start(services: Services, client: WebClient, job: Job, tell: Tell | None) -> int | None:
    """Claim, post the placeholder and queue the job; returns the extraction id when queued."""
    store = services.store
    claim = store.claim_extraction(
        job.source_key,
        kind=job.kind,
        channel_id=job.channel,
        thread_ts=job.thread_ts,
        user=job.user,
        title=job.title,
        meeting_date=job.meeting_date,
    )
    if not claim.won:
        logger.info("extraction %s is already %s; not starting another", job.source_key, claim.state)
        if tell is not None:
            tell(blocks.notice(_duplicate_text(services, client, claim.record_id, claim.state)))
        return None
    placeholder = (
        job.placeholder or f":hourglass_flowing_sand: Extracting action items from {escape(job.title)}…"
    )
    try:
        # https://api.slack.com/methods/chat.postMessage
        resp = client.chat_postMessage(channel=job.channel, thread_ts=job.thread_ts, text=placeholder)
    except SlackApiError as exc:
        error = exc.response.get("error")
        logger.warning("placeholder in %s failed: %s", job.channel, error)
        store.finish_extraction(claim.record_id, status="failed", error=f"slack: {error}")
        if tell is not None:
            known = error in {"not_in_channel", "channel_not_found", "is_archived"}
            tell(blocks.notice(NOT_IN_CHANNEL if known else FAILED, ":warning:"))
        return None
    ts = resp["ts"]
    store.set_message(claim.record_id, 0, job.channel, ts)
    if claim.previous_message is not None:
        # The earlier attempt's "Extracting…" (or its error) would otherwise stay as it is.
        replace_placeholder(client, *claim.previous_message, blocks.notice(SUPERSEDED))
    try:
        services.pool.submit(lambda: run(services, client, job, claim.record_id, ts, claim.attempt))
    except QueueFullError:
        logger.warning("queue full; refused %s", job.source_key)
        store.finish_extraction(claim.record_id, status="failed", error="busy")
        replace_placeholder(client, job.channel, ts, blocks.notice(BUSY, ":no_entry:"))
        return None
    return claim.record_id


def _duplicate_text(services: Services, client: WebClient, extraction_id: int, state: str) -> str:
    if state == "pending":
        return "I'm already extracting action items from that; the results will replace my “Extracting…” message."
    if state == "rejected":
        return "I already looked at that and couldn't read it as a transcript (see my reply in the thread)."
    link = None
    known = services.store.messages(extraction_id)
    if 0 in known:
        try:
            # https://api.slack.com/methods/chat.getPermalink
            link = client.chat_getPermalink(channel=known[0][0], message_ts=known[0][1]).get("permalink")
        except SlackApiError as exc:
            logger.info("chat.getPermalink failed: %s", exc.response.get("error"))
    where = f" <{link}|here>" if link else " in this conversation"
    return f"I already extracted the action items from that; they are{where}."


def run(
    services: Services, client: WebClient, job: Job, extraction_id: int, placeholder_ts: str, attempt: int = 1
) -> None:
    """The worker side: load, extract, match owners, store, publish. Reports every failure in Slack.

    Every write checks `attempt`: if the claim was taken over meanwhile (this worker looked dead,
    or the sweeper gave up on it), this worker's results are dropped instead of posted twice."""
    store, settings = services.store, services.settings
    started = time.perf_counter()
    if not store.touch_extraction(extraction_id, attempt):
        logger.info("extraction %d attempt %d was taken over while queued; skipping", extraction_id, attempt)
        return

    def finish(status: str, error: str, notice: blocks.Message) -> None:
        if store.finish_extraction(extraction_id, status=status, error=error, attempt=attempt):
            replace_placeholder(client, job.channel, placeholder_ts, notice)
        else:
            logger.info(
                "extraction %d attempt %d was taken over; not reporting %s", extraction_id, attempt, status
            )

    try:
        text = job.load()
        if settings.debug:
            logger.debug("transcript for extraction %d:\n%s", extraction_id, text)
        result = services.runner.run(text, meeting_date=job.meeting_date, tz=settings.timezone)
        directory = services.directory(client)
        members = directory.candidates(job.channel, [*job.participants, *([job.user] if job.user else [])])
        owners = directory.resolve([it.owner for it in result.items], members)
        draft = [
            ItemRecord(
                id=n,
                extraction_id=extraction_id,
                position=n,
                part=0,
                item=it,
                owner_user_id=uid,
                status="open",
                status_by=None,
            )
            for n, (it, uid) in enumerate(zip(result.items, owners, strict=True))
        ]
        parts = blocks.plan_parts(draft)
        found = [(r.item, r.owner_user_id, p) for r, p in zip(draft, parts, strict=True)]
        completed = store.complete_extraction(extraction_id, attempt, found, result.model)
    except (InputError, FileRejectedError, RemoteInputError) as exc:
        # The user's file or text: say what is wrong; running it again won't help.
        logger.info("extraction %d rejected: %s", extraction_id, exc)
        finish(
            "rejected",
            str(exc),
            blocks.notice(f"I couldn't read that as a transcript: {escape(str(exc))}", ":warning:"),
        )
        return
    except (ExtractionError, RemoteExtractionError, SlackApiError) as exc:
        logger.exception("extraction %d failed: %s", extraction_id, exc)
        finish("failed", str(exc), blocks.notice(FAILED, ":warning:"))
        return
    except Exception:
        # A bug must still replace "Extracting…" and free the claim for a retry.
        logger.exception("extraction %d failed unexpectedly", extraction_id)
        finish("failed", "unexpected error", blocks.notice(FAILED, ":warning:"))
        return
    if not completed:
        logger.info("extraction %d attempt %d was taken over; dropping its results", extraction_id, attempt)
        return
    publish(services, client, extraction_id, post_missing=True)
    logger.info(
        "extraction %d (%s) in %s: %d item(s), %d matched to members, %.2fs, model %s",
        extraction_id,
        job.kind,
        job.channel,
        len(draft),
        sum(1 for uid in owners if uid),
        time.perf_counter() - started,
        result.model,
    )
