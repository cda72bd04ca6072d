"""Slack threads pasted as text: `Name  10:42 AM` or `Name [10:03 AM]` lines, then the message."""

from __future__ import annotations

import re

import emoji

from extractor.formats.base import Parsed, RawTurn, clean_text, looks_like_name
from extractor.formats.header import attendees

_TIME = r"\d{1,2}:\d{2}(?::\d{2})?\s?[AaPp]\.?[Mm]\.?"
_WHEN = (
    rf"(?:(?:Today|Yesterday|[A-Z][a-z]+day|[A-Z][a-z]{{2,8}}\.? \d{{1,2}}(?:st|nd|rd|th)?)\s+at\s+)?{_TIME}"
)
_SHORTCODE = r":[a-z0-9_+\-']+:"
_HEADERS = (
    re.compile(rf"^(?P<name>.+?)\s*\[(?P<when>{_WHEN}|\d{{1,2}}:\d{{2}})\]\s*$"),  # Name [10:03 AM]
    re.compile(rf"^(?P<name>.+?)\s{{2,}}(?P<when>{_WHEN})\s*$"),  # Name  10:42 AM
    re.compile(rf"^(?P<name>.+?)\s(?P<when>{_WHEN})\s*$"),  # alice 10:42 AM
)
# "[10:03 AM] Name: text" on one line, as some clients copy it.
_INLINE = re.compile(rf"^\[(?P<when>{_WHEN})\]\s*(?P<name>[^:]{{1,60}}):\s*(?P<text>.*)$")
# A bare time line: Slack groups a person's follow-up messages under one name.
_FOLLOW_UP = re.compile(rf"^\[?(?:{_TIME}|\d{{1,2}}:\d{{2}})\]?$")
_NOISE = re.compile(
    r"^(\d+ repl(y|ies)|last reply .*|view thread|show (more|less)|also sent to the channel|\(edited\)|new messages?)$",
    re.I,
)
_DIVIDER = re.compile(r"^-*\s*(today|yesterday|\w+day,? \w+ \d{1,2}(st|nd|rd|th)?(,? \d{4})?)\s*-*$", re.I)
_REACTIONS = re.compile(rf"^(\s*{_SHORTCODE}\s*\d+)+\s*$")
_MENTION = re.compile(r"<([@#!])([^|>]+)(?:\|([^>]+))?>")
_LINK = re.compile(r"<(https?://[^|>]+)(?:\|([^>]+))?>")


def _name_ok(name: str, single_space: bool) -> bool:
    if (
        single_space
        and len(name.split()) > 1
        and not all(w[0].isupper() for w in name.split() if w[0].isalpha())
    ):
        return False
    return looks_like_name(name) and not name.endswith((".", ",", "!", "?"))


def header(line: str) -> str | None:
    """The author's name on a message header line, else None."""
    text = line.strip()
    if len(text) > 160:  # headers are short; long lines would only make the lazy name match crawl
        return None
    for n, pattern in enumerate(_HEADERS):
        m = pattern.match(text)
        if m:
            name = clean_text(re.sub(rf"{_SHORTCODE}|\sAPP$", " ", m.group("name")))  # status emoji, bot tag
            return name if _name_ok(name, n == 2) else None
    return None


def _inline(line: str) -> tuple[str, str] | None:
    """(name, text) of a one-line `[10:03 AM] Name: text` message."""
    m = _INLINE.match(line)
    return (m.group("name").strip(), m.group("text")) if m and looks_like_name(m.group("name")) else None


def count_headers(lines: list[str]) -> int:
    """How many lines are message headers (name plus a clock time)."""
    return sum(1 for line in lines if header(line) or _inline(line.strip()))


def message_text(text: str) -> str:
    """Readable message text: `<@U1|ann>` -> @ann, links unwrapped, `:+1:` -> 👍, "(edited)" dropped."""
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = _MENTION.sub(
        lambda m: ("#" if m.group(1) == "#" else "@") + (m.group(3) or m.group(2)).lstrip("@#"), text
    )
    text = re.sub(r"\s*\(edited\)\s*$", "", text)
    # Slack's aliases (":thumbsup:") first, then Unicode CLDR names; custom emoji stay as written.
    return emoji.emojize(emoji.emojize(text, language="alias"), language="en")


def parse(text: str) -> Parsed:
    """One turn per message; a pasted channel name or date line before the first message is header."""
    parsed = Parsed()
    speaker: str | None = None
    chunks: list[str] = []

    def flush() -> None:
        body = clean_text(" ".join(chunks))
        if speaker is not None and body:
            parsed.turns.append(RawTurn(speaker, body))

    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped or _NOISE.match(stripped) or _REACTIONS.match(stripped):
            continue
        name, inline = header(stripped), _inline(stripped)
        if name is not None or inline is not None:
            flush()
            speaker, chunks = (name, []) if inline is None else (inline[0], [message_text(inline[1])])
            parsed.matched += 1
        elif _FOLLOW_UP.match(stripped) and speaker is not None:
            flush()
            chunks = []
        elif _DIVIDER.match(stripped):
            parsed.header.append(stripped)
        elif speaker is not None:
            chunks.append(message_text(re.sub(r"^replied to a thread:\s*", "", stripped)))
        else:
            parsed.header.append(stripped)
            parsed.participants.extend(attendees(stripped) or [])
            parsed.turns.append(RawTurn(None, clean_text(message_text(stripped))))
    flush()
    return parsed
