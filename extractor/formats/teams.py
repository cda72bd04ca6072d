"""Microsoft Teams transcript text (as copied or saved from the .docx download):
`Name   0:03` or `Name 0:12:03` header lines, each followed by what was said."""

from __future__ import annotations

import re

from extractor.formats.base import Parsed
from extractor.formats.otter import parse_blocks

# Teams inserts system lines such as "Dana Whitfield started transcription".
_SYSTEM = re.compile(r"^.{1,80}\s(started|stopped) transcription\s*$", re.I)
_OTTER = re.compile(r"otter\.ai", re.I)


def looks_like(text: str, found: list[tuple[str, str, str]]) -> bool:
    """Tell Teams from Otter, given the block headers: Teams pads with 3+ spaces or writes
    h:mm:ss from zero ("0:00:03"); Otter uses two spaces and an otter.ai footer."""
    if _OTTER.search(text):
        return False
    if any(_SYSTEM.match(line.strip()) for line in text.split("\n")):
        return True
    if not found:
        return False
    wide = sum(1 for _, sep, _ in found if len(sep) != 2)
    from_zero = sum(1 for _, _, ts in found if ts.count(":") == 2 and ts.startswith("0:"))
    return wide * 2 > len(found) or from_zero * 2 > len(found)


def parse(text: str) -> Parsed:
    """Turns from Teams transcript text; "started/stopped transcription" notices are dropped."""
    return parse_blocks(text, _SYSTEM)
