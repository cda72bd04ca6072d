"""The in-memory meeting every generator builds and every renderer reads.

Turn texts carry invisible markers (private-use characters) so that evidence quotes, deadline
phrases and name mentions survive noise, wrapping and re-formatting: a span is wrapped in
OPEN+id ... CLOSE+id, and a present person is written as one MENTION+index character that each
renderer spells its own way (first name, role, @handle)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

OPEN, CLOSE, MENTION = 0xE000, 0xE800, 0xF000
MAX_IDS, MAX_PEOPLE = 0x800, 0x100
_ANY_MARK = re.compile("[\ue000-\uefff\uf000-\uf0ff]")
_SPAN_MARK = re.compile("[\ue000-\uefff]")


def open_mark(i: int) -> str:
    """Start of span `i`."""
    return chr(OPEN + i)


def close_mark(i: int) -> str:
    """End of span `i`."""
    return chr(CLOSE + i)


def mention(person: int) -> str:
    """A mention of present person `person`, spelled by the renderer."""
    return chr(MENTION + person)


def is_span_mark(ch: str) -> bool:
    """True for span open/close markers."""
    return OPEN <= ord(ch) < CLOSE + MAX_IDS


def strip_marks(text: str) -> str:
    """Text without any marker characters."""
    return _ANY_MARK.sub("", text)


def strip_span_marks(text: str) -> str:
    """Text without span markers (mentions stay)."""
    return _SPAN_MARK.sub("", text)


def visible_len(text: str) -> int:
    """Length as a reader sees it (markers take no room)."""
    return len(strip_marks(text))


@dataclass
class Person:
    """Someone present. `role` replaces the name (AMI-style labels); `placeholder` is an ASR label."""

    first: str
    last: str = ""
    title: str = ""
    org: str = ""
    role: str = ""
    placeholder: str = ""

    @property
    def called(self) -> str:
        """How others address this person in speech."""
        return self.role or self.first


@dataclass
class Utt:
    """One turn (or one line of notes); `speaker` indexes Meeting.people, None for notes lines."""

    speaker: int | None
    text: str


@dataclass
class Item:
    """A gold action item whose evidence and deadline are marked spans in the turn texts."""

    owner: int | str | None  # person index, a literal name (someone absent), or None
    task: str
    key: int  # span id of the evidence
    deadline: int | str | None = None  # span id of the spoken phrase, or a literal phrase
    priority: str | None = None
    alt_key: int | None = None  # span id of a fallback quote (the turn that states the task)
    act: str = ""


@dataclass
class Meeting:
    """A composed or augmented meeting before rendering."""

    domain: str
    people: list[Person]
    meeting_date: dt.date | None
    style: str = "dialog"  # dialog | ami | notes | handwritten
    title: str = ""
    utts: list[Utt] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    acts: list[str] = field(default_factory=list)
    date_in_prompt: bool = True
    _next_id: int = 0

    def new_id(self) -> int:
        """A fresh span id."""
        if self._next_id >= MAX_IDS:
            raise ValueError("meeting has too many marked spans")
        self._next_id += 1
        return self._next_id - 1

    def mark(self, text: str) -> tuple[str, int]:
        """`text` wrapped in a new span; returns (marked text, id)."""
        i = self.new_id()
        return open_mark(i) + text + close_mark(i), i

    def say(self, speaker: int | None, text: str) -> int:
        """Append a turn (merged into the last one when the same person keeps talking); its index."""
        text = text.strip()
        if self.utts and speaker is not None and self.utts[-1].speaker == speaker:
            self.utts[-1].text += " " + text
        else:
            self.utts.append(Utt(speaker, text))
        return len(self.utts) - 1

    def word_count(self) -> int:
        """Words across all turns (markers ignored)."""
        return sum(len(strip_marks(u.text).split()) for u in self.utts)

    def note(self, act: str) -> None:
        """Record that a speech act occurs (for coverage stats and tests)."""
        self.acts.append(act)

    def drop_item(self, item: Item) -> None:
        """Remove an item (cancelled, or finished within the meeting)."""
        self.items = [it for it in self.items if it is not item]
