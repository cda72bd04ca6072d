"""`@actionbot` in a thread: extract the whole thread and answer in it."""

from __future__ import annotations

from logging import Logger

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks, jobs
from bot.services import CONTEXT_KEY, ephemeral_teller
from bot.sources import thread_job

NOTHING = (
    "Mention me in a thread that holds the meeting notes or transcript, and I'll reply there with "
    "the action items. You can also use `/actions <transcript>` or upload a transcript file."
)


def app_mention_callback(event: dict, client: WebClient, context: BoltContext, logger: Logger) -> None:
    """Read the thread the mention is in (or the mention message itself) and queue it."""
    services = context[CONTEXT_KEY]
    channel, user = event["channel"], event.get("user")
    thread_ts = event.get("thread_ts") or event["ts"]
    tell = ephemeral_teller(client, channel, user, thread_ts) if user else None
    try:
        job = thread_job(services, client, channel, thread_ts, user, "mention")
    except SlackApiError as exc:
        logger.warning("reading thread %s in %s failed: %s", thread_ts, channel, exc.response.get("error"))
        if tell:
            tell(blocks.notice(jobs.NOT_IN_CHANNEL, ":warning:"))
        return
    if job is None:
        if tell:
            tell(blocks.notice(NOTHING))
        return
    jobs.start(services, client, job, tell)
