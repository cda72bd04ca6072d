"""Decode steps over fixed-size KV buffers, replayed as CUDA graphs on a GPU. A small model's
decode step is launch-bound there (Gemma 3 270M: ~300 kernels a token, ~35 tokens/s with plain
`generate()`); one graph replay per step removes the Python and launch cost. The buffers have a
fixed capacity, every layer keeps every position, and the attention masks (causal, padding,
sliding window) are computed inside the step from the write column, so the same graph serves
every step of a batch. On CPU the same steps run eagerly (that is how they are tested)."""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

import torch

logger = logging.getLogger(__name__)

# Feeds longer than this (a long forced draft) run eagerly instead of getting their own graph.
MAX_GRAPH_FEED = 16
# Feeds are padded up to one of these lengths, so a slot needs five graphs, not sixteen.
FEED_BUCKETS = (1, 2, 4, 8, 16)
# Buffers hold a power of two of positions from this many up, so prompts of any length below
# share a slot (the masks make the unused tail free) and its graphs are captured once.
CAPACITY_STEP = 1024
# Buffer sets (batch size x capacity) kept with their graphs; the least recently used goes first.
KEEP_SLOTS = 4


class _Cache:
    """The KV cache the model writes into: fixed buffers per layer, written at `start` + 0..L-1.
    Duck-types transformers' Cache.update (5.17 passes cache_kwargs positionally, 5.24 by name)."""

    def __init__(self, layers: int, batch: int, heads: int, capacity: int, dim: int, dtype: Any, device: Any):
        shape = (batch, heads, capacity, dim)
        self.k = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(layers)]
        self.v = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(layers)]
        self.write: torch.Tensor | None = None  # columns of the feed being run, set by the step

    def update(self, keys: torch.Tensor, values: torch.Tensor, layer: int, *args: Any, **kwargs: Any) -> Any:
        assert self.write is not None
        self.k[layer].index_copy_(2, self.write, keys)
        self.v[layer].index_copy_(2, self.write, values)
        return self.k[layer], self.v[layer]

    def get_seq_length(self, layer: int = 0) -> int:  # only asked when positions are not given
        raise NotImplementedError("static steps always pass position_ids")


class _Slot:
    """Buffers for one batch size and capacity, and the graphs captured over them by feed length."""

    def __init__(self, steps: StaticSteps, batch: int, capacity: int):
        dev = steps.device
        self.batch, self.capacity = batch, capacity
        self.cache = _Cache(steps.layers, batch, steps.kv_heads, capacity, steps.head_dim, steps.dtype, dev)
        self.start = torch.zeros(1, dtype=torch.long, device=dev)  # first column of the feed
        self.pad = torch.zeros(batch, dtype=torch.long, device=dev)  # left padding of each row
        self.valid = torch.ones((batch, capacity), dtype=torch.bool, device=dev)  # not padding
        self.ids = torch.zeros((batch, MAX_GRAPH_FEED), dtype=torch.long, device=dev)
        self.seen = torch.arange(capacity, device=dev)  # column numbers, for the masks
        self.graphs: dict[int, tuple[Any, torch.Tensor] | None] = {}


class StaticSteps:
    """Forward passes of `decoder` over a slot's fixed buffers; `graphs` replays them as CUDA graphs."""

    def __init__(self, decoder: Any, config: Any, cache_arg: str, *, graphs: bool):
        first = next(decoder.parameters())
        self.decoder, self.cache_arg = decoder, cache_arg
        self.device, self.dtype = first.device, first.dtype
        self.graphs = graphs and self.device.type == "cuda"
        self.bucketed = self.graphs  # pad feeds to FEED_BUCKETS (tests turn it on without graphs)
        self.layers = int(config.num_hidden_layers)
        self.kv_heads = int(getattr(config, "num_key_value_heads", None) or config.num_attention_heads)
        self.head_dim = int(
            getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
        )
        types = list(getattr(config, "layer_types", None) or [])
        window = getattr(config, "sliding_window", None)
        # Models with both layer kinds take a mask per kind; the others take one 4D mask, which
        # transformers' mask builders pass through untouched.
        self.by_kind = bool(types) and self.supports(config)
        self.window = int(window) if isinstance(window, int) and window > 0 else None
        self.single_window = (
            self.window if not self.by_kind and getattr(config, "use_sliding_window", True) else None
        )
        self._slots: OrderedDict[tuple[int, int], _Slot] = OrderedDict()
        self._pool: Any = None
        self._arange = torch.arange(MAX_GRAPH_FEED, device=self.device)

    @staticmethod
    def supports(config: Any) -> bool:
        """Whether this model's layers can run over static buffers (plain or per-kind attention)."""
        types = set(getattr(config, "layer_types", None) or [])
        return not types or types <= {"full_attention", "sliding_attention"}

    def slot(self, batch: int, need: int) -> _Slot:
        """Buffers for `batch` rows and at least `need` positions: the smallest kept one that fits
        (with its graphs), else a new one of the next power-of-two capacity."""
        fits = [key for key in self._slots if key[0] == batch and key[1] >= need]
        if fits:
            key = min(fits, key=lambda k: k[1])
            self._slots.move_to_end(key)
            return self._slots[key]
        capacity = CAPACITY_STEP
        while capacity < need:
            capacity *= 2
        while len(self._slots) >= KEEP_SLOTS:
            self._slots.popitem(last=False)
        slot = _Slot(self, batch, capacity)
        self._slots[(batch, capacity)] = slot
        return slot

    def prefill(self, slot: _Slot, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Run left-padded prompts ([batch, width] ids and 0/1 mask) from column 0; hidden states."""
        width = ids.shape[1]
        slot.valid.fill_(True)
        slot.valid[:, :width] = mask.to(self.device).bool()
        slot.pad.copy_((width - mask.sum(-1)).to(self.device))
        slot.start.zero_()
        return self._run(slot, ids.to(self.device), torch.arange(width, device=self.device))

    def step(self, slot: _Slot, ids: list[list[int]], start: int) -> torch.Tensor:
        """Feed `ids` (one equal-length list per row) at column `start`; [batch, L, dim] hidden
        states of those L positions, valid until the next step on this slot."""
        length = len(ids[0])
        bucket = next((b for b in FEED_BUCKETS if b >= length), length)
        if start + bucket > slot.capacity:
            raise ValueError(f"static KV buffer of {slot.capacity} positions is full")
        slot.start.fill_(start)
        if not self.bucketed or length > MAX_GRAPH_FEED:
            columns = torch.arange(start, start + length, device=self.device)
            return self._run(slot, torch.tensor(ids, dtype=torch.long).to(self.device), columns)
        # Padding past the real tokens writes KV that later steps overwrite before anything
        # attends to it (attention is causal), and its hidden states are not read.
        feed = torch.tensor([row + [0] * (bucket - length) for row in ids], dtype=torch.long)
        slot.ids[:, :bucket].copy_(feed, non_blocking=True)
        if not self.graphs:
            return self._graph_body(slot, bucket)[:, :length]
        if bucket not in slot.graphs:
            slot.graphs[bucket] = self._capture(slot, bucket)
        graph = slot.graphs[bucket]
        if graph is None:  # capture failed: this feed length runs eagerly
            return self._graph_body(slot, bucket)[:, :length]
        graph[0].replay()
        return graph[1][:, :length]

    def _capture(self, slot: _Slot, length: int) -> tuple[Any, torch.Tensor] | None:
        """A CUDA graph of one step of `length` tokens over `slot` and its output buffer (the inputs
        are set: warming up runs the real step, so the KV it writes is right); None if capture fails."""
        # https://pytorch.org/docs/stable/notes/cuda.html#cuda-graphs
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            self._graph_body(slot, length)
        torch.cuda.current_stream().wait_stream(side)
        if self._pool is None:
            self._pool = torch.cuda.graph_pool_handle()
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(graph, pool=self._pool):
                out = self._graph_body(slot, length)
        except RuntimeError as exc:
            logger.warning("CUDA graph capture failed (%s); decoding %d-token steps eagerly", exc, length)
            return None
        return graph, out

    def _graph_body(self, slot: _Slot, length: int) -> torch.Tensor:
        columns = slot.start + self._arange[:length]
        return self._run(slot, slot.ids[:, :length], columns)

    def _run(self, slot: _Slot, ids: torch.Tensor, columns: torch.Tensor) -> torch.Tensor:
        """One forward pass writing `columns` ([L] on the device) for every row."""
        slot.cache.write = columns
        positions = (columns[None, :] - slot.pad[:, None]).clamp(min=0)
        seen = slot.seen
        ok = slot.valid[:, None, None, :] & (seen <= columns[:, None])[None, None]  # [B, 1, L, cap]
        low = torch.finfo(self.dtype).min
        zero = torch.zeros((), dtype=self.dtype, device=self.device)
        full = torch.where(ok, zero, low)
        if self.by_kind:
            near = ok & (seen > columns[:, None] - self.window)[None, None] if self.window else ok
            masks: Any = {"full_attention": full, "sliding_attention": torch.where(near, zero, low)}
        elif self.single_window:
            masks = torch.where(ok & (seen > columns[:, None] - self.single_window)[None, None], zero, low)
        else:
            masks = full
        out = self.decoder(
            input_ids=ids,
            attention_mask=masks,
            position_ids=positions,
            use_cache=True,
            **{self.cache_arg: slot.cache},
        )
        return out.last_hidden_state
