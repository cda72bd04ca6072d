"""Otter.ai text exports: a `Name  m:ss` header line, then the paragraph(s) that person said.
The block reader is shared with Teams transcript text, which has the same shape."""

from __future__ import annotations

import re

from extractor.formats.base import Parsed, RawTurn, clean_text, looks_like_name, parse_clock
from extractor.formats.header import attendees

_HEADER = re.compile(r"^(?P<name>\S.{0,60}?)(?P<sep>\s+)(?P<ts>\d{1,2}:\d{2}(?::\d{2})?)\s*$")
_FOOTER = re.compile(r"^\s*transcribed by\s+(https?://)?otter\.ai\S*\s*$", re.I)


def header(line: str) -> tuple[str, str, str] | None:
    """(name, separator, time) of a block header such as `Dana Whitfield  0:15`, else None."""
    m = _HEADER.match(line.rstrip()) if len(line) < 160 else None
    if not m:
        return None
    name, sep, ts = m.group("name").strip(), m.group("sep"), m.group("ts")
    # One space is allowed only before h:mm:ss (Teams); "we meet at 10:30" must stay text.
    if (len(sep) < 2 and ts.count(":") < 2) or not looks_like_name(name) or parse_clock(ts) is None:
        return None
    return name, sep, ts


def headers(lines: list[str]) -> list[tuple[str, str, str]]:
    """Block headers in `lines` that are followed by at least one line of text."""
    found = []
    for i, line in enumerate(lines):
        h = header(line)
        if h and i + 1 < len(lines) and not header(lines[i + 1]):
            found.append(h)
    return found


def parse_blocks(text: str, skip: re.Pattern[str]) -> Parsed:
    """Turns from header + paragraph blocks; lines matching `skip` (footers, system notices) go."""
    parsed = Parsed()
    speaker: str | None = None
    start: float | None = None
    chunks: list[str] = []

    def flush() -> None:
        if speaker is not None and chunks:
            parsed.turns.append(RawTurn(speaker, clean_text(" ".join(chunks)), start))

    lines = text.split("\n")
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or skip.search(stripped):
            continue
        h = header(line)
        following = next((ln for ln in lines[i + 1 :] if ln.strip()), "")
        if h and following and not header(following):
            flush()
            speaker, start, chunks = h[0], parse_clock(h[2]), []
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
    """Turns from an Otter export; the "Transcribed by https://otter.ai" footer is dropped."""
    return parse_blocks(text, _FOOTER)
