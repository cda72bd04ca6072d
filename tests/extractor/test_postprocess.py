"""finalize: bad turns dropped, owners and dates resolved, evidence filled, read-backs deduped."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from extractor.postprocess import MAX_QUOTE_CHARS, clean_deadline, finalize, quote
from extractor.schema import ModelItem
from extractor.turns import Transcript, Turn

MEETING = Transcript(
    turns=(
        Turn(0, "Dana Whitfield", "Can someone update the onboarding doc before the new hires start?", 0.0),
        Turn(1, "Lee", "I'll do it by Thursday.", 4.5),
        Turn(
            2,
            "Dana Whitfield",
            "Thanks Lee. Omar, the budget sheet is urgent, can you send it today?",
            3671.0,
        ),
        Turn(3, "Omar", "Sure.", 3680.0),
        Turn(
            4,
            "Dana Whitfield",
            "To recap: Lee updates the onboarding doc, Omar sends the budget sheet EOD.",
            3700.0,
        ),
    ),
    format="vtt",
    meeting_date=dt.date(2025, 3, 4),  # a Tuesday
    tz="America/New_York",
)


def item(
    turn: int, task: str, owner: str | None = None, deadline: str | None = None, priority=None
) -> ModelItem:
    return ModelItem(turn=turn, owner=owner, task=task, deadline=deadline, priority=priority)


def test_finalize_fills_owner_dates_and_evidence() -> None:
    out = finalize(
        [
            item(1, "Update the onboarding doc", "lee", "by Thursday."),
            item(3, "Send the budget sheet", "Omar", "today", "high"),
        ],
        MEETING,
    )
    assert [it.to_json() for it in out] == [
        {
            "owner": "Lee",
            "task": "Update the onboarding doc",
            "deadline": "by Thursday",
            "deadline_date": "2025-03-06",
            "priority": None,
            "evidence": {"turn": 1, "time": "0:04", "speaker": "Lee", "quote": "I'll do it by Thursday."},
        },
        {
            "owner": "Omar",
            "task": "Send the budget sheet",
            "deadline": "today",
            "deadline_date": "2025-03-04",
            "priority": "high",
            "evidence": {"turn": 3, "time": "1:01:20", "speaker": "Omar", "quote": "Sure."},
        },
    ]


def test_items_on_unknown_turns_are_dropped(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="extractor.postprocess"):
        out = finalize(
            [item(42, "Invent a task", "Lee"), item(1, "Update the onboarding doc", "Lee")], MEETING
        )
    assert [it.evidence.turn for it in out if it.evidence] == [1]
    assert "unknown turn 42" in caplog.text


def test_owner_pronoun_and_invented_name() -> None:
    out = finalize([item(1, "Update the doc", "I"), item(3, "Send the sheet", "Zorblax")], MEETING)
    assert [it.owner for it in out] == ["Lee", None]


def test_read_back_summary_is_deduplicated_and_fills_gaps() -> None:
    items = [
        item(1, "Update the onboarding doc", "Lee", "by Thursday"),
        item(3, "Send the budget sheet", "Omar"),
        item(4, "Update the onboarding doc", "Lee"),
        item(4, "Send the budget sheet", "Omar", "EOD", "high"),
    ]
    out = finalize(items, MEETING)
    assert [(it.owner, it.evidence.turn if it.evidence else None) for it in out] == [("Lee", 1), ("Omar", 3)]
    omar = out[1]
    assert (omar.deadline, omar.deadline_date, omar.priority) == ("EOD", dt.date(2025, 3, 4), "high")


def test_same_task_different_owner_is_kept() -> None:
    out = finalize([item(1, "Review the deck", "Lee"), item(3, "Review the deck", "Omar")], MEETING)
    assert [it.owner for it in out] == ["Lee", "Omar"]


def test_output_is_ordered_by_turn() -> None:
    out = finalize(
        [item(3, "Send the budget sheet", "Omar"), item(1, "Update the onboarding doc", "Lee")], MEETING
    )
    assert [it.evidence.turn for it in out if it.evidence] == [1, 3]


def test_no_meeting_date_keeps_phrase_without_date() -> None:
    undated = Transcript(turns=MEETING.turns)
    (out,) = finalize([item(1, "Update the doc", "Lee", "Thursday")], undated)
    assert (out.deadline, out.deadline_date) == ("Thursday", None)


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [("by Thursday.", "by Thursday"), ("EOD!", "EOD"), ("  today ,", "today"), ("...", None), (None, None),
     ("7/24", "7/24"), ("Q3 -", "Q3")],
)  # fmt: skip
def test_clean_deadline(raw: str | None, cleaned: str | None) -> None:
    assert clean_deadline(raw) == cleaned


LONG = (
    "So there is a lot going on this quarter and I want to make sure we talk about hiring, the offsite and "
    "the roadmap review before we close. Priya, please book the venue for the offsite by Friday so we can "
    "send invites. The roadmap review can wait until we have the numbers from finance, which should be soon."
)


def test_long_turn_quote_is_the_matching_sentence() -> None:
    q = quote(LONG, "Book the offsite venue", "by Friday")
    assert q == "Priya, please book the venue for the offsite by Friday so we can send invites."
    assert q in LONG


def test_long_sentence_quote_is_a_window_around_the_deadline() -> None:
    text = (
        " ".join(f"filler{k}" for k in range(60))
        + " ship the installer by March 3rd "
        + " ".join(f"tail{k}" for k in range(60))
    )
    q = quote(text, "Ship the installer", "by March 3rd")
    assert len(q) <= MAX_QUOTE_CHARS
    assert "by March 3rd" in q and q in text
    assert not q.startswith(" ") and q.split()[0] in text.split()


@pytest.mark.parametrize("text", ["Short turn.", "  spaced\n  out   text  ", "x" * 400, "word " * 100])
def test_quote_is_bounded_and_verbatim(text: str) -> None:
    q = quote(text, "Do the thing")
    assert 0 < len(q) <= MAX_QUOTE_CHARS
    assert q in " ".join(text.split())


NOTES = Transcript(
    turns=(
        Turn(0, None, "**Follow-ups**"),
        Turn(1, None, "- [x] Grant: final icons"),
        Turn(2, None, "- [ ] ~~Grant: animated onboarding tour~~ (cut, revisit post-launch)"),
        Turn(3, None, "5. ~~Write customer comms~~ -- not needed; Liam to email the vendor instead"),
        Turn(4, None, "- [ ] Jon: ramp the flag to 100% tomorrow"),
        Turn(5, None, "misc"),
        Turn(6, "Dana", "Misc"),
    ),
    format="notes",
)


@pytest.mark.parametrize(
    ("turn", "task", "kept"),
    [
        (0, "Follow-ups", False),  # a heading repeated as a task
        (1, "Final icons", False),  # ticked: done
        (2, "Animated onboarding tour", False),  # struck through
        (3, "Write customer comms", False),
        (3, "Email the vendor", True),  # the line's unstruck part still holds a task
        (4, "Ramp the flag to 100%", True),
        (5, "Misc", False),
        (6, "Misc", True),  # said by a speaker: not a notes heading
    ],
)
def test_done_struck_and_heading_lines_hold_no_open_item(turn: int, task: str, kept: bool) -> None:
    out = finalize([item(turn, task)], NOTES)
    assert [it.task for it in out] == ([task] if kept else [])
