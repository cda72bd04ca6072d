"""More flows over real HTTP: the message shortcut, results split across messages at Slack's
limits, concurrent Create all, logging of transcripts, and oversize downloads."""

from __future__ import annotations

import hashlib
import json
import logging
import threading

import pytest
from bot_harness import (
    CHANNEL,
    THREE_ITEMS,
    TRANSCRIPT,
    FakeTracker,
    item_ids,
    model_output,
    result_messages,
    wait_results,
)
from mock_slack import block_problems

from bot import blocks, ids
from extractor.model import FakeExtractor


def _shortcut(bot, message: dict, *, channel: str = CHANNEL, response: str = "sc"):
    return bot.interactive(
        {
            "type": "message_action",
            "callback_id": ids.EXTRACT_SHORTCUT,
            "trigger_id": "t.9",
            "user": {"id": "U2LEE"},
            "channel": {"id": channel, "name": "general"},
            "message": message,
            "message_ts": message["ts"],
            "response_url": bot.slack.response_url(response),
        }
    )


def test_shortcut_on_a_thread_reply_extracts_the_whole_thread(make_bot, slack):
    parent = slack.add_thread(
        CHANNEL,
        [
            {"user": "U1DANA", "text": "Budget sync notes"},
            {"user": "U1DANA", "text": "I'll send the revised budget to finance by Friday"},
            {"user": "U2LEE", "text": "I can book the room for the offsite"},
        ],
    )
    reply = slack.threads[(CHANNEL, parent)][2]
    fake = FakeExtractor.with_outputs([THREE_ITEMS])
    bot = make_bot(extractor=fake)
    status, body = _shortcut(
        bot,
        {"type": "message", "user": "U2LEE", "text": reply["text"], "ts": reply["ts"], "thread_ts": parent},
    )
    assert (status, body) == (200, "")
    [msg] = wait_results(slack)
    assert msg["thread_ts"] == parent
    assert slack.calls_to("conversations.replies")[0].params["ts"] == parent
    prompt = "\n".join(m["content"] for m in fake.calls[0].messages)
    assert "Budget sync notes" in prompt and "book the room" in prompt


def test_shortcut_where_the_bot_is_not_a_member_explains_how_to_invite_it(make_bot, slack):
    slack.not_in_channel.add("C0SECRET")
    bot = make_bot()
    _shortcut(
        bot,
        {"type": "message", "user": "U1DANA", "text": "notes", "ts": "1741600001.000100"},
        channel="C0SECRET",
    )
    slack.wait_for(lambda: slack.responses)
    assert (
        "/invite @actionbot" in slack.responses[0]["text"]
        and slack.responses[0]["response_type"] == "ephemeral"
    )
    assert not slack.calls_to("chat.postMessage")


def _many(n: int, task_len: int) -> tuple[str, str]:
    names = ["Dana", "Lee", "Sam"]
    transcript = "\n".join(f"{names[i % 3]}: I'll handle work package {i} this week." for i in range(n))
    # Distinct words per item, so the extractor's near-duplicate merge keeps them all.
    words = [
        hashlib.sha1(f"{i}-{k}".encode()).hexdigest()[:7] for i in range(n) for k in range(task_len // 8)
    ]
    per = task_len // 8
    items = [
        {
            "turn": i,
            "owner": names[i % 3],
            "priority": "medium",
            "task": f"Handle work package {i} <!channel> " + " ".join(words[i * per : (i + 1) * per]),
        }
        for i in range(n)
    ]
    return transcript, model_output(*items)


@pytest.mark.parametrize(("n", "task_len"), [(25, 24), (31, 80)], ids=["25-items", "31-long-items"])
def test_results_are_split_across_messages_within_slacks_limits(make_bot, slack, n, task_len):
    transcript, output = _many(n, task_len)
    tracker = FakeTracker()
    bot = make_bot(extractor=FakeExtractor.with_outputs([output]), tracker=tracker)
    bot.command(transcript)
    first = slack.wait_calls("chat.update")[0]
    slack.wait_for(lambda: sum(len(item_ids(m)) for m in result_messages(slack)) >= n)
    messages = sorted(result_messages(slack), key=lambda m: float(m["ts"]))
    assert len(messages) >= 2
    assert first.params["ts"] == messages[0]["ts"]  # part 1 replaced the placeholder
    assert all(m["thread_ts"] == messages[0]["ts"] for m in messages[1:])  # the rest are thread replies
    seen: list[str] = []
    for k, m in enumerate(messages, 1):
        assert block_problems(m["blocks"]) == [] and len(m["blocks"]) <= blocks.MAX_BLOCKS
        assert len(json.dumps(m["blocks"])) <= blocks.MAX_MESSAGE_CHARS + 2000
        assert m["text"] and m["text"].startswith(f"{n} action items")  # every part has a fallback
        assert f"part {k} of {len(messages)}" in json.dumps(m["blocks"])
        assert "<!channel>" not in m["text"] + json.dumps(m["blocks"])
        seen += item_ids(m)
    assert len(seen) == n == len(set(seen))
    assert item_ids(messages[-1], ids.CREATE_ALL) and not item_ids(messages[0], ids.CREATE_ALL)
    # A button in the last part updates that part's message.
    last = messages[-1]
    in_last = item_ids(last)
    bot.click(ids.CREATE_ISSUE, in_last[0], message_ts=last["ts"])
    slack.wait_for(
        lambda: [
            c
            for c in slack.calls_to("chat.update")
            if c.params["ts"] == last["ts"] and "OPS-1" in json.dumps(c.params["blocks"])
        ]
    )
    assert tracker.calls[0][0].task.startswith(f"Handle work package {n - len(in_last)} ")


def test_two_create_all_clicks_at_once_file_each_item_once(make_bot, slack):
    tracker = FakeTracker(gate=threading.Event())
    bot = make_bot(tracker=tracker)
    bot.command(TRANSCRIPT)
    [msg] = wait_results(slack)
    [extraction_id] = item_ids(msg, ids.CREATE_ALL)
    all_items = item_ids(msg)
    clicks = [
        threading.Thread(
            target=bot.click,
            args=(ids.CREATE_ALL, extraction_id),
            kwargs={"message_ts": msg["ts"], "user": u, "response": u},
        )
        for u in ("U1DANA", "U2LEE")
    ]
    for c in clicks:
        c.start()
    assert tracker.entered.wait(10)
    tracker.gate.set()
    for c in clicks:
        c.join(20)
    slack.wait_for(
        lambda: (
            json.dumps(next(m for m in result_messages(slack) if m["ts"] == msg["ts"])["blocks"]).count(
                "jira.example.test/browse/OPS-"
            )
            == 3
        )
    )
    assert sorted(c[1].item_id for c in tracker.calls) == sorted(all_items)  # one call per item


SECRET_LINE = "Quinn: the merger code name is BLUE HERON, keep it quiet."


@pytest.mark.parametrize(
    ("debug", "level", "logged"), [(False, logging.INFO, False), (True, logging.DEBUG, True)]
)
def test_transcripts_are_logged_only_with_debug_logging(make_bot, slack, caplog, debug, level, logged):
    caplog.set_level(level)
    bot = make_bot(debug=debug)
    bot.command(TRANSCRIPT + SECRET_LINE)
    wait_results(slack)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert ("BLUE HERON" in text) is logged
    assert "extraction" in text  # the one INFO line per extraction is there either way
    assert "xoxb-" not in text  # never the token


def test_a_file_larger_than_files_info_said_is_refused_while_downloading(make_bot, slack):
    content = b"Dana: I'll send the budget.\n" * 100
    meta = slack.add_file("F0BIG", "notes.txt", content, channel=CHANNEL, user="U1DANA", size=100)
    ts = meta["shares"]["public"][CHANNEL][0]["ts"]
    fake = FakeExtractor.with_outputs([THREE_ITEMS])
    bot = make_bot(extractor=fake, max_file_bytes=1000)
    bot.event(
        {
            "type": "file_shared",
            "file_id": "F0BIG",
            "channel_id": CHANNEL,
            "user_id": "U1DANA",
            "event_ts": ts,
        },
        "EvBig",
    )
    update = slack.wait_calls("chat.update")[0]
    assert "notes.txt is larger than the" in update.params["text"]
    assert fake.calls == []
