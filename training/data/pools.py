"""Load the hand-written phrase pools (pools/*.yaml) into typed, validated objects."""

from __future__ import annotations

import logging
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from training.data.errors import PoolError
from training.data.inflect import lower_first

logger = logging.getLogger(__name__)

POOLS_DIR = Path(__file__).with_name("pools")

# Slots a template may use; anything else is a typo in a pool file.
KNOWN_SLOTS = {
    "task",
    "task_ing",
    "Task",
    "noun",
    "Noun",
    "dl",
    "DL",
    "DLc",
    "DL2",
    "name",
    "prev",
    "when",
    "task2",
    "cond",
    "ext",
    "org",
    "past",
    "pp",
    "topic",
    "Topic",
    "metric",
    "Metric",
    "issue",
    "Issue",
    "event",
    "Event",
    "date",
    "n",
    "pct",
    "day",
    "Day",
    "role",
    "area",
    "feature",
    "feature2",
    "material",
    "colour",
    "colour2",
    "Org",
    "Ext",
    "Wd",
    "Wd3",
    "Month",
    "Mon3",
    "ord",
    "d",
    "m",
    "mm",
    "ss",
}


@dataclass(frozen=True)
class Task:
    """A deliverable: its gold imperative, ways to say it (base form) and a noun for 'I'll take X'."""

    gold: str
    spoken: tuple[str, ...]
    noun: str | None = None

    @classmethod
    def parse(cls, line: str) -> Task:
        """'Gold | alt | alt || noun' -> Task (the gold, lower-cased, is the first spoken form)."""
        main, _, noun = line.partition("||")
        parts = [p.strip() for p in main.split("|") if p.strip()]
        gold = parts[0]
        spoken = (lower_first(gold), *(p for p in parts[1:]))
        return cls(gold, spoken, noun.strip() or None)

    def fill(self, values: dict[str, str]) -> Task:
        """Substitute {org}/{ext}/{event} slots in every form."""

        def sub(s: str) -> str:
            return s.format_map(values) if "{" in s else s

        return Task(sub(self.gold), tuple(sub(s) for s in self.spoken), sub(self.noun) if self.noun else None)


@dataclass(frozen=True)
class Domain:
    """Everything a meeting of one kind of team talks about."""

    name: str
    sections: dict[str, tuple[str, ...]]
    tasks: tuple[Task, ...]
    group_tasks: tuple[Task, ...]
    misheard: dict[str, str] = field(default_factory=dict)

    def get(self, section: str) -> tuple[str, ...]:
        """Lines of one section (empty when the domain has none)."""
        return self.sections.get(section, ())


@dataclass(frozen=True)
class Pools:
    """All phrase pools, loaded once per build and passed down (no module-level state)."""

    names: dict[str, tuple[str, ...]]
    acts: dict[str, tuple[str, ...]]
    distractors: dict[str, tuple[str, ...]]
    chatter: dict[str, tuple[str, ...]]
    deadlines: dict[str, tuple[str, ...]]
    priority: dict[str, tuple[str, ...]]
    noise: dict[str, tuple[str, ...]]
    misheard: dict[str, str]
    ami: dict[str, tuple[str, ...]]
    domains: dict[str, Domain]

    @classmethod
    def load(cls, root: Path = POOLS_DIR) -> Pools:
        """Read and validate every pool file under `root`."""
        noise = _sections(root / "noise.yaml")
        domains = {}
        for path in sorted((root / "domains").glob("*.yaml")):
            sec = _sections(path)
            for need in ("tasks", "topics", "facts"):
                if not sec.get(need):
                    raise PoolError(f"{path}: section {need!r} is missing or empty")
            name = path.stem
            domains[name] = Domain(
                name=name,
                sections=sec,
                tasks=tuple(Task.parse(t) for t in sec["tasks"]),
                group_tasks=tuple(Task.parse(t) for t in sec.get("group_tasks", ())),
                misheard=_pairs(sec.get("misheard", ()), path),
            )
        if not domains:
            raise PoolError(f"{root / 'domains'}: no domain pools found")
        return cls(
            names=_sections(root / "names.yaml"),
            acts=_sections(root / "acts.yaml"),
            distractors=_sections(root / "distractors.yaml"),
            chatter=_sections(root / "chatter.yaml"),
            deadlines=_sections(root / "deadlines.yaml"),
            priority=_sections(root / "priority.yaml"),
            noise=noise,
            misheard=_pairs(noise.get("misheard", ()), root / "noise.yaml"),
            ami=_sections(root / "ami.yaml"),
            domains=domains,
        )


def _sections(path: Path) -> dict[str, tuple[str, ...]]:
    """A pool file: top-level keys whose values are block strings, one entry per line."""
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PoolError(f"{path}: cannot read pool file: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise PoolError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise PoolError(f"{path}: expected a mapping of section -> lines")
    out: dict[str, tuple[str, ...]] = {}
    for key, value in data.items():
        if key == "name":
            continue
        if not isinstance(value, str):
            raise PoolError(f"{path}: section {key!r} must be a block string (use `key: |`)")
        lines = tuple(dict.fromkeys(ln.strip() for ln in value.splitlines() if ln.strip()))
        for ln in lines:
            _check_slots(ln, path, key)
        out[key] = lines
    return out


def _check_slots(line: str, path: Path, section: str) -> None:
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(line) if f}
    except ValueError as exc:
        raise PoolError(f"{path}: [{section}] bad braces in {line!r}: {exc}") from exc
    unknown = fields - KNOWN_SLOTS
    if unknown:
        raise PoolError(f"{path}: [{section}] unknown slot(s) {sorted(unknown)} in {line!r}")


def _pairs(lines: tuple[str, ...], path: Path) -> dict[str, str]:
    out = {}
    for ln in lines:
        src, sep, dst = ln.partition("=>")
        if not sep:
            raise PoolError(f"{path}: misheard entry {ln!r} needs 'written => heard'")
        out[src.strip()] = dst.strip()
    return out
