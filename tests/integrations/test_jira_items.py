"""Item/extraction JSON parsing, stable ids for reruns, and the outbox that keeps unfiled items."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from jira_samples import ctx, item

from integrations.errors import ItemFormatError
from integrations.items import (
    Entry,
    ctx_from_json,
    ctx_to_json,
    entries_from_json,
    item_from_json,
    item_to_json,
)
from integrations.outbox import SQLiteOutbox
from integrations.tracker import TrackerItem

ACTION = {
    "owner": "Dana Scully",
    "task": "Send the revised budget draft to finance",
    "deadline": "by Friday",
    "deadline_date": "2025-03-14",
    "priority": "high",
    "evidence": {"turn": 3, "time": None, "speaker": "Dana Scully", "quote": "I'll send it by Friday."},
}


def test_action_item_json_becomes_tracker_item() -> None:
    got = item_from_json({**ACTION, "owner_email": "dana@example.com", "owner_slack_id": "U1"})
    assert got == TrackerItem(
        task="Send the revised budget draft to finance",
        owner_name="Dana Scully",
        owner_email="dana@example.com",
        owner_slack_id="U1",
        deadline_phrase="by Friday",
        deadline_date=dt.date(2025, 3, 14),
        priority="high",
        evidence_quote="I'll send it by Friday.",
    )


@pytest.mark.parametrize(
    "tracker_item", [item(), item(owner_email=None, deadline_date=None, evidence_quote=None)]
)
def test_round_trip(tracker_item: TrackerItem) -> None:
    assert item_from_json(item_to_json(tracker_item)) == tracker_item
    assert ctx_from_json(ctx_to_json(ctx())) == ctx()


@pytest.mark.parametrize(
    "raw, fragment",
    [
        ([1], "item: must be a JSON object"),
        ({"owner": "Dana"}, "item.task: must not be blank"),
        ({"task": "  "}, "item.task: must not be blank"),
        ({"task": 5}, "item.task: must be a string"),
        ({"task": "x", "priority": "urgent"}, "item.priority: 'urgent' is not one of high, medium, low"),
        ({"task": "x", "deadline_date": "next Friday"}, "item.deadline_date: 'next Friday' is not a date"),
        ({"task": "x", "evidence": "said so"}, "item.evidence: must be an object"),
    ],
)
def test_bad_items_name_the_field(raw: Any, fragment: str) -> None:
    with pytest.raises(ItemFormatError) as err:
        item_from_json(raw)
    assert str(err.value).startswith(fragment)


def test_priority_is_case_insensitive() -> None:
    assert item_from_json({"task": "x", "priority": "HIGH"}).priority == "high"


def test_extraction_file_entries() -> None:
    doc = {"action_items": [ACTION, {"task": "Book the room"}], "meeting_date": "2025-03-10", "model": "m"}
    entries = entries_from_json(doc, channel_id="C123", permalink="https://x.slack.com/archives/C123/p1")
    assert [e.ctx.item_id for e in entries] == ["0", "1"]
    assert {e.ctx.meeting_date for e in entries} == {dt.date(2025, 3, 10)}
    assert {e.ctx.channel_id for e in entries} == {"C123"}
    # Same content, same keys (a rerun finds its issues); other content, other keys.
    again = entries_from_json({**doc, "model": "other"}, channel_id="C123")
    assert [e.ctx.extraction_id for e in again] == [e.ctx.extraction_id for e in entries]
    changed = entries_from_json({**doc, "action_items": [ACTION]})
    assert changed[0].ctx.extraction_id != entries[0].ctx.extraction_id


@pytest.mark.parametrize(
    "doc, count",
    [({"task": "One thing"}, 1), ([{"task": "a"}, {"task": "b"}], 2), ({"action_items": []}, 0)],
)
def test_single_item_list_or_empty(doc: Any, count: int) -> None:
    assert len(entries_from_json(doc)) == count


@pytest.mark.parametrize(
    "doc, fragment",
    [
        ({"action_items": {"task": "x"}}, "action_items: must be a list"),
        ({"action_items": [{"task": "x"}, {"task": ""}]}, "action_items[1].task:"),
        ({"action_items": [], "meeting_date": "March"}, "meeting_date:"),
    ],
)
def test_bad_extraction_files(doc: Any, fragment: str) -> None:
    with pytest.raises(ItemFormatError, match=None) as err:
        entries_from_json(doc)
    assert str(err.value).startswith(fragment)


def test_explicit_ids_win() -> None:
    [entry] = entries_from_json({"task": "x"}, extraction_id="ex-9", meeting_date=dt.date(2025, 1, 2))
    assert entry.ctx.extraction_id == "ex-9" and entry.ctx.meeting_date == dt.date(2025, 1, 2)


def test_outbox_keeps_updates_and_forgets(tmp_path: Path) -> None:
    box = SQLiteOutbox(tmp_path / "sub" / "jira.sqlite3")
    first, second = Entry(item(), ctx()), Entry(item(task="Other"), ctx(item_id="1"))
    box.keep(first, "Jira down")
    box.keep(second, "Jira down")
    box.keep(first, "still down")
    kept = SQLiteOutbox(tmp_path / "sub" / "jira.sqlite3").pending()  # survives reopening
    assert [(p.key, p.error, p.attempts) for p in kept] == [
        ("ex-1:0", "still down", 2),
        ("ex-1:1", "Jira down", 1),
    ]
    assert kept[0].entry == first and kept[1].entry == second
    box.forget("ex-1:0")
    assert [p.key for p in box.pending()] == ["ex-1:1"]
