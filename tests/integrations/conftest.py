"""Fixtures: a clean JIRA_* environment, fake Jira servers (Cloud and Data Center), trackers wired to them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fake_jira import FakeJira
from jira_samples import config_for

from integrations.jira import JiraTracker
from integrations.store import MemoryIdempotencyStore


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No JIRA_* variable from the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("JIRA_"):
            monkeypatch.delenv(name)


@pytest.fixture(params=["cloud", "datacenter"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeJira]:
    """A started fake Jira, once as Cloud and once as Data Center."""
    server = FakeJira(cloud=request.param == "cloud").start()
    server.add_user("Dana Scully", "dana@example.com", account_id="acc-dana", name="dscully")
    server.add_user("Fox Mulder", "fox@example.com", account_id="acc-fox", name="fmulder")
    yield server
    server.stop()


@pytest.fixture
def cloud() -> Iterator[FakeJira]:
    """A started fake Jira Cloud."""
    server = FakeJira(cloud=True).start()
    server.add_user("Dana Scully", "dana@example.com", account_id="acc-dana", name="dscully")
    yield server
    server.stop()


@pytest.fixture
def sleeps() -> list[float]:
    """Waits the retry loop asked for (recorded instead of slept)."""
    return []


@pytest.fixture
def make_tracker(sleeps: list[float]) -> Iterator[Callable[..., JiraTracker]]:
    """Build trackers against a fake; each gets a memory store unless given one; all are closed after."""
    built: list[JiraTracker] = []

    def make(fake: FakeJira, store: Any = "memory", **overrides: Any) -> JiraTracker:
        tracker = JiraTracker(
            config_for(fake, **overrides),
            store=MemoryIdempotencyStore() if store == "memory" else store,
            sleep=sleeps.append,
        )
        built.append(tracker)
        return tracker

    yield make
    for tracker in built:
        tracker.close()
