"""Helpers for the bot tests: fake extractors and tracker, request signing, a running bot."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import mock_slack
from mock_slack import BOT_TOKEN, FakeSlack
from slack_sdk.signature import SignatureVerifier

from bot.server import EVENTS_PATH, HttpServer
from bot.services import Services
from bot.settings import BotSettings
from extractor.model import FakeExtractor, GenerationRequest
from integrations.tracker import IssueRef, TrackerContext, TrackerItem

SECRET = "test-signing-secret"
CHANNEL = "C0GENERAL"

TRANSCRIPT = (
    "Dana: I'll send the revised budget to finance by Friday.\n"
    "Lee: I can book the room for the offsite.\n"
    "Alex: I'll draft the agenda next week.\n"
)


def model_output(*items: dict[str, Any]) -> str:
    """Model JSON for `items` (turn/owner/task/deadline/priority; missing keys are null)."""
    full = [{"turn": 0, "owner": None, "task": "", "deadline": None, "priority": None, **it} for it in items]
    return json.dumps({"action_items": full})


THREE_ITEMS = model_output(
    {
        "turn": 0,
        "owner": "Dana",
        "task": "Send the revised budget to finance",
        "deadline": "Friday",
        "priority": "high",
    },
    {"turn": 1, "owner": "Lee", "task": "Book the room for the offsite"},
    {"turn": 2, "owner": "Alex", "task": "Draft the agenda", "deadline": "next week", "priority": "low"},
)


@dataclass
class BlockingExtractor:
    """A FakeExtractor that waits in generate() until the test releases it."""

    inner: FakeExtractor
    name: str = "blocking-fake"
    few_shot: bool = False
    context_tokens: int = 100_000
    started: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def generate(self, requests: list[GenerationRequest]) -> list[str]:
        self.started.set()
        if not self.release.wait(20):
            raise RuntimeError("test never released the extractor")
        out = self.inner.generate(requests)
        self.finished.set()
        return out


@dataclass
class SlowExtractor:
    """A FakeExtractor whose every generate() takes `delay_s`, like a model on a busy CPU."""

    inner: FakeExtractor
    delay_s: float = 5.0
    name: str = "slow-fake"
    few_shot: bool = False
    context_tokens: int = 100_000

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def generate(self, requests: list[GenerationRequest]) -> list[str]:
        time.sleep(self.delay_s)
        return self.inner.generate(requests)


def timed(send: Any, *args: Any, **kwargs: Any) -> tuple[int, float]:
    """(HTTP status, seconds until the response) of one request to the bot."""
    started = time.monotonic()
    status, _ = send(*args, **kwargs)
    return status, time.monotonic() - started


@dataclass
class FakeTracker:
    """Records create_issue calls; can fail (queued errors) or hold each call on a gate."""

    calls: list[tuple[TrackerItem, TrackerContext, str | None]] = field(default_factory=list)
    failures: deque[Exception] = field(default_factory=deque)
    gate: threading.Event | None = None
    entered: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def create_issue(
        self, item: TrackerItem, ctx: TrackerContext, idempotency_key: str | None = None
    ) -> IssueRef:
        with self._lock:
            self.calls.append((item, ctx, idempotency_key))
            n = len(self.calls)
        self.entered.set()
        if self.gate is not None and not self.gate.wait(20):
            raise RuntimeError("test never opened the tracker gate")
        if self.failures:
            raise self.failures.popleft()
        return IssueRef(key=f"OPS-{n}", url=f"https://jira.example.test/browse/OPS-{n}", id=str(10000 + n))


def make_settings(slack: FakeSlack, db_url: str, **overrides: Any) -> BotSettings:
    """Settings pointing at the fake Slack and a test database."""
    values: dict[str, Any] = dict(
        bot_token=BOT_TOKEN,
        signing_secret=SECRET,
        api_url=slack.api_url,
        db_url=db_url,
        file_hosts=frozenset({"127.0.0.1"}),
        allow_http_files=True,
        workers=1,
        queue_size=2,
    )
    values.update(overrides)
    return BotSettings(**values)


def sign(body: str, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    """Slack's request-signing headers for `body`."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body),
    }


@dataclass
class Bot:
    """A running bot: Bolt app behind our HTTP server, with helpers to send signed requests."""

    slack: FakeSlack
    settings: BotSettings
    services: Services
    server: HttpServer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}{EVENTS_PATH}"

    def post(
        self, body: str, content_type: str, *, headers: dict[str, str] | None = None, signed: bool = True
    ) -> tuple[int, str]:
        """POST to the bot; returns (status, body)."""
        all_headers = {"Content-Type": content_type, **(sign(body) if signed else {}), **(headers or {})}
        req = urllib.request.Request(self.url, data=body.encode(), headers=all_headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def command(
        self, text: str, *, user: str = "U1DANA", channel: str = CHANNEL, **kw: Any
    ) -> tuple[int, str]:
        """A /actions slash command."""
        form = {
            "command": "/actions",
            "text": text,
            "user_id": user,
            "channel_id": channel,
            "team_id": "T0TEST",
            "trigger_id": "trig.1",
            "response_url": self.slack.response_url("cmd"),
        }
        return self.post(urlencode(form), "application/x-www-form-urlencoded", **kw)

    def event(self, event: dict[str, Any], event_id: str, **kw: Any) -> tuple[int, str]:
        """An Events API callback."""
        body = {
            "type": "event_callback",
            "team_id": "T0TEST",
            "api_app_id": "A0TEST",
            "event": event,
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T0TEST", "user_id": mock_slack.BOT_USER, "is_bot": True}],
        }
        return self.post(json.dumps(body), "application/json", **kw)

    def interactive(self, payload: dict[str, Any], **kw: Any) -> tuple[int, str]:
        """An interactivity payload (form field `payload`)."""
        payload = {"team": {"id": "T0TEST"}, "api_app_id": "A0TEST", "token": "legacy", **payload}
        return self.post(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded", **kw
        )

    def click(
        self,
        action_id: str,
        value: str,
        *,
        user: str = "U1DANA",
        channel: str = CHANNEL,
        message_ts: str = "1.0",
        ephemeral: bool = False,
        response: str = "act",
    ) -> tuple[int, str]:
        """A block_actions click on a button."""
        return self.interactive(
            {
                "type": "block_actions",
                "user": {"id": user},
                "channel": {"id": channel},
                "trigger_id": "trig.2",
                "container": {
                    "type": "message",
                    "message_ts": message_ts,
                    "channel_id": channel,
                    "is_ephemeral": ephemeral,
                },
                "response_url": self.slack.response_url(response),
                "actions": [
                    {
                        "type": "button",
                        "action_id": action_id,
                        "block_id": "b",
                        "value": value,
                        "action_ts": "1.1",
                    }
                ],
            }
        )

    def stop(self) -> None:
        self.server.shutdown()
        self.services.close()


def result_messages(slack: FakeSlack) -> list[dict[str, Any]]:
    """Messages the bot posted that carry a results header."""
    return [
        m for m in slack.messages.values() if any(b.get("type") == "header" for b in (m.get("blocks") or []))
    ]


def wait_results(slack: FakeSlack, n: int = 1) -> list[dict[str, Any]]:
    """Block until `n` results messages exist."""
    return slack.wait_for(lambda: len(result_messages(slack)) >= n and result_messages(slack))


def item_ids(message: dict[str, Any], action_id: str = "create_issue") -> list[str]:
    """Values of the buttons with `action_id` in a message."""
    return [
        e["value"]
        for b in message.get("blocks") or []
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("action_id") == action_id
    ]
