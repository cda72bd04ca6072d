"""Normalised transcript types and the entry point that builds them from raw text."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from extractor.errors import TranscriptFormatError
from extractor.formats import FORMATS, UNKNOWN, detect_format, parse_as
from extractor.formats.base import Parsed, prepare_text
from extractor.formats.header import find_meeting_date
from extractor.formats.plain import parse_lines

logger = logging.getLogger(__name__)

UNRECOGNISED = "could not recognise the transcript format; reading it as plain text"


@dataclass(frozen=True)
class Turn:
    """One speaker turn (or one line of notes) in reading order."""

    index: int
    speaker: str | None
    text: str
    start: float | None = None  # seconds from the start of the meeting, when the format has times

    @property
    def timestamp(self) -> str | None:
        """The start time as h:mm:ss / m:ss, or None."""
        if self.start is None:
            return None
        total = int(self.start)
        h, rem = divmod(total, 3600)
        m, s = divmod(rem, 60)
        return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


@dataclass(frozen=True)
class Transcript:
    """A meeting as the extractor sees it, whatever format it arrived in."""

    turns: tuple[Turn, ...]
    format: str = "plain"
    meeting_date: dt.date | None = None
    tz: str | None = None
    participants: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def speakers(self) -> tuple[str, ...]:
        """Distinct speaker labels in order of first appearance."""
        seen: dict[str, None] = {}
        for t in self.turns:
            if t.speaker:
                seen.setdefault(t.speaker, None)
        return tuple(seen)

    def word_count(self) -> int:
        """Number of words across all turns."""
        return sum(len(t.text.split()) for t in self.turns)


def _participants(parsed: Parsed) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for name in [t.speaker for t in parsed.turns if t.speaker] + parsed.participants:
        seen.setdefault(name, None)
    return tuple(seen)


def _parse(text: str, fmt: str) -> tuple[str, Parsed]:
    """(format, parsed) for `fmt` ("auto" detects), falling back to line-by-line reading."""
    if fmt not in ("auto", *FORMATS):
        raise ValueError(f"unknown transcript format {fmt!r}; use auto or one of: {', '.join(FORMATS)}")
    chosen = detect_format(text) if fmt == "auto" else fmt
    if chosen == UNKNOWN:
        parsed = parse_lines(text)
        parsed.warnings.append(UNRECOGNISED)
        return "plain", parsed
    parsed = parse_as(text, chosen)
    if fmt != "auto" and not parsed.matched:
        if chosen in ("vtt", "srt") or not parsed.turns:
            raise TranscriptFormatError(
                f"no {chosen} content found in the transcript; check the file or let the format be detected"
            )
        parsed.warnings.append(f"found nothing that looks like {chosen}; read the text line by line")
    return chosen, parsed


def normalize_transcript(
    raw: str, fmt: str = "auto", meeting_date: dt.date | None = None, tz: str | None = None
) -> Transcript:
    """Parse `raw` in any supported format (auto-detected unless `fmt` names one) into turns.

    The meeting date comes from `meeting_date`, else from a dated header line ("Date: 2025-03-10").
    Unrecognised text is read one line per turn, with a warning; nothing raises for junk except a
    forced caption format (`fmt="vtt"`/`"srt"`) with no cues in it (TranscriptFormatError)."""
    text = prepare_text(raw or "")
    if not text.strip():
        return Transcript((), "plain", meeting_date, tz, (), ("the transcript is empty",))
    chosen, parsed = _parse(text, fmt)
    turns = tuple(
        Turn(i, t.speaker, t.text, t.start) for i, t in enumerate(t for t in parsed.turns if t.text)
    )
    warnings = list(parsed.warnings)
    if not turns:
        warnings.append(f"no transcript text found (read as {chosen}; only headers or timings)")
    date = meeting_date or find_meeting_date(parsed.header)
    logger.debug("read %d turn(s) as %s; meeting date %s", len(turns), chosen, date)
    return Transcript(turns, chosen, date, tz, _participants(parsed), tuple(warnings))
