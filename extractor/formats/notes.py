"""Meeting minutes and checklists: every non-empty line is kept as a speaker-less turn, with its
bullet, checkbox and strikethrough marks, so the model can see `[x]` (done) and `~~` (cut)."""

from __future__ import annotations

import re

from extractor.formats.base import Parsed, RawTurn, clean_text
from extractor.formats.header import attendees

_MARKER = re.compile(
    r"""^\s*(
        [-*•+]\s                          # bullets
      | \d{1,2}[.)]\s                     # numbered items
      | \#{1,6}\s                         # markdown headings
      | \[[ xX]\]                         # checkboxes
      | \[P\d\]                           # priority tags
      | (AI|TODO|FIXME|ACTION(\s+ITEM)?)\b  # action markers: "AI: Bob to...", "TODO(maria):"
      | \*\*[^*]+\*\*                     # bold headings
      | ~~
    )""",
    re.X,
)
_RULE = re.compile(r"^\s*([-*_=~])\1{2,}\s*$")  # "---" separators carry no words


def count_markers(lines: list[str]) -> int:
    """How many lines carry a bullet, checkbox, heading or action marker."""
    return sum(1 for line in lines if _MARKER.match(line) and not _RULE.match(line))


def parse(text: str) -> Parsed:
    """One turn per non-empty line; an "Attendees:" line also fills the participants."""
    parsed = Parsed()
    for line in text.split("\n"):
        if not line.strip() or _RULE.match(line):
            continue
        parsed.turns.append(RawTurn(None, clean_text(line)))
        parsed.participants.extend(attendees(line) or [])
        parsed.matched += 1 if _MARKER.match(line) else 0
    # Minutes put the title, date and attendees first; "Date:" lines can be anywhere near the top.
    parsed.header = [t.text for t in parsed.turns[:8]]
    return parsed
