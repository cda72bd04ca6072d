"""The bot's side of the tracker boundary: a stored item in, one issue out, exactly once.

The tracker itself (Jira) lives in integrations/; this module only adapts our records to its
TrackerItem/TrackerContext and keeps the per-item claim in our database."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from bot.records import ExtractionRecord, ItemRecord
from bot.store import Store
from integrations.errors import IntegrationError
from integrations.tracker import IssueRef, TrackerContext, TrackerItem, idempotency_key

logger = logging.getLogger(__name__)


class IssueTracker(Protocol):
    """The part of integrations.tracker.Tracker the bot calls."""

    def create_issue(
        self, item: TrackerItem, ctx: TrackerContext, idempotency_key: str | None = None
    ) -> IssueRef:
        """Create the issue for `item`, or return the one this key already produced."""
        ...


class StoreKeys:
    """integrations.tracker.IdempotencyStore backed by the bot's database."""

    def __init__(self, store: Store):
        self.store = store

    def get(self, key: str) -> IssueRef | None:
        """The issue recorded for `key`."""
        found = self.store.tracker_key_get(key)
        return IssueRef(*found) if found else None

    def put(self, key: str, ref: IssueRef) -> None:
        """Record `ref` for `key` (first record wins)."""
        self.store.tracker_key_put(key, ref.key, ref.url, ref.id)


@dataclass(frozen=True)
class TicketOutcome:
    """What happened to a create request. state: created, exists, busy, dismissed, failed, missing."""

    state: str
    row: ItemRecord | None = None
    issue_key: str | None = None
    error: str | None = None


def tracker_item(row: ItemRecord, owner_email: str | None) -> TrackerItem:
    """The tracker's view of a stored item (edited values included)."""
    return TrackerItem.from_action_item(row.item, owner_email=owner_email, owner_slack_id=row.owner_user_id)


def tracker_context(extraction: ExtractionRecord, row: ItemRecord, permalink: str | None) -> TrackerContext:
    """Where the item came from; its ids make the idempotency key."""
    return TrackerContext(
        extraction_id=str(extraction.id),
        item_id=str(row.id),
        slack_permalink=permalink,
        channel_id=extraction.channel_id,
        meeting_date=extraction.meeting_date,
    )


def create_ticket(
    store: Store,
    tracker: IssueTracker,
    item_id: int,
    user: str | None,
    *,
    owner_email: str | None = None,
    permalink: str | None = None,
    on_claimed=None,
) -> TicketOutcome:
    """Claim the item's ticket, call the tracker once, record the result.

    `on_claimed()` runs after a winning claim and before the tracker call (to show "Creating…")."""
    row = store.get_item(item_id)
    extraction = store.get_extraction(row.extraction_id) if row else None
    if row is None or extraction is None:
        return TicketOutcome("missing")
    claim = store.claim_ticket(item_id, user)
    if not claim.won:
        fresh = store.get_item(item_id)
        state = {"created": "exists", "creating": "busy"}.get(claim.state, claim.state)
        return TicketOutcome(state, fresh, issue_key=fresh.issue_key if fresh else None)
    if on_claimed is not None:
        on_claimed()
    ctx = tracker_context(extraction, row, permalink)
    try:
        ref = tracker.create_issue(tracker_item(row, owner_email), ctx, idempotency_key=idempotency_key(ctx))
    except IntegrationError as exc:
        logger.warning("ticket for item %d failed: %s", item_id, exc)
        store.ticket_failed(item_id, str(exc))
        return TicketOutcome("failed", store.get_item(item_id), error=str(exc))
    except Exception:
        # A bug in the tracker code must not leave the claim stuck in "creating".
        logger.exception("ticket for item %d failed unexpectedly", item_id)
        store.ticket_failed(item_id, "unexpected error")
        return TicketOutcome(
            "failed", store.get_item(item_id), error="an unexpected error; see the bot's log"
        )
    store.ticket_created(item_id, key=ref.key, url=ref.url, issue_id=ref.id)
    logger.info("item %d -> %s", item_id, ref.key)
    return TicketOutcome("created", store.get_item(item_id), issue_key=ref.key)
