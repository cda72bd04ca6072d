"""Idempotency stores: which issue each key produced. SQLite for the CLI, memory for tests.

The bot passes its own SQL store instead; anything with get(key) and put(key, ref) fits."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from integrations.errors import StoreBusyError
from integrations.tracker import IssueRef

try:
    import fcntl
except ImportError:  # Windows: no flock; runs on one store must then not overlap
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

_SCHEMA = """CREATE TABLE IF NOT EXISTS tracker_issues (
    idem_key TEXT PRIMARY KEY,
    issue_key TEXT NOT NULL,
    issue_url TEXT NOT NULL,
    issue_id TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (datetime('now'))
)"""


class SQLiteIdempotencyStore:
    """A SQLite file of key -> issue; safe across threads and processes (one connection per call)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def get(self, key: str) -> IssueRef | None:
        """The issue recorded for `key`, or None."""
        with closing(self._connect()) as db:
            row = db.execute(
                "SELECT issue_key, issue_url, issue_id FROM tracker_issues WHERE idem_key = ?", (key,)
            ).fetchone()
        return IssueRef(key=row[0], url=row[1], id=row[2]) if row else None

    def put(self, key: str, ref: IssueRef) -> None:
        """Record `ref` for `key`; an existing record is kept (the first issue wins)."""
        with closing(self._connect()) as db, db:
            cur = db.execute(
                "INSERT OR IGNORE INTO tracker_issues (idem_key, issue_key, issue_url, issue_id) "
                "VALUES (?, ?, ?, ?)",
                (key, ref.key, ref.url, ref.id),
            )
        if cur.rowcount == 0:
            logger.warning("key %s already recorded; kept the first issue, not %s", key, ref.key)


class MemoryIdempotencyStore:
    """A dict of key -> issue (tests, one-off runs)."""

    def __init__(self) -> None:
        self._refs: dict[str, IssueRef] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> IssueRef | None:
        """The issue recorded for `key`, or None."""
        with self._lock:
            return self._refs.get(key)

    def put(self, key: str, ref: IssueRef) -> None:
        """Record `ref` for `key` unless one is recorded already."""
        with self._lock:
            self._refs.setdefault(key, ref)


@contextmanager
def exclusive(path: str | Path, wait_s: float, on_wait: Callable[[], None] = lambda: None) -> Iterator[None]:
    """Hold `<path>.lock` exclusively across processes (flock), waiting up to `wait_s` for another holder.

    JiraTracker serialises requests for one key only inside its process; two CLI runs on one store
    (a cron `retry` overlapping a slow one) could otherwise both miss the store and the label search
    and file the same item twice."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a+b") as fh:
        if fcntl is not None:
            deadline = time.monotonic() + wait_s
            waited = False
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise StoreBusyError(
                            f"another `actionbot jira create` or `retry` has used {path} for over "
                            f"{wait_s:.0f} s",
                            fix="wait for it to finish and run again (nothing was filed), or pass another --store",
                        ) from None
                    if not waited:
                        on_wait()
                        waited = True
                    time.sleep(0.1)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(fh, fcntl.LOCK_UN)
