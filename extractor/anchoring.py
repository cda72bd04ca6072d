"""Which turn supports an item: the model's turn, unless a nearby turn says the task plainly and
the model's turn does not ("I can take the lead on gathering the sales data" rather than
"Sure, I'll get those to you" two lines later, which accepts another task). The supporting turn decides the evidence quote
and, through commitments, the owner."""

from __future__ import annotations

from collections.abc import Mapping

from extractor.chunking import task_tokens
from extractor.commitments import commits
from extractor.turns import Turn

# How far from the model's turn a better one is looked for (one chunk's overlap is 3 turns).
WINDOW_TURNS = 6
# A turn must say this many more of the task's content words than the model's turn to win.
MARGIN_WORDS = 2
_PREFIX = 5  # "gathering" ~ "gather", "metrics" ~ "metric": compare word beginnings


def _stems(words: frozenset[str]) -> set[str]:
    return {w[:_PREFIX] for w in words}


def support(task: str, text: str) -> int:
    """How many of `task`'s content words `text` says (compared by their first letters)."""
    return len(_stems(task_tokens(task)) & _stems(task_tokens(text)))


def anchor_turn(turn: int, task: str, turns: Mapping[int, Turn]) -> int:
    """The index of the turn that best supports `task`: `turn` unless a first-person commitment
    within WINDOW_TURNS says at least MARGIN_WORDS more of the task's words (the nearest such turn
    wins ties). Only commitments compete: a request ("Kojo, can you order the badges?") says the
    task plainly too, but the item belongs on the reply that accepts it."""
    if turn not in turns:
        return turn
    own = support(task, turns[turn].text)
    best, best_score = turn, own
    for k in sorted(turns, key=lambda k: (abs(k - turn), k)):
        if abs(k - turn) > WINDOW_TURNS or not commits(turns[k].text):
            continue
        score = support(task, turns[k].text)
        if score > best_score:
            best, best_score = k, score
    return best if best_score >= own + MARGIN_WORDS else turn
