"""SubRip captions via the `srt` package; labels like `JOSH:` or `>> DALE:` start turns."""

from __future__ import annotations

import logging
import re

import srt

from extractor.formats.base import Parsed
from extractor.formats.captions import Cue, count_timings, group_cues, lenient_cues, strip_tags

logger = logging.getLogger(__name__)

_TIMING = re.compile(r"^\s*\d+:\d{2}:\d{2}[,.]\d{1,3}\s*-->\s*\d+:\d{2}:\d{2}[,.]\d{1,3}")


def looks_like(lines: list[str]) -> bool:
    """True when cue timings are SubRip's `hh:mm:ss,mmm --> ...` (WebVTT writes a dot)."""
    timings = [line.split("-->")[0] for line in lines if _TIMING.match(line)]
    return bool(timings) and sum(1 for t in timings if "," in t) * 2 >= len(timings)


def parse(text: str) -> Parsed:
    """Turns from SubRip cues; wrapped lines join and unlabelled cues continue the last speaker."""
    parsed = Parsed()
    parsed.matched = count_timings(text)
    try:
        # https://srt.readthedocs.io/en/latest/api.html#srt.parse (raises on garbled blocks)
        cues = [
            Cue(sub.start.total_seconds(), sub.end.total_seconds(), strip_tags(sub.content))
            for sub in srt.parse(text)
        ]
    except (srt.SRTParseError, ValueError) as exc:
        logger.debug("SubRip parse failed: %s", exc)
        cues = lenient_cues(text)
        parsed.warnings.append(
            "the SubRip file has malformed cues (e.g. a broken timestamp); "
            "read its text with the timings it could parse"
        )
    parsed.turns, labelled = group_cues(cues)
    logger.debug("SubRip: %d cue(s), %d labelled, %d turn(s)", len(cues), labelled, len(parsed.turns))
    return parsed
