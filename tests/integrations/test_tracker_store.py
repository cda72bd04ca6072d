"""Idempotency stores: first record wins, survives reopening, safe across threads; both fit the protocol."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from integrations.store import MemoryIdempotencyStore, SQLiteIdempotencyStore
from integrations.tracker import IdempotencyStore, IssueRef

A = IssueRef(key="OPS-1", url="https://acme.atlassian.net/browse/OPS-1", id="10001")
B = IssueRef(key="OPS-2", url="https://acme.atlassian.net/browse/OPS-2", id="10002")


@pytest.fixture(params=["sqlite", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    return (
        SQLiteIdempotencyStore(tmp_path / "sub" / "issues.db")
        if request.param == "sqlite"
        else MemoryIdempotencyStore()
    )


def test_protocol(store: Any) -> None:
    assert isinstance(store, IdempotencyStore)


def test_get_put_first_wins(store: Any) -> None:
    assert store.get("ex-1:0") is None
    store.put("ex-1:0", A)
    store.put("ex-1:0", B)
    assert store.get("ex-1:0") == A and store.get("ex-1:1") is None


def test_threads(store: Any) -> None:
    refs = [IssueRef(key=f"OPS-{i}", url=f"u{i}", id=str(i)) for i in range(8)]
    workers = [threading.Thread(target=store.put, args=("same", r)) for r in refs]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert store.get("same") in refs


def test_sqlite_survives_reopen(tmp_path: Path) -> None:
    SQLiteIdempotencyStore(tmp_path / "i.db").put("k", A)
    assert SQLiteIdempotencyStore(tmp_path / "i.db").get("k") == A
