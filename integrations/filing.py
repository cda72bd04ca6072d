"""File a batch of items through a Tracker: each once, failures kept in the outbox, nothing lost."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from integrations.errors import FieldError, IntegrationError
from integrations.items import Entry
from integrations.outbox import SQLiteOutbox
from integrations.tracker import IssueRef, Tracker, idempotency_key

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What happened to one entry: filed (ref set) or kept (error set)."""

    entry: Entry
    ref: IssueRef | None = None
    error: str | None = None

    @property
    def key(self) -> str:
        """The entry's idempotency key."""
        return idempotency_key(self.entry.ctx)


def file_entries(tracker: Tracker, entries: list[Entry], outbox: SQLiteOutbox | None) -> list[Outcome]:
    """Create (or find) the issue of each entry; keep failed ones in `outbox`.

    A failure that is about this item (400 field errors) moves on to the next item; any other failure
    (credentials, Jira down, rate limit) would fail the rest the same way, so the rest are kept untried."""
    outcomes: list[Outcome] = []
    stop: IntegrationError | None = None
    for entry in entries:
        key = idempotency_key(entry.ctx)
        if stop is not None:
            error = f"not tried: {stop}"
        else:
            try:
                ref = tracker.create_issue(entry.item, entry.ctx, idempotency_key=key)
            except IntegrationError as exc:
                error = str(exc)
                if not isinstance(exc, FieldError):
                    stop = exc
            else:
                if outbox is not None:
                    outbox.forget(key)
                outcomes.append(Outcome(entry, ref=ref))
                continue
        logger.warning("item %s kept for a retry: %s", key, error)
        if outbox is not None:
            outbox.keep(entry, error)
        outcomes.append(Outcome(entry, error=error))
    return outcomes
