"""Deadlines and priorities checked against the supporting turn: find_deadlines, grounded_deadline,
stated_priority."""

from __future__ import annotations

import pytest

from extractor.deadline_spans import find_deadlines, said_in
from extractor.postprocess import grounded_deadline
from extractor.priority_cues import stated_priority
from extractor.turns import Turn


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("I'll have it done by Friday.", ["by Friday"]),
        ("Sure thing. I'll get those to you by end of day Thursday.", ["by end of day Thursday"]),
        ("Tomorrow morning works, then the deck by March 14.", ["Tomorrow morning", "by March 14"]),
        ("before the 14th, or EOD wed at the latest", ["before the 14th", "EOD wed"]),
        ("I'll look at it next week.", ["next week"]),
        ("We shipped it last sprint.", []),
        ("Fridays are for demos.", []),
    ],
)
def test_find_deadlines(text: str, spans: list[str]) -> None:
    assert find_deadlines(text) == spans


def test_said_in_ignores_case_and_spacing() -> None:
    assert said_in("by  friday", ["I'll do it By Friday."]) and not said_in("by Monday", ["by Friday"])


TURNS = {
    0: Turn(0, "Ana", "Alex, can you pull the sales data by Friday?"),
    1: Turn(1, "Alex", "Sure."),
    2: Turn(2, "Maria", "I'll get the metrics to you by end of day Thursday."),
    3: Turn(3, "Lee", "I'll book the room, maybe Monday or Tuesday."),
}


@pytest.mark.parametrize(
    ("deadline", "turn", "expected"),
    [
        ("by Friday", 1, "by Friday"),  # said on the request just before: kept
        ("by Friday", 2, "by end of day Thursday"),  # copied from elsewhere: the turn's own one
        ("next week", 3, "next week"),  # the turn says two: no way to choose, keep the model's
        (None, 2, "by end of day Thursday"),  # the turn says exactly one: filled
        (None, 3, None),
        (None, 1, None),
    ],
)
def test_grounded_deadline(deadline: str | None, turn: int, expected: str | None) -> None:
    assert grounded_deadline(deadline, turn, TURNS) == expected


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (("This is urgent, can you send it today?",), "high"),
        (("Sure.", "Omar, the budget sheet is urgent."), "high"),
        (("Not urgent, but can you tidy the wiki?",), "low"),
        (("Low pri.",), "low"),
        (("No rush on this one.",), "low"),
        (("Medium priority, I'd say.",), "medium"),
        (("P1, ship it ASAP",), "high"),
        (("I'll do it by Friday.", "Can you take the report?"), None),
        (("The priority list is on the wiki.",), None),
    ],
)
def test_stated_priority(texts: tuple[str, ...], expected: str | None) -> None:
    assert stated_priority(*texts) == expected
