"""Hand-written seed meetings (handwritten/*.jsonl) and their variants: name swaps, date
shifts and dropped filler turns, with owners, vocatives and tasks kept consistent."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from pathlib import Path
from typing import Any

from extractor.formats.base import NOT_SPEAKERS
from training.data.doc import TITLES, Doc, Gold, Line, Speaker, first_name
from training.data.errors import HandwrittenFormatError
from training.data.pools import Pools

HANDWRITTEN_DIR = Path(__file__).with_name("handwritten")
# Pool names that are also everyday words: never rewritten inside text (a sentence can start "Will").
WORDLIKE = frozenset("Will May Hope Grace Rob Pat June Joy Faith Mark Bill Art Sky Rose Ola Ren".split())
_PREFIX = {"chair": "Board", "host": "Show", "facilitator": "Lead", "scribe": "Team", "organizer": "Lead"}
_KEYS = ("seed_id", "meeting_date", "speakers", "turns", "action_items")


def load_seeds(root: Path = HANDWRITTEN_DIR) -> list[dict[str, Any]]:
    """Every seed record under `root`, in file order; HandwrittenFormatError names file:line."""
    seeds = []
    for path in sorted(root.glob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError as exc:
                raise HandwrittenFormatError(f"{path.name}:{n}: not valid JSON: {exc}") from exc
            missing = [k for k in _KEYS if k not in rec]
            if missing:
                raise HandwrittenFormatError(f"{path.name}:{n}: missing field(s) {missing}")
            seeds.append(rec)
    return seeds


def seed_doc(rec: dict[str, Any]) -> Doc:
    """A seed record as a Doc (owners that name a speaker become that speaker's index)."""
    labels = rec["speakers"]
    speakers = [_speaker(label) for label in labels]
    lines = [Line(labels.index(t["speaker"]), t["text"]) for t in rec["turns"]]
    items = [
        Gold(_owner(it["owner"], speakers), it["task"], it["turn"], it["deadline"], it["priority"])
        for it in rec["action_items"]
    ]
    kind = "ami" if sum(s.is_role for s in speakers) >= 3 else "dialog"
    date = dt.date.fromisoformat(rec["meeting_date"]) if rec.get("meeting_date") else None
    return Doc(
        f"handwritten:{rec['seed_id']}",
        rec.get("domain", ""),
        speakers,
        date,
        lines,
        items,
        kind=kind,
        title=rec.get("style", ""),
    )


def _speaker(label: str) -> Speaker:
    if label.lower() in NOT_SPEAKERS:
        # The transcript parsers read "Chair:" as a heading, not a person; say "Board Chair".
        label = f"{_PREFIX.get(label.lower(), 'Group')} {label}"
    sp = Speaker(label)
    if not sp.is_role:
        words = re.sub(r"\(.*?\)", "", label).split()
        while len(words) > 1 and words[0].lower() in TITLES:
            words = words[1:]
        sp.first, sp.last = words[0], " ".join(words[1:])
    return sp


def _owner(owner: str | None, speakers: list[Speaker]) -> int | str | None:
    if owner is None:
        return None
    hits = [i for i, s in enumerate(speakers) if owner in (s.label, s.first, s.label.split(" ", 1)[-1])]
    return hits[0] if len(hits) == 1 else owner


def swap_names(doc: Doc, rng: random.Random, pools: Pools) -> None:
    """Give everyone new names, consistently in labels, speech, tasks and literal owners."""
    firsts = [n for n in pools.names["first"] if " " not in n]
    lasts = list(pools.names["last"])
    taken = {w for ln in doc.lines for w in re.findall(r"\w+", ln.text)}
    fresh_first = [n for n in firsts if n not in taken]
    rng.shuffle(fresh_first)
    mapping: dict[str, str] = {}
    for sp in doc.speakers:
        if sp.is_role or not sp.first:
            continue
        if sp.first not in WORDLIKE and fresh_first:
            mapping[sp.first] = fresh_first.pop()
        for part in sp.last.split():
            if part[:1].isupper() and part not in mapping:
                mapping[part] = rng.choice(lasts)
    # Other people named in speech (absent colleagues, named generic speakers).
    pool = set(firsts) - WORDLIKE
    for ln in doc.lines:
        for w in re.findall(r"\b[A-Z][\w'-]+\b", ln.text):
            if w in pool and w not in mapping and fresh_first:
                mapping[w] = fresh_first.pop()
    if not mapping:
        return
    pattern = re.compile(
        r"(?<![\w-])(" + "|".join(map(re.escape, sorted(mapping, key=len, reverse=True))) + r")(?![\w-])"
    )

    def sub(text: str) -> str:
        return pattern.sub(lambda m: mapping[m.group(1)], text)

    for sp in doc.speakers:
        sp.label, sp.first, sp.last = sub(sp.label), sub(sp.first), sub(sp.last)
    for ln in doc.lines:
        ln.text = sub(ln.text)
    for it in doc.items:
        it.task = sub(it.task)
        if isinstance(it.owner, str):
            it.owner = sub(it.owner)
        if it.deadline:
            it.deadline = sub(it.deadline)


def shift_date(doc: Doc, rng: random.Random) -> None:
    """Move the meeting by whole weeks (weekday-relative deadlines stay true); sometimes drop it."""
    if doc.meeting_date is None:
        return
    if rng.random() < 0.08:
        doc.meeting_date = None
        return
    weeks = rng.randint(-10, 10) + 52 * rng.randint(-1, 1)
    moved = doc.meeting_date + dt.timedelta(weeks=weeks)
    if not 2024 <= moved.year <= 2027:
        moved = doc.meeting_date + dt.timedelta(weeks=rng.randint(-10, 10))
    doc.meeting_date = moved


def drop_fillers(doc: Doc, rng: random.Random, rate: float = 0.35) -> None:
    """Drop some short non-question turns that neither hold an item nor lead into one."""
    keep_near = (
        {it.turn for it in doc.items} | {it.turn - 1 for it in doc.items} | {it.turn + 1 for it in doc.items}
    )
    keep = []
    for i, ln in enumerate(doc.lines):
        short = len(ln.text.split()) <= 4 and "?" not in ln.text
        if short and i not in keep_near and 0 < i < len(doc.lines) - 1 and rng.random() < rate:
            continue
        keep.append(i)
    if len(keep) == len(doc.lines):
        return
    where = {old: new for new, old in enumerate(keep)}
    doc.lines = [doc.lines[i] for i in keep]
    for it in doc.items:
        it.turn = where[it.turn]


def variant(rec: dict[str, Any], rng: random.Random, pools: Pools, k: int) -> Doc:
    """Variant `k` of a seed: variant 0 keeps the names; all shift dates and may drop fillers."""
    doc = seed_doc(rec)
    doc.source = f"{doc.source}:{k}"
    if k > 0:
        swap_names(doc, rng, pools)
    shift_date(doc, rng)
    if rng.random() < 0.4:
        drop_fillers(doc, rng)
    return doc


__all__ = ["load_seeds", "seed_doc", "variant", "first_name"]
