"""The one action-item schema: what the model writes, what we return, and the JSON Schema
that constrains decoding. Training renders its targets with `render_target`, inference
parses with `parse_items`, so the two cannot drift."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from extractor.errors import ModelOutputError

logger = logging.getLogger(__name__)

# Bump when the prompt text, the target JSON layout or the field order changes; adapters
# record it in format.json and are refused at load time when it differs.
PROMPT_FORMAT_VERSION = "1"

Priority = Literal["high", "medium", "low"]

MAX_TASK_CHARS = 120
MAX_OWNER_CHARS = 40
MAX_DEADLINE_CHARS = 48
MAX_ITEMS_PER_CHUNK = 16


class ModelItem(BaseModel):
    """One item exactly as the model writes it (field order is the generation order)."""

    model_config = ConfigDict(extra="forbid")

    turn: int = Field(ge=0, description="index of the supporting turn, as numbered in the prompt")
    owner: str | None = Field(default=None, max_length=MAX_OWNER_CHARS)
    task: str = Field(min_length=1, max_length=MAX_TASK_CHARS)
    deadline: str | None = Field(default=None, max_length=MAX_DEADLINE_CHARS)
    priority: Priority | None = None

    @field_validator("owner", "deadline")
    @classmethod
    def _blank_is_none(cls, v: str | None) -> str | None:
        return v.strip() or None if isinstance(v, str) else v

    @field_validator("task")
    @classmethod
    def _task_not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("task: must not be blank; write the task as a short imperative")
        return v.strip()


class Evidence(BaseModel):
    """The transcript turn that supports an item."""

    turn: int
    time: str | None = None
    speaker: str | None = None
    quote: str = ""


class ActionItem(BaseModel):
    """A validated action item as the product returns it."""

    owner: str | None = None
    task: str
    deadline: str | None = None
    deadline_date: dt.date | None = None
    priority: Priority | None = None
    evidence: Evidence | None = None

    def to_json(self) -> dict[str, Any]:
        """A plain JSON-ready dict (dates as YYYY-MM-DD)."""
        return self.model_dump(mode="json")


def render_target(items: list[ModelItem]) -> str:
    """Serialise model items exactly as the model is trained to write them."""
    payload = {"action_items": [it.model_dump(mode="json") for it in items]}
    return json.dumps(payload, ensure_ascii=False)


def parse_items(text: str) -> list[ModelItem]:
    """Parse model output into items; raise ModelOutputError if it is not valid JSON of our shape."""
    try:
        obj = json.loads(text)
    except (TypeError, ValueError) as exc:
        logger.debug("unparseable model output: %r", text)
        raise ModelOutputError(f"model output is not JSON: {exc}", raw=text) from exc
    if not isinstance(obj, dict) or not isinstance(obj.get("action_items"), list):
        raise ModelOutputError('model output lacks an "action_items" list', raw=text)
    try:
        return [ModelItem.model_validate(it) for it in obj["action_items"]]
    except ValidationError as exc:
        logger.debug("model output fails the schema: %r", text)
        raise ModelOutputError(f"model output fails the schema: {exc.errors()[0]['msg']}", raw=text) from exc


_ITEM_END = re.compile(r"\}\s*(?=,|\])")


def salvage_items(text: str) -> list[ModelItem]:
    """Recover the complete items from output that was cut off (e.g. at max_new_tokens)."""
    try:
        return parse_items(text)
    except ModelOutputError:
        pass
    for m in reversed(list(_ITEM_END.finditer(text))):
        try:
            return parse_items(text[: m.end()] + "]}")
        except ModelOutputError:
            continue
    return []


def output_json_schema(max_turn: int | None = None, max_items: int = MAX_ITEMS_PER_CHUNK) -> dict[str, Any]:
    """JSON Schema for constrained decoding; every string and the list are bounded so generation
    always closes the JSON before any sane token budget runs out."""
    turn: dict[str, Any] = {"type": "integer", "minimum": 0}
    if max_turn is not None:
        turn["maximum"] = max_turn

    def nullable_str(max_len: int) -> dict[str, Any]:
        return {"anyOf": [{"type": "string", "minLength": 1, "maxLength": max_len}, {"type": "null"}]}

    item = {
        "type": "object",
        "properties": {
            "turn": turn,
            "owner": nullable_str(MAX_OWNER_CHARS),
            "task": {"type": "string", "minLength": 3, "maxLength": MAX_TASK_CHARS},
            "deadline": nullable_str(MAX_DEADLINE_CHARS),
            "priority": {"enum": ["high", "medium", "low", None]},
        },
        "required": ["turn", "owner", "task", "deadline", "priority"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"action_items": {"type": "array", "items": item, "maxItems": max_items}},
        "required": ["action_items"],
        "additionalProperties": False,
    }
