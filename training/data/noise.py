"""ASR-style noise on a Doc: fillers, repeated words, tags, misheard words, and lower-case
unpunctuated output. Deadline phrases are kept intact (and re-spelled the same way as the text)."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from training.data.doc import Doc
from training.data.pools import Pools

_END_PUNCT = re.compile(r"[.,!?;:]+(?=\s|$)|(?<=\s)[-–—]+(?=\s)")


@dataclass(frozen=True)
class NoiseConfig:
    """How noisy one meeting is; all rates are per word or per turn."""

    filler_rate: float = 0.0  # per word gap
    repeat_rate: float = 0.0  # per word
    start_filler_rate: float = 0.0  # per turn
    tag_rate: float = 0.0  # per turn
    misheard_rate: float = 0.0  # per matching word
    asr_case: bool = False  # lower-case, no punctuation (AMI/ASR export)

    @classmethod
    def sample(cls, rng: random.Random) -> NoiseConfig:
        """None (45%), light (35%) or heavy ASR-like noise (20%)."""
        r = rng.random()
        if r < 0.45:
            return cls()
        if r < 0.8:
            return cls(0.02, 0.01, 0.15, 0.01, 0.1, asr_case=rng.random() < 0.15)
        return cls(0.06, 0.03, 0.35, 0.04, 0.3, asr_case=rng.random() < 0.6)

    @classmethod
    def sample_ami(cls, rng: random.Random) -> NoiseConfig:
        """Design-team recordings: mostly ASR output, often lower-case and unpunctuated."""
        r = rng.random()
        if r < 0.25:
            return cls()
        if r < 0.55:
            return cls(0.02, 0.01, 0.2, 0.01, 0.1, asr_case=rng.random() < 0.4)
        return cls(0.05, 0.03, 0.35, 0.03, 0.2, asr_case=rng.random() < 0.75)

    @property
    def active(self) -> bool:
        """True if this config changes anything."""
        return any(
            (
                self.filler_rate,
                self.repeat_rate,
                self.start_filler_rate,
                self.tag_rate,
                self.misheard_rate,
                self.asr_case,
            )
        )


def asr_spell(text: str) -> str:
    """Lower-case, end punctuation removed: how many ASR exports print speech."""
    return " ".join(_END_PUNCT.sub("", text.lower()).split())


def _protected(text: str, phrases: list[str]) -> list[tuple[int, int]]:
    spans = []
    low = text.lower()
    for p in phrases:
        start = low.find(p.lower())
        while start >= 0:
            spans.append((start, start + len(p)))
            start = low.find(p.lower(), start + 1)
    return spans


def noisy_text(text: str, rng: random.Random, pools: Pools, cfg: NoiseConfig, keep: list[str]) -> str:
    """One turn with noise; words inside the `keep` phrases are never split or changed."""
    spans = _protected(text, keep)
    out: list[str] = []
    safe = [0]  # positions in `out` where a tag may go (never inside a kept phrase)
    pos = 0
    words = text.split(" ")
    for n, word in enumerate(words):
        start, end = pos, pos + len(word)
        pos = end + 1
        inside = bool(spans) and any(a < end and start < b for a, b in spans)
        inside_next = bool(spans) and any(a < end + 1 < b for a, b in spans)
        w = word
        if not inside and cfg.misheard_rate:
            bare = w.strip(".,!?;:")
            heard = pools.misheard.get(bare)
            if heard and rng.random() < cfg.misheard_rate:
                w = w.replace(bare, heard)
        out.append(w)
        if inside or inside_next or n == len(words) - 1:
            continue
        safe.append(len(out))
        if rng.random() < cfg.repeat_rate and w.isalpha():
            out.append(w)
        if rng.random() < cfg.filler_rate:
            out.append(rng.choice(pools.noise["fillers_mid"]) + ",")
    if rng.random() < cfg.start_filler_rate and not any(a == 0 for a, _ in spans):
        filler = rng.choice(pools.noise["fillers_start"])
        out.insert(0, filler)
        safe = [0] + [k + 1 for k in safe]
        if out[1][:1].isupper() and out[1] not in ("I", "I'll", "I'm") and not out[1].isupper():
            out[1] = out[1][:1].lower() + out[1][1:]
    if rng.random() < cfg.tag_rate:
        tag = rng.choice(pools.noise["tags"]).format(
            mm=f"{rng.randint(0, 59):02d}", ss=f"{rng.randint(0, 59):02d}"
        )
        out.insert(rng.choice(safe), tag)
    return " ".join(out)


def add_noise(doc: Doc, rng: random.Random, pools: Pools, cfg: NoiseConfig) -> None:
    """Apply `cfg` to every spoken line of `doc`; item deadlines follow the ASR spelling."""
    if not cfg.active:
        return
    keep = [it.deadline for it in doc.items if it.deadline]
    for ln in doc.lines:
        ln.text = noisy_text(ln.text, rng, pools, cfg, keep)
        if cfg.asr_case:
            ln.text = asr_spell(ln.text)
    if cfg.asr_case:
        for it in doc.items:
            if it.deadline:
                it.deadline = asr_spell(it.deadline) or it.deadline
    doc.acts.append("asr_case" if cfg.asr_case else "noise")
