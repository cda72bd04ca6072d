"""Commitments: a first-person "I'll do it" on the supporting turn makes its speaker the owner."""

from __future__ import annotations

import pytest

from extractor.commitments import commits, committed_owner
from extractor.owners import MeetingNames
from extractor.postprocess import finalize
from extractor.schema import ModelItem
from extractor.turns import Transcript, Turn


@pytest.mark.parametrize(
    "text",
    [
        "I'll have it done by Friday.",
        "Sure thing. I’ll get those to you by end of day Thursday.",
        "I can take the lead on gathering the sales data.",
        "Yeah, on it.",
        "Will do.",
        "Okay, sure, that's mine.",
        "Let me draft the agenda tonight.",
        "I'm going to profile it and I should have numbers by Thursday.",
        "i will send the deck",
    ],
)
def test_first_person_commitments(text: str) -> None:
    assert commits(text)


@pytest.mark.parametrize(
    "text",
    [
        "I can't do Friday.",
        "I can not take that one.",
        "I will not be around next week.",
        "I'll ask Priya to send it.",
        "Let me get Tom to look at it.",
        "I'll put Chris down to write the commentary.",
        "Can I take the budget?",
        "Maria, can you handle the metrics?",
        "We'll revisit later.",
        "The deploy is on it's way.",
    ],
)
def test_not_commitments(text: str) -> None:
    assert not commits(text)


DEMO = Transcript(
    turns=(
        Turn(0, "#Person1#", "Hey team, let's sync on the Q3 report."),
        Turn(1, "#Person2#", "I can take the lead on gathering the sales data. I'll have it done by Friday."),
        Turn(2, "#Person1#", "Great, thanks Alex. Maria, can you handle the marketing metrics?"),
        Turn(3, "#Person3#", "Sure thing. I'll get those to you by end of day Thursday."),
        Turn(4, "Dana", "I'll draft the brief and Lee will review it."),
        Turn(5, "#Person4#", "I'll book the room."),
    ),
    format="dialogsum",
)


@pytest.mark.parametrize(
    ("turn", "model_owner", "expected"),
    [
        (
            1,
            "Maria",
            "Alex",
        ),  # the model named the wrong person; the speaker (named by "thanks Alex") committed
        (3, "Alex", "Maria"),
        (1, "Alex", "Alex"),
        (4, "Lee", None),  # Lee is named in the turn: keep the model's choice
        (4, "Omar", "Dana"),
        (5, "Maria", None),  # #Person4# is never named: nothing better than the model's owner
        (2, "Maria", None),  # a request, not a commitment
    ],
)
def test_committed_owner(turn: int, model_owner: str, expected: str | None) -> None:
    assert committed_owner(DEMO.turns[turn], model_owner, MeetingNames.build(DEMO)) == expected


def test_finalize_prefers_the_committing_speaker_but_keeps_group_items() -> None:
    items = [
        ModelItem(turn=1, owner="Maria", task="Gather the sales data", deadline="by Friday"),
        ModelItem(turn=3, owner="Maria", task="Send the marketing metrics"),
        ModelItem(turn=4, owner=None, task="Draft the brief"),  # Dana says she will: hers
    ]
    assert [it.owner for it in finalize(items, DEMO)] == ["Alex", "Maria", "Dana"]
    # A task the committing turn does not say stays unassigned.
    elsewhere = [ModelItem(turn=4, owner=None, task="Circulate the agenda to everyone")]
    assert [it.owner for it in finalize(elsewhere, DEMO)] == [None]


def test_finalize_gives_an_accepted_request_to_the_speaker_who_accepts_it() -> None:
    # "Maria, can you handle the marketing metrics?" / "Sure thing. I'll get those to you": the
    # reply says none of the task, the request just before it does.
    items = [ModelItem(turn=3, owner=None, task="Send the marketing metrics to Maria")]
    assert [(it.owner, it.task) for it in finalize(items, DEMO)] == [("Maria", "Send the marketing metrics")]
    # The same request answered without a commitment stays unassigned.
    for reply, owner in (("Sure, I'll get it done tonight.", "Ben"), ("Sorry, I can't this week.", None)):
        meeting = Transcript(turns=(Turn(0, "Ana", "Ben, can you renew the domain?"), Turn(1, "Ben", reply)))
        assert [
            it.owner for it in finalize([ModelItem(turn=1, owner=None, task="Renew the domain")], meeting)
        ] == [owner], reply
