"""Split a long meeting into overlapping chunks that fit the model's prompt budget, and merge
the items the chunks produce (the overlap makes some of them appear twice)."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Sequence

from extractor.schema import ModelItem
from extractor.turns import Turn

logger = logging.getLogger(__name__)

CountTokens = Callable[[Sequence[Turn]], int]

_STOPWORDS = frozenset("the a an to for of and on in with by at up out it its this that our their".split())
# Same turn: tasks this similar are one item seen twice. Different turns: only near-identical.
SAME_TURN_SIMILARITY = 0.5
SAME_OWNER_SIMILARITY = 0.8


def chunk_turns(
    turns: Sequence[Turn], count_tokens: CountTokens, budget: int, overlap_turns: int = 3
) -> list[list[Turn]]:
    """Greedy chunks of consecutive turns, each within `budget` tokens as rendered by
    `count_tokens`; each chunk after the first repeats up to `overlap_turns` turns of the last
    one (at most half of it). A turn larger than the budget is split into several Turns with the same index."""
    if budget < 1:
        raise ValueError(f"budget: must be a positive token count, got {budget}")
    if not turns:
        return []
    # Tokenizers may add special tokens to every call; pay for them once per chunk, not per turn.
    fixed = count_tokens([])
    items: list[Turn] = []
    costs: list[int] = []
    for turn in turns:
        cost = count_tokens([turn]) - fixed
        if cost + fixed > budget:
            pieces = split_turn(turn, count_tokens, budget)
            items.extend(pieces)
            costs.extend(count_tokens([p]) - fixed for p in pieces)
        else:
            items.append(turn)
            costs.append(cost)
    # Estimated cost of items[i:j]: their own costs, one token per newline and the fixed part.
    prefix = [0]
    for c in costs:
        prefix.append(prefix[-1] + c)

    def estimate(i: int, j: int) -> int:
        return prefix[j] - prefix[i] + (j - i - 1) + fixed

    n = len(items)
    if estimate(0, n) <= budget + n and count_tokens(items) <= budget:
        return [items]
    chunks: list[list[Turn]] = []
    start = 0
    while True:
        end = start + 1
        while end < n and estimate(start, end + 1) <= budget:
            end += 1
        # Estimates can be off by a token at joins; trust the real count and shrink if needed.
        while end - start > 1 and count_tokens(items[start:end]) > budget:
            end -= 1
        chunks.append(items[start:end])
        if end >= n:
            return chunks
        # Overlap at most half the chunk, so a tight budget still moves forward in big steps.
        nxt = max(start + 1, end - min(overlap_turns, (end - start) // 2))
        # Keep only as much overlap as leaves room for the next new turn.
        while nxt < end and estimate(nxt, end + 1) > budget:
            nxt += 1
        start = nxt


def split_turn(turn: Turn, count_tokens: CountTokens, budget: int) -> list[Turn]:
    """`turn` as several Turns (same index, speaker and start) that each fit `budget`, cut at
    sentence, then word, then character boundaries. No text is dropped."""

    def fits(text: str) -> bool:
        return count_tokens([dataclasses.replace(turn, text=text)]) <= budget

    def units(text: str) -> tuple[list[str], str]:
        for splitter, joiner in ((r"(?<=[.!?])\s+", " "), (r"\s+", " ")):
            parts = [p for p in re.split(splitter, text) if p]
            if len(parts) > 1:
                return parts, joiner
        half = max(1, len(text) // 2)
        return [text[:half], text[half:]], ""

    def fit(text: str) -> list[str]:
        if len(text) <= 1 or fits(text):
            if len(text) <= 1 and not fits(text):
                logger.warning("turn %d: a single character exceeds the token budget %d", turn.index, budget)
            return [text]
        parts, joiner = units(text)
        # Greedy packing on per-unit counts, then verified by `fit` on each packed piece.
        fixed = count_tokens([dataclasses.replace(turn, text="")])
        packed: list[str] = []
        current: list[str] = []
        used = fixed
        for part in parts:
            cost = count_tokens([dataclasses.replace(turn, text=part)]) - fixed + 1
            if current and used + cost > budget:
                packed.append(joiner.join(current))
                current, used = [], fixed
            current.append(part)
            used += cost
        packed.append(joiner.join(current))
        if len(packed) == 1:  # the estimate said it fits but it does not: halve the units
            mid = max(1, len(parts) // 2)
            packed = [joiner.join(parts[:mid]), joiner.join(parts[mid:])]
        return [piece for p in packed for piece in fit(p)]

    pieces = fit(turn.text.strip())
    logger.debug("turn %d split into %d pieces to fit %d tokens", turn.index, len(pieces), budget)
    return [dataclasses.replace(turn, text=p) for p in pieces]


def task_tokens(task: str) -> frozenset[str]:
    """Content words of a task, lower-cased, plural -s dropped: the basis of task similarity."""
    words = re.findall(r"[^\W_]+", task.casefold())
    return frozenset(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
                     for w in words if w not in _STOPWORDS)  # fmt: skip


def task_similarity(a: str, b: str) -> float:
    """Jaccard overlap of the two tasks' content words (1.0 when one's words contain the other's)."""
    ta, tb = task_tokens(a), task_tokens(b)
    if not ta or not tb:
        return float(a.casefold().strip() == b.casefold().strip())
    if ta <= tb or tb <= ta:
        return 1.0
    return len(ta & tb) / len(ta | tb)


def richness(item: ModelItem) -> int:
    """How much an item says beyond its task: owner, deadline and priority each count one."""
    return sum(x is not None for x in (item.owner, item.deadline, item.priority))


def same_item(a: ModelItem, b: ModelItem) -> bool:
    """True when two items from overlapping chunks describe the same commitment."""
    sim = task_similarity(a.task, b.task)
    if a.turn == b.turn and sim >= SAME_TURN_SIMILARITY:
        return True
    same_owner = a.owner is not None and b.owner is not None and a.owner.casefold() == b.owner.casefold()
    return same_owner and sim >= SAME_OWNER_SIMILARITY


def combine(kept: ModelItem, other: ModelItem) -> ModelItem:
    """The richer of two duplicates, its missing fields filled from the other."""
    best, rest = (other, kept) if richness(other) > richness(kept) else (kept, other)
    return best.model_copy(
        update={
            "owner": best.owner or rest.owner,
            "deadline": best.deadline or rest.deadline,
            "priority": best.priority or rest.priority,
        }
    )


def merge_items(per_chunk: list[list[ModelItem]]) -> list[ModelItem]:
    """All chunks' items in order, with duplicates across chunks (from the overlap) merged."""
    merged: list[ModelItem] = []
    for chunk in per_chunk:
        earlier = len(merged)  # only items of earlier chunks are candidates: one chunk's items are distinct
        for item in chunk:
            dup = next((i for i in range(earlier) if same_item(merged[i], item)), None)
            if dup is None:
                merged.append(item)
            else:
                merged[dup] = combine(merged[dup], item)
    return merged
