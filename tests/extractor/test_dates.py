"""resolve_deadline: one row per annotation convention, with calendar edges."""

from __future__ import annotations

import datetime as dt
import random
import string

import pytest

from extractor.dates import resolve_deadline

D = dt.date
THU = D(2025, 6, 12)  # a Thursday
FRI = D(2025, 6, 13)
MON = D(2025, 6, 9)
SUN = D(2025, 6, 15)


@pytest.mark.parametrize(
    ("phrase", "meeting", "expected"),
    [
        # bare weekday: first such day strictly after the meeting
        ("Friday", THU, D(2025, 6, 13)),
        ("by Fri", THU, D(2025, 6, 13)),
        ("on Monday", THU, D(2025, 6, 16)),
        ("Thursday morning", THU, D(2025, 6, 19)),
        ("end of day Thursday", MON, D(2025, 6, 12)),
        ("by Wednesday EOD", THU, D(2025, 6, 18)),
        ("Friday", FRI, D(2025, 6, 20)),
        ("this Friday", FRI, D(2025, 6, 20)),
        ("Saturday", FRI, D(2025, 6, 14)),
        ("Monday", SUN, D(2025, 6, 16)),
        ("thurs", D(2025, 12, 29), D(2026, 1, 1)),
        # next <weekday> / <weekday> next week: that day of the following Monday-start week
        ("next Friday", THU, D(2025, 6, 20)),
        ("next Friday", MON, D(2025, 6, 20)),
        ("next Monday", FRI, D(2025, 6, 16)),
        ("Friday next week", THU, D(2025, 6, 20)),
        ("next week Tuesday", THU, D(2025, 6, 17)),
        ("Tuesday of next week", D(2025, 12, 31), D(2026, 1, 6)),
        ("Friday after next", THU, D(2025, 6, 27)),
        # the meeting day itself
        ("today", THU, THU),
        ("EOD", THU, THU),
        ("E O D", THU, THU),
        ("e.o.d.", THU, THU),
        ("end of day", THU, THU),
        ("end-of-day", THU, THU),
        ("COB", THU, THU),
        ("this afternoon", THU, THU),
        ("tonight", THU, THU),
        ("right after this", THU, THU),
        ("within the hour", THU, THU),
        ("before lunch", THU, THU),
        ("by 3pm", THU, THU),
        # tomorrow
        ("tomorrow", THU, FRI),
        ("tomorrow night", THU, FRI),
        ("first thing tomorrow morning", THU, FRI),
        ("tomorrow", D(2025, 2, 28), D(2025, 3, 1)),
        ("tomorrow", D(2024, 2, 28), D(2024, 2, 29)),
        ("tomorrow", D(2025, 12, 31), D(2026, 1, 1)),
        ("day after tomorrow", THU, D(2025, 6, 14)),
        # this week / end of week: Friday of the meeting's week
        ("this week", MON, FRI),
        ("end of the week", THU, FRI),
        ("end of week", FRI, FRI),
        ("EOW", MON, FRI),
        ("E O W", MON, FRI),
        ("by the end of the week", D(2025, 12, 29), D(2026, 1, 2)),
        ("end of next week", THU, D(2025, 6, 20)),
        ("end of next week", D(2025, 12, 26), D(2026, 1, 2)),
        # months
        ("end of the month", THU, D(2025, 6, 30)),
        ("end of month", D(2024, 2, 3), D(2024, 2, 29)),
        ("end of October", THU, D(2025, 10, 31)),
        ("end of May", THU, D(2026, 5, 31)),
        ("end of June", D(2025, 6, 30), D(2025, 6, 30)),
        ("end of next month", D(2025, 12, 5), D(2026, 1, 31)),
        # durations
        ("within two weeks", THU, D(2025, 6, 26)),
        ("in 2 weeks", D(2025, 12, 25), D(2026, 1, 8)),
        ("in three days", THU, D(2025, 6, 15)),
        ("a week from Friday", THU, D(2025, 6, 20)),
        # explicit dates: next occurrence on/after the meeting; weekends kept
        ("June 6th", THU, D(2026, 6, 6)),
        ("June 12", THU, THU),
        ("6th of July", THU, D(2025, 7, 6)),
        ("June fifth", D(2025, 6, 1), D(2025, 6, 5)),
        ("7/24", THU, D(2025, 7, 24)),
        ("Mon 3/9", THU, D(2026, 3, 9)),
        ("by Friday 6/20", THU, D(2025, 6, 20)),
        ("Friday the 27th", THU, D(2025, 6, 27)),
        ("the 15th", THU, D(2025, 6, 15)),
        ("by the 2nd", THU, D(2025, 7, 2)),
        ("the 31st", THU, D(2025, 7, 31)),
        ("by the 2nd", D(2025, 12, 20), D(2026, 1, 2)),
        ("2025-07-01", THU, D(2025, 7, 1)),
        ("12/3/24", THU, D(2024, 12, 3)),
        ("Jan 5", D(2025, 12, 15), D(2026, 1, 5)),
        ("2/29", D(2025, 3, 1), D(2028, 2, 29)),
        # holidays
        ("Thanksgiving", THU, D(2025, 11, 27)),
        ("before Thanksgiving", D(2026, 1, 10), D(2026, 11, 26)),
        ("Christmas", THU, D(2025, 12, 25)),
        ("New Year's", THU, D(2026, 1, 1)),
        # vague or unresolvable
        ("next week", THU, None),
        ("next month", THU, None),
        ("next sprint", THU, None),
        ("next quarter", THU, None),
        ("after launch", THU, None),
        ("soon", THU, None),
        ("ASAP", THU, None),
        ("before the release", THU, None),
        ("next week at 3pm", THU, None),
        ("24/7", THU, None),
        ("before the first demo", THU, None),
        ("October", THU, None),
        ("", THU, None),
        (None, THU, None),
    ],
)
def test_resolve_deadline(phrase: str | None, meeting: dt.date, expected: dt.date | None) -> None:
    assert resolve_deadline(phrase, meeting) == expected


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("2025-07-01", D(2025, 7, 1)),
        ("July 1, 2026", D(2026, 7, 1)),
        ("7/1/2026", D(2026, 7, 1)),
        ("July 1", None),
        ("Friday", None),
        ("tomorrow", None),
        ("end of the month", None),
        ("Christmas", None),
    ],
)
def test_without_meeting_date_only_dates_with_a_year_resolve(phrase: str, expected: dt.date | None) -> None:
    assert resolve_deadline(phrase, None, "Europe/Berlin") == expected


def test_odd_text_never_raises() -> None:
    rng = random.Random(7)
    alphabet = string.printable + "éü–—…/\u200b#"
    for _ in range(300):
        phrase = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        result = resolve_deadline(phrase, THU)
        assert result is None or isinstance(result, dt.date)
    for phrase in ("99/99", "2025-13-45", "Feb 30", "the 0th", "in 999999999 weeks", "by the 99th"):
        assert resolve_deadline(phrase, THU) is None or isinstance(resolve_deadline(phrase, THU), dt.date)
