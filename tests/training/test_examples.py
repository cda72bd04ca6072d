"""Training examples are built with the serving code: same chunks, same prompt, loss on the answer."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import torch
from trainkit import build_tokenizer, make_record, write_jsonl

from extractor.pipeline import plan_requests
from extractor.prompt import render_prompt
from extractor.schema import ModelItem, parse_items, render_target
from extractor.turns import Turn, normalize_transcript
from training.batching import BatchStream, collate, epoch_batches
from training.errors import DataError
from training.examples import (
    IGNORE_INDEX,
    TokenCounter,
    build_examples,
    encode_prompt,
    locate_turns,
    parse_record,
    source_family,
    tokenize,
    tokenize_all,
)

CONTEXT = 512


def _turns(*texts: str) -> list[Turn]:
    return [Turn(i, "A", t) for i, t in enumerate(texts)]


@pytest.mark.parametrize(
    ("texts", "quotes", "expected"),
    [
        (("I will send it.", "ok"), ["I will send it."], [0]),
        (("I  will\nSEND it.", "ok"), ["i will send it."], [0]),  # whitespace and case
        (("send it", "call Bo", "send it"), ["call Bo", "send it"], [1, 2]),  # at/after the previous item
        (("send it and call Bo",), ["send it", "call Bo"], [0, 0]),  # two items, one turn
        (("a", "send it", "b", "call Bo"), ["call Bo", "send it"], [3, 1]),  # falls back to anywhere
        (("We'll call “Bo” today.",), ["well call Bo today"], [0]),  # punctuation as last resort
        (("nothing here",), ["missing quote"], [None]),
    ],
)
def test_locate_turns(texts: tuple[str, ...], quotes: list[str], expected: list[int | None]) -> None:
    assert locate_turns(_turns(*texts), quotes) == expected


@pytest.mark.parametrize(
    "items",
    [
        [],
        [ModelItem(turn=3, owner="Lena", task="Send the deck", deadline="by Friday", priority="high")],
        [ModelItem(turn=0, task="Book a room"), ModelItem(turn=7, owner="Ana", task="Fix the “build” ✓")],
    ],
)
def test_target_round_trip(items: list[ModelItem]) -> None:
    assert parse_items(render_target(items)) == items


@pytest.mark.parametrize("chat_template", [True, False], ids=["chat-template", "plain-layout"])
@pytest.mark.parametrize("turns", [6, 40], ids=["one-chunk", "many-chunks"])
def test_prompt_equals_inference_prompt(tmp_path: Path, chat_template: bool, turns: int) -> None:
    tok = build_tokenizer(chat_template)
    counter = TokenCounter(tok, CONTEXT)
    record = make_record(3, turns=turns)
    examples, _ = build_examples([write_jsonl(tmp_path / "d.jsonl", [record])], counter)
    transcript = normalize_transcript(record["transcript"], fmt="plain", meeting_date=dt.date(2025, 3, 10))
    requests = plan_requests(transcript, counter)  # exactly what the pipeline sends the model
    assert [ex.prompt for ex in examples] == [render_prompt(tok, r.messages) for r in requests]
    assert (len(examples) > 1) == (turns == 40)
    assert all(ex.completion.endswith(tok.eos_token) for ex in examples)


def test_targets_hold_the_chunk_items_sorted_by_turn(tmp_path: Path, tokenizer) -> None:
    record = make_record(4, turns=40)
    record["action_items"].reverse()  # order in the file must not matter
    examples, stats = build_examples(
        [write_jsonl(tmp_path / "d.jsonl", [record])], TokenCounter(tokenizer, CONTEXT)
    )
    assert stats.records == 1 and stats.items == 2
    seen = set()
    for ex in examples:
        items = parse_items(ex.completion.removesuffix(tokenizer.eos_token))
        shown = {
            int(line.split("]")[0][1:])
            for line in ex.prompt.split("Transcript:\n")[1].splitlines()
            if line.startswith("[")
        }
        assert all(it.turn in shown for it in items)
        assert [it.turn for it in items] == sorted(it.turn for it in items)
        seen.update((it.turn, it.task) for it in items)
    assert {it["task"] for it in record["action_items"]} == {task for _, task in seen}


def test_labels_mask_the_prompt(tmp_path: Path, tokenizer) -> None:
    examples, _ = build_examples(
        [write_jsonl(tmp_path / "d.jsonl", [make_record(1)])], TokenCounter(tokenizer, CONTEXT)
    )
    row = tokenize(tokenizer, examples[0], 4096)
    n_prompt = len(encode_prompt(tokenizer, examples[0].prompt))
    assert row is not None and len(row["input_ids"]) == len(row["labels"])
    assert row["labels"][:n_prompt] == [IGNORE_INDEX] * n_prompt
    assert row["labels"][n_prompt:] == row["input_ids"][n_prompt:]
    assert tokenizer.decode(row["input_ids"][n_prompt:]) == examples[0].completion
    assert row["input_ids"].count(tokenizer.bos_token_id) == 1  # the template's BOS, not a second one


def test_too_long_examples_are_dropped_and_counted(tmp_path: Path, tokenizer) -> None:
    examples, stats = build_examples(
        [write_jsonl(tmp_path / "d.jsonl", [make_record(k) for k in range(3)])],
        TokenCounter(tokenizer, CONTEXT),
    )
    lengths = sorted(len(tokenize(tokenizer, ex, 10**6)["input_ids"]) for ex in examples)
    rows = tokenize_all(tokenizer, examples, lengths[1], stats)
    assert len(rows) == sum(n <= lengths[1] for n in lengths) and stats.dropped_too_long == len(
        examples
    ) - len(rows)


BAD = [
    ("not json", "not valid JSON"),
    ('["a list"]', "must be a JSON object"),
    ({"id": "x", "transcript": 5, "action_items": []}, "'transcript' must be str"),
    ({"id": "x", "transcript": "A: hi", "action_items": "none"}, "'action_items' must be list"),
    ({"id": "x", "transcript": "A: hi", "meeting_date": "10/03/2025", "action_items": []}, "meeting_date"),
    ({"id": "x", "transcript": "A: hi", "action_items": [{"task": "Do it"}]}, "action_items[0] needs"),
    (
        {"id": "x", "transcript": "A: hi", "action_items": [{"task": "", "evidence": "hi"}]},
        "action_items[0].task",
    ),
    (
        {
            "id": "x",
            "transcript": "A: hi",
            "action_items": [{"task": "x", "priority": "urgent", "evidence": "hi"}],
        },
        "action_items[0].priority",
    ),
    ({"id": "x", "transcript": "   ", "action_items": []}, "no turns"),
]


@pytest.mark.parametrize(("bad", "message"), BAD)
def test_malformed_record_names_file_and_line(tmp_path: Path, tokenizer, bad, message: str) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [make_record(0), bad])
    with pytest.raises(DataError) as err:
        build_examples([path], TokenCounter(tokenizer, CONTEXT))
    assert f"{path}:2:" in str(err.value) and message in str(err.value) and "--skip-bad" in str(err.value)


def test_skip_bad_counts_instead_of_failing(tmp_path: Path, tokenizer) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [make_record(0), *(b for b, _ in BAD), make_record(1)])
    _, stats = build_examples([path], TokenCounter(tokenizer, CONTEXT), skip_bad=True)
    assert (stats.records, stats.skipped_bad) == (2, len(BAD))
    assert stats.files[0]["records"] == len(BAD) + 2 and len(stats.files[0]["sha256"]) == 64


def test_meeting_with_unlocatable_evidence_is_skipped(tmp_path: Path, tokenizer) -> None:
    lost = make_record(2)
    lost["action_items"][0]["evidence"] = "a sentence nobody said"
    _, stats = build_examples(
        [write_jsonl(tmp_path / "d.jsonl", [make_record(0), lost])], TokenCounter(tokenizer, CONTEXT)
    )
    assert (stats.records, stats.skipped_unlocated) == (1, 1)
    assert json.dumps(stats.to_json())  # provenance is JSON-ready


def test_parse_record_uses_the_shared_normaliser(tmp_path: Path) -> None:
    record = make_record(5)
    transcript, items, quotes = parse_record(record, "f:1")
    assert transcript.turns == normalize_transcript(record["transcript"], fmt="plain").turns
    assert [it.task for it in items] == [it["task"] for it in record["action_items"]]
    assert quotes == [it["evidence"] for it in record["action_items"]]


@pytest.mark.parametrize("group", [True, False])
def test_epoch_batches_cover_every_example_once_and_replay(group: bool) -> None:
    lengths = [(k * 37) % 101 for k in range(203)]
    batches = epoch_batches(lengths, 8, seed=5, group_by_length=group)
    assert sorted(k for b in batches for k in b) == list(range(203))
    assert batches == epoch_batches(lengths, 8, seed=5, group_by_length=group)
    stream = BatchStream(lengths, 8, seed=5, group_by_length=group)
    assert stream[len(batches)] == epoch_batches(lengths, 8, seed=6, group_by_length=group)[0]


def test_grouped_batches_pad_less() -> None:
    lengths = [(k * 37) % 101 + 1 for k in range(512)]

    def padding(batches: list[list[int]]) -> int:
        return sum(max(lengths[k] for k in b) * len(b) - sum(lengths[k] for k in b) for b in batches)

    assert padding(epoch_batches(lengths, 8, 1, True)) < padding(epoch_batches(lengths, 8, 1, False)) / 3


def test_collate_left_pads_and_keeps_the_answer_window() -> None:
    rows = [
        {"input_ids": [5, 6, 7], "labels": [-100, 6, 7]},
        {"input_ids": [1, 2, 3, 4, 5], "labels": [-100] * 4 + [5]},
    ]
    batch = collate(rows, pad_id=0, multiple_of=1)
    assert batch["input_ids"].tolist() == [[0, 0, 5, 6, 7], [1, 2, 3, 4, 5]]
    assert batch["attention_mask"].tolist() == [[0, 0, 1, 1, 1], [1] * 5]
    assert batch["position_ids"].tolist() == [[0, 0, 0, 1, 2], [0, 1, 2, 3, 4]]
    assert batch["keep"] == 3  # longest answer (2) + 1
    assert torch.equal(batch["labels"][1], torch.tensor([-100] * 4 + [5]))


@pytest.mark.parametrize(
    ("source", "family"),
    [
        ("handwritten:hw-108:11", "handwritten"),
        ("synthetic:dialog:dialog-2317", "synthetic:dialog"),
        ("synthetic:ami:long-34", "synthetic:ami"),
        ("unknown", "unknown"),
    ],
)
def test_provenance_counts_source_families(source: str, family: str) -> None:
    assert source_family(source) == family


def test_forked_workers_build_the_same_examples_and_rows(tmp_path: Path, tokenizer) -> None:
    lost = make_record(40)
    lost["action_items"][0]["evidence"] = "a sentence nobody said"
    records = [make_record(k, turns=6 + k % 30) for k in range(40)] + [lost, BAD[0][0], BAD[2][0]]
    path = write_jsonl(tmp_path / "d.jsonl", records)
    counter = TokenCounter(tokenizer, CONTEXT)
    one, one_stats = build_examples([path], counter, skip_bad=True)
    many, many_stats = build_examples([path], counter, skip_bad=True, workers=2)
    assert many == one and many_stats == one_stats
    assert (many_stats.skipped_unlocated, many_stats.skipped_bad) == (1, 2)
    assert tokenize_all(tokenizer, many, 4096, many_stats, 2) == tokenize_all(tokenizer, one, 4096, one_stats)


@pytest.mark.parametrize("bad", [BAD[0][0], BAD[2][0]], ids=["json", "record"])
def test_forked_workers_still_name_a_bad_record(tmp_path: Path, tokenizer, bad) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [make_record(k) for k in range(30)] + [bad])
    with pytest.raises(DataError, match=rf"{path}:31:.*--skip-bad"):
        build_examples([path], TokenCounter(tokenizer, CONTEXT), workers=2)
