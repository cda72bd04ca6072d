"""Deadline phrases as spoken ("by Fri", "end of next week", "7/24") -> calendar dates,
following the evaluation's annotation conventions (documented on each rule)."""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import re
from collections.abc import Callable

import dateparser

logger = logging.getLogger(__name__)

WEEKDAYS = {
    "monday": 0, "mon": 0,
    "tuesday": 1, "tue": 1, "tues": 1,
    "wednesday": 2, "wed": 2, "weds": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3,
    "friday": 4, "fri": 4,
    "saturday": 5, "sat": 5,
    "sunday": 6, "sun": 6,
}  # fmt: skip
MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14, "fifteen": 15,
    "twenty": 20, "thirty": 30, "couple": 2, "a couple": 2, "a couple of": 2, "couple of": 2,
}  # fmt: skip
_ORDINAL_WORDS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
    "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
).split()


def alternation(words: object) -> str:
    """A regex alternation of `words`, longest first (so "thursday" wins over "thu")."""
    return "|".join(sorted(map(str, words), key=len, reverse=True))  # type: ignore[call-overload]


_WD_WORDS = alternation(WEEKDAYS)
_WD = rf"\b(?P<wd>{_WD_WORDS})\b"
_MON = rf"(?:{alternation(MONTHS)})\.?"
_NUM = rf"(?P<n>\d+|{alternation(NUMBERS)})"
_SUFFIX = r"(?:st|nd|rd|th)"
_YEAR = r"(?:,?\s+(?P<y>\d{4}))?"

# Explicit calendar dates; any of these beats a weekday name in the same phrase ("Mon 3/9").
_ISO = re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b")
_NUMERIC = re.compile(r"(?<![\d/])(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/(?P<y>\d{4}|\d{2}))?(?![\d/])")
_MONTH_DAY = re.compile(rf"\b{_MON}\s+(?:the\s+)?\d{{1,2}}{_SUFFIX}?\b{_YEAR}")
_DAY_MONTH = re.compile(rf"\b\d{{1,2}}{_SUFFIX}?\s+(?:of\s+)?{_MON}(?!\w){_YEAR}")
# "the 15th": only when the ordinal is not a noun's modifier ("the 1st demo").
_DAY_OF_MONTH = re.compile(
    rf"\bthe\s+(?P<d>\d{{1,2}}){_SUFFIX}\b(?!\s+(?!(?:of|at|or|and|by|latest|eod|cob|morning|afternoon|evening)\b)[a-z])"
)

_VAGUE_PERIOD = re.compile(r"\bnext\s+(?:week|month|quarter|sprint|year|cycle|release|iteration)\b")
_TODAY = re.compile(
    r"\b(?:today|tonight|eod|cob|close of business|end of (?:the |business )?day|this (?:afternoon|morning|evening)"
    r"|later today|right after (?:this|the (?:meeting|call))|after (?:this|the) (?:meeting|call)"
    r"|within the hour|in an hour|(?:before|by|after) lunch|by (?:noon|midday)|end of (?:the |this )?(?:meeting|call))\b"
)
_TIME_OF_DAY = re.compile(
    r"\b\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|\b\d{1,2}:\d{2}\b|\b(?:noon|midday|midnight)\b"
)


def resolve_deadline(
    phrase: str | None, meeting_date: dt.date | None, tz: str | None = None
) -> dt.date | None:
    """The date a deadline phrase names, or None when it is vague, unresolvable or needs a
    meeting date we lack. `tz` is accepted for symmetry with Transcript; relative phrases are
    resolved against `meeting_date` only."""
    if not phrase or not phrase.strip():
        return None
    text = _normalize(phrase)
    try:
        return _resolve(text, meeting_date)
    except (ValueError, OverflowError) as exc:  # date arithmetic past year 9999 and the like
        logger.debug("deadline %r not resolved: %s", phrase, exc)
        return None


def _resolve(text: str, meeting_date: dt.date | None) -> dt.date | None:
    explicit = _explicit_date(text, meeting_date)
    if explicit is not None or meeting_date is None:
        return explicit
    for rule in _RULES:
        found = rule(text, meeting_date)
        if found is not None:
            return found
    if _VAGUE_PERIOD.search(text):
        # "next week", "next sprint" name no single day; stop before a time of day in the same
        # phrase ("next week at 3pm") is read as today.
        return None
    return _today(text, meeting_date)


def _normalize(phrase: str) -> str:
    text = " ".join(phrase.lower().replace("’", "'").split())
    text = re.sub(r"\be[\s.]*o[\s.]*([dwmyq])\b\.?", r"eo\1", text)  # "E O D", "e.o.d."
    text = re.sub(r"\bc[\s.]*o[\s.]*b\b\.?", "cob", text)
    text = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", text)  # "end-of-day", "twenty-first"
    for n, word in enumerate(_ORDINAL_WORDS, start=1):
        text = re.sub(rf"\b{word}\b", f"{n}{_suffix(n)}", text)
    text = re.sub(r"\btwenty (\d)(?:st|nd|rd|th)\b", lambda m: f"2{m[1]}{_suffix(20 + int(m[1]))}", text)
    text = re.sub(r"\bthirty 1st\b", "31st", text).replace("thirtieth", "30th")
    text = re.sub(r"\b(tmrw|tmr|tomorow|tommorow|tommorrow)\b", "tomorrow", text)
    return text


def _suffix(n: int) -> str:
    return "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


# ---- explicit dates ---------------------------------------------------------------------------


def _explicit_date(text: str, meeting: dt.date | None) -> dt.date | None:
    """A written date: ISO, m/d[/y], month name + day, or "the 15th" (next occurrence)."""
    if m := _ISO.search(text):
        return _safe_date(int(m["y"]), int(m["m"]), int(m["d"]))
    if m := _NUMERIC.search(text):
        year = int(m["y"]) if m["y"] else None
        if year is not None and year < 100:
            year += 2000
        return _on_or_after(int(m["m"]), int(m["d"]), year, meeting)
    for pattern in (_MONTH_DAY, _DAY_MONTH):
        if m := pattern.search(text):
            return _parse_month_day(m[0], m["y"], meeting)
    if meeting is not None and (m := _DAY_OF_MONTH.search(text)):
        return _next_day_of_month(int(m["d"]), meeting)
    return None


def _parse_month_day(span: str, year: str | None, meeting: dt.date | None) -> dt.date | None:
    # dateparser reads the many spellings ("6th of June", "Sept. 6", "June the 6th");
    # the roll-forward rule ("next occurrence on or after the meeting") is ours.
    base = dt.datetime.combine(meeting or dt.date(2000, 1, 1), dt.time())
    settings = {
        "RELATIVE_BASE": base,
        "PREFER_DATES_FROM": "current_period",
        "REQUIRE_PARTS": ["day", "month"],
    }
    try:
        parsed = dateparser.parse(span, languages=["en"], settings=settings)  # type: ignore[arg-type]
    except (ValueError, OverflowError, TypeError, AttributeError) as exc:
        logger.debug("dateparser failed on %r: %s", span, exc)
        return None
    if parsed is None:
        return None
    return _on_or_after(parsed.month, parsed.day, int(year) if year else None, meeting)


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _on_or_after(month: int, day: int, year: int | None, meeting: dt.date | None) -> dt.date | None:
    """The date with an explicit year, else the first (month, day) on or after the meeting."""
    if year is not None:
        return _safe_date(year, month, day)
    if meeting is None or not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    for y in range(meeting.year, meeting.year + 9):  # 9 years covers Feb 29
        found = _safe_date(y, month, day)
        if found is not None and found >= meeting:
            return found
    return None


def _next_day_of_month(day: int, meeting: dt.date) -> dt.date | None:
    year, month = meeting.year, meeting.month
    for _ in range(13):
        found = _safe_date(year, month, day)
        if found is not None and found >= meeting:
            return found
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


# ---- relative rules, tried in order ------------------------------------------------------------


def _week_monday(d: dt.date, weeks_ahead: int = 0) -> dt.date:
    return d - dt.timedelta(days=d.weekday()) + dt.timedelta(weeks=weeks_ahead)


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _add_months(d: dt.date, months: int) -> dt.date:
    year, month = divmod(d.month - 1 + months, 12)
    year += d.year
    return dt.date(year, month + 1, min(d.day, calendar.monthrange(year, month + 1)[1]))


def _holiday(text: str, meeting: dt.date) -> dt.date | None:
    """Thanksgiving (4th Thursday of November), Christmas (Eve), New Year's (Eve): next occurrence."""

    def thanksgiving(year: int) -> dt.date:
        first = dt.date(year, 11, 1)
        return first + dt.timedelta(days=(3 - first.weekday()) % 7 + 21)

    fixed: dict[str, Callable[[int], dt.date]] = {
        r"\bthanksgiving\b": thanksgiving,
        r"\b(?:christmas|xmas) eve\b": lambda y: dt.date(y, 12, 24),
        r"\b(?:christmas|xmas)\b": lambda y: dt.date(y, 12, 25),
        r"\bnew year'?s eve\b": lambda y: dt.date(y, 12, 31),
        r"\bnew years?'?(?: day)?\b": lambda y: dt.date(y, 1, 1),
    }
    for pattern, day in fixed.items():
        if re.search(pattern, text):
            this_year = day(meeting.year)
            return this_year if this_year >= meeting else day(meeting.year + 1)
    return None


def _period_end(text: str, meeting: dt.date) -> dt.date | None:
    """End of the month / of a named month / of next month / of the quarter / of the year."""
    if re.search(r"\b(?:end of (?:the |this )?month|month end|eom)\b", text):
        return _month_end(meeting.year, meeting.month)
    if re.search(r"\bend of next month\b", text):
        nxt = _add_months(meeting.replace(day=1), 1)
        return _month_end(nxt.year, nxt.month)
    if m := re.search(rf"\bend of (?P<mon>{_MON})(?!\w)", text):
        month = MONTHS[m["mon"].rstrip(".")]
        year = meeting.year if month >= meeting.month else meeting.year + 1
        return _month_end(year, month)
    if re.search(r"\b(?:end of (?:the |this )?quarter|quarter end|eoq)\b", text):
        last = (meeting.month - 1) // 3 * 3 + 3
        return _month_end(meeting.year, last)
    if m := re.search(r"\bend of q([1-4])\b", text):
        last = int(m[1]) * 3
        year = meeting.year if last >= meeting.month else meeting.year + 1
        return _month_end(year, last)
    if re.search(r"\b(?:end of (?:the |this )?year|year end|eoy)\b", text):
        return dt.date(meeting.year, 12, 31)
    return None


_UNITS = {"day": 1, "days": 1, "week": 7, "weeks": 7, "fortnight": 14, "fortnights": 14}


def _duration(text: str, meeting: dt.date) -> dt.date | None:
    """`in/within N days|weeks|months|hours`, `N weeks from now/today/Friday`, `this time next week`."""
    if re.search(r"\b(?:this|same) time next week\b", text):
        return meeting + dt.timedelta(days=7)
    lead = r"\b(?:in|within|after)\s+(?:the\s+next\s+)?"
    unit_re = r"(?P<business>(?:business|working)\s+)?(?P<unit>days?|weeks?|fortnights?|months?|hours?|hrs?|minutes?|mins?)\b"
    m = re.search(lead + _NUM + r"\s+" + unit_re, text)
    anchor = meeting
    if m is None:
        m = re.search(
            r"\b" + _NUM + r"\s+" + unit_re + rf"\s+from\s+(?P<anchor>now|today|tomorrow|{_WD_WORDS})\b", text
        )
        if m is None:
            return None
        anchor_word = m["anchor"]
        if anchor_word == "tomorrow":
            anchor = meeting + dt.timedelta(days=1)
        elif anchor_word in WEEKDAYS:
            anchor = meeting + dt.timedelta(days=(WEEKDAYS[anchor_word] - meeting.weekday() - 1) % 7 + 1)
    n = int(m["n"]) if m["n"].isdigit() else NUMBERS[m["n"]]
    unit = m["unit"]
    if n > 1000:  # "in 999999 weeks" is not a deadline
        return None
    if unit.startswith(("hour", "hr", "min")):
        return anchor + dt.timedelta(days=n // 24 if unit.startswith(("hour", "hr")) else 0)
    if unit.startswith("month"):
        return _add_months(anchor, n)
    if m["business"] and unit.startswith("day"):
        d = anchor
        while n > 0:
            d += dt.timedelta(days=1)
            n -= d.weekday() < 5
        return d
    return anchor + dt.timedelta(days=n * _UNITS[unit])


def _weekday_in_week(text: str, meeting: dt.date) -> dt.date | None:
    """`next Friday`, `Friday next week`, `next week Friday` -> that day in the following
    Monday-start week; `Friday after next` / `... week after next` one week later still."""
    weeks = 2 if "after next" in text else 1
    for pattern in (rf"\bnext\s+(?:week'?s?\s+)?{_WD}", rf"{_WD}\s+(?:of\s+)?(?:next week|the week after next)\b",
                    rf"{_WD}\s+after next\b"):  # fmt: skip
        if m := re.search(pattern, text):
            return _week_monday(meeting, weeks) + dt.timedelta(days=WEEKDAYS[m["wd"]])
    return None


def _end_of_later_week(text: str, meeting: dt.date) -> dt.date | None:
    """`end of next week` -> Friday of the following week (`... week after next`: +2 weeks)."""
    if re.search(r"\bend of (?:the )?week after next\b", text):
        return _week_monday(meeting, 2) + dt.timedelta(days=4)
    if re.search(r"\b(?:end of next week|next week'?s end)\b", text):
        return _week_monday(meeting, 1) + dt.timedelta(days=4)
    return None


def _bare_weekday(text: str, meeting: dt.date) -> dt.date | None:
    """`Friday`, `by Fri`, `Thursday morning` -> first such day strictly after the meeting."""
    if m := re.search(_WD, text):
        return meeting + dt.timedelta(days=(WEEKDAYS[m["wd"]] - meeting.weekday() - 1) % 7 + 1)
    return None


def _tomorrow(text: str, meeting: dt.date) -> dt.date | None:
    if re.search(r"\bday after tomorrow\b", text):
        return meeting + dt.timedelta(days=2)
    if re.search(r"\btomorrow\b", text):
        return meeting + dt.timedelta(days=1)
    return None


def _end_of_week(text: str, meeting: dt.date) -> dt.date | None:
    """`this week`, `end of (the) week`, `EOW` -> Friday of the meeting's week (or the meeting
    day itself when the meeting is on a weekend)."""
    if re.search(
        r"\b(?:this week|later this week|end of (?:the |this )?week|eow|week'?s end|within the week)\b", text
    ):
        return max(_week_monday(meeting) + dt.timedelta(days=4), meeting)
    return None


def _today(text: str, meeting: dt.date) -> dt.date | None:
    """`today`, `EOD`, `COB`, `tonight`, `right after this`, `before lunch`, `by 3pm` -> the meeting day."""
    return meeting if _TODAY.search(text) or _TIME_OF_DAY.search(text) else None


_RULES: tuple[Callable[[str, dt.date], dt.date | None], ...] = (
    _holiday,
    _period_end,
    _duration,
    _end_of_later_week,
    _weekday_in_week,
    _bare_weekday,
    _tomorrow,
    _end_of_week,
)
