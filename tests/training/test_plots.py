"""Plots are written as real PNGs from logs, metrics and predictions; bad inputs fail clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from trainkit import write_jsonl

from training.plots import main, plot_latency, plot_loss, plot_quality

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def adapter(tmp_path: Path) -> Path:
    out = tmp_path / "gemma-actions"
    out.mkdir()
    rows = [{"step": s, "loss": 2.0 / s, "lr": 1e-4, "elapsed": s * 0.3} for s in range(1, 21)]
    write_jsonl(out / "train_log.jsonl", [*rows, {"step": 20, "eval_loss": 0.2}])
    return out


def test_loss_plot(adapter: Path, tmp_path: Path) -> None:
    out = plot_loss({"a": adapter / "train_log.jsonl"}, tmp_path / "p" / "loss.png")
    assert out.read_bytes().startswith(PNG)


def test_quality_plot(tmp_path: Path) -> None:
    paths = []
    for name, f1 in (("base few-shot", 0.31), ("gemma+adapter", 0.72)):
        path = tmp_path / f"{f1}.json"
        path.write_text(json.dumps({"model": name, "f1": f1, "json_validity": 0.99}))
        paths.append(path)
    assert plot_quality(paths, tmp_path / "q.png").read_bytes().startswith(PNG)


@pytest.mark.parametrize("with_words", [True, False], ids=["words-field", "from-gold"])
def test_latency_plot(tmp_path: Path, with_words: bool) -> None:
    gold = write_jsonl(
        tmp_path / "gold.jsonl", [{"id": f"m{k}", "transcript": "word " * (50 * k)} for k in range(1, 6)]
    )
    preds = [
        {"id": f"m{k}", "latency_s": 0.1 * k, **({"words": 50 * k} if with_words else {})}
        for k in range(1, 6)
    ]
    path = write_jsonl(tmp_path / "dev.preds.jsonl", preds)
    out = plot_latency([path], tmp_path / "lat.png", None if with_words else gold)
    assert out.read_bytes().startswith(PNG)


def test_latency_without_word_counts_is_a_clear_error(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "p.jsonl", [{"id": "m1", "latency_s": 0.4}])
    with pytest.raises(ValueError, match="pass --gold"):
        plot_latency([path], tmp_path / "lat.png")


def test_cli_writes_the_pngs(adapter: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--adapter", str(adapter), "--out", str(tmp_path / "plots")])
    assert result.exit_code == 0, result.output
    assert result.output.split() == [str(tmp_path / "plots" / "loss.png")]


@pytest.mark.parametrize(
    ("args", "message"),
    [([], "nothing to plot"), (["--adapter", "."], "no train_log.jsonl")],
)
def test_cli_errors(args: list[str], message: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path)])
    assert result.exit_code == 2 if not args else result.exit_code == 1
    assert message in result.output
