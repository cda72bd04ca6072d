"""Human-readable renderings of extracted items: a terminal table and Markdown."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from extractor.schema import ActionItem

_HEADERS = ("#", "Owner", "Task", "Deadline", "Due", "Priority")


def _row(n: int, it: ActionItem) -> tuple[str, ...]:
    return (
        str(n),
        it.owner or "—",
        it.task,
        it.deadline or "—",
        it.deadline_date.isoformat() if it.deadline_date else "—",
        it.priority or "—",
    )


def table(items: Sequence[ActionItem], task_width: int = 48) -> str:
    """A fixed-width table for terminals (tasks wrapped to `task_width`)."""
    if not items:
        return "No action items found."
    rows = [_row(n, it) for n, it in enumerate(items, 1)]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(_HEADERS)]
    widths[2] = min(widths[2], task_width)
    sep = "  "
    out = [sep.join(h.ljust(w) for h, w in zip(_HEADERS, widths, strict=True)).rstrip()]
    out.append(sep.join("-" * w for w in widths))
    for r in rows:
        task_lines = textwrap.wrap(r[2], widths[2]) or [""]
        for k, line in enumerate(task_lines):
            cells = [c if k == 0 else "" for c in r]
            cells[2] = line
            out.append(sep.join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
    return "\n".join(out)


def markdown(items: Sequence[ActionItem]) -> str:
    """A GitHub-flavoured Markdown table."""
    if not items:
        return "_No action items found._"

    def cell(s: str) -> str:
        return s.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(_HEADERS) + " |", "|" + "---|" * len(_HEADERS)]
    lines += ["| " + " | ".join(cell(c) for c in _row(n, it)) + " |" for n, it in enumerate(items, 1)]
    return "\n".join(lines)
