"""Normalised transcript types and the entry point that builds them from raw text."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


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
