"""Plain `Name: text` transcripts, including Google-Meet-doc timestamp lines, and the
line-by-line reading used when no format is recognised."""

from __future__ import annotations

import re
from collections.abc import Callable

from extractor.formats.base import Parsed, RawTurn, clean_text, looks_like_name, parse_clock
from extractor.formats.header import attendees

_CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?"
# "[00:01:02] Name: text", "Name (00:01): text", "Name: text"
_SPEAKER_LINE = re.compile(
    rf"^\[?(?P<ts>{_CLOCK})?\]?\s*[-–]?\s*(?P<name>[^\W\d_][^:]{{0,60}}?)\s*"
    rf"(?:[\[(](?P<ts2>{_CLOCK})[\])])?\s*:(?:\s+(?P<text>.*))?$"
)
# A Google Meet transcript doc puts "00:01:14" on a line of its own before a block of turns.
_CLOCK_LINE = re.compile(rf"^\[?(?P<ts>{_CLOCK})\]?$")

LineMatcher = Callable[[str], "tuple[str, str, float | None] | None"]


# Docs exported from Google Meet/Gemini or Notion bold the name: "**Ann Lee:** text".
_BOLD_NAME = re.compile(r"^\*\*([^*:]{1,60})(?::\*\*|\*\*:)")


def speaker_line(line: str) -> tuple[str, str, float | None] | None:
    """(speaker, text, start) for a `Name: text` line, else None."""
    m = _SPEAKER_LINE.match(_BOLD_NAME.sub(r"\1:", line.strip()))
    if not m or not looks_like_name(m.group("name")):
        return None
    ts = m.group("ts") or m.group("ts2")
    return m.group("name").strip(), m.group("text") or "", parse_clock(ts) if ts else None


def count_speaker_lines(lines: list[str]) -> int:
    """How many lines look like `Name: text` turns."""
    return sum(1 for line in lines if speaker_line(line))


def parse_labelled(text: str, match_line: LineMatcher) -> Parsed:
    """Turns start at lines `match_line` accepts; other lines continue the open turn.
    Lines before the first turn are header lines and become speaker-less turns."""
    parsed = Parsed()
    speaker: str | None = None
    chunks: list[str] = []
    start: float | None = None
    pending: float | None = None

    def flush() -> None:
        if speaker is not None:
            parsed.turns.append(RawTurn(speaker, clean_text(" ".join(chunks)), start))

    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped:
            continue
        clock = _CLOCK_LINE.match(stripped)
        if clock:
            pending = parse_clock(clock.group("ts"))
            continue
        found = match_line(stripped)
        if found:
            flush()
            speaker, chunks = found[0], [found[1]]
            start = found[2] if found[2] is not None else pending
            pending = None
            parsed.matched += 1
        elif speaker is not None:
            chunks.append(stripped)
        else:
            parsed.header.append(stripped)
            parsed.participants.extend(attendees(stripped) or [])
            parsed.turns.append(RawTurn(None, clean_text(stripped)))
    flush()
    return parsed


def parse(text: str) -> Parsed:
    """Read `Name: text` lines; continuation lines join the previous turn."""
    return parse_labelled(text, speaker_line)


def parse_lines(text: str) -> Parsed:
    """Every non-empty line as a speaker-less turn (the fallback for unrecognised text)."""
    parsed = Parsed()
    for line in text.split("\n"):
        if line.strip():
            parsed.turns.append(RawTurn(None, clean_text(line)))
            parsed.participants.extend(attendees(line) or [])
    parsed.header = [t.text for t in parsed.turns[:8]]
    return parsed
