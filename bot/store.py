"""Store: extractions, their Slack messages and processed events, with claim-then-do helpers
(items and tickets are in bot/item_store.py).

Every "do it once" decision is an INSERT against a unique constraint (or a compare-and-set
UPDATE on `attempt`), so two threads or two processes can never both win."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import and_, delete, insert, select, update

from bot.db import (
    extractions,
    items,
    make_engine,
    processed_events,
    result_messages,
    utcnow,
)
from bot.item_store import ItemStore, insert_won
from bot.records import Claim, ExtractionRecord
from extractor.schema import ActionItem

logger = logging.getLogger(__name__)

EVENT_RETENTION = dt.timedelta(days=2)


class Store(ItemStore):
    """Persistence for the bot (extractions, their messages, events; items via ItemStore)."""

    @classmethod
    def from_url(cls, url: str, stale_after_s: int = 600) -> Store:
        """Open (and create if needed) the database at `url`."""
        return cls(make_engine(url), dt.timedelta(seconds=stale_after_s))

    # -- events -----------------------------------------------------------------------------
    def claim_event(self, event_id: str) -> bool:
        """True the first time `event_id` is seen; False for Slack's retries and duplicates."""
        won = insert_won(
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
        new_id = insert_won(
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
