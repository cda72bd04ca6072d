"""Plain records the store returns and the renderers read; no database types leak out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from extractor.schema import ActionItem


@dataclass(frozen=True)
class ExtractionRecord:
    """One stored extraction request."""

    id: int
    source_key: str
    kind: str
    channel_id: str
    thread_ts: str | None
    requested_by: str | None
    title: str
    meeting_date: dt.date | None
    status: str
    attempt: int
    model: str | None
    error: str | None
    updated_at: dt.datetime


@dataclass(frozen=True)
class ItemRecord:
    """One stored action item with its ticket state."""

    id: int
    extraction_id: int
    position: int
    part: int
    item: ActionItem
    owner_user_id: str | None
    status: str
    status_by: str | None
    ticket_status: str | None = None
    issue_key: str | None = None
    issue_url: str | None = None
    ticket_by: str | None = None


@dataclass(frozen=True)
class Claim:
    """The outcome of a claim: won is True when the caller must now do the work."""

    won: bool
    state: str
    record_id: int
    attempt: int = 1  # the winner's attempt number; later writes check it (compare-and-set)
    previous_message: tuple[str, str] | None = None  # (channel, ts) an earlier attempt posted, on a takeover
