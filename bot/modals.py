"""The Edit modal: build it from a stored item and read the submitted values back (pure)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from bot import ids
from bot.blocks import MAX_QUOTE_CHARS, Block, clip, escape, mrkdwn, plain
from bot.records import ItemRecord

MAX_TASK_INPUT = 255
PRIORITIES = ("high", "medium", "low")


@dataclass(frozen=True)
class EditValues:
    """What the user submitted in the Edit modal."""

    item_id: int
    task: str
    owner_user_id: str | None
    deadline_date: dt.date | None
    priority: str | None


def _option(value: str) -> dict[str, Any]:
    return {"text": plain(value.capitalize(), 75), "value": value}


def edit_modal(row: ItemRecord) -> dict[str, Any]:
    """A modal with user picker, task, date picker and priority; submit creates the issue.

    https://api.slack.com/reference/surfaces/views
    """
    owner: Block = {
        "type": "users_select",
        "action_id": ids.EDIT_OWNER,
        "placeholder": plain("Pick an owner", 150),
    }
    if row.owner_user_id:
        owner["initial_user"] = row.owner_user_id
    task: Block = {
        "type": "plain_text_input",
        "action_id": ids.EDIT_TASK,
        "max_length": MAX_TASK_INPUT,
        "initial_value": clip(row.item.task, MAX_TASK_INPUT),
    }
    due: Block = {"type": "datepicker", "action_id": ids.EDIT_DUE}
    if row.item.deadline_date:
        due["initial_date"] = row.item.deadline_date.isoformat()
    priority: Block = {
        "type": "static_select",
        "action_id": ids.EDIT_PRIORITY,
        "options": [_option(p) for p in PRIORITIES],
    }
    if row.item.priority in PRIORITIES:
        priority["initial_option"] = _option(row.item.priority)
    owner_hint = (
        f"The transcript said: {row.item.owner}" if row.item.owner and not row.owner_user_id else None
    )
    blocks: list[Block] = [
        {
            "type": "input",
            "block_id": ids.EDIT_OWNER_BLOCK,
            "optional": True,
            "label": plain("Owner", 2000),
            "element": owner,
            **({"hint": plain(owner_hint, 2000)} if owner_hint else {}),
        },
        {"type": "input", "block_id": ids.EDIT_TASK_BLOCK, "label": plain("Task", 2000), "element": task},
        {
            "type": "input",
            "block_id": ids.EDIT_DUE_BLOCK,
            "optional": True,
            "label": plain("Due date", 2000),
            "element": due,
        },
        {
            "type": "input",
            "block_id": ids.EDIT_PRIORITY_BLOCK,
            "optional": True,
            "label": plain("Priority", 2000),
            "element": priority,
        },
    ]
    ev = row.item.evidence
    if ev and ev.quote:
        blocks.append(
            {"type": "context", "elements": [mrkdwn(f"“{escape(clip(ev.quote, MAX_QUOTE_CHARS))}”")]}
        )
    return {
        "type": "modal",
        "callback_id": ids.EDIT_VIEW,
        "private_metadata": json.dumps({"item": row.id}),
        "title": plain("Edit action item", 24),
        "submit": plain("Create issue", 24),
        "close": plain("Cancel", 24),
        "blocks": blocks,
    }


def read_submission(view: dict[str, Any]) -> EditValues:
    """Parse a view_submission's state; raise ValueError naming the bad block."""
    try:
        item_id = int(json.loads(view.get("private_metadata") or "{}")["item"])
    except (KeyError, TypeError, ValueError):
        raise ValueError("private_metadata: no item id") from None
    values = view.get("state", {}).get("values", {})

    def field(block: str, action: str) -> dict[str, Any]:
        return values.get(block, {}).get(action, {}) or {}

    task = (field(ids.EDIT_TASK_BLOCK, ids.EDIT_TASK).get("value") or "").strip()
    owner = field(ids.EDIT_OWNER_BLOCK, ids.EDIT_OWNER).get("selected_user") or None
    raw_date = field(ids.EDIT_DUE_BLOCK, ids.EDIT_DUE).get("selected_date")
    selected = field(ids.EDIT_PRIORITY_BLOCK, ids.EDIT_PRIORITY).get("selected_option") or {}
    priority = selected.get("value") if selected.get("value") in PRIORITIES else None
    try:
        due = dt.date.fromisoformat(raw_date) if raw_date else None
    except ValueError:
        raise ValueError(f"{ids.EDIT_DUE_BLOCK}: not a date: {raw_date!r}") from None
    return EditValues(item_id=item_id, task=task, owner_user_id=owner, deadline_date=due, priority=priority)


def validation_errors(values: EditValues) -> dict[str, str]:
    """block_id -> message for the modal's inline errors (empty when fine)."""
    errors = {}
    if not values.task:
        errors[ids.EDIT_TASK_BLOCK] = "Write the task, e.g. “Send the budget to finance”."
    return errors
