"""Pure Block Kit rendering: escaping, Slack's per-field limits, splitting, fallbacks."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from mock_slack import block_problems

from bot import blocks, ids
from bot.records import ItemRecord
from extractor.schema import ActionItem, Evidence


def row(
    n: int = 0,
    *,
    task: str = "Send the budget",
    owner: str | None = "Dana",
    uid: str | None = None,
    quote: str = "I'll send it",
    status: str = "open",
    ticket: str | None = None,
) -> ItemRecord:
    item = ActionItem(
        owner=owner,
        task=task,
        deadline="Friday",
        deadline_date=dt.date(2025, 3, 14),
        priority="high",
        evidence=Evidence(turn=n, time="00:01:00", speaker=owner, quote=quote),
    )
    return ItemRecord(
        id=100 + n,
        extraction_id=7,
        position=n,
        part=0,
        item=item,
        owner_user_id=uid,
        status=status,
        status_by="U9" if status == "dismissed" else None,
        ticket_status=ticket,
        issue_key="OPS-1" if ticket == "created" else None,
        issue_url="https://jira.test/browse/OPS-1" if ticket == "created" else None,
    )


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("<!channel> now", "&lt;!channel&gt; now"),
        ("ask <@U123>", "ask &lt;@U123&gt;"),
        ("a & b", "a &amp; b"),
        ("<https://evil.test|click>", "&lt;https://evil.test|click&gt;"),
        ("<!subteam^S1>", "&lt;!subteam^S1&gt;"),
    ],
)
def test_user_text_is_escaped_everywhere(raw, shown):
    r = row(task=f"Task {raw}", owner=f"Owner {raw}", quote=f"Quote {raw}")
    msg = blocks.results_message(blocks.Header(f"file {raw}.txt"), 7, [r], part=0, parts=1, all_rows=[r])
    blob = msg.text + json.dumps(msg.blocks, ensure_ascii=False)
    assert raw not in blob
    assert blob.count(shown) >= 3


def test_a_resolved_owner_is_a_mention_and_an_unresolved_one_is_plain():
    text = json.dumps(blocks.row_blocks(row(uid="U1DANA"), 1)) + json.dumps(
        blocks.row_blocks(row(owner="Alex"), 2)
    )
    assert "<@U1DANA>" in text and "Alex _(not matched to a Slack member)_" in text


def test_huge_fields_are_clipped_to_slacks_limits():
    r = row(task="T" * 255, owner="O" * 5000, quote="Q" * 10_000, ticket="created")
    rendered = blocks.row_blocks(r, 1)
    assert block_problems(rendered) == []
    assert all(len(b["text"]["text"]) <= blocks.MAX_SECTION_TEXT for b in rendered if b["type"] == "section")


@pytest.mark.parametrize("n", [1, 9, 10, 11, 49, 120])
def test_every_part_is_valid_and_every_item_is_shown_once(n):
    rows = [row(i, task=f"Task number {i} " + "x" * 200, quote="q" * 400) for i in range(n)]
    parts = blocks.plan_parts(rows)
    rows = [ItemRecord(**{**r.__dict__, "part": p}) for r, p in zip(rows, parts, strict=True)]
    total = max(parts) + 1
    shown = []
    for p in range(total):
        mine = [r for r in rows if r.part == p]
        msg = blocks.results_message(blocks.Header("t.vtt"), 7, mine, part=p, parts=total, all_rows=rows)
        assert block_problems(msg.blocks) == [] and len(msg.blocks) <= blocks.MAX_BLOCKS
        assert len(json.dumps(msg.blocks)) <= blocks.MAX_MESSAGE_CHARS
        assert 0 < len(msg.text) <= blocks.MAX_FALLBACK_TEXT
        shown += [
            e["value"]
            for b in msg.blocks
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"] == ids.CREATE_ISSUE
        ]
    assert sorted(shown, key=int) == [str(r.id) for r in rows]
    assert parts == sorted(parts)  # order kept


def test_created_and_dismissed_rows_lose_their_buttons_and_create_all_counts_open_ones():
    rows = [row(0, ticket="created"), row(1, status="dismissed"), row(2), row(3)]
    msg = blocks.results_message(blocks.Header("t"), 7, rows, part=0, parts=1, all_rows=rows)
    blob = json.dumps(msg.blocks)
    assert "<https://jira.test/browse/OPS-1|OPS-1>" in blob and "~Send the budget~" in blob
    buttons = [e for b in msg.blocks if b["type"] == "actions" for e in b["elements"]]
    assert [e["value"] for e in buttons if e["action_id"] == ids.CREATE_ISSUE] == ["102", "103"]
    [create_all] = [e for e in buttons if e["action_id"] == ids.CREATE_ALL]
    assert create_all["text"]["text"] == "Create all (2)" and create_all["value"] == "7"


def test_ticket_error_offers_retry_for_that_item():
    msg = blocks.ticket_error(row(3), "Jira said no (HTTP 503)")
    assert "Jira said no (HTTP 503)" in msg.text
    [retry] = [e for b in msg.blocks if b["type"] == "actions" for e in b["elements"]]
    assert (retry["action_id"], retry["value"]) == (ids.RETRY_CREATE, "103")


def _documented_example() -> dict:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "slack.md").read_text()
    after = doc.split("The Block Kit JSON of that message", 1)[1]
    return json.loads(after.split("```json\n", 1)[1].split("\n```", 1)[0])


def test_the_results_message_in_docs_is_what_blocks_renders():
    def item(n, owner, task, said, date, priority, time, quote, **kw) -> ItemRecord:
        action = ActionItem(
            owner=owner,
            task=task,
            deadline=said,
            deadline_date=date,
            priority=priority,
            evidence=Evidence(turn=n, time=time, speaker=owner, quote=quote),
        )
        return ItemRecord(
            id=41 + n, extraction_id=7, position=n, part=0, item=action, status="open", status_by=None, **kw
        )

    rows = [
        item(
            0,
            "Dana",
            "Send the revised budget to finance",
            "Friday",
            dt.date(2025, 3, 14),
            "high",
            "00:04:12",
            "I'll get the revised budget over to finance by Friday.",
            owner_user_id="U024BE7LH",
        ),
        item(
            1,
            "Alex",
            "Draft the offsite agenda",
            "next week",
            dt.date(2025, 3, 17),
            "low",
            "00:11:40",
            "I can draft the agenda next week.",
            owner_user_id=None,
        ),
        item(
            2,
            "Lee",
            "Book the room for the offsite",
            None,
            None,
            "medium",
            "00:06:02",
            "I'll book the room.",
            owner_user_id="U0G9QF9C6",
            ticket_status="created",
            issue_key="OPS-128",
            issue_url="https://example.atlassian.net/browse/OPS-128",
            ticket_by="U024BE7LH",
        ),
    ]
    header = blocks.Header("standup.vtt", model="gemma-3-270m-actions")
    msg = blocks.results_message(header, 7, rows, part=0, parts=1, all_rows=rows)
    assert {"text": msg.text, "blocks": msg.blocks} == _documented_example()
