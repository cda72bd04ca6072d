"""ItemStore: action items, their tickets and the tracker's idempotency keys (the half of the
bot's Store that buttons use). Store in bot/store.py adds extractions, messages and events."""

from __future__ import annotations

import datetime as dt
import json
import logging

from sqlalchemy import Engine, and_, delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.db import items, tickets, tracker_keys, utcnow
from bot.records import Claim, ItemRecord
from extractor.schema import ActionItem, Evidence

logger = logging.getLogger(__name__)


def aware(value: dt.datetime) -> dt.datetime:
    """`value` with UTC attached when the database dropped it (SQLite does; we only store UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def insert_won(conn_factory, stmt) -> int | None:
    """The new row's id, or None when a unique constraint says someone else got there first."""
    try:
        with conn_factory() as conn:
            return conn.execute(stmt).inserted_primary_key[0]
    except IntegrityError:
        return None


class ItemStore:
    """Items and tickets; safe to share between threads."""

    def __init__(self, engine: Engine, stale_after: dt.timedelta = dt.timedelta(minutes=10)):
        self.engine = engine
        self.stale_after = stale_after

    def _stale(self, updated_at: dt.datetime) -> bool:
        return utcnow() - aware(updated_at) > self.stale_after

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
        ticket_id = insert_won(
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
        insert_won(
            self.engine.begin,
            insert(tracker_keys).values(
                key=key, issue_key=issue_key, issue_url=url, issue_id=issue_id, created_at=utcnow()
            ),
        )
