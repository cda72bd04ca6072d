"""What every button callback reads from a block_actions payload."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Click:
    """The clicked button's id value, who clicked, where."""

    value: int | None
    user: str
    channel: str | None
    ephemeral: bool


def read_click(body: dict) -> Click:
    """Parse the first action of a block_actions body; value is None if it isn't an id."""
    action = (body.get("actions") or [{}])[0]
    try:
        value: int | None = int(action.get("value") or "")
    except ValueError:
        value = None
    return Click(
        value=value,
        user=body["user"]["id"],
        channel=(body.get("channel") or {}).get("id"),
        ephemeral=bool((body.get("container") or {}).get("is_ephemeral")),
    )
