"""Priorities said out loud ("it's urgent", "low pri", "no rush"): the model rarely writes a
priority (few of its training items have one), so a stated priority on the supporting turn, or
on the request just before it, is read from the words themselves."""

from __future__ import annotations

import re

from extractor.schema import Priority

# Order matters: "not urgent" is low before "urgent" is high.
_CUES: tuple[tuple[Priority, re.Pattern[str]], ...] = (
    (
        "low",
        re.compile(
            r"\b(?:low[- ]?pri(?:ority)?|not (?:that |super |very )?(?:urgent|a priority|pressing)|no rush|"
            r"no hurry|nice[- ]to[- ]have|back ?burner|low on the list|whenever you (?:get|have) (?:a )?(?:chance|time))\b",
            re.I,
        ),
    ),
    ("medium", re.compile(r"\b(?:medium|med|mid|normal)[- ]?pri(?:ority)?\b", re.I)),
    (
        "high",
        re.compile(
            r"\b(?:urgent(?:ly)?|asap|as soon as possible|high[- ]?pri(?:ority)?|top priority|"
            r"highest priority|number one priority|priority (?:one|1)|p[01]|critical)\b",
            re.I,
        ),
    ),
)


def stated_priority(*texts: str) -> Priority | None:
    """The priority the first of `texts` that states one says, else None."""
    for text in texts:
        for level, pattern in _CUES:
            if pattern.search(text):
                return level
    return None
