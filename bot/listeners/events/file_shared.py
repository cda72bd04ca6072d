"""A transcript file shared in a channel the bot is in. Slack sends both `file_shared` and a
`message` with subtype `file_share` for one upload; both land here and the store's unique
source key lets only one of them start an extraction."""

from __future__ import annotations

from logging import Logger

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import jobs
from bot.services import CONTEXT_KEY
from bot.sources import file_job


def _start(
    context: BoltContext,
    client: WebClient,
    logger: Logger,
    file_id: str,
    channel: str,
    message_ts: str | None,
    thread_ts: str | None,
) -> None:
    services = context[CONTEXT_KEY]
    try:
        job = file_job(services, client, file_id, channel, message_ts, thread_ts)
    except SlackApiError as exc:
        logger.warning("files.info %s failed: %s", file_id, exc.response.get("error"))
        return
    if job is not None:
        # No one asked in words, so duplicates stay quiet (tell=None).
        jobs.start(services, client, job, None)


def file_shared_callback(event: dict, client: WebClient, context: BoltContext, logger: Logger) -> None:
    """`file_shared`: the file id and channel; the message ts comes from files.info shares."""
    channel = event.get("channel_id")
    file_id = event.get("file_id") or (event.get("file") or {}).get("id")
    if channel and file_id:
        _start(context, client, logger, file_id, channel, None, None)


def file_share_message_callback(event: dict, client: WebClient, context: BoltContext, logger: Logger) -> None:
    """`message` / `file_share`: the upload's message, with the ts to thread under."""
    for f in event.get("files") or []:
        if f.get("id"):
            _start(
                context, client, logger, f["id"], event["channel"], event.get("ts"), event.get("thread_ts")
            )
