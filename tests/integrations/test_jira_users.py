"""Owner matching without guesses: the user map's order, and exactly one exact, visible e-mail match."""

from __future__ import annotations

from typing import Any

import pytest
from jira_samples import config_for, item

from integrations.jira import JiraTracker
from integrations.tracker import Tracker, TrackerUser
from integrations.users import exact_user, mapped_identity, mapped_user

DANA = {"accountId": "acc-dana", "name": "dscully", "displayName": "Dana Scully", "active": True}


def user(**kw: Any) -> dict[str, Any]:
    return {**DANA, "emailAddress": "dana@example.com", **kw}


@pytest.mark.parametrize(
    "raw, query, found",
    [
        ([user()], "Dana@Example.com ", "acc-dana"),
        ([user()], "Dana Scully", "acc-dana"),
        ([user(emailAddress="dana@example.com.au")], "dana@example.com", None),  # a prefix is no match
        ([user(emailAddress=None)], "dana@example.com", None),  # Cloud hides the e-mail
        ([user(active=False)], "dana@example.com", None),
        ([user(accountType="app")], "dana@example.com", None),
        ([user(), user(accountId="acc-dana2")], "dana@example.com", None),  # two accounts: ambiguous
        ([user(), user()], "dana@example.com", "acc-dana"),  # the same account twice is still one
        ([user()], "   ", None),
    ],
)
def test_exact_user_cloud(raw: list[dict[str, Any]], query: str, found: str | None) -> None:
    got = exact_user(raw, query, cloud=True)
    assert (got.account_id if got else None) == found


def test_exact_user_datacenter_uses_the_username() -> None:
    assert exact_user([user()], "dana@example.com", cloud=False) == TrackerUser(
        name="dscully", display_name="Dana Scully", email="dana@example.com"
    )


def test_map_checks_slack_id_then_email_then_name() -> None:
    user_map = {"u1": "acc-by-id", "dana@example.com": "acc-by-email", "dana scully": "acc-by-name"}
    assert mapped_identity(user_map, item(owner_slack_id="U1")) == "acc-by-id"
    assert mapped_identity(user_map, item(owner_slack_id="U2")) == "acc-by-email"
    assert mapped_identity(user_map, item(owner_email=None)) == "acc-by-name"
    assert mapped_identity(user_map, item(owner_name="Fox", owner_email=None)) is None
    assert mapped_user("dscully", cloud=False) == TrackerUser(name="dscully")


def test_jira_tracker_is_a_tracker(cloud: Any) -> None:
    tracker = JiraTracker(config_for(cloud))
    assert isinstance(tracker, Tracker)
    tracker.close()
