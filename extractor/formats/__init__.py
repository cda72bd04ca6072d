"""Transcript formats: detection and one parser per format (each in its own module)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from extractor.formats import dialogsum, notes, otter, plain, slack, srt, teams, vtt
from extractor.formats.base import Parsed, nonblank, prepare_text

logger = logging.getLogger(__name__)

FORMATS: tuple[str, ...] = ("plain", "dialogsum", "vtt", "srt", "otter", "teams", "slack", "notes")
UNKNOWN = "unknown"

PARSERS: dict[str, Callable[[str], Parsed]] = {
    "plain": plain.parse,
    "dialogsum": dialogsum.parse,
    "vtt": vtt.parse,
    "srt": srt.parse,
    "otter": otter.parse,
    "teams": teams.parse,
    "slack": slack.parse,
    "notes": notes.parse,
}


def _captions(lines: list[str]) -> str | None:
    if vtt.looks_like(lines):
        return "vtt"
    arrows = sum(1 for line in lines if "-->" in line)
    if not arrows or arrows < len(lines) * 0.1:
        return None
    # Cue blocks without a WEBVTT line: SubRip writes "00:00:01,000", WebVTT "00:00:01.000".
    return "srt" if srt.looks_like(lines) else "vtt"


def detect_format(raw: str) -> str:
    """The most likely format of `raw`: one of FORMATS, or "unknown" when nothing fits."""
    lines = nonblank(prepare_text(raw))
    if not lines:
        return "plain"
    found = _captions(lines)
    if found:
        return found
    n = len(lines)
    if dialogsum.count_labels(lines) >= max(1, 0.3 * n):
        return "dialogsum"
    blocks = otter.headers(lines)
    messages = slack.count_headers(lines)
    if messages >= max(1, 0.08 * n) and messages >= len(blocks):
        return "slack"
    if len(blocks) >= max(1, 0.08 * n):
        return "teams" if teams.looks_like(raw, blocks) else "otter"
    speakers, markers = plain.count_speaker_lines(lines), notes.count_markers(lines)
    logger.debug("detect: %d lines, %d speaker lines, %d note markers", n, speakers, markers)
    if speakers >= max(1, 0.4 * n) and speakers > markers:
        return "plain"
    if markers >= max(1, 0.2 * n):
        return "notes"
    if speakers >= max(2, 0.2 * n):
        return "plain"
    return UNKNOWN


def parse_as(text: str, fmt: str) -> Parsed:
    """Parse already-prepared `text` as `fmt` (one of FORMATS)."""
    return PARSERS[fmt](text)


__all__ = ["FORMATS", "UNKNOWN", "PARSERS", "Parsed", "detect_format", "parse_as"]
