"""Turn Docs into checked records: pick a format, add noise, render, read back; retry on rejects."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any

from training.data.doc import Doc
from training.data.minutes import minutes
from training.data.noise import NoiseConfig, add_noise
from training.data.pools import Pools
from training.data.record import Rejects, RenderRejected, to_record
from training.data.render import labels, render

logger = logging.getLogger(__name__)

FORMAT_WEIGHTS = {
    "plain": 17,
    "dialogsum": 13,
    "vtt": 16,
    "srt": 9,
    "otter": 10,
    "teams": 11,
    "slack": 12,
    "notes": 10,
}
ATTEMPTS = 6


def pick_format(doc: Doc, rng: random.Random) -> str:
    """A format for this doc: AMI role meetings never become DialogSum or Slack threads."""
    weights = dict(FORMAT_WEIGHTS)
    if doc.kind == "ami":
        weights.update(dialogsum=0, slack=0, notes=2, plain=25)
    if len(doc.speakers) > 5 or doc.word_count() > 2500:
        weights["dialogsum"] = 1 if doc.kind != "ami" else 0
    return rng.choices(list(weights), list(weights.values()))[0]


def render_record(doc: Doc, fmt: str, rng: random.Random, pools: Pools, rid: str) -> dict[str, Any]:
    """One rendering of `doc` as `fmt`; RenderRejected if it does not read back."""
    doc = doc.copy()
    if fmt == "notes":
        notes = minutes(doc, rng, pools)
        gap = "\n\n" if rng.random() < 0.3 else "\n"
        raw = gap.join(ln.text for ln in notes.lines) + "\n"
        rec = to_record(notes, "notes", raw, [sp.label for sp in doc.speakers], rid)
        rec["acts"] = sorted(set(notes.acts))
        return rec
    add_noise(doc, rng, pools, NoiseConfig.sample_ami(rng) if doc.kind == "ami" else NoiseConfig.sample(rng))
    doc.merge_runs()
    shown = labels(doc, fmt, rng)
    rec = to_record(doc, fmt, render(doc, fmt, rng, shown), shown, rid)
    rec["acts"] = sorted(set(doc.acts))
    return rec


def make_record(
    make_doc: Callable[[random.Random], Doc],
    key: str,
    seed: int,
    pools: Pools,
    rejects: Rejects,
    fmt: str | None = None,
) -> dict[str, Any] | None:
    """Build a doc and render it, re-drawing (new rng) up to ATTEMPTS times; None if all fail."""
    for attempt in range(ATTEMPTS):
        rng = random.Random(f"{seed}:{key}:{attempt}")
        try:
            doc = make_doc(rng)
        except LookupError as exc:  # a template whose slots this draw cannot fill: draw again
            rejects.add(f"template/{exc}")
            continue
        chosen = fmt if fmt and attempt < 2 else pick_format(doc, rng)
        try:
            rec = render_record(doc, chosen, rng, pools, f"{key}")
        except RenderRejected as exc:
            rejects.add(f"{chosen}/{exc}")
            logger.debug("%s attempt %d rejected as %s: %s", key, attempt, chosen, exc)
            continue
        return rec
    return None
