"""Pure Block Kit builders: stored action items in, Slack message/modal dicts out.

Every string that came from a transcript or a user goes through `escape`, so a transcript
cannot ping <!channel> or mention anyone; every field is clipped to Slack's documented limits
(https://api.slack.com/reference/block-kit/blocks) and results are split across messages."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot import ids
from bot.records import ItemRecord

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_CONTEXT_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_FALLBACK_TEXT = 3000
# Our own budget for one message's JSON, well under what Slack accepts, with room for a row
# to grow (an issue link, a "dismissed by") after it was first posted.
MAX_MESSAGE_CHARS = 12_000
ROW_GROWTH_CHARS = 400
MAX_ITEMS_PER_MESSAGE = 10
MAX_QUOTE_CHARS = 300

PRIORITY_LABEL = {
    "high": ":red_circle: High",
    "medium": ":large_orange_circle: Medium",
    "low": ":white_circle: Low",
}

Block = dict[str, Any]


@dataclass(frozen=True)
class Message:
    """A chat message: the notification/fallback `text` and the blocks."""

    text: str
    blocks: list[Block]


@dataclass(frozen=True)
class Header:
    """What the top of a results message says about where the items came from."""

    title: str
    requested_by: str | None = None
    model: str | None = None


def escape(text: str) -> str:
    """Escape &, < and > so user text is shown literally (no mentions, links or <!channel>)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def plain(text: str, limit: int) -> dict[str, Any]:
    """A plain_text object clipped to `limit`."""
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def mrkdwn(text: str, limit: int = MAX_SECTION_TEXT) -> dict[str, Any]:
    """A mrkdwn text object clipped to `limit` (callers escape user text first)."""
    return {"type": "mrkdwn", "text": clip(text, limit)}


def button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    """A button whose value is only an id."""
    out: Block = {
        "type": "button",
        "text": plain(text, MAX_BUTTON_TEXT),
        "action_id": action_id,
        "value": clip(value, MAX_BUTTON_VALUE),
    }
    if style:
        out["style"] = style
    return out


def owner_mrkdwn(row: ItemRecord) -> str:
    """A mention when the owner was resolved to a member, the escaped name otherwise."""
    if row.owner_user_id:
        return f"<@{row.owner_user_id}>"
    if row.item.owner:
        return f"{escape(row.item.owner)} _(not matched to a Slack member)_"
    return "_unassigned_"


def due_text(row: ItemRecord) -> str | None:
    """The due date as 'Fri 14 Mar 2025 (“by Friday”)', or None."""
    item = row.item
    if item.deadline_date:
        shown = item.deadline_date.strftime("%a %d %b %Y")
        said = item.deadline
        if said and said != item.deadline_date.isoformat():
            shown += f" (“{escape(said)}”)"
        return shown
    return f"“{escape(item.deadline)}”" if item.deadline else None


def row_blocks(row: ItemRecord, number: int) -> list[Block]:
    """The 2–3 blocks of one item: summary, evidence quote, buttons (while it is open)."""
    task = escape(row.item.task)
    dismissed = row.status == "dismissed"
    title = f"*{number}.* ~{task}~" if dismissed else f"*{number}. {task}*"
    facts = [f"Owner: {owner_mrkdwn(row)}"]
    if due := due_text(row):
        facts.append(f"Due: {due}")
    if row.item.priority:
        facts.append(f"Priority: {PRIORITY_LABEL.get(row.item.priority, escape(row.item.priority))}")
    lines = [title, "  •  ".join(facts)]
    if row.ticket_status == "created" and row.issue_key:
        by = f" by <@{row.ticket_by}>" if row.ticket_by else ""
        lines.append(f":white_check_mark: Created <{row.issue_url}|{escape(row.issue_key)}>{by}")
    elif row.ticket_status == "creating":
        lines.append(":hourglass_flowing_sand: Creating the Jira issue…")
    elif dismissed:
        by = f" by <@{row.status_by}>" if row.status_by else ""
        lines.append(f"_Dismissed{by}_")
    prefix = f"{ids.ITEM_BLOCK_PREFIX}{row.id}"
    out: list[Block] = [{"type": "section", "block_id": prefix, "text": mrkdwn("\n".join(lines))}]
    ev = row.item.evidence
    if ev and ev.quote:
        who = ", ".join(escape(x) for x in (ev.speaker, ev.time) if x)
        quote = f":speech_balloon: “{escape(clip(ev.quote, MAX_QUOTE_CHARS))}”" + (f" — {who}" if who else "")
        out.append(
            {
                "type": "context",
                "block_id": f"{prefix}-evidence",
                "elements": [mrkdwn(quote, MAX_CONTEXT_TEXT)],
            }
        )
    if is_actionable(row):
        value = str(row.id)
        out.append(
            {
                "type": "actions",
                "block_id": f"{prefix}-actions",
                "elements": [
                    button("Create Jira issue", ids.CREATE_ISSUE, value, style="primary"),
                    button("Edit", ids.EDIT_ITEM, value),
                    button("Dismiss", ids.DISMISS_ITEM, value),
                ],
            }
        )
    return out


def is_actionable(row: ItemRecord) -> bool:
    """Open, and no ticket created or being created."""
    return row.status == "open" and row.ticket_status not in {"created", "creating"}


def _size(blocks: list[Block]) -> int:
    return len(json.dumps(blocks, ensure_ascii=False))


# header + context on top, "Create all" at the bottom
FIXED_BLOCKS = 3
FIXED_CHARS = 1_500


def plan_parts(rows: list[ItemRecord]) -> list[int]:
    """The message part of each row: greedy packing under the block, size and item budgets."""
    parts: list[int] = []
    part, blocks_used, chars_used, count = 0, FIXED_BLOCKS, FIXED_CHARS, 0
    for n, row in enumerate(rows, 1):
        rendered = row_blocks(row, n)
        cost = _size(rendered) + ROW_GROWTH_CHARS
        if count and (
            blocks_used + len(rendered) > MAX_BLOCKS
            or chars_used + cost > MAX_MESSAGE_CHARS
            or count >= MAX_ITEMS_PER_MESSAGE
        ):
            part, blocks_used, chars_used, count = part + 1, FIXED_BLOCKS, FIXED_CHARS, 0
        parts.append(part)
        blocks_used, chars_used, count = blocks_used + len(rendered), chars_used + cost, count + 1
    return parts


def fallback_text(header: Header, rows: list[ItemRecord], total: int) -> str:
    """The plain `text` of a results message (notifications, screen readers)."""
    lines = [f"{total} action item{'s' if total != 1 else ''} from {escape(header.title)}"]
    for row in rows:
        owner = escape(row.item.owner) if row.item.owner else "unassigned"
        due = f", due {row.item.deadline_date.isoformat()}" if row.item.deadline_date else ""
        key = f" [{escape(row.issue_key)}]" if row.issue_key else ""
        lines.append(f"{row.position + 1}. {escape(row.item.task)} ({owner}{due}){key}")
    return clip("\n".join(lines), MAX_FALLBACK_TEXT)


def results_message(
    header: Header,
    extraction_id: int,
    rows: list[ItemRecord],
    *,
    part: int,
    parts: int,
    all_rows: list[ItemRecord],
) -> Message:
    """One page of results: `rows` are the items of `part`; `all_rows` feeds the count and Create all."""
    total = len(all_rows)
    heading = f"Action items ({total})" + (f" · part {part + 1} of {parts}" if parts > 1 else "")
    blocks: list[Block] = [{"type": "header", "text": plain(heading, MAX_HEADER_TEXT)}]
    if part == 0:
        bits = [f"From *{escape(header.title)}*"]
        if header.requested_by:
            bits.append(f"requested by <@{header.requested_by}>")
        if header.model:
            bits.append(f"model `{escape(header.model)}`")
        blocks.append({"type": "context", "elements": [mrkdwn(" · ".join(bits), MAX_CONTEXT_TEXT)]})
    for row in rows:
        blocks.extend(row_blocks(row, row.position + 1))
    open_rows = [r for r in all_rows if is_actionable(r)]
    if part == parts - 1 and len(open_rows) >= 2:
        blocks.append(
            {
                "type": "actions",
                "block_id": "create-all",
                "elements": [
                    button(
                        f"Create all ({len(open_rows)})", ids.CREATE_ALL, str(extraction_id), style="primary"
                    )
                ],
            }
        )
    return Message(fallback_text(header, rows, total), blocks)


def empty_message(header: Header) -> Message:
    """The reply when the transcript has no action items."""
    text = f"No action items found in {escape(header.title)}."
    return Message(text, [{"type": "section", "text": mrkdwn(f":mag: {text}")}])


def notice(text: str, emoji: str = ":information_source:") -> Message:
    """A one-section message; `text` must already be escaped."""
    return Message(clip(text, MAX_FALLBACK_TEXT), [{"type": "section", "text": mrkdwn(f"{emoji} {text}")}])


def ticket_error(row: ItemRecord, error: str) -> Message:
    """The ephemeral error after a failed create, with a Retry button; the item stays open."""
    text = f"Couldn't create the Jira issue for “{escape(clip(row.item.task, 200))}”: {escape(error)}"
    return Message(
        clip(text, MAX_FALLBACK_TEXT),
        [
            {"type": "section", "text": mrkdwn(f":warning: {text}")},
            {
                "type": "actions",
                "elements": [button("Retry", ids.RETRY_CREATE, str(row.id), style="primary")],
            },
        ],
    )
