"""Interrupted extractions: the sweeper tells the channel to ask again, a worker whose claim
was taken over drops its results, and asking again then works (once)."""

from __future__ import annotations

import datetime as dt

from bot_harness import THREE_ITEMS, TRANSCRIPT, BlockingExtractor, result_messages, wait_results
from slack_sdk import WebClient
from sqlalchemy import update

from bot.db import extractions, utcnow
from bot.jobs import SUPERSEDED
from bot.recovery import INTERRUPTED, sweep
from extractor.model import FakeExtractor


def _age_pending(store, hours: float = 1) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            update(extractions)
            .where(extractions.c.status == "pending")
            .values(updated_at=utcnow() - dt.timedelta(hours=hours))
        )


def test_fresh_pending_extractions_are_left_alone(make_bot, slack):
    slow = BlockingExtractor(FakeExtractor.with_outputs([THREE_ITEMS]))
    bot = make_bot(extractor=slow)
    bot.command(TRANSCRIPT)
    assert slow.started.wait(10)
    client = WebClient(token=bot.settings.bot_token, base_url=slack.api_url)
    assert sweep(bot.services, client) == 0
    slow.release.set()
    wait_results(slack)


def test_restart_mid_extraction_is_reported_and_asking_again_works(make_bot, slack):
    slow = BlockingExtractor(FakeExtractor.with_outputs([THREE_ITEMS]))
    dead = make_bot(extractor=slow)
    dead.command(TRANSCRIPT)
    assert slow.started.wait(10)
    placeholder = slack.wait_calls("chat.postMessage")[0].response["ts"]
    _age_pending(dead.services.store)  # its worker "died": nobody renews the claim
    restarted = make_bot(extractor=FakeExtractor.with_outputs([THREE_ITEMS]))
    client = WebClient(token=restarted.settings.bot_token, base_url=slack.api_url)
    assert sweep(restarted.services, client) == 1
    assert sweep(restarted.services, client) == 0  # once
    note = slack.wait_for(
        lambda: [c for c in slack.calls_to("chat.update") if c.params["ts"] == placeholder]
    )[0]
    assert note.params["text"] == INTERRUPTED
    # The "dead" worker wakes up after all: its results are dropped, not posted over the note.
    slow.release.set()
    dead.stop()
    assert result_messages(slack) == []
    assert slack.messages[(note.params["channel"], placeholder)]["text"] == INTERRUPTED
    # Asking again runs it.
    restarted.command(TRANSCRIPT)
    [msg] = wait_results(slack)
    assert msg["ts"] != placeholder
    assert slack.messages[(msg["channel"], placeholder)]["text"] == SUPERSEDED


def test_a_takeover_while_the_first_worker_still_runs_posts_results_once(make_bot, slack):
    slow = BlockingExtractor(FakeExtractor.with_outputs([THREE_ITEMS, THREE_ITEMS]))
    bot = make_bot(extractor=slow, workers=1, queue_size=2)
    bot.command(TRANSCRIPT)
    assert slow.started.wait(10)
    _age_pending(bot.services.store)  # looks dead, so the same paste may take it over
    bot.command(TRANSCRIPT)
    slack.wait_calls("chat.postMessage", 2)
    slow.release.set()
    [msg] = wait_results(slack)
    bot.stop()
    assert len(slow.inner.calls) == 2  # both ran ...
    assert len(result_messages(slack)) == 1  # ... only the current attempt posted
    first, second = (c.response["ts"] for c in slack.calls_to("chat.postMessage")[:2])
    assert msg["ts"] == second
    assert slack.messages[(msg["channel"], first)]["text"] == SUPERSEDED
