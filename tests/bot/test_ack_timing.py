"""Slack's 3-second ack, measured over real HTTP: every trigger is acknowledged in under a
second while the extractor takes 5 s, and slow Jira calls never hold the threads that ack."""

from __future__ import annotations

import json
import threading
import time
from unittest.mock import Mock

from bot_harness import (
    CHANNEL,
    TRANSCRIPT,
    FakeTracker,
    SlowExtractor,
    item_ids,
    model_output,
    result_messages,
    timed,
    wait_results,
)
from mock_slack import BOT_USER

from bot import ids, ticketing
from bot.worker import WorkerPool
from extractor.model import FakeExtractor

ACK_LIMIT_S = 1.0
ONE_ITEM = model_output({"turn": 0, "owner": "Dana", "task": "Send the revised budget to finance"})


def _thread(slack, topic: str) -> str:
    return slack.add_thread(
        CHANNEL,
        [
            {"user": "U1DANA", "text": f"Notes on {topic}"},
            {"user": "U1DANA", "text": f"I'll send the {topic} figures by Friday"},
        ],
    )


def test_every_trigger_acks_within_a_second_while_the_extractor_takes_five(make_bot, slack):
    slow = SlowExtractor(FakeExtractor(default=ONE_ITEM), delay_s=5.0)
    bot = make_bot(extractor=slow, workers=4, queue_size=4)
    mention_parent, shortcut_parent = _thread(slack, "budget"), _thread(slack, "hiring")
    upload = slack.add_file(
        "F0T1", "sync.txt", b"Dana: I'll send the revised budget by Friday.\n", channel=CHANNEL, user="U1DANA"
    )
    upload_ts = upload["shares"]["public"][CHANNEL][0]["ts"]
    started = time.monotonic()
    acks = {
        "command": timed(bot.command, TRANSCRIPT),
        "mention": timed(
            bot.event,
            {
                "type": "app_mention",
                "user": "U2LEE",
                "text": f"<@{BOT_USER}>",
                "ts": "1741609999.000100",
                "thread_ts": mention_parent,
                "channel": CHANNEL,
                "event_ts": "1741609999.000100",
            },
            "EvT1",
        ),
        "shortcut": timed(
            bot.interactive,
            {
                "type": "message_action",
                "callback_id": ids.EXTRACT_SHORTCUT,
                "trigger_id": "t.9",
                "user": {"id": "U2LEE"},
                "channel": {"id": CHANNEL},
                "message": {"type": "message", "user": "U1DANA", "text": "Notes", "ts": shortcut_parent},
                "response_url": slack.response_url("sc"),
            },
        ),
        "file_shared": timed(
            bot.event,
            {"type": "file_shared", "file_id": "F0T1", "channel_id": CHANNEL, "event_ts": upload_ts},
            "EvT2",
        ),
        "file_share message": timed(
            bot.event,
            {
                "type": "message",
                "subtype": "file_share",
                "files": [{"id": "F0T1"}],
                "user": "U1DANA",
                "channel": CHANNEL,
                "ts": upload_ts,
            },
            "EvT3",
        ),
    }
    assert not result_messages(slack), "an extraction finished before the acks were measured"
    for trigger, (status, seconds) in acks.items():
        assert status == 200, trigger
        assert seconds < ACK_LIMIT_S, f"{trigger} acked after {seconds:.2f}s"
    wait_results(slack, 4)
    assert time.monotonic() - started >= 5.0  # the extractor really was that slow
    assert len(result_messages(slack)) == 4  # one upload, two events: one extraction


def _six_items() -> tuple[str, str]:
    tasks = [
        "Book the venue",
        "Order catering",
        "Print badges",
        "Hire a photographer",
        "Test the AV",
        "Send invites",
    ]
    names = ["Dana", "Lee", "Sam"]
    transcript = "\n".join(f"{names[i % 3]}: I'll {t.lower()}." for i, t in enumerate(tasks))
    return transcript, model_output(
        *({"turn": i, "owner": names[i % 3], "task": t} for i, t in enumerate(tasks))
    )


def test_slow_jira_calls_do_not_delay_other_acks(make_bot, slack):
    # Bolt runs listeners on 5 threads; were Jira called there, 5 slow creates would leave
    # the 6th click and every /actions without an ack (Bolt answers 404 after 3 s).
    transcript, output = _six_items()
    tracker = FakeTracker(gate=threading.Event())
    bot = make_bot(extractor=FakeExtractor.with_outputs([output, ONE_ITEM]), tracker=tracker)
    bot.command(transcript)
    [msg] = wait_results(slack)
    clicks = [timed(bot.click, ids.CREATE_ISSUE, v, message_ts=msg["ts"]) for v in item_ids(msg)]
    assert tracker.entered.wait(10)
    after = timed(bot.command, "Dana: I'll send the slides.\nLee: thanks")
    for n, (status, seconds) in enumerate([*clicks, after]):
        assert status == 200 and seconds < ACK_LIMIT_S, f"request {n}: HTTP {status} after {seconds:.2f}s"
    tracker.gate.set()
    slack.wait_for(
        lambda: (
            json.dumps(next(m for m in result_messages(slack) if m["ts"] == msg["ts"])["blocks"]).count(
                "jira.example.test/browse/OPS-"
            )
            == 6
        )
    )
    assert len(tracker.calls) == 6


def test_a_full_ticket_queue_says_so_instead_of_dropping_the_click():
    gate = threading.Event()
    services = Mock(ticket_pool=WorkerPool(1, 0, "test-tickets"))
    tell = Mock()
    try:
        assert ticketing.in_background(services, tell, lambda: gate.wait(10))
        assert not ticketing.in_background(services, tell, lambda: None)
    finally:
        gate.set()
        services.ticket_pool.shutdown()
    [(message,), _] = tell.call_args
    assert message.text == ticketing.BUSY
