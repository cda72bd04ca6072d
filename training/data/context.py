"""Per-meeting slot values: people, a domain, tasks, deadlines and chatter fillers."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from training.data.doc import Doc, Speaker
from training.data.inflect import gerund, lower_first, participle, past
from training.data.pools import Domain, Pools, Task
from training.data.slots import WEEKDAYS, cap, deadline_phrase, fill, ordinal, pick

FIRST_DAY, LAST_DAY = dt.date(2024, 1, 1), dt.date(2026, 12, 31)


def random_weekday(rng: random.Random) -> dt.date:
    """A Monday-Friday date in the years the test sets cover."""
    while True:
        day = FIRST_DAY + dt.timedelta(days=rng.randint(0, (LAST_DAY - FIRST_DAY).days))
        if day.weekday() < 5:
            return day


def cast(rng: random.Random, pools: Pools, n: int) -> list[Speaker]:
    """`n` people with distinct first names (sometimes a title in the label)."""
    firsts = rng.sample([f for f in pools.names["first"] if " " not in f], n)
    out = []
    for first in firsts:
        last = rng.choice(pools.names["last"])
        label = f"{first} {last}"
        if rng.random() < 0.05:
            label = f"{rng.choice(('Dr.', 'Prof.', 'Ms.', 'Mr.'))} {label}"
        out.append(Speaker(label, first, last))
    return out


@dataclass
class Ctx:
    """Everything one composed meeting draws from."""

    rng: random.Random
    pools: Pools
    domain: Domain
    doc: Doc
    ref_date: dt.date
    used_tasks: set[str] = field(default_factory=set)
    absent: list[str] = field(default_factory=list)

    def task(self, group: bool = False) -> Task:
        """A task not yet used in this meeting, with its {org}/{ext}/{event} slots filled."""
        pool = self.domain.group_tasks if group and self.domain.group_tasks else self.domain.tasks
        fresh = [t for t in pool if t.gold not in self.used_tasks] or list(pool)
        task = self.rng.choice(fresh)
        self.used_tasks.add(task.gold)
        return task.fill(self.fills())

    def fills(self) -> dict[str, str]:
        """Values for domain slots inside tasks and chatter."""
        d, rng = self.domain, self.rng
        return {
            "org": rng.choice(d.get("orgs") or ("the vendor",)),
            "ext": self.ext(),
            "event": rng.choice(d.get("events") or ("the next meeting",)),
        }

    def ext(self) -> str:
        """Someone who is not in the meeting."""
        if not self.absent:
            present = {sp.first for sp in self.doc.speakers}
            self.absent = [n for n in self.rng.sample(self.pools.names["first"], 12) if n not in present]
        return self.rng.choice(self.absent)

    def deadline(self, rate: float = 0.42) -> str | None:
        """A deadline phrase, or None (most spoken tasks have none)."""
        if self.rng.random() >= rate:
            return None
        return deadline_phrase(self.rng, self.pools, self.domain, self.ref_date)

    def values(self, task: Task | None = None, dl: str | None = None, **extra: str) -> dict[str, str]:
        """Slot values for a template about `task` with deadline `dl`."""
        rng, d = self.rng, self.domain
        v = dict(self.fills())
        v["Org"], v["Ext"], v["Event"] = cap(v["org"]), v["ext"], cap(v["event"])
        topic = rng.choice(d.get("topics"))
        metric = rng.choice(d.get("metrics") or d.get("topics"))
        issue = rng.choice(d.get("issues") or d.get("topics"))
        day = rng.choice(WEEKDAYS[:5])
        v.update(
            topic=topic,
            Topic=cap(topic),
            metric=metric,
            Metric=cap(metric),
            issue=issue,
            Issue=cap(issue),
            n=str(rng.randint(2, 9)),
            pct=f"{rng.randint(5, 60)} percent",
            day=day,
            Day=day,
            date=f"{day} the {ordinal(rng.randint(1, 28))}",
            cond=rng.choice(d.get("conditions") or ("we hear back",)),
            when=rng.choice(self.pools.acts["reassign_when"]),
        )
        if task is not None:
            spoken = rng.choice(task.spoken)
            v.update(
                task=spoken,
                task_ing=gerund(spoken),
                Task=cap(spoken),
                past=past(spoken),
                pp=participle(spoken),
            )
            if task.noun:
                v.update(noun=task.noun, Noun=cap(task.noun))
        if dl:
            v.update(dl=f" {dl}", DL=dl, DLc=cap(dl))
        else:
            v["dl"] = ""
        v.update(extra)
        return v

    def line(
        self, section: dict[str, tuple[str, ...]], key: str, values: dict[str, str], dl: bool | None = None
    ) -> str:
        """A filled template from `section[key]`; `dl` True needs a deadline slot, False forbids one."""

        def need(f: frozenset[str]) -> bool:
            has = bool(f & {"dl", "DL", "DLc"})
            if dl is True:
                return has
            if dl is False:
                return not (f & {"DL", "DLc", "DL2"})
            return True

        return fill(pick(self.rng, section[key], values, need), values)

    def chatter(self, key: str) -> str:
        """One line of no-item talk."""
        if key == "facts":
            return self.rng.choice(self.domain.get("facts"))
        return self.line(self.pools.chatter, key, self.values())

    @staticmethod
    def gold(task: Task) -> str:
        """The gold task text."""
        return task.gold


__all__ = ["Ctx", "cast", "random_weekday", "lower_first"]
