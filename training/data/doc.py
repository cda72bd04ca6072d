"""The format-neutral meeting every generator builds and every renderer reads."""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field, replace

# Words that make a speaker label a role ("Project Manager", "City Clerk"), not a person's name.
ROLE_WORDS = frozenset(
    "manager expert designer director clerk speaker chair secretary treasurer coordinator host "
    "moderator interviewer candidate customer agent lead officer analyst developer engineer "
    "representative rep supervisor administrator nurse physician technician member treasurer "
    "president principal teacher consultant owner researcher scientist producer editor writer architect "
    "planner specialist advisor adviser counsel assistant intern accountant controller strategist "
    "copywriter photographer dispatcher foreman superintendent inspector pharmacist therapist".split()
)
TITLES = frozenset(
    "dr. dr prof. prof rev. mr. ms. mrs. mx. chef coach capt. sgt. det. judge nurse councilmember "
    "councillor councilwoman councilman senator mayor officer sister brother father pastor imam rabbi".split()
)
_GENERIC = re.compile(r"^(speaker|person|participant|guest)\s*(\d+|[a-z])$", re.I)


@dataclass
class Speaker:
    """Someone who talks: `label` is how transcripts name them, `first` the name others say."""

    label: str
    first: str = ""
    last: str = ""

    @property
    def is_role(self) -> bool:
        """True for role labels (AMI-style) and generic labels (Speaker 2): owners use the label."""
        # Roles end in a role word ("QA Engineer", "Board Chair"); "Nurse Joy Reyes" is a person.
        words = re.sub(r"\(.*?\)", "", self.label).lower().split()
        return bool(_GENERIC.match(self.label)) or bool(words and words[-1] in ROLE_WORDS)

    @property
    def owner(self) -> str:
        """The owner string for this person when the label is shown."""
        if self.is_role:
            return self.label
        return self.first or first_name(self.label)


def first_name(label: str) -> str:
    """First name of a label, titles and parentheses dropped ("Dr. Hannah Osei" -> "Hannah")."""
    words = re.sub(r"\(.*?\)", "", label).split()
    while len(words) > 1 and words[0].lower() in TITLES:
        words = words[1:]
    return words[0] if words else label


@dataclass
class Line:
    """One turn (speaker index) or, in notes, one line (speaker None)."""

    speaker: int | None
    text: str


@dataclass
class Gold:
    """A gold action item; `owner` is a speaker index, a literal name, or None; `turn` a line index."""

    owner: int | str | None
    task: str
    turn: int
    deadline: str | None = None
    priority: str | None = None


@dataclass
class Doc:
    """A meeting before rendering. `kind` is dialog, ami or notes; `source` its provenance."""

    source: str
    domain: str
    speakers: list[Speaker]
    meeting_date: dt.date | None
    lines: list[Line] = field(default_factory=list)
    items: list[Gold] = field(default_factory=list)
    kind: str = "dialog"
    title: str = ""
    acts: list[str] = field(default_factory=list)
    words_said: int = 0  # running total kept by say(), so generators can check length cheaply

    def say(self, speaker: int | None, text: str) -> int:
        """Append a line; returns its index."""
        self.lines.append(Line(speaker, " ".join(text.split())))
        self.words_said += len(text.split())
        return len(self.lines) - 1

    def copy(self) -> Doc:
        """A copy whose lines and items can be changed without touching this one."""
        return replace(
            self,
            speakers=[replace(sp) for sp in self.speakers],
            lines=[replace(ln) for ln in self.lines],
            items=[replace(it) for it in self.items],
            acts=list(self.acts),
        )

    def fresh_reply(self, options: tuple[str, ...] | list[str], rng: random.Random) -> str:
        """A reply not already said word for word (an item's evidence must be found on its own turn)."""
        said = "\n".join(" ".join(ln.text.split()).casefold() for ln in self.lines)
        ok = [o for o in options if " ".join(o.split()).casefold() not in said]
        return rng.choice(ok or list(options))

    def word_count(self) -> int:
        """Words across all lines."""
        return sum(len(ln.text.split()) for ln in self.lines)

    def merge_runs(self) -> None:
        """Join consecutive lines of one speaker (parsers do too), re-pointing item turns."""
        if self.kind == "notes":
            return
        new: list[Line] = []
        where: list[int] = []
        for ln in self.lines:
            if new and ln.speaker is not None and new[-1].speaker == ln.speaker:
                new[-1] = Line(ln.speaker, f"{new[-1].text} {ln.text}")
            else:
                new.append(Line(ln.speaker, ln.text))
            where.append(len(new) - 1)
        for it in self.items:
            it.turn = where[it.turn]
        self.lines = new
