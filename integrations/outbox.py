"""The outbox: items whose issue could not be filed yet (Jira down, bad settings), kept for a retry.

It lives in the same SQLite file as SQLiteIdempotencyStore; the bot keeps failed items in its own database."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from integrations.items import Entry, ctx_from_json, ctx_to_json, item_from_json, item_to_json
from integrations.tracker import idempotency_key

_SCHEMA = """CREATE TABLE IF NOT EXISTS tracker_pending (
    idem_key TEXT PRIMARY KEY,
    item_json TEXT NOT NULL,
    ctx_json TEXT NOT NULL,
    error TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL DEFAULT (datetime('now'))
)"""


@dataclass(frozen=True)
class Pending:
    """An item waiting for its issue, with the last error and how often it was tried."""

    entry: Entry
    error: str
    attempts: int

    @property
    def key(self) -> str:
        """Its idempotency key."""
        return idempotency_key(self.entry.ctx)


class SQLiteOutbox:
    """Pending items in a SQLite file; keep() on failure, forget() once filed."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def keep(self, entry: Entry, error: str) -> None:
        """Record (or update) a failed item with the error that stopped it."""
        with closing(self._connect()) as db, db:
            db.execute(
                "INSERT INTO tracker_pending (idem_key, item_json, ctx_json, error) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(idem_key) DO UPDATE SET error = excluded.error, attempts = attempts + 1, "
                "updated_at = datetime('now')",
                (
                    idempotency_key(entry.ctx),
                    json.dumps(item_to_json(entry.item), ensure_ascii=False),
                    json.dumps(ctx_to_json(entry.ctx), ensure_ascii=False),
                    error,
                ),
            )

    def forget(self, key: str) -> None:
        """Drop an item once its issue exists."""
        with closing(self._connect()) as db, db:
            db.execute("DELETE FROM tracker_pending WHERE idem_key = ?", (key,))

    def pending(self) -> list[Pending]:
        """Every kept item, oldest first."""
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT item_json, ctx_json, error, attempts FROM tracker_pending ORDER BY rowid"
            ).fetchall()
        return [
            Pending(Entry(item_from_json(json.loads(i)), ctx_from_json(json.loads(c))), error, attempts)
            for i, c, error, attempts in rows
        ]
