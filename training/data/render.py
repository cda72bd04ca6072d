"""Render a spoken Doc as the raw text of one transcript format (everything the extractor reads
except notes, which minutes.py writes)."""

from __future__ import annotations

import datetime as dt
import random
import re
import uuid

from training.data.doc import Doc

SPOKEN_FORMATS = ("plain", "dialogsum", "vtt", "srt", "otter", "teams", "slack")
WPS = 2.6  # words per second of speech, for cue timings


def labels(doc: Doc, fmt: str, rng: random.Random) -> list[str]:
    """Speaker labels as this transcript shows them (full name, first name, handle, #PersonN#)."""
    if fmt == "dialogsum":
        order: dict[int, None] = {}
        for ln in doc.lines:
            if ln.speaker is not None:
                order.setdefault(ln.speaker, None)
        rank = {s: n for n, s in enumerate(order, 1)}
        return [f"Person{rank.get(i, len(rank) + 1)}" for i in range(len(doc.speakers))]
    style = rng.choices(("full", "first", "handle"), (6, 3, 2 if fmt == "slack" else 0))[0]
    out = []
    for sp in doc.speakers:
        if sp.is_role or not sp.first or style == "full":
            out.append(sp.label)
        elif style == "first":
            out.append(sp.first)
        else:
            out.append(re.sub(r"[^\w.-]", "", sp.first.lower()) or sp.first)
    if fmt == "srt" and rng.random() < 0.6:
        out = [x.upper() for x in out]
    return out


def _clock(seconds: float, sep: str = ".") -> str:
    ms = int(round(seconds * 1000))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _short_clock(seconds: float, hours: bool = False) -> str:
    t = int(seconds)
    h, rem = divmod(t, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if hours or h else f"{m}:{s:02d}"


def _chunks(text: str, rng: random.Random, lo: int = 7, hi: int = 16) -> list[str]:
    words = text.split()
    out = []
    while words:
        n = rng.randint(lo, hi)
        out.append(" ".join(words[:n]))
        words = words[n:]
    return out


def _header(doc: Doc, rng: random.Random, names: list[str]) -> list[str]:
    lines = []
    if doc.title and rng.random() < 0.5:
        lines.append(doc.title[:1].upper() + doc.title[1:])
    if doc.meeting_date and rng.random() < 0.5:
        lines.append(f"Date: {doc.meeting_date.strftime(rng.choice(('%Y-%m-%d', '%B %d, %Y', '%m/%d/%Y')))}")
    if rng.random() < 0.3:
        lines.append("Attendees: " + ", ".join(names))
    return lines


def render_plain(doc: Doc, rng: random.Random, names: list[str]) -> str:
    """`Name: text` lines, sometimes with timestamps or bold names and a header."""
    style = rng.choices(("plain", "ts", "paren"), (8, 2, 1))[0]
    out = _header(doc, rng, names)
    if out:
        out.append("")
    t = rng.uniform(0, 20)
    for ln in doc.lines:
        name = names[ln.speaker] if ln.speaker is not None else ""
        if style == "ts":
            out.append(f"[{_short_clock(t, hours=True)}] {name}: {ln.text}")
        elif style == "paren":
            out.append(f"{name} ({_short_clock(t)}): {ln.text}")
        else:
            out.append(f"{name}: {ln.text}")
        t += len(ln.text.split()) / WPS + rng.uniform(0.3, 2)
    return "\n".join(out) + "\n"


def render_dialogsum(doc: Doc, rng: random.Random, names: list[str]) -> str:
    """`#Person1#: text` lines."""
    return "\n".join(f"#{names[ln.speaker]}#: {ln.text}" for ln in doc.lines if ln.speaker is not None) + "\n"


def render_vtt(doc: Doc, rng: random.Random, names: list[str]) -> str:
    """WebVTT: Zoom (`Name: text` in each cue, numbered) or Teams (`<v Name>` voice spans)."""
    teams = rng.random() < 0.5
    out = ["WEBVTT", ""]
    t, n = rng.uniform(0, 5), 1
    for ln in doc.lines:
        name = names[ln.speaker] if ln.speaker is not None else ""
        for chunk in _chunks(ln.text, rng):
            dur = len(chunk.split()) / WPS
            if teams:
                out.append(f"{uuid.UUID(int=rng.getrandbits(128))}/{n}-0" if rng.random() < 0.5 else str(n))
                out.append(f"{_clock(t)} --> {_clock(t + dur)}")
                out.append(f"<v {name}>{chunk}</v>")
            else:
                out.append(str(n))
                out.append(f"{_clock(t)} --> {_clock(t + dur)}")
                out.append(f"{name}: {chunk}")
            out.append("")
            t += dur + rng.uniform(0.05, 0.4)
            n += 1
        t += rng.uniform(0.3, 1.5)
    return "\n".join(out)


def _wrap(text: str, width: int = 42) -> str:
    words, lines, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width and len(lines) < 1:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    lines.append(cur)
    return "\n".join(lines)


def render_srt(doc: Doc, rng: random.Random, names: list[str]) -> str:
    """SubRip: the first cue of a turn carries `NAME:` (or `>> NAME:`), the rest continue it."""
    arrows = rng.random() < 0.4
    out = []
    t, n = rng.uniform(0, 5), 1
    for ln in doc.lines:
        name = names[ln.speaker] if ln.speaker is not None else ""
        for k, chunk in enumerate(_chunks(ln.text, rng, 6, 14)):
            dur = len(chunk.split()) / WPS
            text = chunk if k else (f">> {name}: {chunk}" if arrows else f"{name}: {chunk}")
            out += [str(n), f"{_clock(t, ',')} --> {_clock(t + dur, ',')}", _wrap(text), ""]
            t += dur + rng.uniform(0.05, 0.3)
            n += 1
        t += rng.uniform(0.3, 1.5)
    return "\n".join(out)


def render_blocks(doc: Doc, rng: random.Random, names: list[str], teams: bool) -> str:
    """Otter (`Name  0:05`, otter.ai footer) or Teams text (`Name   0:03`) header blocks."""
    out: list[str] = []
    if teams and rng.random() < 0.4:
        out += [f"{names[doc.lines[0].speaker or 0]} started transcription", ""]
    t = rng.uniform(0, 10)
    hours = teams and rng.random() < 0.5
    for ln in doc.lines:
        name = names[ln.speaker] if ln.speaker is not None else ""
        sep = rng.choice(("   ", "    ")) if teams and not hours else (" " if hours else "  ")
        out.append(f"{name}{sep}{_short_clock(t, hours)}")
        out.append(ln.text)
        out.append("")
        t += len(ln.text.split()) / WPS + rng.uniform(0.5, 3)
    if not teams and rng.random() < 0.8:
        out.append("Transcribed by https://otter.ai")
    return "\n".join(out) + "\n"


EMOJI_ACK = (":+1:", ":thumbsup:", ":white_check_mark:", ":ok_hand:", ":slightly_smiling_face:", ":eyes:")


def render_slack(doc: Doc, rng: random.Random, names: list[str]) -> str:
    """A pasted Slack thread: `name  10:42 AM` headers, @mentions for vocatives, emoji codes."""
    start = dt.datetime(2025, 1, 1, rng.randint(8, 16), rng.randint(0, 59))
    out: list[str] = []
    if rng.random() < 0.3:
        out += [
            f"#{re.sub(r'[^a-z0-9]+', '-', (doc.title or doc.domain or 'team').lower()).strip('-')[:30]}",
            "",
        ]
    handles = {sp.first: names[i].split()[0].lower() for i, sp in enumerate(doc.speakers) if sp.first}
    vocative = (
        re.compile(r"^(?:(?:Hey|Hi|Okay|OK|So|And),? )?(" + "|".join(map(re.escape, handles)) + r"),\s*")
        if handles
        else None
    )
    bracket = rng.random() < 0.3
    t = start
    for ln in doc.lines:
        name = names[ln.speaker] if ln.speaker is not None else ""
        clock = t.strftime("%I:%M %p").lstrip("0")
        out.append(f"{name} [{clock}]" if bracket else f"{name}  {clock}")
        text = ln.text
        if vocative is not None and rng.random() < 0.7:
            text = vocative.sub(lambda m: f"@{handles[m.group(1)]} ", text)
        if len(text.split()) <= 6 and rng.random() < 0.35:
            text += " " + rng.choice(EMOJI_ACK)
        out.append(text)
        if rng.random() < 0.08:
            out.append(f"{rng.choice(EMOJI_ACK)} {rng.randint(1, 4)}")
        out.append("")
        t += dt.timedelta(seconds=20 + 4 * len(ln.text.split()) + rng.randint(0, 90))
    return "\n".join(out)


def render(doc: Doc, fmt: str, rng: random.Random, names: list[str]) -> str:
    """Raw transcript text of a spoken doc in `fmt` (one of SPOKEN_FORMATS)."""
    if fmt == "plain":
        return render_plain(doc, rng, names)
    if fmt == "dialogsum":
        return render_dialogsum(doc, rng, names)
    if fmt == "vtt":
        return render_vtt(doc, rng, names)
    if fmt == "srt":
        return render_srt(doc, rng, names)
    if fmt in ("otter", "teams"):
        return render_blocks(doc, rng, names, teams=fmt == "teams")
    if fmt == "slack":
        return render_slack(doc, rng, names)
    raise ValueError(f"unknown spoken format {fmt!r}; use one of {', '.join(SPOKEN_FORMATS)}")
