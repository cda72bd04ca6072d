"""Issue trackers for action items. Import the Jira pieces from `integrations.jira` (it pulls in the client)."""

from integrations.errors import IntegrationError
from integrations.tracker import (
    HealthReport,
    IdempotencyStore,
    IssueRef,
    Tracker,
    TrackerContext,
    TrackerItem,
    TrackerUser,
    idempotency_key,
    idempotency_label,
)

__all__ = [
    "HealthReport",
    "IdempotencyStore",
    "IntegrationError",
    "IssueRef",
    "Tracker",
    "TrackerContext",
    "TrackerItem",
    "TrackerUser",
    "idempotency_key",
    "idempotency_label",
]
