"""A rendered Doc -> one training record, checked with the serving parser: the format is
auto-detected as intended, speakers come out as labelled, and every item's evidence lands on
its own turn exactly as training/examples.py will place it."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from extractor.formats.base import display_name
from extractor.turns import Transcript, normalize_transcript
from training.data.doc import Doc, first_name
from training.examples import locate_turns

_SENT = re.compile(r"(?<=[.!?…])\s+")


class RenderRejected(ValueError):
    """A rendered meeting does not read back as intended (the reason is the message)."""


@dataclass
class Rejects:
    """Why rendered meetings were thrown away (the build re-draws them)."""

    reasons: Counter[str] = field(default_factory=Counter)

    def add(self, reason: str) -> None:
        """Count one rejection."""
        self.reasons[reason.split(":")[0]] += 1


def _named(doc: Doc, idx: int) -> bool:
    """True when person `idx` is called by name somewhere (DialogSum keeps names only in speech)."""
    name = doc.speakers[idx].first
    if not name:
        return False
    pat = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])", re.I)
    return any(pat.search(ln.text) for ln in doc.lines)


def _owner(doc: Doc, owner: int | str | None, fmt: str, shown: list[str]) -> str | None:
    if owner is None or isinstance(owner, str):
        return owner
    if fmt == "dialogsum":
        return doc.speakers[owner].first if _named(doc, owner) else None
    sp = doc.speakers[owner]
    if sp.is_role:
        return shown[owner]
    name = first_name(shown[owner])
    return name[:1].upper() + name[1:]


def _evidence(text: str, task: str, deadline: str | None) -> str:
    """The sentence of a turn that best matches the task (a shorter, still unique quote)."""
    words = {w for w in re.findall(r"\w+", task.lower()) if len(w) > 3}
    if deadline:
        words |= set(re.findall(r"\w+", deadline.lower()))
    sents = [s for s in _SENT.split(text) if s.strip()]
    if len(sents) <= 1:
        return text
    best = max(sents, key=lambda s: len(words & set(re.findall(r"\w+", s.lower()))))
    return best if len(best.split()) >= 4 else text


def _find(haystack: str, phrase: str) -> str | None:
    k = haystack.lower().find(phrase.lower())
    return haystack[k : k + len(phrase)] if k >= 0 else None


def to_record(doc: Doc, fmt: str, raw: str, shown: list[str], rid: str) -> dict[str, Any]:
    """The record for `raw` (doc rendered as `fmt` with speaker labels `shown`); RenderRejected
    if the transcript does not parse back to the doc's turns, speakers and items."""
    tr: Transcript = normalize_transcript(raw)
    if tr.format != fmt:
        raise RenderRejected(f"detected:{fmt}->{tr.format}")
    if fmt == "notes":
        pos = _notes_positions(doc, tr)
    else:
        said = [(k, t) for k, t in enumerate(tr.turns) if t.speaker]
        if len(said) != len(doc.lines) or any(t.speaker is None for t in tr.turns[said[0][0] :] if said):
            raise RenderRejected(f"turns:{len(said)} of {len(doc.lines)}")
        for (_, t), ln in zip(said, doc.lines, strict=True):
            want = display_name(shown[ln.speaker]) if ln.speaker is not None else None
            if fmt == "dialogsum":
                want = shown[ln.speaker] if ln.speaker is not None else None
            if t.speaker != want:
                raise RenderRejected(f"speaker:{t.speaker!r} != {want!r}")
        pos = [k for k, _ in said]
    shown_names = [display_name(s) for s in shown]
    items = sorted(doc.items, key=lambda it: it.turn)
    turns, quotes = _place(tr, items, pos)
    full = "\n".join(t.text for t in tr.turns)
    out = []
    for it, k, quote in zip(items, turns, quotes, strict=True):
        deadline = None
        if it.deadline:
            deadline = _find(tr.turns[k].text, it.deadline) or _find(full, it.deadline)
            if deadline is None:
                raise RenderRejected(f"deadline:{it.deadline!r}")
        owner = _owner(doc, it.owner, fmt, shown_names)
        out.append(
            {
                "owner": owner,
                "task": it.task,
                "deadline": deadline,
                "priority": it.priority,
                "evidence": quote,
            }
        )
    return {
        "id": rid,
        "source": doc.source,
        "format": fmt,
        "meeting_date": doc.meeting_date.isoformat() if doc.meeting_date else None,
        "transcript": raw,
        "action_items": out,
        "domain": doc.domain,
        "kind": doc.kind,
        "words": tr.word_count(),
    }


def _place(tr: Transcript, items: list, pos: list[int]) -> tuple[list[int], list[str]]:
    """Turn and evidence quote per item, placed as training/examples.py will place them. A quote
    said earlier too ("Okay.") cannot be placed; then the item moves to the turn just before
    (the request it answers), as long as that turn is after the previous item."""
    turns: list[int] = []
    quotes: list[str] = []
    for it in items:
        k = pos[it.turn]
        options = [(k, _evidence(tr.turns[k].text, it.task, it.deadline)), (k, tr.turns[k].text)]
        floor = turns[-1] if turns else 0
        options += [(j, tr.turns[j].text) for j in (k - 1, k - 2) if j >= floor and tr.turns[j].speaker]
        for turn, quote in options:
            if locate_turns(tr.turns, [*quotes, quote])[-1] == turn:
                turns.append(turn)
                quotes.append(quote)
                break
        else:
            raise RenderRejected("evidence:ambiguous")
    return turns, quotes


def _notes_positions(doc: Doc, tr: Transcript) -> list[int]:
    """Notes lines map one-to-one onto turns (blank lines and rules are dropped by both)."""
    if len(tr.turns) != len(doc.lines):
        raise RenderRejected(f"turns:{len(tr.turns)} of {len(doc.lines)} notes lines")
    return list(range(len(doc.lines)))
