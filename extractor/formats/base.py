"""Shared pieces of the format parsers: the parsed-turn record and text/label helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Zero-width characters and BOMs that copy/paste and Windows tools leave in text.
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060"), None)

# Words that end in a colon at the start of a line but are headings, not people.
NOT_SPEAKERS = frozenset(
    """
    absent action actions agenda ai answer apologies attendees background blockers cc date decision
    decisions discussion due duration email fyi goal goals highlights issue issues location meeting
    minutes next note notes objective owner participants present purpose question re recap recording
    reminder risks scribe status subject summary time title todo topic topics transcript update updates
    when where who why what how link links facilitator chair host organizer organiser edit edited
    ps nb tl;dr tldr warning important context result results outcome outcomes timeline eta
    """.split()
)
_NAME_PARTICLES = frozenset("de da del della der di du la le van von bin al el dos das y st".split())
_NAME_WORD = re.compile(r"^[^\W\d_][\w.'’\-]*$")


@dataclass(frozen=True)
class RawTurn:
    """A turn as a parser found it, before numbering."""

    speaker: str | None
    text: str
    start: float | None = None


@dataclass
class Parsed:
    """What a format parser returns: turns plus header facts for the meeting metadata."""

    turns: list[RawTurn] = field(default_factory=list)
    header: list[str] = field(default_factory=list)  # title/date/attendee lines, for the meeting date
    participants: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    matched: int = 0  # how many format-specific markers (cues, headers, labels) were found


def prepare_text(raw: str) -> str:
    """Drop BOMs and zero-width characters and turn CRLF/CR into LF."""
    return raw.translate(_INVISIBLE).replace("\r\n", "\n").replace("\r", "\n")


def clean_text(text: str) -> str:
    """Collapse all runs of whitespace (including newlines) into single spaces."""
    return " ".join(text.split())


def nonblank(text: str) -> list[str]:
    """The lines of `text` that have any non-space character."""
    return [line for line in text.split("\n") if line.strip()]


def parse_clock(value: str) -> float | None:
    """Seconds in `h:mm:ss`, `m:ss` or `hh:mm:ss.mmm` (comma decimals too); None if unreadable."""
    parts = value.strip().replace(",", ".").split(":")
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        return None
    if not 2 <= len(nums) <= 3 or any(n < 0 for n in nums) or any(n >= 60 for n in nums[1:]):
        return None
    total = 0.0
    for n in nums:
        total = total * 60 + n
    return total


def looks_like_name(label: str) -> bool:
    """True when `label` could be a speaker: 1-6 capitalised words ("Dr. Greg Owens", "Speaker 3"),
    or one handle-like token ("alice"), and not a heading word such as "Agenda" or "TODO"."""
    label = label.strip()
    if not label or len(label) > 60 or label.lower().rstrip(".") in NOT_SPEAKERS:
        return False
    base = re.sub(r"\s*\([^()]{1,40}\)\s*$", "", label)  # "Laura Bennett (BrightPath)"
    words = base.split()
    if not 1 <= len(words) <= 6 or words[0].lower() in NOT_SPEAKERS:
        return False
    if len(words) == 1:
        return bool(re.fullmatch(r"[^\W\d_][\w.'’\-]*\d*", words[0]))
    for i, word in enumerate(words):
        if word.isdigit() and i == len(words) - 1:  # "Speaker 3", "Person 2"
            continue
        if word.lower() in _NAME_PARTICLES and 0 < i:
            continue
        if not _NAME_WORD.match(word) or not word[0].isupper():
            return False
    return True


def display_name(label: str) -> str:
    """A caption label as a name: "JOSH" -> "Josh", "O'NEILL" -> "O'Neill"; mixed case kept."""
    label = clean_text(label)
    return label.title() if label.isupper() else label


def merge_same_speaker(turns: list[RawTurn]) -> list[RawTurn]:
    """Join consecutive turns of one named speaker, keeping the first start time."""
    out: list[RawTurn] = []
    for turn in turns:
        if out and turn.speaker and out[-1].speaker == turn.speaker:
            prev = out[-1]
            out[-1] = RawTurn(prev.speaker, f"{prev.text} {turn.text}".strip(), prev.start)
        else:
            out.append(turn)
    return out
