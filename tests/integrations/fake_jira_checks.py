"""What the fake Jira refuses in a create-issue request, field by field, with Jira's own wording.

`description` on REST v3 must be valid Atlassian Document Format, as Cloud checks it; on v2 a string."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

PRIORITIES = ["Highest", "High", "Medium", "Low", "Lowest"]
ADF_NOT_A_DOC = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
ADF_INVALID = "INVALID_INPUT"  # Cloud's answer to a doc of the right type whose content is malformed
_BLOCKS = {"paragraph", "blockquote", "heading", "bulletList", "orderedList", "codeBlock", "rule"}
_INLINE = {"text", "hardBreak", "mention", "emoji", "inlineCard"}
_MARKS = {"strong", "em", "code", "link", "strike", "underline"}


def adf_problem(doc: Any) -> str | None:
    """Why `doc` is not an ADF document Jira Cloud would store, or None when it is."""
    if not isinstance(doc, dict) or doc.get("type") != "doc":
        return ADF_NOT_A_DOC
    if doc.get("version") != 1 or not isinstance(doc.get("content"), list):
        return ADF_INVALID
    return next((p for block in doc["content"] if (p := _block_problem(block))), None)


def _block_problem(node: Any) -> str | None:
    if not isinstance(node, dict) or node.get("type") not in _BLOCKS:
        return ADF_INVALID
    content = node.get("content", [])
    if not isinstance(content, list):
        return ADF_INVALID
    if node["type"] == "blockquote":  # holds paragraphs, never bare text
        return next((p for child in content if (p := _block_problem(child))), None)
    return next((p for child in content if (p := _inline_problem(child))), None)


def _inline_problem(node: Any) -> str | None:
    if not isinstance(node, dict) or node.get("type") not in _INLINE:
        return ADF_INVALID
    if node["type"] != "text":
        return None
    if not isinstance(node.get("text"), str) or not node["text"]:  # empty text nodes are refused
        return ADF_INVALID
    for mark in node.get("marks", []):
        if not isinstance(mark, dict) or mark.get("type") not in _MARKS:
            return ADF_INVALID
        if mark["type"] == "link" and not str((mark.get("attrs") or {}).get("href") or "").strip():
            return ADF_INVALID
    return None


def create_errors(
    fields: dict[str, Any],
    *,
    version: str,
    projects: set[str],
    issue_types: set[str],
    screen: set[str],
    required_extra: dict[str, str],
    assignable: Callable[[dict[str, str]], bool],
) -> dict[str, str]:
    """Jira's per-field errors for POST issue (empty when the issue would be created)."""
    if (fields.get("project") or {}).get("key") not in projects:
        return {"project": "valid project is required"}
    errors: dict[str, str] = {}
    if (fields.get("issuetype") or {}).get("name") not in issue_types:
        errors["issuetype"] = "Specify a valid issue type"
    for name in fields:
        if name not in screen:
            errors[name] = f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
    errors.update({f: f"{n} is required." for f, n in required_extra.items() if f not in fields})
    summary = fields.get("summary") or ""
    if not summary.strip():
        errors["summary"] = "You must specify a summary of the issue."
    elif len(summary.encode("utf-16-le")) // 2 > 255 or "\n" in summary:  # Java counts UTF-16 units
        errors["summary"] = "Summary must be less than 255 characters."
    desc = fields.get("description")
    if version == "3" and desc is not None and (problem := adf_problem(desc)):
        errors["description"] = problem
    if version != "3" and desc is not None and not isinstance(desc, str):
        errors["description"] = "Operation value must be a string"
    if "priority" in fields and "priority" not in errors and fields["priority"].get("name") not in PRIORITIES:
        errors["priority"] = "The priority selected is invalid."
    if any(" " in label for label in fields.get("labels", [])):
        errors["labels"] = "The label contains spaces which is invalid."
    if "duedate" in fields and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(fields["duedate"])):
        errors["duedate"] = f"Error parsing date string: {fields['duedate']}"
    if "assignee" in fields and "assignee" not in errors and not assignable(fields["assignee"]):
        errors["assignee"] = "User cannot be assigned issues."
    return errors
