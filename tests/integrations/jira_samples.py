"""Sample items, contexts and settings shared by the integration tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fake_jira import FakeJira

from integrations.config import JiraConfig
from integrations.tracker import TrackerContext, TrackerItem


def config_for(fake: FakeJira, **overrides: Any) -> JiraConfig:
    """Settings that authenticate against `fake` (short timeout, few attempts)."""
    auth: dict[str, Any] = {"email": fake.email, "api_token": fake.token} if fake.cloud else {"pat": fake.pat}
    return JiraConfig(
        **{"url": fake.url, "project": "OPS", "timeout_s": 3.0, "max_attempts": 3, **auth, **overrides}
    )


def item(**overrides: Any) -> TrackerItem:
    """A typical item (owner with an email, dated, high priority, quoted)."""
    values: dict[str, Any] = dict(
        task="Send the revised budget draft to finance",
        owner_name="Dana Scully",
        owner_email="dana@example.com",
        deadline_phrase="by Friday",
        deadline_date=dt.date(2025, 3, 14),
        priority="high",
        evidence_quote="I'll send the budget draft to finance by Friday.",
    )
    return TrackerItem(**{**values, **overrides})


def ctx(**overrides: Any) -> TrackerContext:
    """A typical context (a Slack thread in channel C123)."""
    values: dict[str, Any] = dict(
        extraction_id="ex-1",
        item_id="0",
        channel_id="C123",
        channel_name="ops-sync",
        meeting_date=dt.date(2025, 3, 10),
        slack_permalink="https://acme.slack.com/archives/C123/p1741600000000100",
    )
    return TrackerContext(**{**values, **overrides})
