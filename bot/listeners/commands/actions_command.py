"""`/actions <pasted transcript>`: extract and post the results in the channel."""

from __future__ import annotations

from logging import Logger

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot import jobs
from bot.services import CONTEXT_KEY, respond_teller
from bot.sources import command_job

USAGE = (
    "*Usage:* `/actions <paste the meeting transcript here>`\n"
    "I'll post the action items (owner, task, due date, priority) in this channel with buttons to file them in Jira.\n"
    "You can also upload a transcript file (.txt .md .vtt .srt .docx) to a channel I'm in, "
    "mention me in a thread, or use the message shortcut *Extract action items*."
)


def actions_command_callback(
    ack: Ack, command: dict, client: WebClient, context: BoltContext, respond: Respond, logger: Logger
) -> None:
    """Ack at once (usage when empty), then queue the extraction."""
    text = (command.get("text") or "").strip()
    if not text or text.lower() in {"help", "-h", "--help"}:
        ack(text=USAGE)
        return
    ack()
    services = context[CONTEXT_KEY]
    job = command_job(services, client, command["channel_id"], command["user_id"], text)
    extraction_id = jobs.start(services, client, job, respond_teller(respond))
    logger.info(
        "/actions in %s by %s -> extraction %s", command["channel_id"], command["user_id"], extraction_id
    )
