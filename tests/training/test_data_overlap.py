"""No evaluation text in the training data: no 12-word shingle of the dev sets appears in the
built meetings or in the hand-written seeds (skipped where the evaluation files are absent)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from training.data.build import sample
from training.data.handwritten import load_seeds

EVAL_DIR = Path(__file__).resolve().parents[3] / "shared" / "data"
EVAL_FILES = ("dev.jsonl", "ami_dev.jsonl")
K = 12


def shingles(text: str, k: int = K) -> set[tuple[str, ...]]:
    """All runs of `k` consecutive words (lower-case, punctuation dropped)."""
    words = re.findall(r"[\w']+", text.lower())
    return {tuple(words[i : i + k]) for i in range(len(words) - k + 1)}


@pytest.fixture(scope="module")
def eval_shingles() -> set[tuple[str, ...]]:
    found = [EVAL_DIR / name for name in EVAL_FILES if (EVAL_DIR / name).is_file()]
    if not found:
        pytest.skip(f"no evaluation files under {EVAL_DIR}")
    out: set[tuple[str, ...]] = set()
    for path in found:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out |= shingles(json.loads(line).get("transcript") or "")
    return out


def test_shingles_helper() -> None:
    assert len(shingles(" ".join(str(i) for i in range(13)))) == 2
    assert shingles("too short") == set()


def test_built_data_shares_no_shingle_with_eval(eval_shingles: set[tuple[str, ...]]) -> None:
    hits = [r["id"] for r in sample(120, 7) if shingles(r["transcript"]) & eval_shingles]
    assert not hits


def test_handwritten_seeds_share_no_shingle_with_eval(eval_shingles: set[tuple[str, ...]]) -> None:
    hits = []
    for seed in load_seeds():
        text = " ".join(t["text"] for t in seed["turns"])
        if shingles(text) & eval_shingles:
            hits.append(seed["seed_id"])
    assert not hits
