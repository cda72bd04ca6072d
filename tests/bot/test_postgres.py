"""The same schema and claims on PostgreSQL, as several bot replicas would share it.

Uses ACTIONBOT_TEST_PG_URL when set (a CI service); otherwise starts a throwaway server from the
local `initdb`/`pg_ctl` on a Unix socket (no TCP); skipped when neither is available."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Iterator

import pytest
from bot_harness import TRANSCRIPT, FakeTracker, item_ids, wait_results
from sqlalchemy import create_engine, text

from bot import ids
from bot.store import Store
from extractor.schema import ActionItem, Evidence

psycopg = pytest.importorskip("psycopg", reason="psycopg is needed for the Postgres tests")


def _as_postgres_user() -> list[str]:
    # initdb and postgres refuse to run as root (containers often are root).
    if os.geteuid() != 0:
        return []
    if not shutil.which("runuser"):
        pytest.skip("running as root without runuser; set ACTIONBOT_TEST_PG_URL")
    return ["runuser", "-u", "nobody", "--"]


@pytest.fixture(scope="module")
def pg_server() -> Iterator[str]:
    """A server URL (database `postgres`); tests make their own databases on it."""
    if url := os.environ.get("ACTIONBOT_TEST_PG_URL"):
        yield url
        return
    if not (shutil.which("initdb") and shutil.which("pg_ctl")):
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl); set ACTIONBOT_TEST_PG_URL to test Postgres")
    prefix = _as_postgres_user()
    root = tempfile.mkdtemp(prefix="pg")  # short: a Unix socket path must fit in 107 bytes
    os.chmod(root, 0o777)
    data = os.path.join(root, "data")
    run = lambda *args: subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=60)  # noqa: E731
    try:
        run("initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        run(
            "pg_ctl",
            "-D",
            data,
            "-l",
            os.path.join(root, "log"),
            "-w",
            "-o",
            f"-k {root} -c listen_addresses='' -F",
            "start",
        )
        yield f"postgresql+psycopg://postgres@/postgres?host={root}"
    finally:
        if os.path.exists(os.path.join(data, "postmaster.pid")):
            run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server) -> Iterator[str]:
    """A fresh database for one test."""
    name = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, query = pg_server.partition("?")
    yield f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def _race(fn, n: int = 8) -> list:
    """Run fn() in n threads released together; their results."""
    barrier, out, lock = threading.Barrier(n), [], threading.Lock()

    def go():
        barrier.wait()
        result = fn()
        with lock:
            out.append(result)

    threads = [threading.Thread(target=go) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return out


def test_two_replicas_claim_events_extractions_and_tickets_once(pg_url):
    a, b = Store.from_url(pg_url), Store.from_url(pg_url)  # two processes' worth of engines
    try:
        events = _race(lambda: (a if threading.get_ident() % 2 else b).claim_event("Ev1"))
        assert events.count(True) == 1
        claims = _race(
            lambda: (a if threading.get_ident() % 2 else b).claim_extraction(
                "file:F1:C1", kind="file", channel_id="C1", thread_ts="1.0", user="U1", title="notes.vtt"
            )
        )
        assert [c.won for c in claims].count(True) == 1
        extraction_id = claims[0].record_id
        item = ActionItem(
            owner="Dana",
            task="Send the budget",
            deadline="Friday",
            deadline_date=dt.date(2025, 3, 14),
            priority="high",
            evidence=Evidence(turn=0, time=None, speaker="Dana", quote="I'll send it"),
        )
        a.save_items(extraction_id, [(item, "U1", 0)])
        [row] = b.items(extraction_id)
        assert row.item == item and row.owner_user_id == "U1"
        tickets = _race(lambda: b.claim_ticket(row.id, "U2"))
        assert [t.won for t in tickets].count(True) == 1
        a.ticket_failed(row.id, "HTTP 503")
        assert [t.won for t in _race(lambda: b.claim_ticket(row.id, "U2"))].count(
            True
        ) == 1  # a retry re-claims once
        a.ticket_created(row.id, key="OPS-1", url="https://jira.test/browse/OPS-1", issue_id="1")
        assert b.get_item(row.id).issue_key == "OPS-1"
        assert not a.claim_ticket(row.id, "U3").won
        a.tracker_key_put("k", "OPS-1", "u", "1")
        b.tracker_key_put("k", "OPS-9", "u", "9")  # first record wins
        assert a.tracker_key_get("k") == ("OPS-1", "u", "1")
    finally:
        a.engine.dispose()
        b.engine.dispose()


def test_bot_on_postgres_survives_a_restart_and_a_second_replica(make_bot, slack, pg_url):
    tracker = FakeTracker(gate=threading.Event())
    first = make_bot(tracker=tracker, db_url=pg_url)
    second = make_bot(tracker=tracker, db_url=pg_url)  # another replica on the same database
    first.command(TRANSCRIPT)
    [msg] = wait_results(slack)
    item = item_ids(msg)[0]
    first.click(ids.CREATE_ISSUE, item, message_ts=msg["ts"], response="r1")
    assert tracker.entered.wait(10)
    second.click(ids.CREATE_ISSUE, item, message_ts=msg["ts"], response="r2")  # a double click, other replica
    slack.wait_for(lambda: [r for r in slack.responses if "being created" in r.get("text", "")])
    tracker.gate.set()
    slack.wait_for(
        lambda: "OPS-1" in str(next(m for m in slack.messages.values() if m["ts"] == msg["ts"])["blocks"])
    )
    first.stop()
    third = make_bot(tracker=tracker, db_url=pg_url)  # restart: buttons still work
    third.click(ids.CREATE_ISSUE, item_ids(msg)[0], message_ts=msg["ts"], response="r3")
    slack.wait_for(
        lambda: "OPS-2" in str(next(m for m in slack.messages.values() if m["ts"] == msg["ts"])["blocks"])
    )
    assert len(tracker.calls) == 2
