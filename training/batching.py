"""Batching for causal-LM fine-tuning: a deterministic, length-grouped stream of micro-batches
and a left-padding collator that lets the model compute logits for the answer tokens only."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from training.examples import IGNORE_INDEX

# Examples sorted together per group: large enough to cut padding, small enough to stay shuffled.
GROUP_BATCHES = 64


def epoch_batches(
    lengths: Sequence[int], batch_size: int, seed: int, group_by_length: bool = True
) -> list[list[int]]:
    """Example indices of one epoch, split into batches; similar lengths share a batch when grouped.
    The order depends only on (lengths, batch_size, seed), so a resumed run replays it exactly."""
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    if not group_by_length:
        return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    span = batch_size * GROUP_BATCHES
    batches = []
    for start in range(0, len(order), span):
        group = sorted(order[start : start + span], key=lambda k: -lengths[k])
        batches.extend(group[i : i + batch_size] for i in range(0, len(group), batch_size))
    rng.shuffle(batches)
    return batches


@dataclass
class BatchStream:
    """An endless sequence of micro-batches: position p is batch p % n of epoch p // n."""

    lengths: Sequence[int]
    batch_size: int
    seed: int
    group_by_length: bool = True

    def __post_init__(self) -> None:
        self._cache: tuple[int, list[list[int]]] | None = None

    @property
    def batches_per_epoch(self) -> int:
        return -(-len(self.lengths) // self.batch_size)

    def __getitem__(self, position: int) -> list[int]:
        epoch, k = divmod(position, self.batches_per_epoch)
        if self._cache is None or self._cache[0] != epoch:
            self._cache = (
                epoch,
                epoch_batches(self.lengths, self.batch_size, self.seed + epoch, self.group_by_length),
            )
        return self._cache[1][k]


def collate(
    rows: Sequence[dict[str, list[int]]], pad_id: int, multiple_of: int = 8
) -> dict[str, torch.Tensor | int]:
    """Left-pad `rows` into tensors. Answers then all end at the last position, so the model only
    needs logits for the last `keep` positions (a big saving with 260k-token vocabularies).

    Returns input_ids, attention_mask, position_ids (counting real tokens only), labels, and
    keep = longest answer + 1."""
    width = max(len(r["input_ids"]) for r in rows)
    width = -(-width // multiple_of) * multiple_of
    n = len(rows)
    input_ids = torch.full((n, width), pad_id, dtype=torch.long)
    labels = torch.full((n, width), IGNORE_INDEX, dtype=torch.long)
    mask = torch.zeros((n, width), dtype=torch.long)
    longest_answer = 1
    for i, r in enumerate(rows):
        ids = r["input_ids"]
        input_ids[i, width - len(ids) :] = torch.tensor(ids)
        labels[i, width - len(ids) :] = torch.tensor(r["labels"])
        mask[i, width - len(ids) :] = 1
        longest_answer = max(longest_answer, sum(1 for x in r["labels"] if x != IGNORE_INDEX))
    position_ids = (mask.cumsum(-1) - 1).clamp(min=0)
    return {
        "input_ids": input_ids,
        "attention_mask": mask,
        "position_ids": position_ids,
        "labels": labels,
        "keep": min(width, longest_answer + 1),
    }


def answer_loss_inputs(labels: torch.Tensor, keep: int) -> torch.Tensor:
    """Targets aligned with logits[:, :-1] of the last `keep` positions."""
    return labels[:, labels.shape[1] - keep + 1 :]
