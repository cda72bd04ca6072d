"""The tracker boundary: plain values in (item + context), an IssueRef out. No Slack types here."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

PRIORITIES = ("high", "medium", "low")
# Every issue we create carries `actionbot-<hash of the idempotency key>`; JQL on that label
# finds an issue whose creation we could not record (crash, timeout, lost store).
IDEMPOTENCY_LABEL_PREFIX = "actionbot-"


@dataclass(frozen=True)
class TrackerItem:
    """One action item as a tracker sees it."""

    task: str
    owner_name: str | None = None
    owner_email: str | None = None
    owner_slack_id: str | None = None
    deadline_phrase: str | None = None
    deadline_date: dt.date | None = None
    priority: str | None = None
    evidence_quote: str | None = None

    def __post_init__(self) -> None:
        if not self.task or not self.task.strip():
            raise ValueError("task: must not be blank; pass the action item's task text")
        if self.priority is not None and self.priority not in PRIORITIES:
            raise ValueError(f"priority: {self.priority!r} is not one of {', '.join(PRIORITIES)} (or None)")

    @classmethod
    def from_action_item(
        cls, item: Any, *, owner_email: str | None = None, owner_slack_id: str | None = None
    ) -> TrackerItem:
        """Build from anything shaped like extractor's ActionItem (duck-typed: no import of extractor)."""
        evidence = getattr(item, "evidence", None)
        return cls(
            task=item.task,
            owner_name=item.owner,
            owner_email=owner_email,
            owner_slack_id=owner_slack_id,
            deadline_phrase=item.deadline,
            deadline_date=item.deadline_date,
            priority=item.priority,
            evidence_quote=getattr(evidence, "quote", None) or None,
        )


@dataclass(frozen=True)
class TrackerContext:
    """Where an item came from: the Slack thread and the extraction that produced it."""

    extraction_id: str
    item_id: str
    slack_permalink: str | None = None
    channel_id: str | None = None
    channel_name: str | None = None
    meeting_date: dt.date | None = None

    def __post_init__(self) -> None:
        for name in ("extraction_id", "item_id"):
            if not str(getattr(self, name)).strip():
                raise ValueError(f"{name}: must not be blank; it makes the idempotency key")


@dataclass(frozen=True)
class IssueRef:
    """A created issue: its key (OPS-12), browse URL and numeric id."""

    key: str
    url: str
    id: str


@dataclass(frozen=True)
class TrackerUser:
    """A tracker account an item can be assigned to (Cloud: account_id; Data Center: name)."""

    account_id: str | None = None
    name: str | None = None
    display_name: str | None = None
    email: str | None = None

    @property
    def identifier(self) -> str:
        """The id the assignee field takes on this deployment."""
        ident = self.account_id or self.name
        if not ident:
            raise ValueError("TrackerUser needs account_id (Cloud) or name (Data Center)")
        return ident


@dataclass(frozen=True)
class Check:
    """One line of a health report; status is ok, warn or fail."""

    name: str
    status: str
    detail: str
    fix: str = ""


@dataclass
class HealthReport:
    """What `check()` found, plus the payload it would send for a sample item."""

    deployment: str | None = None
    checks: list[Check] = field(default_factory=list)
    sample_fields: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no check failed (warnings allowed)."""
        return all(c.status != "fail" for c in self.checks)

    def add(self, name: str, status: str, detail: str, fix: str = "") -> None:
        """Append one check result."""
        self.checks.append(Check(name, status, detail, fix))


@runtime_checkable
class IdempotencyStore(Protocol):
    """Remembers which issue an idempotency key produced (the bot passes its SQL store)."""

    def get(self, key: str) -> IssueRef | None:
        """The issue recorded for `key`, or None when none is recorded."""
        ...

    def put(self, key: str, ref: IssueRef) -> None:
        """Record that `key` produced `ref` (the first record wins)."""
        ...


@runtime_checkable
class Tracker(Protocol):
    """An issue tracker that action items can be filed in, exactly once per idempotency key."""

    def create_issue(
        self, item: TrackerItem, ctx: TrackerContext, idempotency_key: str | None = None
    ) -> IssueRef:
        """Create the issue for `item` or return the one this key already produced."""
        ...

    def find_user(self, query: str) -> TrackerUser | None:
        """The one account whose email (or display name) equals `query` exactly, else None."""
        ...

    def check(self) -> HealthReport:
        """Verify credentials, project, issue type and field settings without creating anything."""
        ...


def idempotency_key(ctx: TrackerContext) -> str:
    """The default key: one issue per (extraction, item)."""
    return f"{ctx.extraction_id}:{ctx.item_id}"


def idempotency_label(key: str) -> str:
    """The Jira label that marks the issue created for `key` (labels allow no spaces)."""
    return IDEMPOTENCY_LABEL_PREFIX + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
