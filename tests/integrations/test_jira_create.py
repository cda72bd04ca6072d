"""JiraTracker.create_issue over real HTTP against the fake (Cloud and Data Center): request shapes,
assignment, and exactly-once creation."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fake_jira import FakeJira
from jira_samples import ctx, item

from integrations.jira import INDEX_LAG_S, JiraTracker
from integrations.store import MemoryIdempotencyStore, SQLiteIdempotencyStore
from integrations.tracker import IssueRef, idempotency_label

Make = Callable[..., JiraTracker]
SEARCH = r"search(/jql)?"


def posted(fake: FakeJira) -> list[dict[str, Any]]:
    """The `fields` of every POST /issue, in order."""
    return [r.body["fields"] for r in fake.calls("POST", "issue")]


def description_text(fields: dict[str, Any]) -> str:
    return (
        fields["description"] if isinstance(fields["description"], str) else json.dumps(fields["description"])
    )


def test_request_contract(fake: FakeJira, make_tracker: Make) -> None:
    ref = make_tracker(fake).create_issue(item(), ctx())
    version = "3" if fake.cloud else "2"
    assert ref == IssueRef(key="OPS-1", url=f"{fake.url}/browse/OPS-1", id=fake.issues["OPS-1"]["id"])
    [create] = fake.calls("POST", "issue")
    assert create.version == version
    assert create.headers["authorization"].startswith("Basic " if fake.cloud else "Bearer ")
    fields = create.body["fields"]
    assert fields["project"] == {"key": "OPS"} and fields["issuetype"] == {"name": "Task"}
    assert fields["summary"] == "Send the revised budget draft to finance"
    assert fields["duedate"] == "2025-03-14" and fields["priority"] == {"name": "High"}
    assert fields["labels"] == ["actionbot", idempotency_label("ex-1:0")]
    assert fields["assignee"] == ({"accountId": "acc-dana"} if fake.cloud else {"name": "dscully"})
    assert isinstance(fields["description"], dict if fake.cloud else str)
    assert "acme.slack.com/archives/C123" in description_text(fields)
    # The label search runs before the create, on the endpoint this deployment serves.
    [search] = fake.calls("GET", SEARCH)
    assert search.path == ("search/jql" if fake.cloud else "search") and search.version == version
    assert search.query["jql"] == [f'labels = "{idempotency_label("ex-1:0")}"']
    [users] = fake.calls("GET", "user/search")
    assert users.query[("query" if fake.cloud else "username")] == ["dana@example.com"]
    assert [r.path for r in fake.requests].index("search" if not fake.cloud else "search/jql") < [
        r.path for r in fake.requests
    ].index("issue")


def test_explicit_deployment_skips_probe(cloud: FakeJira, make_tracker: Make) -> None:
    make_tracker(cloud, deployment="cloud").create_issue(item(), ctx())
    assert [r.version for r in cloud.calls("GET", "serverInfo")] == ["3"]


def test_same_key_again_returns_recorded_issue(fake: FakeJira, make_tracker: Make) -> None:
    tracker = make_tracker(fake)
    first = tracker.create_issue(item(), ctx())
    before = len(fake.requests)
    assert tracker.create_issue(item(task="edited text"), ctx()) == first
    assert len(fake.requests) == before  # answered from the store, no HTTP at all
    assert len(fake.issues) == 1


def test_lost_store_record_is_found_by_label(fake: FakeJira, make_tracker: Make) -> None:
    first = make_tracker(fake).create_issue(item(), ctx())
    store = MemoryIdempotencyStore()
    again = make_tracker(fake, store=store).create_issue(item(), ctx())  # e.g. crashed before recording
    assert again == first and store.get("ex-1:0") == first
    assert len(posted(fake)) == 1 and len(fake.issues) == 1


def test_no_store_still_exactly_once(fake: FakeJira, make_tracker: Make) -> None:
    tracker = make_tracker(fake, store=None)
    assert tracker.create_issue(item(), ctx()) == tracker.create_issue(item(), ctx())
    assert len(fake.issues) == 1


@pytest.mark.parametrize("threads", [2, 4])
def test_concurrent_double_requests_create_one_issue(
    fake: FakeJira, make_tracker: Make, threads: int
) -> None:
    fake.create_delay = 0.2  # without the per-key lock every thread would get past the label search
    tracker = make_tracker(fake)
    barrier = threading.Barrier(threads)
    refs: list[IssueRef] = []

    def click() -> None:
        barrier.wait()
        refs.append(tracker.create_issue(item(), ctx()))

    workers = [threading.Thread(target=click) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(10)
    assert len(refs) == threads and len(set(refs)) == 1
    assert len(posted(fake)) == 1 and list(fake.issues) == ["OPS-1"]


def test_different_items_in_parallel_create_one_each(fake: FakeJira, make_tracker: Make) -> None:
    tracker = make_tracker(fake)
    refs: list[IssueRef] = []
    workers = [
        threading.Thread(target=lambda i=i: refs.append(tracker.create_issue(item(), ctx(item_id=str(i)))))
        for i in range(3)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(10)
    assert len({r.key for r in refs}) == 3 == len(fake.issues)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_lost_response_after_create_is_not_duplicated(
    fake: FakeJira, make_tracker: Make, sleeps: list[float], status: int
) -> None:
    fake.fail(
        "POST", "issue", status, {"errorMessages": ["upstream broke"]}, apply=True
    )  # created, answer lost
    ref = make_tracker(fake).create_issue(item(), ctx())
    assert ref.key == "OPS-1" and len(fake.issues) == 1
    assert len(posted(fake)) == 1 and len(sleeps) == 1
    assert len(fake.calls("GET", SEARCH)) == 2  # before the create, and before the would-be second create


def test_lost_response_with_lagging_search_is_not_duplicated(
    fake: FakeJira, make_tracker: Make, sleeps: list[float]
) -> None:
    fake.fail("POST", "issue", 502, {"errorMessages": ["bad gateway"]}, apply=True)  # created, answer lost
    # The first search is the one before creating; the second runs right after the lost answer and, like a
    # search index that has not caught up, does not see the new issue yet.
    fake.fail("GET", SEARCH, 0, apply=True)
    empty = {"issues": [], "isLast": True} if fake.cloud else {"startAt": 0, "total": 0, "issues": []}
    fake.fail("GET", SEARCH, 200, empty)
    ref = make_tracker(fake).create_issue(item(), ctx())
    assert ref.key == "OPS-1" and len(fake.issues) == 1 and len(posted(fake)) == 1
    assert INDEX_LAG_S in sleeps and len(fake.calls("GET", SEARCH)) == 3


def test_timeout_after_create_is_not_duplicated(fake: FakeJira, make_tracker: Make) -> None:
    fake.fail("POST", "issue", 0, delay=1.0, apply=True)  # Jira creates, answers after our timeout
    ref = make_tracker(fake, timeout_s=0.3).create_issue(item(), ctx())
    assert ref.key == "OPS-1" and len(fake.issues) == 1 and len(posted(fake)) == 1


def test_plain_5xx_before_create_is_retried_once_more(fake: FakeJira, make_tracker: Make) -> None:
    fake.fail("POST", "issue", 500, {"errorMessages": ["try later"]})
    make_tracker(fake).create_issue(item(), ctx())
    assert len(posted(fake)) == 2 and len(fake.issues) == 1


def test_store_failure_surfaces_and_retry_does_not_duplicate(fake: FakeJira, make_tracker: Make) -> None:
    class FlakyStore(MemoryIdempotencyStore):
        fail_next = True

        def put(self, key: str, ref: IssueRef) -> None:
            if self.fail_next:
                self.fail_next = False
                raise OSError("disk full")
            super().put(key, ref)

    tracker = make_tracker(fake, store=FlakyStore())
    with pytest.raises(OSError):
        tracker.create_issue(item(), ctx())
    assert tracker.create_issue(item(), ctx()).key == "OPS-1"
    assert len(posted(fake)) == 1


def test_sqlite_store_survives_restart(fake: FakeJira, make_tracker: Make, tmp_path: Path) -> None:
    first = make_tracker(fake, store=SQLiteIdempotencyStore(tmp_path / "t.db")).create_issue(item(), ctx())
    fake.requests.clear()
    again = make_tracker(fake, store=SQLiteIdempotencyStore(tmp_path / "t.db")).create_issue(item(), ctx())
    assert again == first and fake.requests == []


def test_project_map_routes_by_channel(fake: FakeJira, make_tracker: Make) -> None:
    tracker = make_tracker(fake, project_map={"C456": "ENG"})
    assert tracker.create_issue(item(), ctx(channel_id="C456")).key == "ENG-1"
    assert tracker.create_issue(item(), ctx(channel_id="C123", item_id="1")).key == "OPS-1"


@pytest.mark.parametrize(
    "owner_email",
    [
        "ana@example.com",  # the fake's search is substring-based and returns Dana: exact match only
        "nobody@example.com",
        None,
    ],
)
def test_unmatched_owner_is_unassigned_with_note(
    fake: FakeJira, make_tracker: Make, owner_email: str | None
) -> None:
    make_tracker(fake).create_issue(item(owner_email=owner_email), ctx())
    [fields] = posted(fake)
    assert "assignee" not in fields
    assert "Owner in the meeting: Dana Scully (not matched to a Jira user)" in description_text(fields)


def test_hidden_email_on_cloud_is_not_guessed(cloud: FakeJira, make_tracker: Make) -> None:
    cloud.add_user("Walter Skinner", "walter@example.com", account_id="acc-walter", hidden=True)
    make_tracker(cloud).create_issue(
        item(owner_name="Walter Skinner", owner_email="walter@example.com"), ctx()
    )
    assert "assignee" not in posted(cloud)[0]


def test_two_accounts_with_one_email_is_ambiguous(fake: FakeJira, make_tracker: Make) -> None:
    fake.add_user("Dana Scully (admin)", "dana@example.com", account_id="acc-dana2", name="dscully2")
    assert make_tracker(fake).find_user("dana@example.com") is None


@pytest.mark.parametrize(
    "query, found",
    [("DANA@example.com", True), ("Dana Scully", True), ("Dana", False), ("dana@example", False)],
)
def test_find_user_is_exact(fake: FakeJira, make_tracker: Make, query: str, found: bool) -> None:
    user = make_tracker(fake).find_user(query)
    assert (user is not None) == found
    if user:
        assert user.identifier == ("acc-dana" if fake.cloud else "dscully")


def test_user_map_wins_over_search(fake: FakeJira, make_tracker: Make, tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    path.write_text(f"U024BE7LH: {'acc-fox' if fake.cloud else 'fmulder'}\n")
    make_tracker(fake, user_map_file=path).create_issue(item(owner_slack_id="U024BE7LH"), ctx())
    assert posted(fake)[0]["assignee"] == ({"accountId": "acc-fox"} if fake.cloud else {"name": "fmulder"})
    assert fake.calls("GET", "user/search") == []


def test_assignee_off_screen_is_assigned_after_create(fake: FakeJira, make_tracker: Make) -> None:
    fake.screen.discard("assignee")
    ref = make_tracker(fake).create_issue(item(), ctx())
    first, second = posted(fake)
    assert "assignee" in first and "assignee" not in second
    [put] = fake.calls("PUT", f"issue/{ref.key}/assignee")
    assert put.version == "latest"
    assert put.body == ({"accountId": "acc-dana"} if fake.cloud else {"name": "dscully"})
    assert fake.issues[ref.key]["fields"]["assignee"] == put.body


def test_unassignable_owner_leaves_issue_unassigned(
    fake: FakeJira, make_tracker: Make, caplog: pytest.LogCaptureFixture
) -> None:
    fake.users[0]["assignable"] = False
    ref = make_tracker(fake).create_issue(item(), ctx())
    assert "assignee" not in fake.issues[ref.key]["fields"] and len(fake.issues) == 1
    assert "stays unassigned" in caplog.text


def test_user_map_to_jira_email_is_looked_up_exactly(
    fake: FakeJira, make_tracker: Make, tmp_path: Path
) -> None:
    path = tmp_path / "users.json"
    path.write_text(json.dumps({"U024BE7LH": "fox@example.com", "U0NOBODY": "ana@example.com"}))
    tracker = make_tracker(fake, user_map_file=path)
    tracker.create_issue(item(owner_slack_id="U024BE7LH", owner_email="dana@example.com"), ctx())
    tracker.create_issue(item(owner_slack_id="U0NOBODY"), ctx(item_id="1"))
    first, second = posted(fake)
    assert first["assignee"] == ({"accountId": "acc-fox"} if fake.cloud else {"name": "fmulder"})
    assert "assignee" not in second  # "ana@" only matches Dana by substring: never guessed
    assert "not matched to a Jira user" in description_text(second)


def test_emoji_summary_fits_jira_limit(fake: FakeJira, make_tracker: Make) -> None:
    # The fake counts like Jira (UTF-16 units), so a code-point cut would get a 400 here.
    ref = make_tracker(fake).create_issue(item(task="Ship 🚀 " * 60), ctx())
    assert ref.key == "OPS-1" and posted(fake)[0]["summary"].endswith("…")
