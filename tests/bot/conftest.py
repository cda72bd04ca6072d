"""Fixtures for the bot tests: a fake Slack, and bots (real Bolt app over real HTTP on
127.0.0.1) that tests send signed requests to."""

from __future__ import annotations

import os
from typing import Any

import mock_slack
import pytest
from bot_harness import CHANNEL, THREE_ITEMS, Bot, make_settings
from mock_slack import BOT_TOKEN, FakeSlack
from slack_sdk import WebClient

from bot.app import build_app, build_services
from bot.server import HttpServer
from bot.store import Store
from extractor.model import FakeExtractor


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """No real Slack/Jira/extractor settings leak in from the shell."""
    prefixes = ("SLACK_", "ACTIONBOT_", "JIRA_", "EXTRACTOR_")
    for name in list(os.environ):
        if name.startswith("ACTIONBOT_TEST_"):
            continue  # test infrastructure (e.g. ACTIONBOT_TEST_PG_URL), not bot settings
        if name.startswith(prefixes) or name in {"DEBUG", "LOG_LEVEL", "PORT"}:
            monkeypatch.delenv(name, raising=False)


@pytest.fixture
def slack():
    """A running fake Slack with three members in the channel."""
    fake = FakeSlack().start()
    fake.add_user("U1DANA", "Dana Scully", "dana", "dana@example.test")
    fake.add_user("U2LEE", "Lee Adama", "Lee", "lee@example.test")
    fake.add_user("U3SAM", "Sam Carter", "", "sam@example.test")
    fake.members[CHANNEL] = ["U1DANA", "U2LEE", "U3SAM", mock_slack.BOT_USER]
    fake.add_user(mock_slack.BOT_USER, "actionbot", "actionbot", is_bot=True)
    yield fake
    fake.stop()


@pytest.fixture
def db_url(tmp_path) -> str:
    """A SQLite file shared by every bot a test starts (so restarts keep state)."""
    return f"sqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
def make_bot(slack, db_url):
    """Start bots: make_bot(extractor=..., tracker=..., **settings); all stopped at teardown."""
    bots: list[Bot] = []

    def make(extractor: Any = None, tracker: Any = None, **overrides: Any) -> Bot:
        settings = make_settings(slack, overrides.pop("db_url", db_url), **overrides)
        store = Store.from_url(settings.db_url)
        services = build_services(
            settings, extractor or FakeExtractor.with_outputs([THREE_ITEMS]), tracker, store
        )
        app = build_app(
            settings, services=services, client=WebClient(token=BOT_TOKEN, base_url=slack.api_url)
        )
        bot = Bot(slack, settings, services, HttpServer(app, host="127.0.0.1", port=0).start())
        bots.append(bot)
        return bot

    yield make
    for bot in bots:
        bot.stop()
