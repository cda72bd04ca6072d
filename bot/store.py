"""Store: extractions, items, tickets and processed events, with claim-then-do helpers.

Every "do it once" decision is an INSERT against a unique constraint (or a compare-and-set
UPDATE on `attempt`), so two threads or two processes can never both win."""

from __future__ import annotations

import datetime as dt
import json
import logging

from sqlalchemy import Engine, and_, delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.db import (
    extractions,
    items,
    make_engine,
    processed_events,
    result_messages,
    tickets,
    tracker_keys,
    utcnow,
)
from bot.records import Claim, ExtractionRecord, ItemRecord
from extractor.schema import ActionItem, Evidence

logger = logging.getLogger(__name__)

EVENT_RETENTION = dt.timedelta(days=2)


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands datetimes back naive; we only ever store UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _insert_won(conn_factory, stmt) -> int | None:
    try:
        with conn_factory() as conn:
            return conn.execute(stmt).inserted_primary_key[0]
    except IntegrityError:
        return None


class Store:
    """Persistence for the bot; safe to share between threads."""

    def __init__(self, engine: Engine, stale_after: dt.timedelta = dt.timedelta(minutes=10)):
        self.engine = engine
        self.stale_after = stale_after

    @classmethod
    def from_url(cls, url: str, stale_after_s: int = 600) -> Store:
        """Open (and create if needed) the database at `url`."""
        return cls(make_engine(url), dt.timedelta(seconds=stale_after_s))

    def _stale(self, updated_at: dt.datetime) -> bool:
        return utcnow() - _aware(updated_at) > self.stale_after

    # -- events -----------------------------------------------------------------------------
    def claim_event(self, event_id: str) -> bool:
        """True the first time `event_id` is seen; False for Slack's retries and duplicates."""
        won = _insert_won(
            self.engine.begin, insert(processed_events).values(event_id=event_id, received_at=utcnow())
        )
        if won is not None:
            with self.engine.begin() as conn:
                conn.execute(
                    delete(processed_events).where(
                        processed_events.c.received_at < utcnow() - EVENT_RETENTION
                    )
                )
        return won is not None

    # -- extractions ------------------------------------------------------------------------
    def claim_extraction(
        self,
        source_key: str,
        *,
        kind: str,
        channel_id: str,
        thread_ts: str | None,
        user: str | None,
        title: str,
        meeting_date: dt.date | None = None,
    ) -> Claim:
        """Claim the right to run the extraction for `source_key` (a failed or stale one is taken over)."""
        now = utcnow()
        new_id = _insert_won(
            self.engine.begin,
            insert(extractions).values(
                source_key=source_key,
                kind=kind,
                channel_id=channel_id,
                thread_ts=thread_ts,
                requested_by=user,
                title=title[:255],
                meeting_date=meeting_date,
                status="pending",
                attempt=1,
                created_at=now,
                updated_at=now,
            ),
        )
        if new_id is not None:
            return Claim(True, "pending", new_id)
        with self.engine.begin() as conn:
            row = conn.execute(select(extractions).where(extractions.c.source_key == source_key)).one()
            if row.status == "failed" or (row.status == "pending" and self._stale(row.updated_at)):
                # A transient failure (busy, Slack or model error) or a worker that died: run it again.
                taken = conn.execute(
                    update(extractions)
                    .where(and_(extractions.c.id == row.id, extractions.c.attempt == row.attempt))
                    .values(
                        status="pending",
                        attempt=row.attempt + 1,
                        requested_by=user,
                        error=None,
                        updated_at=now,
                    )
                ).rowcount
                if taken == 1:
                    previous = conn.execute(
                        select(result_messages.c.channel_id, result_messages.c.ts).where(
                            and_(result_messages.c.extraction_id == row.id, result_messages.c.part == 0)
                        )
                    ).one_or_none()
                    conn.execute(delete(result_messages).where(result_messages.c.extraction_id == row.id))
                    conn.execute(delete(items).where(items.c.extraction_id == row.id))
                    return Claim(
                        True,
                        "pending",
                        row.id,
                        row.attempt + 1,
                        tuple(previous) if previous is not None else None,
                    )
            return Claim(False, row.status, row.id)

    def get_extraction(self, extraction_id: int) -> ExtractionRecord | None:
        """The extraction with this id, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(extractions).where(extractions.c.id == extraction_id)).one_or_none()
        if row is None:
            return None
        m = row._mapping
        return ExtractionRecord(**{k: m[k] for k in ExtractionRecord.__dataclass_fields__})

    def _mine(self, extraction_id: int, attempt: int | None):
        # attempt None: unconditional (the claim's owner before any worker ran).
        cond = extractions.c.id == extraction_id
        if attempt is not None:
            cond = and_(cond, extractions.c.status == "pending", extractions.c.attempt == attempt)
        return cond

    def finish_extraction(
        self,
        extraction_id: int,
        *,
        status: str,
        model: str | None = None,
        error: str | None = None,
        attempt: int | None = None,
    ) -> bool:
        """Mark an extraction done, rejected or failed; with `attempt`, only if that attempt still owns it."""
        with self.engine.begin() as conn:
            return (
                conn.execute(
                    update(extractions)
                    .where(self._mine(extraction_id, attempt))
                    .values(status=status, model=model, error=error, updated_at=utcnow())
                ).rowcount
                == 1
            )

    def touch_extraction(self, extraction_id: int, attempt: int) -> bool:
        """Renew a running attempt's claim (so it isn't taken for stale); False if it was lost."""
        with self.engine.begin() as conn:
            return (
                conn.execute(
                    update(extractions).where(self._mine(extraction_id, attempt)).values(updated_at=utcnow())
                ).rowcount
                == 1
            )

    def complete_extraction(
        self, extraction_id: int, attempt: int, found: list[tuple[ActionItem, str | None, int]], model: str
    ) -> bool:
        """Store the items and mark the extraction done in one transaction, if `attempt` still owns it."""
        with self.engine.begin() as conn:
            done = conn.execute(
                update(extractions)
                .where(self._mine(extraction_id, attempt))
                .values(status="done", model=model, error=None, updated_at=utcnow())
            ).rowcount
            if done != 1:
                return False
            if found:
                conn.execute(insert(items), self._item_rows(extraction_id, found))
            return True

    def stale_pending(self) -> list[tuple[int, int, str, str]]:
        """(id, attempt, channel, placeholder ts) of pending extractions nobody renewed in time."""
        cutoff = utcnow() - self.stale_after
        query = (
            select(
                extractions.c.id, extractions.c.attempt, result_messages.c.channel_id, result_messages.c.ts
            )
            .select_from(
                extractions.join(
                    result_messages,
                    and_(result_messages.c.extraction_id == extractions.c.id, result_messages.c.part == 0),
                )
            )
            .where(and_(extractions.c.status == "pending", extractions.c.updated_at < cutoff))
        )
        with self.engine.connect() as conn:
            return [(r.id, r.attempt, r.channel_id, r.ts) for r in conn.execute(query)]

    def set_message(self, extraction_id: int, part: int, channel_id: str, ts: str) -> None:
        """Record the Slack message that shows `part` of an extraction's results."""
        with self.engine.begin() as conn:
            conn.execute(
                delete(result_messages).where(
                    and_(result_messages.c.extraction_id == extraction_id, result_messages.c.part == part)
                )
            )
            conn.execute(
                insert(result_messages).values(
                    extraction_id=extraction_id, part=part, channel_id=channel_id, ts=ts
                )
            )

    def messages(self, extraction_id: int) -> dict[int, tuple[str, str]]:
        """part -> (channel, ts) of an extraction's result messages."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(result_messages).where(result_messages.c.extraction_id == extraction_id)
            )
            return {r.part: (r.channel_id, r.ts) for r in rows}

    # -- items ------------------------------------------------------------------------------
    @staticmethod
    def _item_rows(extraction_id: int, found: list[tuple[ActionItem, str | None, int]]) -> list[dict]:
        now = utcnow()
        return [
            {
                "extraction_id": extraction_id,
                "position": n,
                "part": part,
                "owner": it.owner,
                "owner_user_id": uid,
                "task": it.task,
                "deadline": it.deadline,
                "deadline_date": it.deadline_date,
                "priority": it.priority,
                "evidence": json.dumps(it.evidence.model_dump()) if it.evidence else None,
                "status": "open",
                "updated_at": now,
            }
            for n, (it, uid, part) in enumerate(found)
        ]

    def save_items(self, extraction_id: int, found: list[tuple[ActionItem, str | None, int]]) -> None:
        """Store (item, owner user id, part) triples in order."""
        if found:
            with self.engine.begin() as conn:
                conn.execute(insert(items), self._item_rows(extraction_id, found))

    def _item_query(self):
        return select(
            items,
            tickets.c.status.label("ticket_status"),
            tickets.c.issue_key,
            tickets.c.issue_url,
            tickets.c.requested_by.label("ticket_by"),
        ).select_from(items.outerjoin(tickets, tickets.c.item_id == items.c.id))

    @staticmethod
    def _to_item(row) -> ItemRecord:
        evidence = Evidence(**json.loads(row.evidence)) if row.evidence else None
        item = ActionItem(
            owner=row.owner,
            task=row.task,
            deadline=row.deadline,
            deadline_date=row.deadline_date,
            priority=row.priority,
            evidence=evidence,
        )
        return ItemRecord(
            id=row.id,
            extraction_id=row.extraction_id,
            position=row.position,
            part=row.part,
            item=item,
            owner_user_id=row.owner_user_id,
            status=row.status,
            status_by=row.status_by,
            ticket_status=row.ticket_status,
            issue_key=row.issue_key,
            issue_url=row.issue_url,
            ticket_by=row.ticket_by,
        )

    def items(self, extraction_id: int) -> list[ItemRecord]:
        """All items of an extraction in order."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                self._item_query().where(items.c.extraction_id == extraction_id).order_by(items.c.position)
            )
            return [self._to_item(r) for r in rows]

    def get_item(self, item_id: int) -> ItemRecord | None:
        """One item, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(self._item_query().where(items.c.id == item_id)).one_or_none()
        return self._to_item(row) if row is not None else None

    def _no_live_ticket(self, item_id: int):
        return ~exists().where(
            and_(tickets.c.item_id == item_id, tickets.c.status.in_(["creating", "created"]))
        )

    def dismiss_item(self, item_id: int, user: str) -> bool:
        """Dismiss an open item that has no ticket; False if it can't be dismissed."""
        with self.engine.begin() as conn:
            return (
                conn.execute(
                    update(items)
                    .where(
                        and_(items.c.id == item_id, items.c.status == "open", self._no_live_ticket(item_id))
                    )
                    .values(status="dismissed", status_by=user, updated_at=utcnow())
                ).rowcount
                == 1
            )

    def edit_item(
        self,
        item_id: int,
        *,
        task: str,
        owner_user_id: str | None,
        owner: str | None,
        deadline_date: dt.date | None,
        priority: str | None,
    ) -> bool:
        """Apply an edit to an open item that has no ticket yet; False if it is too late."""
        with self.engine.begin() as conn:
            return (
                conn.execute(
                    update(items)
                    .where(
                        and_(items.c.id == item_id, items.c.status == "open", self._no_live_ticket(item_id))
                    )
                    .values(
                        task=task,
                        owner_user_id=owner_user_id,
                        owner=owner,
                        deadline_date=deadline_date,
                        deadline=deadline_date.isoformat() if deadline_date else None,
                        priority=priority,
                        updated_at=utcnow(),
                    )
                ).rowcount
                == 1
            )

    # -- tickets ----------------------------------------------------------------------------
    def claim_ticket(self, item_id: int, user: str | None) -> Claim:
        """Claim the creation of `item_id`'s ticket. state: claimed, created, creating or dismissed."""
        now = utcnow()
        ticket_id = _insert_won(
            self.engine.begin,
            insert(tickets).values(
                item_id=item_id,
                status="creating",
                attempt=1,
                requested_by=user,
                created_at=now,
                updated_at=now,
            ),
        )
        if ticket_id is not None:
            item = self.get_item(item_id)
            if item is not None and item.status == "open":
                return Claim(True, "claimed", ticket_id)
            # Dismissed between the click and the claim: give the claim back.
            with self.engine.begin() as conn:
                conn.execute(delete(tickets).where(tickets.c.id == ticket_id))
            return Claim(False, "dismissed", ticket_id)
        with self.engine.begin() as conn:
            row = conn.execute(select(tickets).where(tickets.c.item_id == item_id)).one()
            if row.status == "failed" or (row.status == "creating" and self._stale(row.updated_at)):
                taken = conn.execute(
                    update(tickets)
                    .where(and_(tickets.c.id == row.id, tickets.c.attempt == row.attempt))
                    .values(
                        status="creating",
                        attempt=row.attempt + 1,
                        requested_by=user,
                        error=None,
                        updated_at=now,
                    )
                ).rowcount
                if taken == 1:
                    return Claim(True, "claimed", row.id)
            return Claim(False, row.status, row.id)

    def ticket_created(self, item_id: int, *, key: str, url: str, issue_id: str | None) -> None:
        """Record the issue created for `item_id`."""
        with self.engine.begin() as conn:
            conn.execute(
                update(tickets)
                .where(tickets.c.item_id == item_id)
                .values(
                    status="created",
                    issue_key=key,
                    issue_url=url,
                    issue_id=issue_id,
                    error=None,
                    updated_at=utcnow(),
                )
            )

    def ticket_failed(self, item_id: int, error: str) -> None:
        """Record a failed attempt; the item stays open and may be retried."""
        with self.engine.begin() as conn:
            conn.execute(
                update(tickets)
                .where(tickets.c.item_id == item_id)
                .values(status="failed", error=error, updated_at=utcnow())
            )

    # -- tracker idempotency (integrations.tracker.IdempotencyStore) --------------------------
    def tracker_key_get(self, key: str) -> tuple[str, str, str] | None:
        """(issue key, url, id) recorded for an idempotency key, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(tracker_keys).where(tracker_keys.c.key == key)).one_or_none()
        return (row.issue_key, row.issue_url, row.issue_id) if row is not None else None

    def tracker_key_put(self, key: str, issue_key: str, url: str, issue_id: str) -> None:
        """Record an idempotency key's issue; the first record wins."""
        _insert_won(
            self.engine.begin,
            insert(tracker_keys).values(
                key=key, issue_key=issue_key, issue_url=url, issue_id=issue_id, created_at=utcnow()
            ),
        )
