"""Checks that the hand-written training meetings follow the record layout and annotation rules."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

DATA_DIR = Path(__file__).resolve().parents[2] / "training" / "data" / "handwritten"
TITLES = {"dr.", "dr", "prof.", "prof", "rev.", "mr.", "ms.", "mrs.", "chef", "coach", "capt.", "sgt."}
PRIORITIES = {"high", "medium", "low", None}
KEYS = {"seed_id", "domain", "meeting_date", "style", "speakers", "turns", "action_items", "notes"}
ITEM_KEYS = {"owner", "task", "deadline", "priority", "turn"}


def _first_name(label: str) -> str:
    """First name of a speaker label, with titles and parentheses dropped."""
    words = re.sub(r"\(.*?\)", "", label).split()
    while words and words[0].lower() in TITLES:
        words = words[1:]
    return words[0] if words else label


def _records() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(DATA_DIR.glob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            out.append((f"{path.name}:{n}", json.loads(line)))
    return out


RECORDS = _records()


def test_there_are_records() -> None:
    assert len(RECORDS) >= 20


def test_seed_ids_unique() -> None:
    ids = [r["seed_id"] for _, r in RECORDS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(("where", "rec"), RECORDS, ids=[w for w, _ in RECORDS])
def test_record_layout(where: str, rec: dict[str, Any]) -> None:
    assert set(rec) == KEYS, where
    day = dt.date.fromisoformat(rec["meeting_date"])
    assert day.weekday() < 5 and 2024 <= day.year <= 2027
    assert rec["notes"].strip() and "\n" not in rec["notes"]
    speakers = rec["speakers"]
    assert len(speakers) == len(set(speakers)) >= 2
    assert {t["speaker"] for t in rec["turns"]} == set(speakers)
    assert all(t["text"].strip() for t in rec["turns"])


@pytest.mark.parametrize(("where", "rec"), RECORDS, ids=[w for w, _ in RECORDS])
def test_items_follow_conventions(where: str, rec: dict[str, Any]) -> None:
    turns = rec["turns"]
    transcript = " ".join(t["text"] for t in turns)
    owners_ok = {_first_name(s) for s in rec["speakers"]} | set(rec["speakers"])
    last_turn = -1
    for item in rec["action_items"]:
        assert set(item) == ITEM_KEYS
        assert 0 <= item["turn"] < len(turns)
        assert item["turn"] >= last_turn, "items are in transcript order"
        last_turn = item["turn"]
        assert 3 <= len(item["task"].split()) <= 12, item["task"]
        assert item["priority"] in PRIORITIES
        owner = item["owner"]
        if owner is not None:
            assert owner in owners_ok or re.search(rf"\b{re.escape(owner)}\b", transcript), owner
        if item["deadline"] is not None:
            assert item["deadline"].lower() in transcript.lower(), item["deadline"]
            assert len(item["deadline"]) <= 48
    keys = [(i["owner"], i["task"].lower()) for i in rec["action_items"]]
    assert len(keys) == len(set(keys)), "no duplicate items"
