"""chunk_turns (coverage, overlap, budget, giant turns) and merge_items (overlap duplicates)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from extractor.chunking import chunk_turns, merge_items, split_turn, task_similarity
from extractor.prompt import render_turns
from extractor.schema import ModelItem
from extractor.turns import Turn


class WordCounter:
    """count_tokens as the pipeline builds it (render, then count), with a call log."""

    def __init__(self, special: int = 0) -> None:
        self.special = special  # tokens a tokenizer adds to every call (BOS)
        self.calls = 0

    def __call__(self, turns: Sequence[Turn]) -> int:
        self.calls += 1
        text = render_turns(turns)
        return len(text.split()) + text.count("\n") + self.special


def make_turns(n: int, words: int = 10) -> list[Turn]:
    return [
        Turn(i, f"S{i % 3}", " ".join(f"w{i}x{k}" for k in range(words)), start=float(i)) for i in range(n)
    ]


def test_small_meeting_is_one_chunk() -> None:
    turns = make_turns(5)
    counter = WordCounter()
    assert chunk_turns(turns, counter, budget=1000) == [turns]


def test_exact_fit_is_one_chunk() -> None:
    turns = make_turns(4)
    counter = WordCounter()
    assert chunk_turns(turns, counter, budget=counter(turns)) == [turns]
    assert len(chunk_turns(turns, counter, budget=counter(turns) - 1)) == 2


def test_empty_input_gives_no_chunks() -> None:
    assert chunk_turns([], WordCounter(), budget=100) == []


@pytest.mark.parametrize("budget", [0, -5])
def test_budget_must_be_positive(budget: int) -> None:
    with pytest.raises(ValueError, match="budget"):
        chunk_turns(make_turns(2), WordCounter(), budget=budget)


@pytest.mark.parametrize(
    ("n", "words", "budget", "overlap", "special"),
    [
        (40, 10, 60, 3, 0),
        (40, 10, 60, 0, 0),
        (100, 5, 200, 3, 1),
        (30, 20, 50, 5, 1),
        (7, 3, 20, 10, 0),
        (300, 8, 400, 3, 1),
    ],
)
def test_chunks_cover_everything_in_budget_with_overlap(
    n: int, words: int, budget: int, overlap: int, special: int
) -> None:
    turns = make_turns(n, words)
    counter = WordCounter(special)
    chunks = chunk_turns(turns, counter, budget=budget, overlap_turns=overlap)
    assert len(chunks) > 1
    assert len(chunks) <= 2 * counter(turns) // budget + 2  # the overlap does not stall progress
    for chunk in chunks:
        assert counter(chunk) <= budget
        indices = [t.index for t in chunk]
        assert indices == list(range(indices[0], indices[-1] + 1))  # consecutive, in order
    assert {t.index for c in chunks for t in c} == set(range(n))
    for prev, nxt in zip(chunks, chunks[1:], strict=False):
        shared = prev[-1].index - nxt[0].index + 1
        assert nxt[-1].index > prev[-1].index  # every chunk brings new turns
        assert shared == min(overlap, len(prev) // 2), (prev[0].index, prev[-1].index, nxt[0].index)


def test_counts_each_turn_once_not_whole_chunks_repeatedly() -> None:
    turns = make_turns(200, 10)
    counter = WordCounter()
    chunks = chunk_turns(turns, counter, budget=150)
    # one call per turn, one for the special tokens, one verification per chunk (+ a few shrinks)
    assert counter.calls <= len(turns) + 2 * len(chunks) + 2


def test_giant_turn_is_split_with_same_index_and_nothing_lost() -> None:
    sentences = [f"Sentence number {k} says something about item {k}." for k in range(60)]
    giant = Turn(1, "Alex", " ".join(sentences), start=12.0)
    turns = [Turn(0, "Dana", "Short one."), giant, Turn(2, "Dana", "Thanks.")]
    counter = WordCounter()
    chunks = chunk_turns(turns, counter, budget=40, overlap_turns=1)
    pieces = list({(t.text): t for c in chunks for t in c if t.index == 1}.values())
    assert len(pieces) > 1
    assert all(p.speaker == "Alex" and p.start == 12.0 for p in pieces)
    assert " ".join(p.text for p in pieces).split() == giant.text.split()
    assert all(counter(c) <= 40 for c in chunks)
    assert {t.index for c in chunks for t in c} == {0, 1, 2}


@pytest.mark.parametrize(
    "text",
    [
        "one two three four five six seven eight nine ten eleven twelve thirteen fourteen",  # no sentences
        "x" * 500,  # no spaces at all
        "Short. " + "word " * 80 + "end.",  # one giant sentence among short ones
    ],
)
def test_split_turn_falls_back_to_words_then_characters(text: str) -> None:
    def chars(turns: Sequence[Turn]) -> int:  # a "tokenizer" counting 10 characters per token
        return len(render_turns(turns)) // 10 + 1

    turn = Turn(3, "Lee", text)
    pieces = split_turn(turn, chars, budget=6)
    assert len(pieces) > 1
    assert all(chars([p]) <= 6 and p.index == 3 for p in pieces)
    assert "".join(p.text for p in pieces).replace(" ", "") == text.replace(" ", "")


def item(
    turn: int, task: str, owner: str | None = None, deadline: str | None = None, priority=None
) -> ModelItem:
    return ModelItem(turn=turn, owner=owner, task=task, deadline=deadline, priority=priority)


def test_merge_concatenates_in_order() -> None:
    a, b, c = item(1, "Send the deck"), item(5, "Book the room"), item(9, "Call the vendor")
    assert merge_items([[a, b], [c]]) == [a, b, c]
    assert merge_items([]) == []


def test_merge_same_turn_similar_task_keeps_the_richer() -> None:
    plain = item(7, "Send the budget sheet", owner="Omar")
    rich = item(7, "Send budget sheet to finance", owner="Omar", deadline="today", priority="high")
    assert merge_items([[plain], [rich]]) == [rich]
    assert merge_items([[rich], [plain]]) == [rich]


def test_merge_fills_missing_fields_from_the_duplicate() -> None:
    with_deadline = item(7, "Update the onboarding doc", deadline="Friday")
    with_owner = item(7, "Update onboarding doc", owner="Lee")
    merged = merge_items([[with_deadline], [with_owner]])
    assert len(merged) == 1 and merged[0].owner == "Lee" and merged[0].deadline == "Friday"


def test_merge_same_owner_near_identical_task_on_other_turn() -> None:
    a = item(3, "Draft the launch email", owner="Maria")
    b = item(4, "Draft the launch emails", owner="maria", deadline="Monday")
    assert merge_items([[a], [b]]) == [b]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (item(3, "Draft the launch email", owner="Maria"), item(4, "Draft the launch email", owner="Lee")),
        (item(3, "Draft the launch email"), item(9, "Review the hiring plan")),
        (item(3, "Draft the launch email", owner="Maria"), item(8, "Draft the press release", owner="Maria")),
    ],
)
def test_merge_keeps_different_items(first: ModelItem, second: ModelItem) -> None:
    assert merge_items([[first], [second]]) == [first, second]


def test_merge_keeps_similar_items_within_one_chunk() -> None:
    a, b = item(2, "Send the deck to Alex"), item(2, "Send the deck to Sam")
    assert merge_items([[a, b]]) == [a, b]


@pytest.mark.parametrize(
    ("a", "b", "low", "high"),
    [
        ("Send the deck", "send deck", 1.0, 1.0),
        ("Send the budget sheets", "Send budget sheet to finance", 1.0, 1.0),
        ("Draft the launch email", "Draft the press release", 0.1, 0.3),
        ("Fix bug", "Write docs", 0.0, 0.0),
    ],
)
def test_task_similarity(a: str, b: str, low: float, high: float) -> None:
    assert low <= task_similarity(a, b) <= high
