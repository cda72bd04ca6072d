"""Pure functions: a TrackerItem + context -> the `fields` of a Jira create-issue request."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from integrations.tracker import TrackerContext, TrackerItem, TrackerUser

SUMMARY_MAX = 255  # Jira rejects longer summaries with 400; it counts UTF-16 units (Java String.length)
QUOTE_MAX = 2000  # the description field holds 32,767 characters; a long monologue must not fill it
# Braces, brackets and pipes open macros and links anywhere; emphasis marks only at a word's edge;
# a leading # starts a numbered list.
_WIKI_SPECIAL = re.compile(r"([\\{}\[\]|])|(?<!\w)([*_+^~!-])|([*_+^~-])(?!\w)|(?m:^#)")


@dataclass(frozen=True)
class IssueSettings:
    """The per-call choices the payload needs (resolved from JiraConfig and the server)."""

    project: str
    issue_type: str
    api_version: str  # "3" (Cloud, ADF description) or "2" (Data Center, wiki text)
    labels: tuple[str, ...]
    priority_map: dict[str, str] | None


def jira_length(text: str) -> int:
    """Length as Jira counts it: UTF-16 code units, so an emoji counts 2."""
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, limit: int) -> str:
    """`text` cut to `limit` UTF-16 units including a closing ellipsis (never splits a character)."""
    if jira_length(text) <= limit:
        return text
    out, used = [], 1  # the ellipsis is one unit
    for ch in text:
        used += jira_length(ch)
        if used > limit:
            break
        out.append(ch)
    return "".join(out).rstrip() + "…"


def summary(task: str) -> str:
    """One line, at most 255 characters as Jira counts them (cut with an ellipsis)."""
    return _cut(" ".join(task.split()), SUMMARY_MAX)


def owner_line(item: TrackerItem, assignee: TrackerUser | None) -> str:
    """Who owns the item, and whether we could match them to a Jira user."""
    if not item.owner_name and not item.owner_email:
        return "Owner: not named in the meeting"
    who = item.owner_name or item.owner_email or ""
    if assignee is None:
        return f"Owner in the meeting: {who} (not matched to a Jira user)"
    if item.owner_email and item.owner_name:
        who = f"{item.owner_name} ({item.owner_email})"
    return f"Owner: {who}"


def description_parts(
    item: TrackerItem, ctx: TrackerContext, assignee: TrackerUser | None
) -> list[tuple[str, str, str]]:
    """Description as (kind, text, href) parts; kind is para, quote or link. Rendered per API version."""
    parts = [("para", owner_line(item, assignee), "")]
    task = " ".join(item.task.split())
    if summary(task) != task:  # the summary was cut; keep the whole task where people will read it
        parts.append(("para", f"Task: {task}", ""))
    if item.deadline_phrase or item.deadline_date:
        date = f" ({item.deadline_date.isoformat()})" if item.deadline_date and item.deadline_phrase else ""
        parts.append(("para", f"Deadline: {item.deadline_phrase or item.deadline_date}{date}", ""))
    if item.priority:
        parts.append(("para", f"Priority in the meeting: {item.priority}", ""))
    quote = (item.evidence_quote or "").strip()
    if quote:  # ADF refuses empty text nodes, so a blank quote is left out
        parts.append(("para", "Said in the meeting:", ""))
        parts.append(("quote", _cut(quote, QUOTE_MAX), ""))
    where = []
    if ctx.channel_name or ctx.channel_id:
        where.append(f"#{ctx.channel_name}" if ctx.channel_name else f"channel {ctx.channel_id}")
    if ctx.meeting_date:
        where.append(f"meeting of {ctx.meeting_date.isoformat()}")
    if where:
        parts.append(("para", "From " + ", ".join(where), ""))
    link = (ctx.slack_permalink or "").strip()
    if link.startswith(("https://", "http://")):
        parts.append(("link", "Slack thread", link))
    elif link:  # not a URL: an ADF link mark or wiki link to it would be refused or broken
        parts.append(("para", f"Slack thread: {link}", ""))
    parts.append(("para", f"Filed by actionbot (extraction {ctx.extraction_id}, item {ctx.item_id}).", ""))
    return parts


def to_adf(parts: list[tuple[str, str, str]]) -> dict[str, Any]:
    """Atlassian Document Format, which REST v3 (Cloud) requires for `description`."""
    content: list[dict[str, Any]] = []
    for kind, text, href in parts:
        node = {"type": "text", "text": text}
        if kind == "quote":
            content.append({"type": "blockquote", "content": [{"type": "paragraph", "content": [node]}]})
        elif kind == "link":
            content.append(
                {
                    "type": "paragraph",
                    "content": [
                        {"type": "text", "text": f"{text}: "},
                        {"type": "text", "text": href, "marks": [{"type": "link", "attrs": {"href": href}}]},
                    ],
                }
            )
        else:
            content.append({"type": "paragraph", "content": [node]})
    return {"type": "doc", "version": 1, "content": content}


def wiki_escape(text: str) -> str:
    """Backslash-escape wiki markup so meeting text renders literally."""
    return _WIKI_SPECIAL.sub(lambda m: "\\" + m.group(0), text)


def to_wiki(parts: list[tuple[str, str, str]]) -> str:
    """Jira wiki markup, which REST v2 (Data Center) renders for `description`."""
    lines = []
    for kind, text, href in parts:
        if kind == "quote":
            lines.append("{quote}" + wiki_escape(text) + "{quote}")
        elif kind == "link":
            lines.append(f"[{wiki_escape(text)}|{href.replace('|', '%7C').replace(']', '%5D')}]")
        else:
            lines.append(wiki_escape(text))
    return "\n\n".join(lines)


def issue_fields(
    item: TrackerItem,
    ctx: TrackerContext,
    settings: IssueSettings,
    *,
    idem_label: str,
    assignee: TrackerUser | None,
) -> dict[str, Any]:
    """The `fields` object of POST /issue for this item."""
    parts = description_parts(item, ctx, assignee)
    fields: dict[str, Any] = {
        "project": {"key": settings.project},
        "issuetype": {"name": settings.issue_type},
        "summary": summary(item.task),
        "description": to_adf(parts) if settings.api_version == "3" else to_wiki(parts),
        "labels": list(dict.fromkeys([*settings.labels, idem_label])),
    }
    if item.deadline_date:
        fields["duedate"] = item.deadline_date.isoformat()
    if item.priority and settings.priority_map:
        fields["priority"] = {"name": settings.priority_map[item.priority]}
    if assignee is not None:
        # Cloud identifies users by accountId only (GDPR); Data Center by username.
        fields["assignee"] = (
            {"accountId": assignee.account_id} if assignee.account_id else {"name": assignee.name}
        )
    return fields
