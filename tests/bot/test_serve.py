"""Run modes: Socket Mode against a local websocket server (in process, and `actionbot serve`
as a real subprocess), HTTP mode from `actionbot serve`, and the CLI's configuration errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest
from bot_harness import (
    CHANNEL,
    SECRET,
    THREE_ITEMS,
    TRANSCRIPT,
    FakeTracker,
    SlowExtractor,
    item_ids,
    make_settings,
    sign,
    wait_results,
)
from click.testing import CliRunner
from fake_extraction_service import FakeExtractionService, ok_body
from mock_slack import APP_TOKEN, BOT_TOKEN, BOT_USER
from mock_socket import FakeSocketMode
from slack_sdk import WebClient

from bot import ids
from bot.app import build_app, build_services
from bot.cli import serve
from bot.server import socket_mode_handler
from bot.store import Store
from extractor.model import FakeExtractor

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def ws(slack):
    server = FakeSocketMode().start()
    slack.ws_url = server.url
    yield server
    server.stop()


@pytest.fixture
def socket_bot(slack, ws, db_url):
    """Start the app in Socket Mode (in this process) connected to the local websocket server."""
    handlers = []

    def start(extractor, tracker=None):
        settings = make_settings(slack, db_url, app_token=APP_TOKEN, signing_secret=None)
        services = build_services(settings, extractor, tracker, Store.from_url(db_url))
        app = build_app(
            settings, services=services, client=WebClient(token=BOT_TOKEN, base_url=slack.api_url)
        )
        # A short ping interval only makes close() quicker (its monitor threads wake per interval).
        handler = socket_mode_handler(app, APP_TOKEN, ping_interval=1)
        handler.connect()
        ws.wait_connected()
        handlers.append((handler, services))
        return services

    yield start
    ws.stop()  # server side first: the client's own close handshake waits ~3 s for a reply
    for handler, services in handlers:
        handler.close()
        services.close()


def command_envelope(envelope_id: str, text: str) -> dict:
    return {
        "envelope_id": envelope_id,
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": {
            "command": "/actions",
            "text": text,
            "user_id": "U1DANA",
            "channel_id": CHANNEL,
            "team_id": "T0TEST",
            "api_app_id": "A0TEST",
            "trigger_id": "t.1",
            "response_url": "http://127.0.0.1:9/unused",
        },
    }


def event_envelope(envelope_id: str, event_id: str, event: dict, retry: int = 0) -> dict:
    return {
        "envelope_id": envelope_id,
        "type": "events_api",
        "accepts_response_payload": False,
        "retry_attempt": retry,
        "retry_reason": "timeout" if retry else "",
        "payload": {
            "type": "event_callback",
            "team_id": "T0TEST",
            "api_app_id": "A0TEST",
            "event": event,
            "event_id": event_id,
            "event_time": 1,
            "authorizations": [{"team_id": "T0TEST", "user_id": BOT_USER, "is_bot": True}],
        },
    }


def test_socket_mode_acks_within_a_second_while_the_extractor_takes_five(slack, ws, socket_bot):
    socket_bot(SlowExtractor(FakeExtractor.with_outputs([THREE_ITEMS]), delay_s=5.0))
    assert slack.calls_to("apps.connections.open")[0].headers["authorization"] == f"Bearer {APP_TOKEN}"
    sent = time.monotonic()
    ws.send(command_envelope("env-1", TRANSCRIPT))
    ack = ws.wait_ack("env-1")
    assert time.monotonic() - sent < 1.0
    assert "payload" not in ack or not (ack["payload"] or {}).get("text")  # a plain ack, no usage text
    [msg] = wait_results(slack)
    assert time.monotonic() - sent >= 5.0
    assert msg["text"].startswith("3 action items")


def test_socket_mode_usage_comes_back_in_the_ack(ws, socket_bot):
    socket_bot(FakeExtractor.with_outputs([]))
    ws.send(command_envelope("env-u", ""))
    assert "Usage" in ws.wait_ack("env-u")["payload"]["text"]


def test_socket_mode_retried_event_runs_once_and_buttons_work(slack, ws, socket_bot):
    parent = slack.add_thread(
        CHANNEL,
        [
            {"user": "U1DANA", "text": "I'll send the revised budget by Friday"},
            {"user": "U2LEE", "text": f"<@{BOT_USER}>"},
        ],
    )
    fake = FakeExtractor.with_outputs([THREE_ITEMS, THREE_ITEMS])
    tracker = FakeTracker()
    socket_bot(fake, tracker)
    mention = {
        "type": "app_mention",
        "user": "U2LEE",
        "text": f"<@{BOT_USER}>",
        "ts": "1741609999.000100",
        "thread_ts": parent,
        "channel": CHANNEL,
        "event_ts": "1741609999.000100",
    }
    ws.send(event_envelope("env-e1", "EvS", mention))
    ws.wait_ack("env-e1")
    ws.send(event_envelope("env-e2", "EvS", mention, retry=1))
    ws.wait_ack("env-e2")
    [msg] = wait_results(slack)
    assert msg["thread_ts"] == parent and len(fake.calls) == 1
    ws.send(
        {
            "envelope_id": "env-b",
            "type": "interactive",
            "accepts_response_payload": False,
            "payload": {
                "type": "block_actions",
                "user": {"id": "U1DANA"},
                "channel": {"id": CHANNEL},
                "team": {"id": "T0TEST"},
                "api_app_id": "A0TEST",
                "trigger_id": "t.2",
                "response_url": slack.response_url("sock"),
                "container": {
                    "type": "message",
                    "message_ts": msg["ts"],
                    "channel_id": CHANNEL,
                    "is_ephemeral": False,
                },
                "actions": [
                    {
                        "type": "button",
                        "action_id": ids.CREATE_ISSUE,
                        "block_id": "b",
                        "value": item_ids(msg)[0],
                        "action_ts": "1.1",
                    }
                ],
            },
        }
    )
    ws.wait_ack("env-b")
    slack.wait_for(
        lambda: [c for c in slack.calls_to("chat.update") if "OPS-1" in json.dumps(c.params["blocks"])]
    )
    assert len(tracker.calls) == 1


# -- `actionbot serve` as a real process ---------------------------------------------------------


@pytest.fixture
def service():
    fake = FakeExtractionService(
        default=(200, ok_body({"owner": "Dana", "task": "Send the budget"}), {})
    ).start()
    yield fake
    fake.stop()


class Served:
    """`python -m actionbot serve …` with its stderr collected line by line."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path):
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "actionbot", "serve", *args],
            env=env,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()

    def wait_line(self, pattern: str, timeout: float = 60) -> re.Match:
        with self._cond:
            found = self._cond.wait_for(
                lambda: (
                    next((m for m in (re.search(pattern, ln) for ln in self.lines) if m), None)
                    or self.proc.poll() is not None
                ),
                timeout,
            )
            match = next((m for m in (re.search(pattern, ln) for ln in self.lines) if m), None)
        assert found and match, f"no {pattern!r} in the output:\n{''.join(self.lines)}"
        return match

    def stop(self) -> str:
        self.proc.terminate()
        self.proc.wait(10)
        return "".join(self.lines)


def _env(slack, service, tmp_path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
        "HOME": str(tmp_path),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": slack.api_url,
        "EXTRACTOR_URL": service.url,
        "ACTIONBOT_DB_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "LOG_LEVEL": "INFO",
        **extra,
    }


def test_serve_uses_socket_mode_when_the_app_token_is_set(slack, ws, service, tmp_path):
    served = Served([], _env(slack, service, tmp_path, SLACK_APP_TOKEN=APP_TOKEN), tmp_path)
    try:
        ws.wait_connected(60)
        ws.send(command_envelope("env-p", "Dana: I'll send the budget.\nLee: ok"))
        ws.wait_ack("env-p")
        [msg] = wait_results(slack)
        assert "Send the budget" in msg["text"]
        assert service.requests[0]["json"]["text"].startswith("Dana: I'll send the budget.")
    finally:
        out = served.stop()
    assert "Socket Mode" in out and "using the extraction service" in out
    assert "I'll send the budget" not in out  # transcripts stay out of INFO logs


def test_serve_uses_http_mode_with_signature_checks(slack, service, tmp_path):
    env = _env(slack, service, tmp_path, SLACK_SIGNING_SECRET=SECRET)
    served = Served(["--port", "0", "--host", "127.0.0.1"], env, tmp_path)
    try:
        base = served.wait_line(r"listening on (http://127\.0\.0\.1:\d+)/slack/events").group(1)
        with urllib.request.urlopen(base + "/healthz", timeout=10) as resp:
            assert resp.read() == b"ok"
        body = json.dumps({"type": "url_verification", "token": "x", "challenge": "chal-123"})
        req = urllib.request.Request(
            base + "/slack/events",
            data=body.encode(),
            method="POST",
            headers={"Content-Type": "application/json", **sign(body)},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200 and "chal-123" in resp.read().decode()
        form = urlencode(
            {"command": "/actions", "text": TRANSCRIPT, "user_id": "U1DANA", "channel_id": CHANNEL}
        )
        bad = urllib.request.Request(
            base + "/slack/events",
            data=form.encode(),
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                **sign(form, secret="not-the-secret"),
            },
        )
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(bad, timeout=10)
        assert err.value.code == 401
    finally:
        served.stop()
    assert service.requests == []


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "SLACK_BOT_TOKEN: not set"),
        ({"SLACK_BOT_TOKEN": "xoxp-user"}, "must be a bot token starting with xoxb-"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN}, "SLACK_SIGNING_SECRET: required in HTTP mode"),
        (
            {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": "xoxb-wrong"},
            "SLACK_APP_TOKEN: must be an app-level",
        ),
        (
            {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": "s", "EXTRACTOR_URL": "extractor:8000"},
            "EXTRACTOR_URL: 'extractor:8000' is not an http(s) URL",
        ),
        (
            {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": "s", "EXTRACTOR_TIMEOUT": "soon"},
            "EXTRACTOR_TIMEOUT: expected a number of seconds",
        ),
        (
            {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": "s", "ACTIONBOT_WORKERS": "0"},
            "ACTIONBOT_WORKERS: must be at least 1",
        ),
    ],
)
def test_serve_configuration_errors_are_one_line(env, message, monkeypatch):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(serve, [])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


def test_serve_refuses_a_token_slack_rejects(slack, monkeypatch, tmp_path):
    for name, value in {
        "SLACK_BOT_TOKEN": "xoxb-revoked",
        "SLACK_SIGNING_SECRET": "s",
        "SLACK_API_URL": slack.api_url,
        "EXTRACTOR_URL": "http://127.0.0.1:9",
        "ACTIONBOT_DB_URL": f"sqlite:///{tmp_path / 'x.db'}",
    }.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(serve, ["--port", "0"])
    assert result.exit_code == 1 and "auth.test failed (invalid_auth)" in result.output


def test_serve_reports_a_model_that_fails_to_load(monkeypatch, tmp_path):
    from bot import cli
    from extractor.errors import ModelLoadError

    def broken():
        raise ModelLoadError("adapter adapters/missing not found; run `actionbot models`")

    monkeypatch.setattr(cli, "model_factory", broken)
    for name, value in {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": "s",
        "ACTIONBOT_DB_URL": f"sqlite:///{tmp_path / 'm.db'}",
    }.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(serve, [])
    assert result.exit_code == 1
    assert "loading the model failed: adapter adapters/missing not found" in result.output
    assert "Traceback" not in result.output
