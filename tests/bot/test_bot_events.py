"""Events over real HTTP: thread mentions, file uploads (both events of one upload), retries."""

from __future__ import annotations

import pytest
from bot_harness import CHANNEL, THREE_ITEMS, BlockingExtractor, model_output, wait_results
from mock_slack import BOT_USER, FakeSlack, block_problems

from extractor.model import FakeExtractor


def _thread(slack):
    return slack.add_thread(
        CHANNEL,
        [
            {"user": "U1DANA", "text": "Notes from today's sync"},
            {"user": "U1DANA", "text": "I'll send the revised budget to finance by Friday"},
            {"user": "U2LEE", "text": "I can book the room for the offsite &amp; order food"},
            {"bot_id": "B9", "user": "U9BOT", "text": "Reminder: standup at 10"},
            {"user": "U2LEE", "text": f"<@{BOT_USER}>"},
        ],
    )


def _mention(parent: str, event_ts: str = "1741609999.000100") -> dict:
    return {
        "type": "app_mention",
        "user": "U2LEE",
        "text": f"<@{BOT_USER}>",
        "ts": event_ts,
        "thread_ts": parent,
        "channel": CHANNEL,
        "event_ts": event_ts,
    }


def test_mention_in_a_thread_reads_the_whole_thread_and_replies_in_it(make_bot, slack):
    parent = _thread(slack)
    fake = FakeExtractor.with_outputs([THREE_ITEMS])
    bot = make_bot(extractor=fake)
    status, _ = bot.event(_mention(parent), "Ev1")
    assert status == 200
    [msg] = wait_results(slack)
    assert msg["thread_ts"] == parent
    assert slack.calls_to("conversations.replies")[0].params["ts"] == parent
    prompt = "\n".join(m["content"] for m in fake.calls[0].messages)
    assert "dana: I'll send the revised budget" in prompt
    assert "room for the offsite & order food" in prompt  # Slack's &amp; decoded
    assert "Reminder: standup" not in prompt  # bot messages are not the meeting
    assert block_problems(msg["blocks"]) == []


@pytest.mark.parametrize(
    "retry_headers", [{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}, {}]
)
def test_retried_event_runs_once(make_bot, slack, retry_headers):
    parent = _thread(slack)
    slow = BlockingExtractor(FakeExtractor.with_outputs([THREE_ITEMS, THREE_ITEMS]))
    bot = make_bot(extractor=slow)
    assert bot.event(_mention(parent), "EvSame")[0] == 200
    assert slow.started.wait(10)
    assert bot.event(_mention(parent), "EvSame", headers=retry_headers)[0] == 200
    slow.release.set()
    wait_results(slack)
    assert len(slow.inner.calls) == 1
    assert len(slack.calls_to("chat.postMessage")) == 1  # one placeholder, no second run


def test_a_second_mention_of_an_unchanged_thread_points_to_the_first_results(make_bot, slack):
    parent = _thread(slack)
    fake = FakeExtractor.with_outputs([THREE_ITEMS, THREE_ITEMS])
    bot = make_bot(extractor=fake)
    bot.event(_mention(parent), "EvA")
    wait_results(slack)
    bot.event(_mention(parent, "1741609999.000200"), "EvB")
    eph = slack.wait_calls("chat.postEphemeral")[0]
    assert "already extracted" in eph.params["text"] and eph.params["user"] == "U2LEE"
    assert len(fake.calls) == 1


def test_mention_outside_a_thread_without_text_explains_itself(make_bot, slack):
    ts = slack.add_thread(CHANNEL, [{"user": "U2LEE", "text": f"<@{BOT_USER}>"}])
    bot = make_bot()
    bot.event(
        {
            "type": "app_mention",
            "user": "U2LEE",
            "text": f"<@{BOT_USER}>",
            "ts": ts,
            "channel": CHANNEL,
            "event_ts": ts,
        },
        "EvC",
    )
    eph = slack.wait_calls("chat.postEphemeral")[0]
    assert "Mention me in a thread" in eph.params["text"]
    assert not slack.calls_to("chat.postMessage")


def _upload(slack, name="standup.vtt", content=None, **kw):
    content = (
        content
        if content is not None
        else (
            b"WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Dana>I'll send the revised budget by Friday.\n\n"
            b"00:00:05.000 --> 00:00:08.000\n<v Lee>I can book the room.\n"
        )
    )
    meta = slack.add_file(
        "F0001",
        name,
        content,
        channel=CHANNEL,
        user="U1DANA",
        content_type=kw.pop("content_type", "text/vtt"),
        **kw,
    )
    return meta, meta["shares"]["public"][CHANNEL][0]["ts"]


def _file_events(meta, ts):
    shared = {
        "type": "file_shared",
        "file_id": meta["id"],
        "file": {"id": meta["id"]},
        "user_id": "U1DANA",
        "channel_id": CHANNEL,
        "event_ts": ts,
    }
    message = {
        "type": "message",
        "subtype": "file_share",
        "files": [{"id": meta["id"], "name": meta["name"]}],
        "user": "U1DANA",
        "channel": CHANNEL,
        "ts": ts,
        "text": "",
        "event_ts": ts,
    }
    return shared, message


@pytest.mark.parametrize("order", ["shared-first", "message-first"])
def test_upload_flow_end_to_end_extracts_once_in_the_files_thread(make_bot, slack, order):
    meta, ts = _upload(slack)
    out = model_output({"turn": 0, "owner": "Dana", "task": "Send the revised budget", "deadline": "Friday"})
    fake = FakeExtractor.with_outputs([out, out])
    bot = make_bot(extractor=fake)
    shared, message = _file_events(meta, ts)
    first, second = (shared, message) if order == "shared-first" else (message, shared)
    assert bot.event(first, "EvF1")[0] == 200
    assert bot.event(second, "EvF2")[0] == 200
    [msg] = wait_results(slack)
    assert msg["thread_ts"] == ts
    assert "<@U1DANA>" in str(msg["blocks"])
    downloads = slack.calls_to("GET /files-pri/T0TEST-F0001/standup.vtt")
    assert len(downloads) == 1 and downloads[0].headers["authorization"].startswith("Bearer xoxb-")
    assert len(fake.calls) == 1
    assert len([c for c in slack.calls_to("chat.postMessage") if c.response.get("ok")]) == 1
    # The transcript reached the model through the VTT reader.
    assert "revised budget" in "\n".join(m["content"] for m in fake.calls[0].messages)


def test_non_transcript_files_are_ignored_quietly(make_bot, slack):
    meta, ts = _upload(slack, name="photo.png", content=b"\x89PNG....", content_type="image/png")
    bot = make_bot()
    bot.event(_file_events(meta, ts)[0], "EvP")
    slack.wait_calls("files.info")
    assert not slack.calls_to("chat.postMessage")


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"size": 6 * 1024 * 1024}, "is 6.0 MB; the limit is 5.0 MB"),
        ({"host_url": "http://evil.test/"}, "not hosted by Slack"),
        ({"content_type": "text/html", "mimetype": "text/plain"}, "not a transcript"),
        ({"content": b"", "content_type": "text/plain"}, "is empty"),
    ],
    ids=["too-big", "foreign-host", "html-body", "empty"],
)
def test_rejected_files_get_a_reason_in_the_thread(make_bot, slack, kwargs, expected):
    meta, ts = _upload(slack, name="notes.txt", **kwargs)
    fake = FakeExtractor.with_outputs([THREE_ITEMS])
    bot = make_bot(extractor=fake)
    bot.event(_file_events(meta, ts)[0], "EvR")
    update = slack.wait_calls("chat.update")[0]
    assert expected in update.params["text"], update.params["text"]
    assert fake.calls == []
    if "host_url" in kwargs:
        assert not [c for c in slack.calls if c.method.startswith("GET")]  # never fetched


def test_a_redirected_download_is_refused_and_the_token_stays_on_slacks_host(make_bot, slack):
    elsewhere = FakeSlack().start()  # where a redirect would lead the Authorization header
    try:
        meta, ts = _upload(
            slack, name="notes.txt", content=b"Dana: I'll send it.\n", content_type="text/plain"
        )
        slack.redirects[meta["id"]] = elsewhere.url + "files-pri/T0TEST-F0001/notes.txt"
        fake = FakeExtractor.with_outputs([THREE_ITEMS])
        bot = make_bot(extractor=fake)
        bot.event(_file_events(meta, ts)[0], "EvRedirect")
        update = slack.wait_calls("chat.update")[0]
        assert "redirected the file download" in update.params["text"]
        assert elsewhere.calls == [] and fake.calls == []
    finally:
        elsewhere.stop()


def test_ordinary_messages_are_acknowledged_and_ignored(make_bot, slack):
    bot = make_bot()
    status, _ = bot.event(
        {"type": "message", "user": "U1DANA", "text": "hello", "ts": "1.2", "channel": CHANNEL}, "EvM"
    )
    assert status == 200
    assert not slack.calls_to("chat.postMessage")
