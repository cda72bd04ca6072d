"""Meeting facts written in a transcript's header: the date and the attendee list."""

from __future__ import annotations

import datetime as dt
import re

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
# Only dates that carry a year: "Tue Sept 30" in a title is as likely the incident as the meeting.
_DATE_PATTERNS = (
    re.compile(r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?!\d)"),
    re.compile(rf"\b{_MONTH}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b", re.I),
    re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+(?P<y>\d{{4}})\b", re.I),
    # US order, as Zoom, Teams and Google write it: 3/10/2025 or 3/10/25.
    re.compile(r"(?<![\d/])(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4}|\d{2})(?![\d/])"),
    # Teams recording names: "Weekly sync-20250310_100203-Meeting Recording".
    re.compile(r"(?<!\d)(?P<y>20\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)(?=[_T]\d)"),
)
_DATE_LINE = re.compile(r"^\W*(date|when|meeting date|held on)\W*:", re.I)
_ATTENDEES = re.compile(
    r"^\s*(?:[-*•]\s*)?[*_]*(attendees|participants|present|in attendance|who|people|speakers)[*_]*\s*:[*_]*\s*(?P<names>.+)$",
    re.I,
)


def _date_in(line: str) -> dt.date | None:
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(line):
            parts = m.groupdict()
            month = _MONTHS[parts["mon"].lower()[:3]] if parts.get("mon") else int(parts["m"])
            year = int(parts["y"])
            year = year + 2000 if year < 100 else year
            try:
                return dt.date(year, month, int(parts["d"]))
            except ValueError:
                continue
    return None


def find_meeting_date(lines: list[str]) -> dt.date | None:
    """The first full date (with a year) in header lines, preferring a "Date:" line."""
    ordered = [ln for ln in lines if _DATE_LINE.match(ln)] + [ln for ln in lines if not _DATE_LINE.match(ln)]
    for line in ordered:
        found = _date_in(line)
        if found:
            return found
    return None


def attendees(line: str) -> list[str] | None:
    """Names from an "Attendees: A (role), B and C" line, or None when it is not one."""
    m = _ATTENDEES.match(line)
    if not m:
        return None
    names = []
    for part in re.split(r"[,;]|\s+and\s+|\s+&\s+", m.group("names")):
        name = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", part)  # roles: "Carol Jennings (Chair)"
        name = " ".join(name.strip(" *_.-").split())
        if name and len(name.split()) <= 5:
            names.append(name)
    return names
