"""`actionbot bench` with fake extractors: figures, ratios, JSON, plot and scoring plumbing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from extractor import bench as bench_mod
from extractor.bench import (
    MemoryProbe,
    format_table,
    percentile,
    run_bench,
    synthetic_transcript,
)
from extractor.model import FakeExtractor
from extractor.turns import normalize_transcript

ANSWER = json.dumps(
    {
        "action_items": [
            {"turn": 1, "owner": "Lee", "task": "Send the deck", "deadline": None, "priority": None}
        ]
    }
)
SCORER = '''
def score(gold_rows, pred_rows, threshold=0.4):
    """Counts only: enough to check the plumbing."""
    n = sum(len(p["action_items"] or []) for p in pred_rows)
    return {"f1": n / 10, "task_f1": n / 10, "json_validity": 1.0, "cases": len(gold_rows)}, []
'''


def rows(n: int) -> list[dict[str, Any]]:
    """Meetings written here (never the eval set)."""
    return [
        {
            "id": f"t{k}",
            "meeting_date": "2025-03-10",
            "action_items": [],
            "transcript": f"Dana: Lee, can you send deck {k}?\nLee: Sure, I'll send it.",
        }
        for k in range(n)
    ]


def paths() -> dict[str, FakeExtractor]:
    return {
        "constrained": FakeExtractor(default=ANSWER, name="fake"),
        "unconstrained": FakeExtractor(default="not json", name="fake (unconstrained)"),
    }


@pytest.mark.parametrize("words", [100, 400, 2500])
def test_synthetic_transcript_length_and_commitments(words: int) -> None:
    text = synthetic_transcript(words, seed=words)
    count = len(text.split()) - text.count("\n") - 1  # minus one speaker label per line
    assert words <= count < words + 30
    assert "I'll" in text
    assert synthetic_transcript(words, seed=words) == text
    assert normalize_transcript(text).format == "plain"


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [([3.0, 1.0, 2.0], 50, 2.0), ([1.0, 2.0], 95, 1.95), ([5.0], 95, 5.0), ([], 50, None)],
)
def test_percentile(values: list[float], q: float, expected: float | None) -> None:
    assert (
        percentile(values, q) == pytest.approx(expected)
        if expected is not None
        else percentile(values, q) is None
    )


def test_run_bench_reports_both_paths_and_ratios() -> None:
    p = paths()
    report = run_bench(p, rows(3), sweep=(100, 400), batch_sizes=(1, 2), device="cpu")
    c, u = report["dev"]["constrained"], report["dev"]["unconstrained"]
    assert c["n"] == u["n"] == 3
    assert c["valid_json"] == 1.0 and u["valid_json"] == 0.0
    assert c["items"] == 3 and u["items"] == 0
    assert c["gen_tokens"] > 0 and c["prompt_tokens"] > 0
    assert c["peak_rss_mb"] > 0
    assert report["dev"]["ratio"]["p50_s"] is not None
    assert set(report["throughput"]["constrained"]) == {"1", "2"}
    assert [pt["words"] for pt in report["sweep"]] == [100, 400]
    assert all({"constrained_s", "unconstrained_s", "ratio", "chunks"} <= set(pt) for pt in report["sweep"])
    # dev (3 meetings, once measured and once per batch size) plus two sweep meetings, each path
    assert len(p["constrained"].calls) == len(p["unconstrained"].calls) > 3


def test_throughput_fills_a_batch_larger_than_the_set() -> None:
    fake = FakeExtractor(default=ANSWER)
    transcripts = [normalize_transcript(r["transcript"]) for r in rows(2)]
    assert bench_mod.throughput(fake, transcripts, 8) > 0
    assert len(fake.calls) == 8


def test_table_has_a_ratio_column() -> None:
    report = run_bench(paths(), rows(2), sweep=(100,), batch_sizes=(1,), device="cpu")
    table = format_table(report)
    assert "ratio" in table.splitlines()[0]
    assert "latency_s @ 100 words" in table and "transcripts/s @ batch 1" in table


def test_memory_probe_cpu() -> None:
    with MemoryProbe("cpu") as probe:
        blob = bytearray(20 * 2**20)
    assert probe.key == "peak_rss_mb" and probe.peak_mb and probe.peak_mb > 20
    del blob


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    dev = tmp_path / "dev.jsonl"
    dev.write_text("".join(json.dumps(r) + "\n" for r in rows(5)), encoding="utf-8")
    (tmp_path / "score.py").write_text(SCORER, encoding="utf-8")
    monkeypatch.setattr(bench_mod, "load_paths", lambda *a: (paths(), {"cold_s": None, "warm_s": 0.5}))
    return tmp_path


def test_cli_small_writes_json_plot_and_scores(cli_env: Path) -> None:
    out, png = cli_env / "bench.json", cli_env / "latency.png"
    args = [
        "--small",
        "--dev",
        str(cli_env / "dev.jsonl"),
        "-o",
        str(out),
        "--plot",
        str(png),
        "--score",
        "--scorer",
        str(cli_env / "score.py"),
    ]
    result = CliRunner().invoke(bench_mod.bench, args)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["small"] is True and report["load"]["warm_s"] == 0.5
    assert report["dev"]["constrained"]["n"] == 3  # --small: three dev transcripts
    assert [p["words"] for p in report["sweep"]] == [100, 400]
    assert report["score"]["constrained"]["f1"] == 0.3 and report["score"]["unconstrained"]["f1"] == 0.0
    assert png.read_bytes().startswith(b"\x89PNG")
    assert "score f1" in result.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--sweep", "100,abc"], "comma-separated"),
        (["--batch-sizes", "0"], "1 or more"),
        (["--dev", "missing.jsonl"], "dev set not found"),
        (["--score", "--scorer", "nope.py"], "scorer not found"),
    ],
)
def test_cli_bad_options(cli_env: Path, args: list[str], needle: str) -> None:
    base = ["--dev", str(cli_env / "dev.jsonl")]
    result = CliRunner().invoke(bench_mod.bench, base + args)
    assert result.exit_code != 0
    assert needle in result.output


def test_cli_custom_sweep_and_limit(cli_env: Path) -> None:
    out = cli_env / "b.json"
    args = [
        "--dev",
        str(cli_env / "dev.jsonl"),
        "--limit",
        "2",
        "--sweep",
        "50",
        "--batch-sizes",
        "1,4",
        "-o",
        str(out),
    ]
    result = CliRunner().invoke(bench_mod.bench, args)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["dev"]["constrained"]["n"] == 2
    assert set(report["throughput"]["unconstrained"]) == {"1", "4"}


def save_tiny_model(directory: Path) -> Path:
    """A 2-layer random Llama with a byte-level BPE tokenizer trained on text written here."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import AutoModelForCausalLM, LlamaConfig, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<pad>", "<s>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator([synthetic_transcript(300, seed=1), ANSWER], trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(fast),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
    )
    AutoModelForCausalLM.from_config(config).save_pretrained(directory)
    fast.save_pretrained(directory)
    return directory


@pytest.mark.slow
def test_cli_small_with_a_tiny_model_directory(tmp_path: Path) -> None:
    model_dir = save_tiny_model(tmp_path / "tiny")
    dev = tmp_path / "dev.jsonl"
    dev.write_text("".join(json.dumps(r) + "\n" for r in rows(3)), encoding="utf-8")
    out = tmp_path / "bench.json"
    args = [
        "--small",
        "--dev",
        str(dev),
        "--model",
        str(model_dir),
        "--adapter",
        "none",
        "--device",
        "cpu",
        "-o",
        str(out),
    ]
    env = {"ACTIONBOT_MAX_NEW_TOKENS": "48", "ACTIONBOT_CACHE_DIR": str(tmp_path / "cache")}
    result = CliRunner().invoke(bench_mod.bench, args, env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert set(report["dev"]) == {"constrained", "unconstrained", "ratio"}
    assert report["dev"]["constrained"]["valid_json"] == 1.0  # the grammar closes the JSON even for noise
    assert report["load"]["warm_s"] > 0
