"""Build extraction Jobs from Slack triggers: pasted command text, a thread, a shared file."""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from bot import files
from bot.blocks import escape
from bot.jobs import Job
from bot.services import Services
from bot.threads import content_key, fetch_thread, mentioned_users, readable, thread_transcript, ts_date
from extractor.reading import read_input

logger = logging.getLogger(__name__)


def command_job(services: Services, client: WebClient, channel: str, user: str, text: str) -> Job:
    """`/actions <transcript>`: results at the top level of the channel."""
    directory = services.directory(client)
    transcript = readable(text, directory.label)
    return Job(
        kind="command",
        source_key=f"paste:{channel}:{content_key(transcript)}",
        channel=channel,
        thread_ts=None,
        user=user,
        title="a pasted transcript",
        meeting_date=ts_date(None, services.settings.timezone),
        load=lambda: transcript,
        participants=tuple(mentioned_users(text)),
        placeholder=f":hourglass_flowing_sand: <@{user}> asked for the action items in a pasted transcript; working on it…",
    )


def thread_job(
    services: Services, client: WebClient, channel: str, thread_ts: str, user: str | None, kind: str
) -> Job | None:
    """A whole thread (conversations.replies); None when it holds no text to read."""
    directory = services.directory(client)
    messages = fetch_thread(client, channel, thread_ts)
    text, people = thread_transcript(messages, directory.label, services.bot_user_id)
    if not text.strip():
        return None
    return Job(
        kind=kind,
        source_key=f"thread:{channel}:{thread_ts}:{content_key(text)}",
        channel=channel,
        thread_ts=thread_ts,
        user=user,
        title="this thread",
        meeting_date=ts_date(thread_ts, services.settings.timezone),
        load=lambda: text,
        participants=tuple(people),
    )


def file_job(
    services: Services,
    client: WebClient,
    file_id: str,
    channel: str,
    message_ts: str | None,
    thread_ts: str | None,
) -> Job | None:
    """A file shared in a channel; None for files that are not transcripts (ignored quietly)."""
    # https://api.slack.com/methods/files.info
    info = files.from_info(client.files_info(file=file_id)["file"])
    if not files.is_transcript_name(info.name):
        logger.debug("ignoring file %s (%s)", info.id, info.extension)
        return None
    if services.bot_user_id and info.user == services.bot_user_id:
        return None
    if message_ts is None:
        message_ts, share_thread = info.share_ts(channel)
        thread_ts = thread_ts or share_thread
    settings = services.settings
    token = client.token or settings.bot_token

    def load() -> str:
        data = files.download(info, token, settings)
        return read_input(data, filename=info.name, max_bytes=settings.max_file_bytes)

    return Job(
        kind="file",
        source_key=f"file:{info.id}:{channel}",
        channel=channel,
        thread_ts=thread_ts or message_ts,
        user=info.user,
        title=info.name,
        meeting_date=ts_date(message_ts, settings.timezone),
        load=load,
        participants=tuple(u for u in [info.user] if u),
        placeholder=f":hourglass_flowing_sand: Extracting action items from {escape(info.name)}…",
    )
