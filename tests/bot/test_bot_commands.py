"""/actions over real HTTP: ack before the model finishes, placeholder then results, usage,
signature checks, queue-full and not-in-channel answers."""

from __future__ import annotations

import time

import pytest
from bot_harness import CHANNEL, THREE_ITEMS, TRANSCRIPT, BlockingExtractor, item_ids, wait_results
from mock_slack import block_problems

from bot.listeners.commands.actions_command import USAGE
from extractor.model import FakeExtractor


def test_ack_arrives_while_the_extractor_is_still_running(make_bot, slack):
    slow = BlockingExtractor(FakeExtractor.with_outputs([THREE_ITEMS]))
    bot = make_bot(extractor=slow)
    status, body = bot.command(TRANSCRIPT)
    # The HTTP response (the ack) is back while the model is still blocked.
    assert status == 200
    assert not slow.finished.is_set()
    assert slow.started.wait(10), "the extraction never started"
    placeholder = slack.wait_calls("chat.postMessage")[0]
    assert "working on it" in placeholder.params["text"]
    assert not slack.calls_to("chat.update")
    slow.release.set()
    update = slack.wait_calls("chat.update")[0]
    assert update.response["ok"], update.response
    assert update.params["ts"] == placeholder.response["ts"]
    assert update.params["text"].startswith("3 action items")
    assert block_problems(update.params["blocks"]) == []


def test_results_show_mentions_for_resolved_owners_and_ids_in_buttons(make_bot, slack):
    bot = make_bot()
    bot.command(TRANSCRIPT)
    [msg] = wait_results(slack)
    text = "\n".join(b["text"]["text"] for b in msg["blocks"] if b["type"] == "section")
    assert "<@U1DANA>" in text and "<@U2LEE>" in text
    assert "Alex _(not matched to a Slack member)_" in text
    assert msg["thread_ts"] is None  # /actions results are a channel message
    ids = item_ids(msg)
    assert len(ids) == 3 and all(v.isdigit() for v in ids)
    assert item_ids(msg, "create_all") and item_ids(msg, "create_all")[0].isdigit()


@pytest.mark.parametrize("text", ["", "   ", "help"])
def test_bare_command_acks_with_ephemeral_usage(make_bot, slack, text):
    bot = make_bot()
    status, body = bot.command(text)
    assert status == 200
    assert "Usage" in body and USAGE.split("\n")[0] in body
    assert not slack.calls_to("chat.postMessage")


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Signature": "v0=" + "0" * 64},  # wrong signature
        {"X-Slack-Request-Timestamp": str(int(time.time()) - 600)},  # stale (signature of another time)
    ],
    ids=["bad-signature", "stale-timestamp"],
)
def test_bad_or_stale_signatures_are_refused(make_bot, slack, headers):
    bot = make_bot()
    status, _ = bot.command(TRANSCRIPT, headers=headers)
    assert status == 401
    assert not slack.calls_to("chat.postMessage")


def test_a_correctly_signed_but_old_request_is_refused(make_bot, slack):
    from urllib.parse import urlencode

    from bot_harness import sign

    bot = make_bot()
    body = urlencode({"command": "/actions", "text": TRANSCRIPT, "user_id": "U1DANA", "channel_id": CHANNEL})
    status, _ = bot.post(
        body,
        "application/x-www-form-urlencoded",
        signed=False,
        headers=sign(body, timestamp=int(time.time()) - 10 * 60),
    )
    assert status == 401


def test_unsigned_request_is_refused(make_bot):
    bot = make_bot()
    status, _ = bot.command(TRANSCRIPT, signed=False)
    assert status == 401


def test_queue_full_says_so_politely(make_bot, slack):
    slow = BlockingExtractor(FakeExtractor.with_outputs([THREE_ITEMS, THREE_ITEMS]))
    bot = make_bot(extractor=slow, workers=1, queue_size=0)
    bot.command(TRANSCRIPT)
    assert slow.started.wait(10)
    bot.command(TRANSCRIPT + "Sam: one more thing.\n", user="U2LEE")
    busy = slack.wait_for(lambda: [c for c in slack.calls_to("chat.update") if "queue" in c.params["text"]])
    assert "try again" in busy[0].params["text"]
    slow.release.set()
    wait_results(slack)
    # The refused request is not lost: it can be sent again and then runs.
    bot.command(TRANSCRIPT + "Sam: one more thing.\n", user="U2LEE")
    wait_results(slack, 2)


def test_not_in_channel_answers_with_an_invite_hint(make_bot, slack):
    slack.not_in_channel.add("C0PRIVATE")
    bot = make_bot()
    bot.command(TRANSCRIPT, channel="C0PRIVATE")
    slack.wait_for(lambda: slack.responses)
    assert "/invite @actionbot" in slack.responses[0]["text"]
    assert slack.responses[0]["response_type"] == "ephemeral"


def test_same_paste_twice_extracts_once_and_points_to_the_results(make_bot, slack):
    fake = FakeExtractor.with_outputs([THREE_ITEMS, THREE_ITEMS])
    bot = make_bot(extractor=fake)
    bot.command(TRANSCRIPT)
    wait_results(slack)
    bot.command(TRANSCRIPT)
    slack.wait_for(lambda: slack.responses)
    assert "already extracted" in slack.responses[0]["text"]
    assert len(fake.calls) == 1


def test_transcript_text_cannot_ping_the_channel(make_bot, slack):
    from bot_harness import model_output

    out = model_output(
        {"turn": 0, "owner": "<!channel>", "task": "Tell <!here> & <@U2LEE> about <https://x.test|this>"}
    )
    bot = make_bot(extractor=FakeExtractor.with_outputs([out]))
    bot.command("Dana: tell <!here> about it\nLee: ok")
    [msg] = wait_results(slack)
    blob = msg["text"] + str(msg["blocks"])
    assert "<!channel>" not in blob and "<!here>" not in blob and "<@U2LEE>" not in blob
    assert "&lt;!here&gt; &amp; &lt;@U2LEE&gt;" in blob


def test_rate_limited_update_waits_out_retry_after_then_succeeds(make_bot, slack):
    slack.rate_limits["chat.update"] = 1
    slack.retry_after = "1"
    bot = make_bot()
    bot.command(TRANSCRIPT)
    slack.wait_for(lambda: [c for c in slack.calls_to("chat.update") if c.status == 200])
    limited, retried = slack.calls_to("chat.update")[:2]
    assert (limited.status, retried.status) == (429, 200) and retried.response["ok"]
    assert retried.at - limited.at >= 1.0  # Retry-After was honoured, not just retried at once
