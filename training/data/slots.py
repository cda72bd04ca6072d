"""Template filling, deadline phrases and priority cues shared by every generator."""

from __future__ import annotations

import datetime as dt
import functools
import random
import string
from collections.abc import Callable, Sequence

from training.data.inflect import upper_first
from training.data.pools import Domain, Pools

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# How often each kind of deadline phrase is used when an item has a deadline at all.
DEADLINE_KINDS = (
    ("weekday", 24),
    ("next", 9),
    ("today", 10),
    ("tomorrow", 10),
    ("week", 10),
    ("nextweek", 4),
    ("month", 5),
    ("within", 5),
    ("explicit", 13),
    ("event", 7),
    ("vague", 3),
)


@functools.lru_cache(maxsize=4096)
def fields(template: str) -> frozenset[str]:
    """Slot names used by a template."""
    return frozenset(f for _, f, _, _ in string.Formatter().parse(template) if f)


def pick(
    rng: random.Random,
    templates: Sequence[str],
    available: set[str] | dict[str, str],
    need: Callable[[frozenset[str]], bool] = lambda f: True,
) -> str:
    """A random template whose slots are all available and which satisfies `need`."""
    avail = set(available)
    ok = [t for t in templates if fields(t) <= avail and need(fields(t))]
    if not ok:
        raise LookupError(f"no template fits slots {sorted(avail)}")
    return rng.choice(ok)


def fill(template: str, values: dict[str, str]) -> str:
    """Fill a template; the result is tidied (no double spaces, no space before punctuation)."""
    out = template.format_map(values)
    out = " ".join(out.split())
    for p in (" ,", " .", " ?", " !", " :"):
        out = out.replace(p, p[1])
    return out.replace(",.", ".").replace("..", ".").replace(",?", "?")


def ordinal(n: int) -> str:
    """1 -> '1st', 22 -> '22nd'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def deadline_phrase(
    rng: random.Random, pools: Pools, domain: Domain | None, date: dt.date, kind: str | None = None
) -> str:
    """A deadline phrase as someone would say it, consistent with the meeting date."""
    if kind is None:
        kind = rng.choices([k for k, _ in DEADLINE_KINDS], [w for _, w in DEADLINE_KINDS])[0]
    template = rng.choice(pools.deadlines[kind])
    weekday = rng.choices(WEEKDAYS, [5, 5, 5, 5, 7, 1, 1])[0]
    target = date + dt.timedelta(days=rng.randint(2, 45))
    events = (domain.get("events") if domain else ()) or ("the next meeting",)
    values = {
        "Wd": weekday,
        "Wd3": weekday[:3],
        "Month": MONTHS[target.month - 1],
        "Mon3": MONTHS[target.month - 1][:3],
        "ord": ordinal(target.day),
        "d": str(target.day),
        "m": str(target.month),
        "event": rng.choice(events),
    }
    if kind == "explicit":
        values["Wd3"] = WEEKDAYS[target.weekday()][:3]
    if kind == "month":
        values["Month"] = MONTHS[date.month - 1] if rng.random() < 0.7 else MONTHS[date.month % 12]
    return fill(template, values)


def priority_cue(rng: random.Random, pools: Pools, level: str, where: str) -> str:
    """A phrase that sets `level` priority, said before ('pre') or after ('post') the task."""
    return rng.choice(pools.priority[f"{level}_{where}"])


def pick_priority(rng: random.Random, rate: float = 0.14) -> str | None:
    """high/medium/low with the rough shares people use them, or None (most tasks)."""
    if rng.random() >= rate:
        return None
    return rng.choices(("high", "medium", "low"), (5, 2, 3))[0]


def cap(text: str) -> str:
    """Capitalise a phrase for the start of a sentence."""
    return upper_first(text)
