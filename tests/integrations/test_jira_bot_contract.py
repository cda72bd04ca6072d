"""The bot's ticket path (bot.tickets.create_ticket, what the Create-issue button runs) through the real
JiraTracker against the fake Jira: one issue per item under double clicks, failures keep the item."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from fake_jira import FakeJira

from bot.store import Store
from bot.tickets import StoreKeys, TicketOutcome, create_ticket
from extractor.schema import ActionItem
from integrations.jira import JiraTracker

Make = Callable[..., JiraTracker]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.from_url(f"sqlite:///{tmp_path / 'bot.db'}")


def saved_item(store: Store) -> int:
    claim = store.claim_extraction(
        "src-1",
        kind="file",
        channel_id="C123",
        thread_ts="1741600000.000100",
        user="U9",
        title="sync",
        meeting_date=dt.date(2025, 3, 10),
    )
    action = ActionItem.model_validate(
        {
            "owner": "Dana Scully",
            "task": "Send the revised budget draft to finance",
            "deadline": "by Friday",
            "deadline_date": "2025-03-14",
            "priority": "high",
            "evidence": {
                "turn": 2,
                "time": None,
                "speaker": "Dana Scully",
                "quote": "I'll send it by Friday.",
            },
        }
    )
    store.save_items(claim.record_id, [(action, "U024BE7LH", 0)])
    [row] = store.items(claim.record_id)
    return row.id


def test_double_click_files_one_correct_issue(fake: FakeJira, make_tracker: Make, store: Store) -> None:
    fake.create_delay = 0.2
    tracker = make_tracker(fake, store=StoreKeys(store))
    item_id = saved_item(store)
    permalink = "https://acme.slack.com/archives/C123/p1741600000000100"
    outcomes: list[TicketOutcome] = []
    barrier = threading.Barrier(2)

    def click() -> None:
        barrier.wait()
        outcomes.append(
            create_ticket(store, tracker, item_id, "U9", owner_email="dana@example.com", permalink=permalink)
        )

    workers = [threading.Thread(target=click) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(10)
    assert sorted(o.state for o in outcomes) in (["busy", "created"], ["created", "exists"])
    [issue] = fake.issues.values()
    fields = issue["fields"]
    assert (
        fields["summary"] == "Send the revised budget draft to finance" and fields["duedate"] == "2025-03-14"
    )
    assert fields["assignee"] == ({"accountId": "acc-dana"} if fake.cloud else {"name": "dscully"})
    assert permalink in str(fields["description"])
    assert store.get_item(item_id).issue_key == issue["key"]
    # Clicking again later answers from the bot's records; Jira is not asked to create anything.
    assert create_ticket(store, tracker, item_id, "U9").state == "exists" and len(fake.issues) == 1


def test_jira_down_keeps_the_item_and_a_later_click_files_it(
    fake: FakeJira, make_tracker: Make, store: Store
) -> None:
    tracker = make_tracker(fake, store=StoreKeys(store), max_attempts=2)
    item_id = saved_item(store)
    fake.fail("POST", "issue", 503, {"errorMessages": ["maintenance"]}, times=2)
    failed = create_ticket(store, tracker, item_id, "U9", owner_email="dana@example.com")
    assert failed.state == "failed" and "HTTP 503" in (failed.error or "") and fake.issues == {}
    assert "SECRET" not in (failed.error or "")
    again = create_ticket(store, tracker, item_id, "U9", owner_email="dana@example.com")
    assert again.state == "created" and list(fake.issues) == ["OPS-1"]
