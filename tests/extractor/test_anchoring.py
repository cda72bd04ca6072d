"""anchor_turn: an item moves to a nearby first-person commitment that says its task plainly."""

from __future__ import annotations

import pytest

from extractor.anchoring import WINDOW_TURNS, anchor_turn, support
from extractor.postprocess import finalize, without_self_address
from extractor.schema import ModelItem
from extractor.turns import Transcript, Turn

TURNS = (
    Turn(0, "#Person1#", "Hey team, let's sync on the Q3 report."),
    Turn(1, "#Person2#", "I can take the lead on gathering the sales data. I'll have it done by Friday."),
    Turn(2, "#Person1#", "Great, thanks Alex. Maria, can you handle the marketing metrics?"),
    Turn(3, "#Person3#", "Sure thing. I'll get those to you by end of day Thursday."),
)
BY_INDEX = {t.index: t for t in TURNS}


def test_support_counts_task_words_by_their_beginnings() -> None:
    assert support("Gather the sales data", TURNS[1].text) == 3  # gathering ~ gather
    assert support("Gather the sales data", TURNS[3].text) == 0


@pytest.mark.parametrize(
    ("turn", "task", "expected"),
    [
        (3, "Gather the sales data", 1),  # moved to the commitment that says it
        (1, "Gather the sales data", 1),
        (3, "Provide the marketing metrics", 3),  # the request (turn 2) says it, but it is not a commitment
        (3, "Book the venue", 3),  # no turn says it: keep the model's turn
        (42, "Gather the sales data", 42),  # unknown turns are the caller's to drop
    ],
)
def test_anchor_turn(turn: int, task: str, expected: int) -> None:
    assert anchor_turn(turn, task, BY_INDEX) == expected


def test_far_turns_do_not_compete() -> None:
    filler = {k: Turn(k, "Lee", "Mm-hmm.") for k in range(2, WINDOW_TURNS + 3)}
    turns = {1: TURNS[1], **filler}
    assert anchor_turn(WINDOW_TURNS + 1, "Gather the sales data", turns) == 1
    assert anchor_turn(WINDOW_TURNS + 2, "Gather the sales data", turns) == WINDOW_TURNS + 2


def test_finalize_reads_the_demo_right_from_a_confused_model() -> None:
    transcript = Transcript(turns=TURNS, format="dialogsum")
    items = [
        ModelItem(turn=3, owner="Maria", task="Gather the sales data", deadline="by Friday"),
        ModelItem(
            turn=3, owner="Maria", task="Provide the marketing metrics", deadline="by end of day Thursday"
        ),
    ]
    out = finalize(items, transcript)
    assert [(it.owner, it.evidence.turn if it.evidence else None) for it in out] == [
        ("Alex", 1),
        ("Maria", 3),
    ]


def test_finalize_reads_the_demo_right_from_the_shipped_adapter() -> None:
    # The shipped adapter's raw answer for examples/product_demo.txt: the sales data one turn
    # early and unassigned, a made-up task on Alex's turn, and the metrics "to Maria" for Alex.
    transcript = Transcript(turns=TURNS, format="dialogsum")
    items = [
        ModelItem(turn=0, owner=None, task="Gather the sales data", deadline="by Friday"),
        ModelItem(turn=1, owner="Maria", task="Prepare the Q3 financials"),
        ModelItem(
            turn=3,
            owner="Alex",
            task="Send the marketing metrics to Maria",
            deadline="by end of day Thursday",
        ),
    ]
    out = finalize(items, transcript)
    assert [(it.owner, it.task, it.deadline) for it in out] == [
        ("Alex", "Gather the sales data", "by Friday"),
        ("Maria", "Send the marketing metrics", "by end of day Thursday"),
    ]


def test_an_ungrounded_item_survives_when_its_turn_supports_nothing_else() -> None:
    transcript = Transcript(turns=TURNS, format="dialogsum")
    out = finalize([ModelItem(turn=1, owner="Alex", task="Prepare the Q3 financials")], transcript)
    assert [it.task for it in out] == ["Prepare the Q3 financials"]


@pytest.mark.parametrize(
    ("task", "owner", "expected"),
    [
        ("Send the marketing metrics to Maria", "Maria", "Send the marketing metrics"),
        ("Send the contract to Maria Lopez.", "Maria Lopez", "Send the contract"),
        ("Send the deck to Maria", "Alex", "Send the deck to Maria"),  # someone else: kept
        ("Call for Maria", "Maria", "Call for Maria"),  # nothing would be left
        ("Book a room for the team", None, "Book a room for the team"),
        ("Send Maria the marketing metrics", "Maria", "Send the marketing metrics"),
        ("Send Maria the marketing metrics", "Alex", "Send Maria the marketing metrics"),
        ("Ask Maria about the venue", "Maria", "Ask Maria about the venue"),  # no object follows
    ],
)
def test_a_task_addressed_to_its_own_owner_loses_the_address(
    task: str, owner: str | None, expected: str
) -> None:
    assert without_self_address(task, owner) == expected
