"""The extraction service client (EXTRACTOR_URL) against a fake service on 127.0.0.1, alone and
wired into a running bot."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from bot_harness import TRANSCRIPT, wait_results
from fake_extraction_service import FakeExtractionService, ok_body

from bot.errors import RemoteExtractionError, RemoteInputError
from bot.remote import RemoteResult, RemoteRunner, parse_retry_after
from extractor.schema import ActionItem

ITEM = {
    "owner": "Dana",
    "task": "Send the revised budget to finance",
    "deadline": "Friday",
    "deadline_date": "2025-03-14",
    "priority": "high",
    "evidence": {"turn": 0, "time": None, "speaker": "Dana", "quote": "I'll send the revised budget"},
}


@pytest.fixture
def service():
    fake = FakeExtractionService().start()
    yield fake
    fake.stop()


@pytest.fixture
def sleeps():
    return []


def runner_for(url: str, sleeps: list[float], **kw) -> RemoteRunner:
    return RemoteRunner(url, sleep=sleeps.append, **{"attempts": 3, "timeout_s": 10, **kw})


def test_posts_the_contract_and_returns_action_items(service, sleeps):
    service.replies.append((200, ok_body(ITEM, model="gemma-270m-actions@3"), {}))
    result = runner_for(service.url + "/", sleeps).run(
        "Dana: budget by Friday", meeting_date=dt.date(2025, 3, 10), tz="Europe/Berlin"
    )
    [req] = service.requests
    assert req["path"] == "/v1/extract" and req["content_type"] == "application/json"
    assert req["json"] == {
        "text": "Dana: budget by Friday",
        "format": "auto",
        "meeting_date": "2025-03-10",
        "tz": "Europe/Berlin",
    }
    assert isinstance(result, RemoteResult) and result.model == "gemma-270m-actions@3"
    assert result.items == [ActionItem.model_validate(ITEM)]
    assert result.items[0].deadline_date == dt.date(2025, 3, 14)
    assert sleeps == []


def test_meeting_date_and_tz_may_be_null(service, sleeps):
    runner_for(service.url, sleeps).run("x", meeting_date=None, tz=None)
    assert service.requests[0]["json"]["meeting_date"] is None and service.requests[0]["json"]["tz"] is None


@pytest.mark.parametrize("status", [413, 415, 422])
def test_input_errors_are_not_retried_and_carry_the_detail(service, sleeps, status):
    service.replies.append((status, {"detail": f"the transcript is bad ({status})"}, {}))
    with pytest.raises(RemoteInputError, match=rf"the transcript is bad \({status}\)"):
        runner_for(service.url, sleeps).run("x", meeting_date=None, tz=None)
    assert len(service.requests) == 1 and sleeps == []


@pytest.mark.parametrize(("retry_after", "expected_sleep"), [("2", 2.0), ("0", 0.0), ("600", 60.0)])
def test_503_is_retried_after_the_servers_retry_after(service, sleeps, retry_after, expected_sleep):
    service.replies.append((503, {"detail": "busy"}, {"Retry-After": retry_after}))
    service.replies.append((200, ok_body(ITEM), {}))
    result = runner_for(service.url, sleeps).run("x", meeting_date=None, tz=None)
    assert len(result.items) == 1
    assert len(service.requests) == 2 and sleeps == [expected_sleep]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_give_up_after_the_bounded_attempts(service, sleeps, status):
    service.default = (status, {"detail": "down"}, {})
    with pytest.raises(RemoteExtractionError, match=rf"unavailable \(HTTP {status}: down\)"):
        runner_for(service.url, sleeps, attempts=3, backoff_s=0.5).run("x", meeting_date=None, tz=None)
    assert len(service.requests) == 3
    assert len(sleeps) == 2 and all(s > 0 for s in sleeps)  # exponential backoff without Retry-After


def test_connect_errors_are_retried_then_reported(sleeps):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(RemoteExtractionError, match="can't reach the extraction service"):
        runner_for(f"http://127.0.0.1:{port}", sleeps, attempts=2).run("x", meeting_date=None, tz=None)
    assert len(sleeps) == 1


def test_a_read_timeout_is_not_retried(service, sleeps):
    service.hold.set()
    with pytest.raises(RemoteExtractionError, match="did not answer in time"):
        runner_for(service.url, sleeps, timeout_s=0.3).run("x", meeting_date=None, tz=None)
    assert len(service.requests) == 1 and sleeps == []


@pytest.mark.parametrize("body", [{"items": []}, {"action_items": [{"owner": "x"}]}, {"action_items": "no"}])
def test_an_unexpected_200_body_is_an_error(service, sleeps, body):
    service.replies.append((200, body, {}))
    with pytest.raises(RemoteExtractionError, match="unexpected response"):
        runner_for(service.url, sleeps).run("x", meeting_date=None, tz=None)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("3", 3.0),
        ("1.5", 1.5),
        ("-4", 0.0),
        ("junk", None),
        ("100000", 60.0),
        ("Wed, 25 Nov 2026 10:00:30 GMT", 30.0),
    ],
)
def test_parse_retry_after(header, expected):
    now = dt.datetime(2026, 11, 25, 10, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after(header, now=now) == expected


# -- wired into the bot ------------------------------------------------------------------------


def test_bot_with_extractor_url_uses_the_service(make_bot, slack, service):
    service.replies.append((200, ok_body(ITEM, {**ITEM, "owner": "Lee", "task": "Book the room"}), {}))
    bot = make_bot(extractor_url=service.url)
    assert isinstance(bot.services.runner, RemoteRunner)
    bot.command(TRANSCRIPT)
    [msg] = wait_results(slack)
    assert msg["text"].startswith("2 action items")
    assert "<@U1DANA>" in str(msg["blocks"]) and "<@U2LEE>" in str(msg["blocks"])
    assert "gemma-remote" in str(msg["blocks"])
    assert "revised budget to finance by Friday" in service.requests[0]["json"]["text"]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (
            (422, {"detail": "the transcript has no speaker turns"}, {}),
            "couldn't read that as a transcript: the transcript has no speaker turns",
        ),
        ((503, {"detail": "busy"}, {"Retry-After": "0"}), "couldn't extract action items this time"),
    ],
    ids=["422-rejected", "503-exhausted"],
)
def test_bot_reports_service_errors_in_the_placeholder(make_bot, slack, service, reply, expected):
    service.default = reply
    bot = make_bot(extractor_url=service.url, extractor_attempts=2)
    bot.command(TRANSCRIPT)
    update = slack.wait_calls("chat.update")[0]
    assert expected in update.params["text"]
    assert len(service.requests) == (1 if reply[0] == 422 else 2)
