"""Turn Slack messages (a thread, a pasted command text) into transcript text."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient

logger = logging.getLogger(__name__)

MAX_THREAD_MESSAGES = 1000
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#[CG][A-Z0-9]+\|([^>]*)>")
_SPECIAL = re.compile(r"<!([a-z]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
SKIPPED_SUBTYPES = frozenset(
    {"channel_join", "channel_leave", "bot_message", "channel_topic", "channel_purpose"}
)


def readable(text: str, label: Callable[[str], str]) -> str:
    """Slack's wire text made plain: <@U1> -> @Name, links unwrapped, &amp;/&lt;/&gt; decoded."""
    text = _USER.sub(lambda m: "@" + label(m.group(1)), text)
    text = _CHANNEL.sub(lambda m: "#" + m.group(1), text)
    text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    # Slack escapes only these three (https://api.slack.com/reference/surfaces/formatting#escaping).
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mentioned_users(text: str) -> list[str]:
    """User ids mentioned in Slack wire text."""
    return _USER.findall(text or "")


def fetch_thread(client: WebClient, channel: str, thread_ts: str) -> list[dict[str, Any]]:
    """Every message of a thread, parent first (paginated, bounded)."""
    messages: list[dict[str, Any]] = []
    cursor = None
    while len(messages) < MAX_THREAD_MESSAGES:
        # https://api.slack.com/methods/conversations.replies
        resp = client.conversations_replies(channel=channel, ts=thread_ts, limit=200, cursor=cursor)
        messages.extend(resp.get("messages") or [])
        cursor = (resp.get("response_metadata") or {}).get("next_cursor")
        if not resp.get("has_more") or not cursor:
            break
    return messages[:MAX_THREAD_MESSAGES]


def thread_transcript(
    messages: list[dict[str, Any]], label: Callable[[str], str], bot_user_id: str | None
) -> tuple[str, list[str]]:
    """("Name: text" lines, participant ids) from thread messages; bots and the bare mention
    that asked for the extraction are left out. A multi-line message (a pasted transcript)
    is kept as it is."""
    lines: list[str] = []
    people: dict[str, None] = {}
    for msg in messages:
        user = msg.get("user")
        if not user or msg.get("bot_id") or msg.get("subtype") in SKIPPED_SUBTYPES or user == bot_user_id:
            continue
        raw = msg.get("text") or ""
        if bot_user_id:
            raw = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", raw)
        text = readable(raw, label).strip()
        people.setdefault(user, None)
        for uid in mentioned_users(raw):
            people.setdefault(uid, None)
        if not text or (f"<@{bot_user_id}" in (msg.get("text") or "") and len(text.split()) < 4):
            continue  # "@actionbot" or "@actionbot please" is the request, not the meeting
        if "\n" in text.strip():
            lines.append(text.strip())
        else:
            lines.append(f"{label(user)}: {text}")
    return "\n".join(lines), list(people)


def content_key(text: str) -> str:
    """A short stable hash of transcript text, for dedupe keys."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def ts_date(ts: str | None, tz: str) -> dt.date:
    """The calendar date of a Slack ts in `tz` (today when ts is missing)."""
    zone = ZoneInfo(tz)
    if not ts:
        return dt.datetime.now(zone).date()
    return dt.datetime.fromtimestamp(float(ts), zone).date()
