"""Caption cues (WebVTT, SubRip) to speaker turns: labels, continuation cues and grouping."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from extractor.formats.base import RawTurn, clean_text, display_name, looks_like_name, parse_clock

_TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")  # HTML-ish cue tags and SSA overrides like {\an8}
_LABEL = re.compile(r"^(?P<arrows>>>+|-\s)?\s*(?:(?P<name>[^:<>]{1,50}?)\s*:\s+)?(?P<rest>.*)$", re.S)
_TIMING = re.compile(r"(?P<start>(?:\d+:)?\d{1,2}:\d{2}(?:[.,:]\d{1,3})?)\s*-->")
_CUE_ID = re.compile(r"^(\d+|[0-9a-f]{8}-[0-9a-f-]{27,}(/[\w-]+)?)$", re.I)
_SENTENCE_END = re.compile(r"[.?!…][\"')\]]*$")
# Unlabelled captions: a pause this long after a full sentence is taken as a change of speaker.
PAUSE_S = 0.9
MAX_GROUP_WORDS = 120


@dataclass(frozen=True)
class Cue:
    """One caption cue: start/end in seconds, cue text (tags removed) and its voice span, if any."""

    start: float | None
    end: float | None
    text: str
    voice: str | None = None


def strip_tags(text: str) -> str:
    """Cue text without markup and with HTML entities decoded."""
    return html.unescape(_TAG.sub("", text))


def split_label(cue: Cue) -> tuple[str, str | None, str]:
    """("label", name, rest) for a labelled cue, ("change", None, rest) for a bare `>>`,
    ("none", None, text) otherwise."""
    if cue.voice:
        return "label", display_name(cue.voice), cue.text
    m = _LABEL.match(cue.text.strip())
    if not m:
        return "none", None, cue.text
    name, arrows = m.group("name"), m.group("arrows")
    if name and name[0].isupper() and looks_like_name(name.title() if name.isupper() else name):
        return "label", display_name(name), m.group("rest")
    if arrows and arrows.startswith(">>"):
        return "change", None, m.group("rest") if not name else cue.text.strip()[len(arrows) :]
    return "none", None, cue.text


def _ends_group(words: int, text: str, gap: float | None) -> bool:
    if words >= MAX_GROUP_WORDS:
        return True
    return bool(_SENTENCE_END.search(text)) and gap is not None and gap >= PAUSE_S


def group_cues(cues: list[Cue]) -> tuple[list[RawTurn], int]:
    """Turns from cues, and how many cues carried a speaker label.

    A labelled cue starts a turn unless the same speaker is still talking; unlabelled cues continue
    the open turn. With no labels at all, cues are grouped at sentence ends followed by a pause."""
    marked = [split_label(c) for c in cues]
    labelled = sum(1 for kind, _, _ in marked if kind == "label")
    any_marks = any(kind != "none" for kind, _, _ in marked)
    turns: list[RawTurn] = []
    speaker: str | None = None
    parts: list[str] = []
    start: float | None = None
    prev_end: float | None = None

    def flush() -> None:
        text = clean_text(" ".join(parts))
        if text:
            turns.append(RawTurn(speaker, text, start))

    for cue, (kind, name, rest) in zip(cues, marked, strict=True):
        rest = clean_text(rest)
        gap = cue.start - prev_end if cue.start is not None and prev_end is not None else None
        same_speaker = kind == "label" and parts and name == speaker
        unlabelled_break = (
            not any_marks and parts and _ends_group(len(" ".join(parts).split()), parts[-1], gap)
        )
        if not same_speaker and (kind != "none" or not parts or unlabelled_break):
            flush()
            speaker = name if kind == "label" else None if kind == "change" else speaker
            parts, start = [], cue.start
        if rest:
            parts.append(rest)
        prev_end = cue.end if cue.end is not None else prev_end
    flush()
    return turns, labelled


def lenient_cues(text: str) -> list[Cue]:
    """Cues read block by block without validating timings, for files a strict parser rejects.
    Every text line is kept; a start time is kept where it can be read."""
    cues: list[Cue] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [ln.strip() for ln in block.split("\n") if ln.strip()]
        if not lines or lines[0].startswith(("WEBVTT", "NOTE", "STYLE", "REGION")):
            continue
        start: float | None = None
        body: list[str] = []
        for line in lines:
            timing = _TIMING.search(line) if "-->" in line else None
            if "-->" in line:
                start = parse_clock(timing.group("start")) if timing else start
            elif not (_CUE_ID.match(line) and not body):
                body.append(line)
        cue_text, voice = voice_text("\n".join(body))
        if cue_text.strip():
            cues.append(Cue(start, None, cue_text, voice))
    return cues


def count_timings(text: str) -> int:
    """How many lines hold a cue timing arrow."""
    return sum(1 for line in text.split("\n") if "-->" in line)


def voice_text(raw: str) -> tuple[str, str | None]:
    """(text without tags, voice name) of WebVTT cue markup such as `<v Jo Li>Hi</v>`."""
    m = re.match(r"\s*<v(?:\.[\w.-]+)?\s+([^>]+)>", raw)
    return strip_tags(raw), (m.group(1).strip() if m else None)
