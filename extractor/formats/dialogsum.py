"""DialogSum-style transcripts: `#Person1#: text` turns with no real names."""

from __future__ import annotations

import re

from extractor.formats.base import Parsed
from extractor.formats.plain import parse_labelled

_LABEL = re.compile(r"^#(?P<name>[^#\s][^#]{0,30})#\s*:?\s*(?P<text>.*)$")


def label_line(line: str) -> tuple[str, str, float | None] | None:
    """("Person1", text, None) for a `#Person1#: text` line, else None."""
    m = _LABEL.match(line.strip())
    return (m.group("name").strip(), m.group("text"), None) if m else None


def count_labels(lines: list[str]) -> int:
    """How many lines start with a `#PersonN#:` label."""
    return sum(1 for line in lines if label_line(line))


def parse(text: str) -> Parsed:
    """Turns per `#Name#:` label; the label without hashes is the speaker."""
    return parse_labelled(text, label_line)
