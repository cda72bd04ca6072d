"""PNG charts of training and evaluation: loss curves, F1 / JSON validity per model, latency
against transcript length. `python -m training.plots --help` for the command line."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
import matplotlib

matplotlib.use("Agg")  # files only; no display on servers or in CI
import matplotlib.pyplot as plt  # noqa: E402

logger = logging.getLogger(__name__)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Rows of a JSONL file; a bad line raises ValueError naming file:line."""
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError as exc:
                raise ValueError(f"{path}:{n}: not JSON ({exc})") from exc
    return rows


def plot_loss(logs: dict[str, Path], out: Path) -> Path:
    """Training loss against step (lines) and eval loss (markers), one colour per adapter."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for (label, path), colour in zip(
        logs.items(), plt.rcParams["axes.prop_cycle"].by_key()["color"] * 9, strict=False
    ):
        rows = read_jsonl(path)
        train = [(r["step"], r["loss"]) for r in rows if "loss" in r]
        evals = [(r["step"], r["eval_loss"]) for r in rows if "eval_loss" in r]
        if train:
            ax.plot(*zip(*train, strict=True), color=colour, label=f"{label} train")
        if evals:
            ax.plot(*zip(*evals, strict=True), "o--", color=colour, label=f"{label} eval")
    ax.set(xlabel="optimizer step", ylabel="loss (answer tokens)", title="Training loss")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, out)


def plot_quality(metrics: Sequence[Path], out: Path) -> Path:
    """Grouped bars of F1 and JSON validity, one group per metrics file (the scorer's JSON)."""
    labels, f1, valid = [], [], []
    for path in metrics:
        m = json.loads(path.read_text(encoding="utf-8"))
        labels.append(str(m.get("model") or path.stem))
        f1.append(m.get("f1") or 0.0)
        valid.append(m.get("json_validity") or 0.0)
    fig, ax = plt.subplots(figsize=(max(5, 1.6 * len(labels)), 4))
    xs = range(len(labels))
    for offset, values, name in ((-0.2, f1, "F1 (task + owner)"), (0.2, valid, "JSON validity")):
        bars = ax.bar([x + offset for x in xs], values, width=0.4, label=name)
        ax.bar_label(bars, fmt="%.2f", fontsize=8)
    ax.set_xticks(list(xs), labels, rotation=15, ha="right", fontsize=8)
    ax.set(ylim=(0, 1.1), ylabel="score", title="Extraction quality per model")
    ax.legend(fontsize=8)
    return _save(fig, out)


def word_counts(gold: Path | None) -> dict[str, int]:
    """Meeting id -> transcript words, from a gold JSONL (empty without one)."""
    if gold is None:
        return {}
    return {str(r["id"]): len(str(r.get("transcript") or "").split()) for r in read_jsonl(gold)}


def plot_latency(preds: Sequence[Path], out: Path, gold: Path | None = None) -> Path:
    """Latency per meeting against its length in words (a `words` field, else the gold transcript)."""
    words = word_counts(gold)
    fig, ax = plt.subplots(figsize=(7, 4))
    plotted = 0
    for path in preds:
        points = []
        for r in read_jsonl(path):
            n = r.get("words", r.get("word_count", words.get(str(r.get("id")))))
            if isinstance(r.get("latency_s"), (int, float)) and isinstance(n, int):
                points.append((n, r["latency_s"]))
        if points:
            ax.scatter(*zip(*points, strict=True), s=12, alpha=0.7, label=path.name.removesuffix(".jsonl"))
            plotted += len(points)
    if not plotted:
        raise ValueError("no prediction has both latency_s and a word count; pass --gold GOLD.jsonl")
    ax.set(xlabel="transcript length (words)", ylabel="latency (s)", title="Latency vs input length")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, out)


def _save(fig: Any, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


@click.command()
@click.option(
    "--adapter",
    "adapters",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Adapter directory with train_log.jsonl (repeatable).",
)
@click.option(
    "--metrics",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Scorer metrics JSON from `actionbot eval --metrics` (repeatable).",
)
@click.option(
    "--preds",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Prediction JSONL from `actionbot eval -o` (repeatable).",
)
@click.option(
    "--gold",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Gold JSONL, for the word counts of --preds.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("plots"),
    show_default=True,
    help="Where to write the PNGs.",
)
def main(
    adapters: tuple[Path, ...],
    metrics: tuple[Path, ...],
    preds: tuple[Path, ...],
    gold: Path | None,
    out_dir: Path,
) -> None:
    """Draw loss.png, quality.png and latency.png from training logs and eval outputs.

    Example:

        python -m training.plots --adapter adapters/gemma-3-270m-actions --metrics dev.metrics.json \\
            --preds dev.preds.jsonl --gold ../shared/data/dev.jsonl
    """
    if not (adapters or metrics or preds):
        raise click.UsageError("nothing to plot; pass --adapter, --metrics and/or --preds")
    written = []
    try:
        if adapters:
            missing = [a for a in adapters if not (a / "train_log.jsonl").is_file()]
            if missing:
                raise click.ClickException(f"{missing[0]}: no train_log.jsonl (is it a trained adapter?)")
            written.append(plot_loss({a.name: a / "train_log.jsonl" for a in adapters}, out_dir / "loss.png"))
        if metrics:
            written.append(plot_quality(metrics, out_dir / "quality.png"))
        if preds:
            written.append(plot_latency(preds, out_dir / "latency.png", gold))
    except (ValueError, KeyError) as exc:
        raise click.ClickException(str(exc)) from exc
    for path in written:
        click.echo(str(path))


if __name__ == "__main__":
    main()
