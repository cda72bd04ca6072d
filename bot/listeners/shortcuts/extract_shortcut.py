"""Message shortcut "Extract action items": the message and its whole thread."""

from __future__ import annotations

from logging import Logger

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks, jobs
from bot.services import CONTEXT_KEY, respond_teller
from bot.sources import thread_job

EMPTY = "That message and its thread have no text I can read as meeting notes."


def extract_shortcut_callback(
    ack: Ack, shortcut: dict, client: WebClient, context: BoltContext, respond: Respond, logger: Logger
) -> None:
    """Ack, read the thread, queue the extraction; answer in the thread."""
    ack()
    services = context[CONTEXT_KEY]
    tell = respond_teller(respond)
    channel = (shortcut.get("channel") or {}).get("id")
    message = shortcut.get("message") or {}
    if not channel or not message.get("ts"):
        tell(blocks.notice("Use this shortcut on a message in a channel.", ":warning:"))
        return
    thread_ts = message.get("thread_ts") or message["ts"]
    try:
        job = thread_job(services, client, channel, thread_ts, shortcut["user"]["id"], "shortcut")
    except SlackApiError as exc:
        logger.warning("reading thread %s in %s failed: %s", thread_ts, channel, exc.response.get("error"))
        tell(blocks.notice(jobs.NOT_IN_CHANNEL, ":warning:"))
        return
    if job is None:
        tell(blocks.notice(EMPTY))
        return
    jobs.start(services, client, job, tell)
