"""WebVTT captions (Zoom `Name: text` cues, Teams `<v Name>` cues) via webvtt-py."""

from __future__ import annotations

import logging
import re

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from extractor.formats.base import Parsed
from extractor.formats.captions import Cue, count_timings, group_cues, lenient_cues, strip_tags, voice_text
from extractor.formats.header import attendees

logger = logging.getLogger(__name__)

_VOICE_START = re.compile(r"^\s*<v[\s.]")


def looks_like(lines: list[str]) -> bool:
    """True for text that starts with the WEBVTT signature."""
    return bool(lines) and lines[0].lstrip().startswith("WEBVTT")


def _segments(raw_text: str) -> list[tuple[str, str | None]]:
    """Split a cue into (text, voice) parts: Teams puts two speakers' `<v>` spans in one cue."""
    parts: list[list[str]] = []
    for line in raw_text.split("\n"):
        if not parts or _VOICE_START.match(line):
            parts.append([line])
        else:
            parts[-1].append(line)
    return [voice_text("\n".join(p)) for p in parts]


def _cues(doc: webvtt.WebVTT) -> list[Cue]:
    cues = []
    for caption in doc.captions:
        start = caption.start_time.in_milliseconds() / 1000
        end = caption.end_time.in_milliseconds() / 1000
        for text, voice in _segments(caption.raw_text):
            cues.append(Cue(start, end, text, voice))
    return cues


def parse(text: str) -> Parsed:
    """Turns from WebVTT cues; consecutive cues of one speaker merge. Malformed files are read
    leniently (text kept, broken timings dropped) with a warning."""
    body = text.lstrip()
    if not body.startswith("WEBVTT"):
        body = "WEBVTT\n\n" + body
    parsed = Parsed()
    lenient = lenient_cues(body)
    try:
        # https://webvtt-py.readthedocs.io/en/latest/usage.html ; strict, because webvtt-py otherwise
        # drops malformed cues, and their words, without a word.
        doc = webvtt.from_string(body, strict=True)
        cues = _cues(doc)
        # Strict mode still skips a block whose timing line is missing; its text must not vanish.
        if len(lenient) > sum(1 for c in doc.captions if strip_tags(c.raw_text).strip()):
            raise MalformedCaptionError("a block of text has no cue timing line")
        parsed.header = [doc.header_text, *doc.header_comments]
        parsed.matched = len(cues)
    except (MalformedCaptionError, MalformedFileError, ValueError) as exc:
        logger.debug("strict WebVTT parse failed: %s", exc)
        cues = lenient
        parsed.header = [body.split("\n", 1)[0][len("WEBVTT") :]]
        parsed.matched = count_timings(body)
        parsed.warnings.append(
            "the WebVTT file has malformed cues (a broken timestamp or a cue without a timing line); "
            "read its text with the timings it could parse"
        )
    for line in parsed.header:
        parsed.participants.extend(attendees(line) or [])
    parsed.turns, labelled = group_cues(cues)
    logger.debug("WebVTT: %d cue(s), %d labelled, %d turn(s)", len(cues), labelled, len(parsed.turns))
    return parsed
