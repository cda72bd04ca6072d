"""Database schema (SQLAlchemy Core) and engine set-up; portable between SQLite and Postgres."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.pool import StaticPool

logger = logging.getLogger(__name__)

metadata = MetaData()


def utcnow() -> dt.datetime:
    """Now in UTC (aware)."""
    return dt.datetime.now(dt.UTC)


# One row per transcript we were asked to read. source_key is what makes a request unique
# (file id + channel, or thread + content hash), so retries and double events collide here.
extractions = Table(
    "extractions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source_key", String(255), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("channel_id", String(32), nullable=False),
    Column("thread_ts", String(32)),
    Column("requested_by", String(32)),
    Column("title", String(255), nullable=False, default=""),
    Column("meeting_date", Date),
    Column("status", String(16), nullable=False),
    Column("attempt", Integer, nullable=False, default=1),
    Column("model", String(255)),
    Column("error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, default=utcnow),
    Column("updated_at", DateTime(timezone=True), nullable=False, default=utcnow),
)

# The Slack messages that show an extraction: part 0 is the placeholder that becomes the
# first page of results; later parts are thread replies.
result_messages = Table(
    "result_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("extraction_id", Integer, ForeignKey("extractions.id", ondelete="CASCADE"), nullable=False),
    Column("part", Integer, nullable=False),
    Column("channel_id", String(32), nullable=False),
    Column("ts", String(32), nullable=False),
    UniqueConstraint("extraction_id", "part", name="uq_result_messages_part"),
)

items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("extraction_id", Integer, ForeignKey("extractions.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("part", Integer, nullable=False, default=0),
    Column("owner", String(255)),
    Column("owner_user_id", String(32)),
    Column("task", Text, nullable=False),
    Column("deadline", String(255)),
    Column("deadline_date", Date),
    Column("priority", String(16)),
    Column("evidence", Text),
    Column("status", String(16), nullable=False, default="open"),
    Column("status_by", String(32)),
    Column("updated_at", DateTime(timezone=True), nullable=False, default=utcnow),
    UniqueConstraint("extraction_id", "position", name="uq_items_position"),
)

# At most one ticket per item (the unique item_id is the claim).
tickets = Table(
    "tickets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("attempt", Integer, nullable=False, default=1),
    Column("issue_key", String(64)),
    Column("issue_url", String(1024)),
    Column("issue_id", String(64)),
    Column("requested_by", String(32)),
    Column("error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, default=utcnow),
    Column("updated_at", DateTime(timezone=True), nullable=False, default=utcnow),
)

# Idempotency keys the tracker has filed an issue for (integrations.tracker.IdempotencyStore).
tracker_keys = Table(
    "tracker_keys",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("issue_key", String(64), nullable=False),
    Column("issue_url", String(1024), nullable=False),
    Column("issue_id", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, default=utcnow),
)

# Slack event ids already handled (Slack retries with the same event_id).
processed_events = Table(
    "processed_events",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("received_at", DateTime(timezone=True), nullable=False, default=utcnow),
    Index("ix_processed_events_received_at", "received_at"),
)


def make_engine(url: str) -> Engine:
    """An engine for `url` that is safe to share between threads; creates the tables."""
    kwargs: dict = {"future": True}
    if url.startswith("sqlite"):
        # Listener threads and workers share one SQLite file; wait on locks instead of failing.
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        if url in {"sqlite://", "sqlite:///:memory:"}:
            kwargs["poolclass"] = StaticPool
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # noqa: ANN001 - DBAPI types
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

    metadata.create_all(engine)
    logger.info("database ready at %s", engine.url.render_as_string(hide_password=True))
    return engine
