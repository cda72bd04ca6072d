"""Action items as JSON (what `actionbot extract` writes) <-> TrackerItem/TrackerContext, for the CLI and
the outbox. Duck-typed on the JSON: integrations imports nothing from extractor."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from integrations.errors import ItemFormatError
from integrations.tracker import TrackerContext, TrackerItem


@dataclass(frozen=True)
class Entry:
    """One item to file, with the context that makes its idempotency key."""

    item: TrackerItem
    ctx: TrackerContext


def _date(value: Any, where: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ItemFormatError(f"{where}: {value!r} is not a date; write YYYY-MM-DD") from None


def _text(raw: dict[str, Any], name: str, where: str) -> str | None:
    value = raw.get(name)
    if value is None or isinstance(value, str):
        return value.strip() or None if value else None
    raise ItemFormatError(f"{where}.{name}: must be a string or null, not {type(value).__name__}")


def item_from_json(raw: Any, where: str = "item") -> TrackerItem:
    """An ActionItem-shaped dict (owner, task, deadline, deadline_date, priority, evidence.quote) plus
    the optional owner_email and owner_slack_id -> TrackerItem."""
    if not isinstance(raw, dict):
        raise ItemFormatError(
            f'{where}: must be a JSON object with at least a task, e.g. {{"task": "Ship it"}}'
        )
    evidence = raw.get("evidence")
    if evidence is not None and not isinstance(evidence, dict):
        raise ItemFormatError(f"{where}.evidence: must be an object with a quote, or null")
    priority = _text(raw, "priority", where)
    try:
        return TrackerItem(
            task=_text(raw, "task", where) or "",
            owner_name=_text(raw, "owner", where),
            owner_email=_text(raw, "owner_email", where),
            owner_slack_id=_text(raw, "owner_slack_id", where),
            deadline_phrase=_text(raw, "deadline", where),
            deadline_date=_date(raw.get("deadline_date"), f"{where}.deadline_date"),
            priority=priority.lower() if priority else None,
            evidence_quote=_text(evidence or {}, "quote", f"{where}.evidence"),
        )
    except ValueError as exc:
        if isinstance(exc, ItemFormatError):
            raise
        raise ItemFormatError(f"{where}.{exc}") from None


def item_to_json(item: TrackerItem) -> dict[str, Any]:
    """The inverse of item_from_json (what the outbox stores)."""
    return {
        "task": item.task,
        "owner": item.owner_name,
        "owner_email": item.owner_email,
        "owner_slack_id": item.owner_slack_id,
        "deadline": item.deadline_phrase,
        "deadline_date": item.deadline_date.isoformat() if item.deadline_date else None,
        "priority": item.priority,
        "evidence": {"quote": item.evidence_quote} if item.evidence_quote else None,
    }


def ctx_to_json(ctx: TrackerContext) -> dict[str, Any]:
    """A context as plain JSON (dates as YYYY-MM-DD)."""
    return {
        "extraction_id": ctx.extraction_id,
        "item_id": ctx.item_id,
        "slack_permalink": ctx.slack_permalink,
        "channel_id": ctx.channel_id,
        "channel_name": ctx.channel_name,
        "meeting_date": ctx.meeting_date.isoformat() if ctx.meeting_date else None,
    }


def ctx_from_json(raw: dict[str, Any]) -> TrackerContext:
    """The inverse of ctx_to_json."""
    return TrackerContext(**{**raw, "meeting_date": _date(raw.get("meeting_date"), "meeting_date")})


def content_id(payload: Any) -> str:
    """A stable id for JSON content: the same file filed twice makes the same idempotency keys."""
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "cli-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def entries_from_json(
    doc: Any,
    *,
    extraction_id: str | None = None,
    channel_id: str | None = None,
    permalink: str | None = None,
    meeting_date: dt.date | None = None,
) -> list[Entry]:
    """Items from an extraction ({"action_items": [...], "meeting_date": ...}), a list, or one item.

    Item ids are positions in the list; the extraction id defaults to a hash of the items, so filing
    the same file again finds the issues it made instead of duplicating them."""
    if isinstance(doc, dict) and "action_items" in doc:
        raw_items, file_date = doc["action_items"], doc.get("meeting_date")
    elif isinstance(doc, dict):
        raw_items, file_date = [doc], None
    else:
        raw_items, file_date = doc, None
    if not isinstance(raw_items, list):
        raise ItemFormatError("action_items: must be a list of items")
    date = meeting_date or _date(file_date, "meeting_date")
    items = [item_from_json(raw, f"action_items[{i}]") for i, raw in enumerate(raw_items)]
    ext = extraction_id or content_id(
        {"items": raw_items, "meeting_date": date.isoformat() if date else None}
    )
    return [
        Entry(
            item,
            TrackerContext(
                extraction_id=ext,
                item_id=str(i),
                slack_permalink=permalink,
                channel_id=channel_id,
                meeting_date=date,
            ),
        )
        for i, item in enumerate(items)
    ]
