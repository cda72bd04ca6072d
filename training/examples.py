"""Labelled meetings -> supervised examples, built ONLY from the serving code: the same
transcript parser, chunker, chunk budget, prompt builder and target serialiser as inference."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import multiprocessing as mp
import os
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from extractor.chunking import chunk_turns
from extractor.errors import ExtractionError
from extractor.pipeline import CHUNK_OVERLAP_TURNS, chunk_budget
from extractor.prompt import build_messages, render_training_text, render_turns
from extractor.schema import ModelItem, render_target
from extractor.turns import Transcript, Turn, normalize_transcript
from training.errors import DataError

logger = logging.getLogger(__name__)

IGNORE_INDEX = -100  # label value the loss skips (prompt and padding tokens)


@dataclass(frozen=True)
class Example:
    """One chunk of one meeting: the exact serving prompt and the answer to learn."""

    record_id: str
    chunk: int
    prompt: str
    completion: str
    items: tuple[ModelItem, ...]


@dataclass
class DataStats:
    """What went into (and was left out of) a training set."""

    files: list[dict[str, Any]] = field(default_factory=list)
    records: int = 0
    skipped_bad: int = 0
    skipped_unlocated: int = 0
    examples: int = 0
    empty_examples: int = 0
    items: int = 0
    dropped_too_long: int = 0
    dropped_empty: int = 0  # training chunks without items left out by `empty_keep`
    sources: Counter[str] = field(default_factory=Counter)
    formats: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        """Provenance summary for format.json."""
        return {**self.__dict__, "sources": dict(self.sources), "formats": dict(self.formats)}


@dataclass(frozen=True)
class TokenCounter:
    """The serving model's token accounting, as the pipeline's `chunk_budget` expects it."""

    tokenizer: Any
    context_tokens: int
    few_shot: bool = False  # adapters are trained (and served) without the worked example
    name: str = "training"

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])


def inference_chunks(transcript: Transcript, counter: TokenCounter) -> list[list[Turn]]:
    """The chunks `extractor.pipeline.plan_requests` makes of `transcript` for this model."""
    return chunk_turns(
        transcript.turns,
        lambda turns: counter.count_tokens(render_turns(turns)),
        budget=chunk_budget(counter, transcript.meeting_date),
        overlap_turns=CHUNK_OVERLAP_TURNS,
    )


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _alnum(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def locate_turns(turns: Sequence[Turn], evidence: Sequence[str]) -> list[int | None]:
    """Turn index holding each evidence quote: the first match at or after the previous item's
    turn, else anywhere; whitespace and case are ignored (then punctuation, as a last resort)."""
    keyed = {key: [key(t.text) for t in turns] for key in (_norm, _alnum)}
    found: list[int | None] = []
    prev = 0
    for quote in evidence:
        hit = None
        order = [*range(prev, len(turns)), *range(prev)]
        for key, texts in keyed.items():
            needle = key(quote)
            hit = next((k for k in order if needle in texts[k]), None) if needle else None
            if hit is not None:
                break
        found.append(turns[hit].index if hit is not None else None)
        if hit is not None:
            prev = hit
    return found


def _require(record: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = record.get(key)
    if not isinstance(value, kind):
        raise DataError(
            f"{where}: field {key!r} must be {getattr(kind, '__name__', kind)}, got {value!r:.60}"
        )
    return value


def parse_record(record: Any, where: str) -> tuple[Transcript, list[ModelItem], list[str]]:
    """Validate one JSONL record and parse its transcript; DataError names `where` (file:line)."""
    if not isinstance(record, dict):
        raise DataError(f"{where}: each line must be a JSON object")
    _require(record, "id", (str, int), where)
    raw = _require(record, "transcript", str, where)
    fmt = record.get("format") or "auto"
    date_text = record.get("meeting_date")
    try:
        date = dt.date.fromisoformat(date_text) if date_text else None
    except (TypeError, ValueError) as exc:
        raise DataError(f"{where}: meeting_date must be YYYY-MM-DD or null, got {date_text!r}") from exc
    items, quotes = [], []
    for n, it in enumerate(_require(record, "action_items", list, where)):
        if not isinstance(it, dict) or not isinstance(it.get("evidence"), str) or not it["evidence"].strip():
            raise DataError(f"{where}: action_items[{n}] needs a non-empty 'evidence' string")
        try:
            fields_ = {k: it.get(k) for k in ("owner", "task", "deadline", "priority")}
            items.append(ModelItem(turn=0, **fields_))
        except ValidationError as exc:
            err = exc.errors()[0]
            raise DataError(
                f"{where}: action_items[{n}].{'.'.join(map(str, err['loc']))}: {err['msg']}"
            ) from exc
        quotes.append(it["evidence"])
    try:
        transcript = normalize_transcript(raw, fmt=fmt, meeting_date=date)
    except (ExtractionError, ValueError) as exc:
        raise DataError(f"{where}: transcript does not parse as {fmt}: {exc}") from exc
    if not transcript.turns:
        raise DataError(f"{where}: transcript has no turns")
    return transcript, items, quotes


def record_examples(
    transcript: Transcript, items: list[ModelItem], counter: TokenCounter, record_id: str
) -> list[Example]:
    """One example per inference chunk; each chunk's target holds the items whose turn it shows."""
    tok = counter.tokenizer
    out = []
    for n, chunk in enumerate(inference_chunks(transcript, counter)):
        shown = {t.index for t in chunk}
        mine = sorted((it for it in items if it.turn in shown), key=lambda it: it.turn)
        messages = build_messages(chunk, transcript.meeting_date, few_shot=False)
        prompt, completion = render_training_text(tok, messages, render_target(mine))
        out.append(Example(record_id, n, prompt, completion, tuple(mine)))
    return out


def read_jsonl(
    paths: Sequence[str | Path], stats: DataStats, skip_bad: bool
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(file:line, record) for every non-blank line; bad JSON raises DataError unless `skip_bad`."""
    for path in map(Path, paths):
        digest, lines = hashlib.sha256(), 0
        try:
            fh = path.open("rb")
        except OSError as exc:
            raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        with fh:
            for lineno, line in enumerate(fh, 1):
                digest.update(line)
                if not line.strip():
                    continue
                lines += 1
                where = f"{path}:{lineno}"
                try:
                    yield where, json.loads(line)
                except ValueError as exc:
                    if not skip_bad:
                        raise DataError(
                            f"{where}: not valid JSON ({exc}); fix the line or pass --skip-bad"
                        ) from exc
                    logger.warning("%s: skipped, not valid JSON", where)
                    stats.skipped_bad += 1
        stats.files.append({"path": str(path), "records": lines, "sha256": digest.hexdigest()})


def source_family(source: str) -> str:
    """'handwritten:hw-108:11' -> 'handwritten', 'synthetic:ami:ami-7' -> 'synthetic:ami': the
    provenance summary counts families, not one entry per meeting."""
    head, _, rest = source.partition(":")
    return head if head == "handwritten" or not rest else f"{head}:{rest.split(':')[0]}"


def build_examples(
    paths: Sequence[str | Path], counter: TokenCounter, *, skip_bad: bool = False, workers: int = 1
) -> tuple[list[Example], DataStats]:
    """All examples of the JSONL files in `paths`, with counts of what was skipped and why.
    `workers` > 1 parses and chunks meetings in forked processes; the result is the same."""
    stats = DataStats()
    examples: list[Example] = []
    records = read_jsonl(paths, stats, skip_bad)
    with _pool(workers, counter) as pool:
        built = pool.imap(_record_job, records, chunksize=16) if pool else map(_record_job, records)
        for one in built:
            if one.error is not None:
                if not skip_bad:
                    raise DataError(f"{one.error}; fix the record or pass --skip-bad")
                logger.warning("skipped %s", one.error)
                stats.skipped_bad += 1
            elif one.unplaced is not None:
                # An item we cannot place would be trained as "not an action item"; drop the meeting.
                logger.warning("%s: skipped, evidence %r not found in any turn", one.where, one.unplaced[:60])
                stats.skipped_unlocated += 1
            else:
                stats.records += 1
                stats.items += one.items
                stats.sources[one.family] += 1
                stats.formats[one.format] += 1
                stats.examples += len(one.examples)
                stats.empty_examples += sum(not ex.items for ex in one.examples)
                examples.extend(one.examples)
    if stats.skipped_unlocated:
        logger.warning("%d meeting(s) skipped: an item's evidence is in no turn", stats.skipped_unlocated)
    return examples, stats


@dataclass(frozen=True)
class _Built:
    """One record's examples, or why it has none (`error`: bad record; `unplaced`: a quote)."""

    where: str
    examples: list[Example] = field(default_factory=list)
    items: int = 0
    family: str = ""
    format: str = ""
    error: str | None = None
    unplaced: str | None = None


# The counter a forked worker uses: set in the parent before the fork, inherited, never pickled.
_WORKER_COUNTER: list[TokenCounter] = []


def _record_job(job: tuple[str, dict[str, Any]]) -> _Built:
    where, record = job
    try:
        transcript, items, quotes = parse_record(record, where)
    except DataError as exc:
        return _Built(where, error=str(exc))
    turns = locate_turns(transcript.turns, quotes)
    if None in turns:
        return _Built(where, unplaced=quotes[turns.index(None)])
    placed = [it.model_copy(update={"turn": k}) for it, k in zip(items, turns, strict=True)]
    return _Built(
        where,
        record_examples(transcript, placed, _WORKER_COUNTER[-1], str(record["id"])),
        len(placed),
        source_family(str(record.get("source") or "unknown")),
        transcript.format,
    )


@contextmanager
def _pool(workers: int, counter: TokenCounter) -> Iterator[Any]:
    """A fork pool of `workers` processes sharing `counter` (None: run in this process)."""
    _WORKER_COUNTER.append(counter)
    try:
        if workers <= 1 or "fork" not in mp.get_all_start_methods():
            yield None
            return
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # each worker tokenises alone
        with mp.get_context("fork").Pool(workers) as pool:
            yield pool
    finally:
        _WORKER_COUNTER.pop()


def encode_prompt(tokenizer: Any, prompt: str) -> list[int]:
    """Prompt token ids as served: a chat template that writes BOS itself gets no second one."""
    bos = tokenizer.bos_token
    add = not (bos and prompt.startswith(bos))
    return tokenizer(prompt, add_special_tokens=add)["input_ids"]


def tokenize(tokenizer: Any, example: Example, max_seq_len: int) -> dict[str, list[int]] | None:
    """input_ids and labels (IGNORE_INDEX on the prompt: loss on the answer only); None if too long."""
    prompt_ids = encode_prompt(tokenizer, example.prompt)
    answer_ids = tokenizer(example.completion, add_special_tokens=False)["input_ids"]
    if len(prompt_ids) + len(answer_ids) > max_seq_len:
        return None
    return {"input_ids": prompt_ids + answer_ids, "labels": [IGNORE_INDEX] * len(prompt_ids) + answer_ids}


def tokenize_all(
    tokenizer: Any, examples: Sequence[Example], max_seq_len: int, stats: DataStats, workers: int = 1
) -> list[dict[str, list[int]]]:
    """Tokenize every example (in `workers` forked processes if > 1, same order); drop (and count
    in `stats`) those over `max_seq_len`."""
    job = functools.partial(_tokenize_job, max_seq_len)
    with _pool(workers, TokenCounter(tokenizer, 0)) as pool:
        rows = pool.map(job, examples, chunksize=64) if pool else list(map(job, examples))
    out = [row for row in rows if row is not None]
    stats.dropped_too_long += len(rows) - len(out)
    if stats.dropped_too_long:
        logger.warning(
            "dropped %d example(s) longer than max_seq_len=%d", stats.dropped_too_long, max_seq_len
        )
    return out


def _tokenize_job(max_seq_len: int, example: Example) -> dict[str, list[int]] | None:
    return tokenize(_WORKER_COUNTER[-1].tokenizer, example, max_seq_len)
