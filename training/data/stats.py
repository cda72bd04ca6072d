"""Counts that describe a built training set (printed by `build --stats`)."""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any


def _table(title: str, counts: Counter[str], total: int) -> list[str]:
    lines = [f"{title}:"]
    for key, n in counts.most_common():
        lines.append(f"  {key:<28} {n:>6}  {100 * n / max(total, 1):5.1f}%")
    return lines


def summarize(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-format/domain/source/item-count counts and word-count percentiles."""
    words = sorted(r.get("words", len(r["transcript"].split())) for r in records)
    items = [len(r["action_items"]) for r in records]
    owners = Counter("null" if it["owner"] is None else "named" for r in records for it in r["action_items"])
    return {
        "records": len(records),
        "formats": Counter(r["format"] for r in records),
        "sources": Counter(
            r["source"].split(":")[0]
            + ":"
            + (r["source"].split(":")[1] if r["source"].startswith("synthetic") else "seed")
            for r in records
        ),
        "domains": Counter(r.get("domain") or "?" for r in records),
        "items": Counter(str(min(n, 10)) + ("+" if n >= 10 else "") for n in items),
        "words": {q: words[min(len(words) - 1, int(q * len(words)))] for q in (0.0, 0.1, 0.5, 0.9, 0.99)}
        if words
        else {},
        "long": sum(w >= 2000 for w in words),
        "items_total": sum(items),
        "items_mean": round(statistics.fmean(items), 2) if items else 0.0,
        "zero_item": sum(n == 0 for n in items),
        "owners": owners,
        "deadlines": sum(it["deadline"] is not None for r in records for it in r["action_items"]),
        "priorities": sum(it["priority"] is not None for r in records for it in r["action_items"]),
        "acts": Counter(a for r in records for a in r.get("acts", ())),
    }


def format_stats(records: list[dict[str, Any]], facts: dict[str, Any]) -> str:
    """A readable report of `summarize` plus the build facts."""
    s = summarize(records)
    n = s["records"]
    out = [
        f"records: {n}  items: {s['items_total']} (mean {s['items_mean']}/meeting)  zero-item meetings: "
        f"{s['zero_item']}  long (>=2000 words): {s['long']}",
        f"items with deadline: {s['deadlines']}  with priority: {s['priorities']}  owners: {dict(s['owners'])}",
        "words percentiles: " + "  ".join(f"p{int(q * 100)}={w}" for q, w in s["words"].items()),
        f"build: {facts}",
    ]
    out += _table("formats", s["formats"], n)
    out += _table("sources", s["sources"], n)
    out += _table("items per meeting", s["items"], n)
    out += _table("domains (top 30)", Counter(dict(s["domains"].most_common(30))), n)
    out += _table("acts", s["acts"], n)
    return "\n".join(out)
