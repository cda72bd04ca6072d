"""Grammar-constrained greedy decoding with xgrammar over our own KV-cache loop: batched rows,
a vocabulary-restricted LM head at grammar-narrowed steps, and jump-forward drafts of the
text the grammar forces, verified so the output equals plain constrained greedy. An optional
copy bias favours, inside a task, the words of the item's supporting turns.

String length bounds (minLength/maxLength) are enforced here, not in the grammar: xgrammar
cannot precompute token masks inside a length-bounded string, so every step there rescanned the
262k-token vocabulary (~100-150 ms a token on a laptop CPU, more than the model's forward pass);
an unbounded JSON string costs ~0.2 ms."""

from __future__ import annotations

import copy
import hashlib
import importlib.metadata
import inspect
import json
import logging
import os
import pickle
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import xgrammar as xgr

from extractor.errors import ModelLoadError, ModelOutputError
from extractor.kvcache import buffer_cache
from extractor.schema import parse_items, render_target, salvage_items
from extractor.static import MAX_GRAPH_FEED, StaticSteps

logger = logging.getLogger(__name__)

# Below this share of the vocabulary, logits are computed only for the allowed tokens.
SPARSE_HEAD_SHARE = 0.25
# In free text (past a string's first token) the LM head scores only the first HEAD_ROWS token ids
# (BPE ids rise as tokens get rarer) plus every token of the prompt's words in any casing: Gemma's
# 262k-row head costs ~33 ms a token on 2 laptop cores, 60k rows ~8 ms. 0 scores every row.
HEAD_ROWS = 60_000
# Where the grammar forces nothing, the draft is what followed the latest earlier occurrence of the
# last LOOKUP_NGRAM..1 tokens in the prompt or the answer (tasks, names and deadlines are mostly
# copied), at most LOOKUP_TOKENS long; verified like forced drafts, so the text is unchanged.
LOOKUP_NGRAM = 3
LOOKUP_TOKENS = 8
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
# While a "task" value is written, tokens of the words of its supporting turn and the
# COPY_WINDOW turns before it ("Can you X?" / "Sure." puts the task one turn up) get COPY_BIAS
# nats more: a small model paraphrases into words nobody said, the gold task copies the speaker's.
COPY_WINDOW = 2
_COPY_STOP = frozenset(
    """a an the to of for and or on in at by with from it its is be are was were will would can
    could should i i'll i'm we we'll you you'll he she they them me my our your this that so
    just yeah yes ok okay um uh sure thanks thank do did not no""".split()
)
_TURN_LINE = re.compile(r"^\[(\d+)\] (?:[^:\n]{1,80}: )?(.*)$", re.M)
GRAMMAR_CACHE_VERSION = 4  # bump when the grammar built from a schema changes
_TURN_VALUE = re.compile(rb'\{"turn": (\d+)')
_ITEM_START = b'{"turn"'


@dataclass
class _Strings:
    """Where the JSON text written so far stands: inside which value string, and how long it is.
    Lengths count characters of the raw JSON (an escape counts as 2+), so a bound is never
    exceeded in the decoded value."""

    in_string: bool = False
    escaped: bool = False
    is_value: bool = False
    key: bytearray = field(default_factory=bytearray)
    field: str = ""  # the key of the value string being written
    length: int = 0
    last: int = 0  # last byte outside strings that is not a space

    def feed(self, data: bytes) -> None:
        for b in data:
            if not self.in_string:
                if b == 34:  # opening quote
                    self.in_string, self.is_value, self.length = True, self.last == 58, 0  # after ':'
                    if not self.is_value:
                        self.key.clear()
                elif b != 32:
                    self.last = b
            elif self.escaped:
                self.escaped = False
                self._char(b)
            elif b == 92:  # backslash
                self.escaped = True
                self._char(b)
            elif b == 34:  # closing quote
                self.in_string, self.last = False, 34
                if not self.is_value:
                    self.field = self.key.decode("utf-8", "replace")
            else:
                self._char(b)

    def _char(self, b: int) -> None:
        if (b & 0xC0) != 0x80:  # not a UTF-8 continuation byte
            self.length += 1
        if not self.is_value:
            self.key.append(b)


@dataclass
class _Row:
    """Decoding state of one prompt."""

    matcher: Any
    max_turn: int | None
    bounds: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    strings: _Strings = field(default_factory=_Strings)
    head_ids: Any = None  # ids the pruned head scores: 0..HEAD_ROWS-1, then the prompt's rarer tokens
    extra_head: Any = None  # head rows of those prompt tokens
    context: list[int] = field(default_factory=list)  # prompt + answer tokens, for lookup drafts
    seen: dict[tuple[int, ...], int] = field(default_factory=dict)  # n-gram -> end of latest occurrence
    out: list[int] = field(default_factory=list)
    text: bytearray = field(default_factory=bytearray)
    turn_words: dict[int, set[str]] = field(default_factory=dict)  # prompt turn -> its content words
    # supporting turn -> (biased token ids, which of head_ids they are: the pruned head's mask)
    copy_ids: dict[int, tuple[Any, Any]] = field(default_factory=dict)
    pending: int = -1  # picked and accepted by the matcher, not yet fed to the model
    done: bool = False
    truncated: bool = False


class GrammarStore:
    """Compiled grammars for one tokenizer, cached in memory and on disk: the first compile of our
    schema takes tens of seconds on a laptop (bounded strings over a 262k vocabulary)."""

    def __init__(self, tokenizer: Any, vocab_size: int, stop_ids: list[int], cache_dir: Path | None = None):
        self.dir = Path(cache_dir) / "grammars" if cache_dir else None
        vocab = tokenizer.get_vocab()
        digest = hashlib.sha256(json.dumps(sorted(vocab.items()), ensure_ascii=False).encode())
        digest.update(
            f"{vocab_size}|{stop_ids}|{importlib.metadata.version('xgrammar')}|{GRAMMAR_CACHE_VERSION}".encode()
        )
        self.key = digest.hexdigest()[:16]
        self.info = self._load_info(tokenizer, vocab_size, stop_ids)
        self.compiler = xgr.GrammarCompiler(self.info, max_threads=max(1, torch.get_num_threads()))
        self._compiled: dict[str, Any] = {}

    def _path(self, name: str) -> Path | None:
        return self.dir / f"{self.key}-{name}.json" if self.dir else None

    def _load_info(self, tokenizer: Any, vocab_size: int, stop_ids: list[int]) -> Any:
        path = self._path("tokenizer")
        if path and path.is_file():
            try:
                return xgr.TokenizerInfo.deserialize_json(path.read_text(encoding="utf-8"))
            except (RuntimeError, ValueError) as exc:  # stale or corrupt cache: rebuild below
                logger.warning("ignoring unreadable grammar cache %s (%s)", path, exc)
        # https://xgrammar.mlc.ai/docs/api/python/tokenizer_info.html
        info = xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=vocab_size, stop_token_ids=stop_ids)
        _write(path, info.serialize_json())
        return info

    def token_tables(self, vocab_size: int) -> dict[str, Any]:
        """Per-token facts the decoder masks with (bytes, digits, quotes, character counts), cached
        next to the grammars: building them walks the whole vocabulary (~6 s for 262k tokens)."""
        path = self._path(f"tables-{vocab_size}")
        if path is not None and path.with_suffix(".pt").is_file():
            try:
                loaded: dict[str, Any] = torch.load(path.with_suffix(".pt"), weights_only=True)
                blob, ends = bytes(loaded.pop("blob").numpy()), loaded.pop("ends").tolist()
                loaded["bytes"] = [blob[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]
                return loaded
            except (OSError, RuntimeError, EOFError, pickle.UnpicklingError) as exc:
                logger.warning("ignoring unreadable token table cache %s (%s)", path, exc)
        vocab = self.info.decoded_vocab
        raw: list[bytes] = list(vocab)[:vocab_size] + [b""] * max(0, vocab_size - len(vocab))
        before = [b.split(b'"', 1)[0] for b in raw]
        after = [b[1:].split(b'"', 1)[0] for b in raw]
        tables = {
            "bytes": raw,
            "digits": torch.tensor([i for i, b in enumerate(raw) if any(48 <= c <= 57 for c in b)]),
            "closers": torch.tensor([b"]" in b for b in raw], dtype=torch.bool),
            "quoted": torch.tensor([b'"' in b for b in raw], dtype=torch.bool),
            "chars": torch.tensor([len(b) if b.isascii() else _char_count(b) for b in before]),
            "opens_quote": torch.tensor([b[:1] == b'"' for b in raw], dtype=torch.bool),
            "open_closes": torch.tensor([b'"' in b[1:] for b in raw], dtype=torch.bool),
            "open_chars": torch.tensor([len(b) if b.isascii() else _char_count(b) for b in after]),
        }
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".tmp-{os.getpid()}")
                ends = torch.tensor([len(b) for b in raw]).cumsum(0)
                packed = torch.frombuffer(bytearray(b"".join(raw)), dtype=torch.uint8)
                saved = {k: v for k, v in tables.items() if k != "bytes"}
                torch.save({**saved, "blob": packed, "ends": ends}, tmp)
                tmp.replace(path.with_suffix(".pt"))
            except OSError as exc:
                logger.warning("could not write token table cache %s: %s", path, exc)
        return tables

    def get(self, schema: dict[str, Any]) -> tuple[Any, int | None, dict[str, tuple[int, int | None]]]:
        """(compiled grammar, max turn, string bounds by field) for `schema`. The decoder enforces
        the turn bound (so every chunk shares one grammar) and the string lengths (fast masks)."""
        schema = copy.deepcopy(schema)
        try:
            props = schema["properties"]["action_items"]["items"]["properties"]
        except (KeyError, TypeError):
            props = {}
        max_turn = props["turn"].pop("maximum", None) if isinstance(props.get("turn"), dict) else None
        bounds = {name: _pop_string_bounds(sub) for name, sub in props.items() if isinstance(sub, dict)}
        text = json.dumps(schema)  # key order matters: it is the field order
        if text not in self._compiled:
            self._compiled[text] = self._compile(text)
        return self._compiled[text], max_turn, {k: b for k, b in bounds.items() if b != (0, None)}

    def _compile(self, schema_text: str) -> Any:
        path = self._path("schema-" + hashlib.sha256(schema_text.encode()).hexdigest()[:16])
        if path and path.is_file():
            try:
                return xgr.CompiledGrammar.deserialize_json(path.read_text(encoding="utf-8"), self.info)
            except (RuntimeError, ValueError) as exc:
                logger.warning("ignoring unreadable grammar cache %s (%s)", path, exc)
        # Exactly render_target's layout: no free whitespace, json.dumps separators, schema key order.
        # https://xgrammar.mlc.ai/docs/api/python/compiler.html
        grammar = xgr.Grammar.from_json_schema(
            schema_text, any_whitespace=False, separators=(", ", ": "), strict_mode=True
        )
        # With the length bounds taken out (see get), strings use xgrammar's own JSON string rule,
        # which takes escapes and refuses raw control characters.
        compiled = self.compiler.compile_grammar(grammar)
        _write(path, compiled.serialize_json())
        return compiled


def _pop_string_bounds(sub: dict[str, Any]) -> tuple[int, int | None]:
    """Remove minLength/maxLength from a string (or nullable string) schema; (min, max)."""
    lo, hi = 0, None
    for part in [sub, *sub.get("anyOf", [])]:
        if isinstance(part, dict) and part.get("type") == "string":
            lo = max(lo, int(part.pop("minLength", 0)))
            top = part.pop("maxLength", None)
            hi = int(top) if top is not None else hi
    return lo, hi


def _write(path: Path | None, text: str) -> None:
    """Write a cache file atomically; a cache that cannot be written only costs time."""
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, encoding="utf-8") as fh:
            fh.write(text)
        Path(fh.name).replace(path)
    except OSError as exc:
        logger.warning("could not write grammar cache %s: %s", path, exc)


class ConstrainedDecoder:
    """Schema-constrained greedy generation for one (model, tokenizer) pair."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        cache_dir: Path | None = None,
        jump_forward: bool = True,
        empty_penalty: float = 0.0,
        head_rows: int = HEAD_ROWS,
        lookup: bool = True,
        copy_bias: float = 0.0,
        static: bool | None = None,
    ):
        self.model, self.tokenizer, self.jump_forward = model, tokenizer, jump_forward
        self.empty_penalty = empty_penalty
        self.copy_bias = copy_bias
        self.decoder = model.get_decoder()
        # transformers 5.24 renamed the decoder's `past_key_values` argument to `cache`; an old
        # name lands in **kwargs unread, and every step then runs without its context.
        self._cache_arg = cache_argument(self.decoder)
        head = model.get_output_embeddings()
        self.head_weight, self.head_bias = head.weight, getattr(head, "bias", None)
        self.vocab_size = int(self.head_weight.shape[0])
        self.head_rows = head_rows if 0 < head_rows < self.vocab_size else 0
        self.new_cache: Callable[[Any], Any] = buffer_cache
        self.lookup = lookup
        self._head_ids = torch.arange(self.head_rows, device=self.head_weight.device)
        self.stop_ids = stop_token_ids(tokenizer)
        self.grammars = GrammarStore(tokenizer, self.vocab_size, self.stop_ids, cache_dir)
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self.stop_ids[0]
        self._shifts = torch.arange(32, dtype=torch.int32)
        self._drafts: dict[str, list[int]] = {}
        tables = self.grammars.token_tables(self.vocab_size)
        self._token_bytes: list[bytes] = tables["bytes"]
        self._digit_tokens = [(int(i), self._token_bytes[int(i)]) for i in tables["digits"]]
        # Tokens holding "]": before the first item the grammar allows them only to close an empty list.
        self._closers = tables["closers"]
        # For string bounds, inside a string: tokens holding a quote (they can end it) and each
        # token's characters before its first quote; before a value: the same after the opening quote.
        self._quoted, self._chars = tables["quoted"], tables["chars"]
        self._opens_quote, self._open_closes = tables["opens_quote"], tables["open_closes"]
        self._open_chars = tables["open_chars"]
        # Static buffers (CUDA graphs on a GPU; default there): the full head on the device, one
        # sync a step for all rows, instead of the CPU's pruned head and per-row masks.
        self.static: StaticSteps | None = None
        if static is None:
            static = self.head_weight.device.type == "cuda"
        if static and StaticSteps.supports(model.config):
            self.static = StaticSteps(self.decoder, model.config, self._cache_arg, graphs=True)
            self.head_rows = 0
            self._head_ids = self._head_ids[:0]
            dev = self.head_weight.device
            self._closers, self._quoted, self._chars = (
                self._closers.to(dev),
                self._quoted.to(dev),
                self._chars.to(dev),
            )
            self._opens_quote, self._open_closes = self._opens_quote.to(dev), self._open_closes.to(dev)
            self._open_chars = self._open_chars.to(dev)
            self._shifts_dev = self._shifts.to(dev)

    # -- public API -------------------------------------------------------------------------

    def generate(
        self, prompts: list[str], schemas: list[dict[str, Any]], max_new_tokens: int, batch_size: int = 8
    ) -> list[str]:
        """Greedy JSON for each prompt, constrained by its schema; results in input order."""
        encoded = [self.encode_prompt(p) for p in prompts]
        order = sorted(range(len(prompts)), key=lambda i: len(encoded[i]))
        results: list[str] = [""] * len(prompts)
        for start in range(0, len(order), max(1, batch_size)):
            group = order[start : start + batch_size]
            texts = self.run_batch([encoded[i] for i in group], [schemas[i] for i in group], max_new_tokens)
            for i, text in zip(group, texts, strict=True):
                results[i] = text
        return results

    def encode_prompt(self, prompt: str) -> list[int]:
        """Token ids of a rendered prompt (no second BOS when the chat template wrote one)."""
        bos = self.tokenizer.bos_token
        add = not (bos and prompt.startswith(bos))
        return list(self.tokenizer(prompt, add_special_tokens=add)["input_ids"])

    # -- decoding loops ---------------------------------------------------------------------

    @torch.inference_mode()
    def run_batch(
        self, prompts: list[list[int]], schemas: list[dict[str, Any]], max_new_tokens: int
    ) -> list[str]:
        """Decode one batch of tokenised prompts (left-padded) and return their JSON texts."""
        rows = []
        for schema, prompt in zip(schemas, prompts, strict=True):
            grammar, max_turn, bounds = self.grammars.get(schema)
            rows.append(_Row(xgr.GrammarMatcher(grammar), max_turn, bounds))
            text = self.tokenizer.decode(prompt) if self.head_rows or self.copy_bias else ""
            if self.head_rows:
                extra = self._prompt_tokens(prompt, text)
                rows[-1].head_ids = torch.cat([self._head_ids, extra])
                rows[-1].extra_head = self.head_weight[extra]
            if self.lookup and self.jump_forward and len(prompts) == 1:
                for token in prompt:
                    self._remember(rows[-1], token)
            if self.copy_bias:
                rows[-1].turn_words = _turn_words(text)
        if self.static is not None:
            self._run_static(rows, prompts, max_new_tokens)
            return [self._finish(row) for row in rows]
        device = self.head_weight.device
        ids, mask = self._left_padded(prompts)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        cache = self.new_cache(self.model.config)
        single = len(prompts) == 1 and self.jump_forward
        if single:
            cache.activate_past_recording()  # lets the sliding-window layers drop rejected drafts
        hidden = self._forward(ids.to(device), mask.to(device), positions.to(device), cache)[:, -1]
        for i, row in enumerate(rows):
            self._advance(row, self._pick(row, hidden[i]), max_new_tokens)
        if single:
            self._loop_single(rows[0], cache, len(prompts[0]), max_new_tokens)
        else:
            self._loop_batch(rows, cache, mask, positions[:, -1], max_new_tokens)
        return [self._finish(row) for row in rows]

    def _loop_batch(
        self, rows: list[_Row], cache: Any, mask: torch.Tensor, last_pos: torch.Tensor, max_new_tokens: int
    ) -> None:
        device = self.head_weight.device
        live = [i for i, r in enumerate(rows) if not r.done]
        if len(live) < len(rows):
            cache.batch_select_indices(torch.tensor(live, device=device))
            mask, last_pos = mask[live], last_pos[live]
        while live:
            ids = torch.tensor([[rows[i].pending] for i in live], dtype=torch.long)
            mask = torch.cat([mask, torch.ones((len(live), 1), dtype=torch.long)], dim=1)
            last_pos = last_pos + 1
            hidden = self._forward(ids.to(device), mask.to(device), last_pos[:, None].to(device), cache)[
                :, -1
            ]
            for k, i in enumerate(live):
                self._advance(rows[i], self._pick(rows[i], hidden[k]), max_new_tokens)
            keep = [k for k, i in enumerate(live) if not rows[i].done]
            if len(keep) < len(live):
                # Finished rows leave the batch instead of being fed padding.
                if keep:
                    cache.batch_select_indices(torch.tensor(keep, device=device))
                mask, last_pos = mask[keep], last_pos[keep]
                live = [live[k] for k in keep]

    def _loop_single(self, row: _Row, cache: Any, length: int, max_new_tokens: int) -> None:
        """Batch-1 loop with drafts: the grammar's forced text (or, where nothing is forced, a
        continuation looked up in the prompt) is fed in the same pass as the pending token, and
        each draft token is kept only while it equals the token constrained greedy would pick
        there, so the output never changes."""
        device = self.head_weight.device
        while not row.done:
            draft, looked_up = self._next_draft(row)
            feed = [row.pending, *draft]
            pos = torch.arange(length, length + len(feed), device=device)[None]
            hidden = self._forward(torch.tensor([feed], device=device), None, pos, cache)[0]
            # A looked-up draft runs through free text: score its positions in one product.
            scores = self._pruned_scores(row, hidden) if looked_up and draft and self.head_rows else None
            kept = 0
            for j, want in enumerate(draft):
                got = self._pick(row, hidden[j], None if scores is None else scores[:, j])
                self._advance(row, got, max_new_tokens)
                if got != want or row.done:
                    break
                kept += 1
            else:
                if not row.done:
                    last = None if scores is None else scores[:, len(draft)]
                    self._advance(row, self._pick(row, hidden[len(draft)], last), max_new_tokens)
            _drop_last(cache, len(draft) - kept)
            length += 1 + kept

    def _left_padded(self, prompts: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """[batch, width] token ids, left-padded, and their 0/1 attention mask."""
        width = max(len(p) for p in prompts)
        ids = torch.full((len(prompts), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(prompts), width), dtype=torch.long)
        for i, p in enumerate(prompts):
            ids[i, width - len(p) :] = torch.tensor(p, dtype=torch.long)
            mask[i, width - len(p) :] = 1
        return ids, mask

    def _run_static(self, rows: list[_Row], prompts: list[list[int]], max_new_tokens: int) -> None:
        """run_batch over static buffers (StaticSteps): the same loops, a fixed-size batch (rows
        that finish are fed padding) and a fixed-capacity cache (rejected drafts are overwritten)."""
        assert self.static is not None
        ids, mask = self._left_padded(prompts)
        width = ids.shape[1]
        slot = self.static.slot(len(prompts), width + max_new_tokens + 2 * MAX_GRAPH_FEED)
        hidden = self.static.prefill(slot, ids, mask)[:, -1]
        for row, token in zip(rows, self._pick_rows(rows, hidden), strict=True):
            self._advance(row, token, max_new_tokens)
        column = width
        if len(rows) == 1 and self.jump_forward:
            row = rows[0]
            while not row.done:
                draft = self._next_draft(row)[0][: MAX_GRAPH_FEED - 1]
                hidden = self.static.step(slot, [[row.pending, *draft]], column)[0]
                kept = 0
                for j, want in enumerate(draft):
                    got = self._pick_rows([row], hidden[j : j + 1])[0]
                    self._advance(row, got, max_new_tokens)
                    if got != want or row.done:
                        break
                    kept += 1
                else:
                    if not row.done:
                        last = hidden[len(draft) : len(draft) + 1]
                        self._advance(row, self._pick_rows([row], last)[0], max_new_tokens)
                column += 1 + kept
            return
        while live := [k for k, row in enumerate(rows) if not row.done]:
            feed = [[self.pad_id if row.done else row.pending] for row in rows]
            hidden = self.static.step(slot, feed, column)[:, 0]
            picks = self._pick_rows(
                [rows[k] for k in live], hidden[live] if len(live) < len(rows) else hidden
            )
            for k, token in zip(live, picks, strict=True):
                self._advance(rows[k], token, max_new_tokens)
            column += 1

    def _pick_rows(self, rows: list[_Row], hidden: torch.Tensor) -> list[int]:
        """_pick for several rows at once on the static path: the grammar masks filled on the
        CPU, then the full head, masks, penalty and copy bias on the model's device, one sync."""
        bitmask = xgr.allocate_token_bitmask(len(rows), self.vocab_size)
        for k, row in enumerate(rows):
            row.matcher.fill_next_token_bitmask(bitmask, k)
            if row.max_turn is not None:
                self._limit_turn(row, bitmask, k)
        dev = hidden.device
        allowed = (
            ((bitmask.to(dev)[:, :, None] >> self._shifts_dev) & 1).flatten(1)[:, : self.vocab_size].bool()
        )
        logits = (hidden @ self.head_weight.T).float()
        if self.head_bias is not None:
            logits = logits + self.head_bias.float()
        penalised: list[int] = []
        copy_rows: list[torch.Tensor] = []
        copy_cols: list[torch.Tensor] = []
        for k, row in enumerate(rows):
            if _bounded(row):
                allowed[k] = self._bound_string(row, allowed[k])
            if self._penalised(row):
                penalised.append(k)
            copy = self._copy_ids(row)
            if copy is not None:
                copy_rows.append(torch.full_like(copy[0], k))
                copy_cols.append(copy[0])
        # One kernel each for all rows' penalty and copy bias (per-row launches cost ~10 us each).
        if penalised:
            rows_on = torch.zeros(len(rows), dtype=torch.bool)
            rows_on[penalised] = True
            logits -= self.empty_penalty * (rows_on.to(dev)[:, None] & self._closers[None, :])
        if copy_rows:
            at = (torch.cat(copy_rows), torch.cat(copy_cols))
            logits.index_put_(
                at, torch.full_like(at[1], 1, dtype=logits.dtype) * self.copy_bias, accumulate=True
            )
        best = logits.masked_fill(~allowed, float("-inf")).argmax(-1)
        picked = torch.where(allowed.any(-1), best, -1).tolist()
        return [self.stop_ids[0] if p < 0 else int(p) for p in picked]

    def _next_draft(self, row: _Row) -> tuple[list[int], bool]:
        """The tokens to feed after `row`'s pending one: the grammar's forced text, else (when
        on) a continuation looked up in the context; and whether it was looked up."""
        draft = self._draft(row.matcher.find_jump_forward_string())
        if draft or not self.lookup:
            return draft, False
        return self._lookup(row), True

    def _lookup(self, row: _Row) -> list[int]:
        """What followed the latest earlier occurrence of the answer's last tokens (longest first)."""
        ctx = row.context
        for n in range(LOOKUP_NGRAM, 0, -1):
            end = row.seen.get(tuple(ctx[-n:])) if len(ctx) >= n else None
            if end is not None:
                return ctx[end : end + LOOKUP_TOKENS]
        return []

    def _remember(self, row: _Row, token: int) -> None:
        """Append `token` to the lookup context; index the n-grams that ended before it."""
        ctx = row.context
        for n in range(1, LOOKUP_NGRAM + 1):
            if len(ctx) >= n:
                row.seen[tuple(ctx[-n:])] = len(ctx)
        ctx.append(token)

    # -- steps ------------------------------------------------------------------------------

    def _forward(
        self, ids: torch.Tensor, mask: torch.Tensor | None, positions: torch.Tensor, cache: Any
    ) -> torch.Tensor:
        out = self.decoder(
            input_ids=ids,
            attention_mask=mask,
            position_ids=positions,
            use_cache=True,
            **{self._cache_arg: cache},
        )
        return out.last_hidden_state

    def _pruned_scores(self, row: _Row, hidden: torch.Tensor) -> torch.Tensor:
        """Scores of the pruned head's rows (first head_rows, then the row's prompt tokens) for
        each position in `hidden` ([positions, dim] -> [rows, positions])."""
        return torch.cat([self.head_weight[: self.head_rows] @ hidden.T, row.extra_head @ hidden.T])

    def _pick(self, row: _Row, hidden: torch.Tensor, scores: torch.Tensor | None = None) -> int:
        """The highest-scoring token the grammar allows after `row`'s text (`scores`: this
        position's pruned-head scores, when already computed)."""
        bitmask = xgr.allocate_token_bitmask(1, self.vocab_size)
        row.matcher.fill_next_token_bitmask(bitmask, 0)
        if row.max_turn is not None:
            self._limit_turn(row, bitmask, 0)
        allowed = ((bitmask[0, :, None] >> self._shifts) & 1).flatten()[: self.vocab_size].bool()
        if _bounded(row):
            allowed = self._bound_string(row, allowed)
        allowed_ids = allowed.nonzero().flatten()
        if len(allowed_ids) == 0:
            return self.stop_ids[0]
        penalise = self._penalised(row)
        copy = self._copy_ids(row)
        if len(allowed_ids) > SPARSE_HEAD_SHARE * self.vocab_size and self._prunable(row):
            ids = row.head_ids
            ok = allowed.to(ids.device)[ids]
            if bool(ok.any()):
                logits = self._pruned_scores(row, hidden[None])[:, 0] if scores is None else scores
                if self.head_bias is not None:
                    logits = logits + self.head_bias[ids]
                logits = logits.float()
                if penalise:
                    logits = logits - self.empty_penalty * self._closers.to(ids.device)[ids]
                if copy is not None and copy[1] is not None:  # head_ids are set here
                    logits = logits + self.copy_bias * copy[1]
                logits = logits.masked_fill(~ok, float("-inf"))
                return int(ids[int(logits.argmax())])
        if len(allowed_ids) <= SPARSE_HEAD_SHARE * self.vocab_size:
            sel = allowed_ids.to(self.head_weight.device)
            logits = self.head_weight[sel] @ hidden
            if self.head_bias is not None:
                logits = logits + self.head_bias[sel]
            logits = logits.float()
            if penalise:
                logits = logits - self.empty_penalty * self._closers[allowed_ids].to(logits.device)
            if copy is not None:
                logits = logits + self.copy_bias * torch.isin(sel, copy[0])
            return int(allowed_ids[int(logits.argmax())])
        logits = (self.head_weight @ hidden).float()
        if self.head_bias is not None:
            logits = logits + self.head_bias.float()
        if penalise:
            logits = logits - self.empty_penalty * self._closers.to(logits.device)
        if copy is not None:
            logits[copy[0]] += self.copy_bias
        logits[~allowed.to(logits.device)] = float("-inf")
        return int(logits.argmax())

    def _penalised(self, row: _Row) -> bool:
        """Whether the empty-list penalty applies: on, and no item written yet."""
        return self.empty_penalty > 0 and _ITEM_START not in row.text

    def _copy_ids(self, row: _Row) -> tuple[torch.Tensor, torch.Tensor | None] | None:
        """Token ids the copy bias favours now, and their mask over the row's pruned-head ids:
        inside a "task" value, those of the words of the item's supporting turn and the
        COPY_WINDOW turns before it (None elsewhere, or off). Built once per turn and row."""
        strings = row.strings
        if not (row.turn_words and strings.in_string and strings.is_value and strings.field == "task"):
            return None
        start = row.text.rfind(_ITEM_START)
        m = _TURN_VALUE.match(bytes(row.text[start : start + 24])) if start >= 0 else None
        if m is None:
            return None
        turn = int(m.group(1))
        if turn not in row.copy_ids:
            words = set().union(*(row.turn_words.get(t, set()) for t in range(turn - COPY_WINDOW, turn + 1)))
            ids = torch.tensor(
                sorted(self._word_forms_ids(words)), dtype=torch.long, device=self.head_weight.device
            )
            head = None if row.head_ids is None else torch.isin(row.head_ids, ids)
            row.copy_ids[turn] = (ids, head)
        return row.copy_ids[turn]

    def _prunable(self, row: _Row) -> bool:
        """Free text past a value's first token: names and tasks start with words the prompt may
        not hold in that form ("Prepare", a name's first piece), so a first token sees every row."""
        strings = row.strings
        return bool(self.head_rows) and strings.in_string and strings.is_value and strings.length > 0

    def _word_forms_ids(self, words: set[str]) -> set[int]:
        """Token ids of `words` in lower, Capitalised and given case, with and without a leading
        space (a task copies words in another form than they were said)."""
        forms = sorted({f for w in words for v in (w, w.lower(), w.capitalize()) for f in (v, " " + v)})
        ids: set[int] = set()
        if forms:
            for enc in self.tokenizer(forms, add_special_tokens=False)["input_ids"]:
                ids.update(enc)
        return ids

    def _prompt_tokens(self, prompt: list[int], text: str) -> torch.Tensor:
        """Token ids >= head_rows of the prompt (`text` is its decoded form) and of its words
        in any casing (_word_forms_ids)."""
        ids = set(prompt) | self._word_forms_ids(set(_WORD.findall(text)))
        extra = sorted(i for i in ids if self.head_rows <= i < self.vocab_size)
        return torch.tensor(extra, dtype=torch.long, device=self.head_weight.device)

    def _bound_string(self, row: _Row, allowed: torch.Tensor) -> torch.Tensor:
        """Apply the field's length bounds to the value string being written (or about to be
        opened: a token may hold the opening quote and the first characters): no closing quote
        before `min` characters, nothing that runs past `max`."""
        strings = row.strings
        lo, hi = row.bounds[strings.field]
        if strings.in_string:
            length, chars, closes = strings.length, self._chars, self._quoted
        else:
            length, chars, closes = 0, self._open_chars, self._open_closes
        if length >= lo and (hi is None or length + 32 <= hi):  # tokens are under 32 characters
            return allowed
        bad = torch.zeros_like(allowed)
        if length < lo:
            bad |= closes & (chars < lo - length)
        if hi is not None:
            bad |= chars > hi - length
        if not strings.in_string:
            bad &= self._opens_quote  # `null` and other non-string tokens are not bounded
        narrowed = allowed & ~bad
        return narrowed if bool(narrowed.any()) else allowed

    def _limit_turn(self, row: _Row, bitmask: torch.Tensor, index: int) -> None:
        """Forbid tokens that would push the "turn" number past the chunk's last turn (the grammar
        leaves it unbounded so that one compiled grammar serves every chunk)."""
        tail = bytes(row.text[-24:])
        start = tail.rfind(b'{"turn"')
        if start < 0 or b"," in tail[start:]:
            return
        head = tail[start:]
        for tok, piece in self._digit_tokens:
            m = _TURN_VALUE.match(head + piece)
            if m and int(m.group(1)) > row.max_turn:  # type: ignore[operator]
                word, bit = divmod(tok, 32)
                value = int(bitmask[index, word]) & 0xFFFFFFFF & ~(1 << bit)
                bitmask[index, word] = value - (1 << 32) if value >= 1 << 31 else value

    def _advance(self, row: _Row, token: int, max_new_tokens: int) -> None:
        """Record `token` for `row` and decide whether the row is finished."""
        if token in self.stop_ids or not row.matcher.accept_token(token):
            row.done = True
            return
        row.out.append(token)
        row.text += self._token_bytes[token]
        row.strings.feed(self._token_bytes[token])
        if row.seen:
            self._remember(row, token)
        row.pending = token
        if row.matcher.is_completed() or row.matcher.is_terminated():
            row.done = True
        elif len(row.out) >= max_new_tokens:
            row.done = row.truncated = True

    def _draft(self, forced: str) -> list[int]:
        """Token ids for the forced string, or none when they don't decode back to it exactly."""
        if not forced:
            return []
        if forced not in self._drafts:
            ids = self.tokenizer.encode(forced, add_special_tokens=False)
            ok = self.tokenizer.decode(ids) == forced
            self._drafts[forced] = list(ids) if ok else []
        return self._drafts[forced]

    def _finish(self, row: _Row) -> str:
        text = row.text.decode("utf-8", errors="replace")
        if row.matcher.is_completed() or row.matcher.is_terminated():
            return text
        logger.warning(
            "generation stopped after %d tokens with the JSON still open; closing it after "
            "the last complete item (raise ACTIONBOT_MAX_NEW_TOKENS to keep more)",
            len(row.out),
        )
        return close_json(text)


def _bounded(row: _Row) -> bool:
    """Whether a length-bounded value string is being written or about to open (after ':')."""
    strings = row.strings
    return strings.field in row.bounds and (strings.is_value if strings.in_string else strings.last == 58)


def _turn_words(prompt_text: str) -> dict[int, set[str]]:
    """Content words of each `[N] Speaker: text` line of a rendered prompt (a later line with
    the same number, the transcript after a few-shot example, wins)."""
    out: dict[int, set[str]] = {}
    for m in _TURN_LINE.finditer(prompt_text):
        words = {w for w in _WORD.findall(m.group(2)) if w.lower() not in _COPY_STOP}
        out[int(m.group(1))] = words
    return out


def _char_count(data: bytes) -> int:
    """Characters in UTF-8 bytes (continuation bytes don't count)."""
    return sum((b & 0xC0) != 0x80 for b in data)


def close_json(text: str) -> str:
    """Complete JSON of our schema from a cut-off output: its complete items, closed."""
    try:
        parse_items(text)
        return text
    except ModelOutputError:
        return render_target(salvage_items(text))


def stop_token_ids(tokenizer: Any) -> list[int]:
    """EOS plus the end-of-turn tokens of common chat templates that the vocabulary has."""
    vocab = tokenizer.get_vocab()
    ids = [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []
    for name in ("<end_of_turn>", "<|im_end|>", "<|eot_id|>", "<|end|>", "</s>"):
        if name in vocab and vocab[name] not in ids:
            ids.append(vocab[name])
    if not ids:
        raise ValueError("the tokenizer has no EOS token; set tokenizer.eos_token")
    return ids


def cache_argument(module: Any) -> str:
    """The name `module.forward` takes its KV cache under: `cache` (transformers >= 5.24) or
    `past_key_values` (earlier)."""
    params = inspect.signature(module.forward).parameters
    for name in ("cache", "past_key_values"):
        if name in params:
            return name
    raise ModelLoadError(
        f"{type(module).__name__}.forward takes no KV cache argument (cache or past_key_values)"
    )


@torch.inference_mode()
def generate_unconstrained(model: Any, tokenizer: Any, prompts: list[str], max_new_tokens: int) -> list[str]:
    """Plain greedy `generate()` without a grammar (the benchmark's baseline)."""
    # https://huggingface.co/docs/transformers/main_classes/text_generation
    bos = tokenizer.bos_token
    add = not (bos and prompts and prompts[0].startswith(bos))
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    try:
        batch = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=add)
    finally:
        tokenizer.padding_side = side
    batch = batch.to(model.device)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    out = model.generate(
        **batch,
        max_new_tokens=max_new_tokens,
        do_sample=False,
        pad_token_id=pad,
        eos_token_id=stop_token_ids(tokenizer),
    )
    new = out[:, batch["input_ids"].shape[1] :]
    return [tokenizer.decode(row, skip_special_tokens=True) for row in new]


def _drop_last(cache: Any, count: int) -> None:
    """Forget the last `count` cached positions (rejected draft tokens). Layer by layer, so a
    layer that holds nothing yet is skipped (transformers 5.17 crashes cropping those)."""
    if count <= 0:
        return
    for layer in getattr(cache, "layers", None) or [cache]:
        if getattr(layer, "keys", True) is not None:
            layer.crop(-count)
