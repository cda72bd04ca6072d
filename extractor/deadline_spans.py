"""Deadline phrases said in a turn ("by Friday", "end of day Thursday", "tomorrow morning"), so an
item's deadline can be checked against its supporting turn: a model that copies the deadline of
the item next to it gets the one its own turn says instead."""

from __future__ import annotations

import re

from extractor.dates import MONTHS, WEEKDAYS, alternation

_WEEKDAY = rf"(?:{alternation(WEEKDAYS)})\b\.?"
_PART = r"(?:\s+(?:morning|afternoon|evening|night|noon|eod|cob))?"
_MONTH = rf"(?:{alternation(MONTHS)})\.?"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_WHEN = (
    rf"(?:(?:the\s+)?end\s+of\s+(?:the\s+)?(?:day|week|month|quarter|sprint)(?:\s+{_WEEKDAY})?"
    rf"|(?:eod|eow|cob)(?:\s+{_WEEKDAY})?"
    r"|today|tonight|tomorrow(?:\s+(?:morning|afternoon|evening|night))?"
    r"|this\s+(?:afternoon|morning|evening|week)|next\s+(?:week|month|sprint)"
    rf"|(?:(?:next|this)\s+)?{_WEEKDAY}{_PART}"
    rf"|{_MONTH}\s+{_DAY}|(?:the\s+)?{_DAY}\s+of\s+{_MONTH}|the\s+{_DAY}\b)"
)
_SPAN = re.compile(rf"\b(?:(?:by|before|on|until|till|due|no\s+later\s+than)\s+)?{_WHEN}", re.I)


def find_deadlines(text: str) -> list[str]:
    """Deadline phrases in `text`, as said, left to right (overlaps resolved leftmost-longest)."""
    return [m.group().strip().rstrip(".") for m in _SPAN.finditer(" ".join(text.split()))]


def said_in(phrase: str, texts: list[str]) -> bool:
    """True when `phrase` (case and spacing aside) occurs in one of `texts`."""
    needle = " ".join(phrase.casefold().split())
    return any(needle in " ".join(t.casefold().split()) for t in texts)
