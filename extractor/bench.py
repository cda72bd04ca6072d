"""`actionbot bench`: speed and memory of the constrained extractor next to a plain, unconstrained
`generate()` baseline on the same model, over dev transcripts and a synthetic length sweep."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from extractor.cli import DEFAULT_SCORER, load_scorer, model_options
from extractor.errors import ExtractionError
from extractor.model import Extractor, GenerationRequest
from extractor.pipeline import assemble, extract_many, plan_requests
from extractor.prompt import render_prompt
from extractor.turns import Transcript, normalize_transcript

DEFAULT_DEV = Path("..") / "shared" / "data" / "dev.jsonl"
FULL_SWEEP = (100, 400, 1000, 2500, 5000, 10000)
SMALL_SWEEP = (100, 400)
# constrained_eager: the eager loop beside CUDA graphs, on a GPU only.
PATHS = ("constrained", "unconstrained", "constrained_eager")

NAMES = ("Priya", "Marco", "Lena", "Tom", "Aisha", "Ken", "Sofia", "Ravi")
CHATTER = (
    "We looked at the numbers from last sprint and they look roughly in line with the forecast.",
    "I think the main risk is still the vendor timeline, but nothing has changed since last week.",
    "Quick update on the dashboard: the new filters are live and nobody has complained so far.",
    "Let's keep that in the parking lot for now and come back to it if we have time at the end.",
    "The customer call went fine, they mostly asked about pricing and the migration path.",
    "I don't have much to add there, it is mostly waiting on legal at this point.",
    "Yeah, agreed, the staging environment has been a lot more stable since the upgrade.",
)
TASKS = (
    ("send the revised budget to finance", "by Friday"),
    ("book the room for the quarterly review", "next week"),
    ("update the onboarding checklist", None),
    ("call the vendor about the late shipment", "tomorrow"),
    ("draft the release notes", "before the demo"),
    ("review the security findings", "by end of day"),
    ("schedule the retro with the design team", None),
)


def synthetic_transcript(words: int, seed: int = 0) -> str:
    """A plain `Name: text` meeting of about `words` words, with a commitment every fifth turn."""
    rng = random.Random(seed)
    lines: list[str] = []
    count = 0
    while count < words:
        speaker = NAMES[len(lines) % len(NAMES)]
        if len(lines) % 5 == 2:
            task, deadline = rng.choice(TASKS)
            text = f"Okay, I'll {task}" + (f" {deadline}." if deadline else ".")
        else:
            text = rng.choice(CHATTER)
        lines.append(f"{speaker}: {text}")
        count += len(text.split())
    return "\n".join(lines)


class MemoryProbe:
    """Peak memory over a `with` block: VRAM allocated on CUDA, process RSS (sampled) on CPU."""

    def __init__(self, device: str, interval_s: float = 0.01) -> None:
        self.cuda = device.startswith("cuda")
        self.key = "peak_vram_mb" if self.cuda else "peak_rss_mb"
        self.interval_s = interval_s
        self.peak_mb: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> MemoryProbe:
        if self.cuda:
            import torch

            torch.cuda.reset_peak_memory_stats()
        else:
            import psutil

            process = psutil.Process()
            self.peak_mb = process.memory_info().rss / 2**20

            def sample() -> None:
                while not self._stop.wait(self.interval_s):
                    self.peak_mb = max(self.peak_mb or 0.0, process.memory_info().rss / 2**20)

            self._thread = threading.Thread(target=sample, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.cuda:
            import torch

            self.peak_mb = torch.cuda.max_memory_allocated() / 2**20
        else:
            self._stop.set()
            if self._thread:
                self._thread.join()


class UnconstrainedExtractor:
    """The same loaded model, decoding with plain `generate()`: no grammar, no jump-forward."""

    def __init__(self, hf: Any, max_new_tokens: int) -> None:
        self.hf = hf
        self.name = f"{hf.name} (unconstrained)"
        self.few_shot = hf.few_shot
        self.context_tokens = hf.context_tokens
        self.tokenizer = hf.tokenizer
        self.max_new_tokens = max_new_tokens

    def count_tokens(self, text: str) -> int:
        return int(self.hf.count_tokens(text))

    def generate(self, requests: Sequence[GenerationRequest]) -> list[str]:
        from extractor.decoding import generate_unconstrained

        prompts = [render_prompt(self.tokenizer, r.messages) for r in requests]
        # Same grouping as the constrained decoder, so batch sizes compare like with like.
        size = max(1, int(getattr(self.hf, "batch_size", 8)))
        out: list[str] = []
        for start in range(0, len(prompts), size):
            group = prompts[start : start + size]
            out.extend(generate_unconstrained(self.hf.model, self.tokenizer, group, self.max_new_tokens))
        return out


def _say(message: str) -> None:
    click.echo(f"… {message}", err=True)


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100), linearly interpolated; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = int(pos), min(int(pos) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def prompt_tokens(extractor: Extractor, messages: list[dict[str, str]]) -> int:
    """Tokens of the rendered prompt (the chat template included when the model has one)."""
    tokenizer = getattr(extractor, "tokenizer", None)
    text = (
        render_prompt(tokenizer, messages)
        if tokenizer is not None
        else "\n".join(m["content"] for m in messages)
    )
    return extractor.count_tokens(text)


def measure(
    extractor: Extractor, transcripts: list[Transcript], device: str
) -> tuple[dict[str, Any], list[Any]]:
    """Per-transcript latency, token rates, JSON validity and peak memory; plus the results."""
    latencies: list[float] = []
    results = []
    n_prompt = n_gen = 0
    with MemoryProbe(device) as memory:
        for t in transcripts:
            plan = plan_requests(t, extractor)
            started = time.perf_counter()
            raws = extractor.generate(plan)
            elapsed = time.perf_counter() - started
            latencies.append(elapsed)
            n_prompt += sum(prompt_tokens(extractor, r.messages) for r in plan)
            n_gen += sum(extractor.count_tokens(raw) for raw in raws)
            results.append(assemble(t, raws, elapsed, extractor.name))
    total = sum(latencies) or 1e-9
    stats = {
        "n": len(transcripts),
        "p50_s": percentile(latencies, 50),
        "p95_s": percentile(latencies, 95),
        "mean_s": statistics.fmean(latencies) if latencies else None,
        "gen_tok_per_s": n_gen / total,
        "prompt_tok_per_s": n_prompt / total,
        "prompt_tokens": n_prompt,
        "gen_tokens": n_gen,
        "valid_json": sum(r.valid_json for r in results) / max(1, len(results)),
        "items": sum(len(r.items) for r in results),
        memory.key: memory.peak_mb,
    }
    return stats, results


def throughput(extractor: Extractor, transcripts: list[Transcript], batch: int) -> float:
    """Transcripts per second through `extract_many` in groups of `batch` (cycling to fill one batch)."""
    pool = [transcripts[k % len(transcripts)] for k in range(max(batch, len(transcripts)))]
    started = time.perf_counter()
    for start in range(0, len(pool), batch):
        extract_many(pool[start : start + batch], extractor)
    return len(pool) / (time.perf_counter() - started)


def ratio(a: Any, b: Any) -> float | None:
    """a / b when both are numbers and b is not zero."""
    return a / b if isinstance(a, int | float) and isinstance(b, int | float) and b else None


def run_bench(
    paths: dict[str, Extractor],
    rows: list[dict[str, Any]],
    sweep: tuple[int, ...],
    batch_sizes: tuple[int, ...],
    device: str,
    scorer: Any = None,
) -> dict[str, Any]:
    """Every figure for every path (constrained first); `scorer` adds official F1 on `rows`."""
    transcripts = [_transcript(r) for r in rows]
    report: dict[str, Any] = {"dev": {}, "throughput": {}, "sweep": [], "score": {}}
    for name, extractor in paths.items():
        _say(f"{name}: {len(transcripts)} dev transcript(s)")
        stats, results = measure(extractor, transcripts, device)
        report["dev"][name] = stats
        # Batch 1 is the run just measured; timing it again would only double the bench's length.
        report["throughput"][name] = {
            str(b): 1 / stats["mean_s"]
            if b == 1 and stats["mean_s"]
            else throughput(extractor, transcripts, b)
            for b in batch_sizes
        }
        if scorer is not None:
            preds = [
                {
                    "id": row["id"],
                    "raw": r.raw,
                    "action_items": [it.to_json() for it in r.items],
                    "latency_s": round(r.latency_s, 3),
                }
                for row, r in zip(rows, results, strict=True)
            ]
            scored = scorer.score(rows, preds)
            report["score"][name] = scored[0] if isinstance(scored, tuple) else scored
    for words in sweep:
        t = normalize_transcript(synthetic_transcript(words, seed=words), meeting_date=dt.date(2025, 3, 10))
        point: dict[str, Any] = {"words": words, "turns": len(t.turns)}
        for name, extractor in paths.items():
            _say(f"{name}: synthetic {words}-word meeting")
            stats, results = measure(extractor, [t], device)
            point[f"{name}_s"] = stats["p50_s"]
            point["chunks"] = len(results[0].raw_chunks)
        point["ratio"] = ratio(point.get("constrained_s"), point.get("unconstrained_s"))
        report["sweep"].append(point)
    a = report["dev"].get("constrained", {})
    for other, key in (("unconstrained", "ratio"), ("constrained_eager", "ratio_eager")):
        if other in report["dev"]:
            b = report["dev"][other]
            report["dev"][key] = {k: ratio(a[k], b[k]) for k in a if isinstance(a[k], int | float)}
    return report


def _transcript(row: dict[str, Any]) -> Transcript:
    date = dt.date.fromisoformat(row["meeting_date"]) if row.get("meeting_date") else None
    return normalize_transcript(row.get("transcript") or "", meeting_date=date)


def read_rows(path: Path, limit: int | None) -> list[dict[str, Any]]:
    """Gold rows with text (only the transcripts are used for timing; gold items only by --score)."""
    if not path.is_file():
        raise click.ClickException(f"dev set not found at {path}; pass --dev PATH or set ACTIONBOT_DEV_SET")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if (r.get("transcript") or "").strip()]
    return rows[:limit] if limit else rows


def load_paths(
    base: str | None, adapter: str | None, device: str | None, cold: bool
) -> tuple[dict[str, Any], dict]:
    """({path name: extractor}, load timings); the baseline shares the constrained path's model."""
    from extractor.config import ModelConfig
    from extractor.hf import load_extractor

    config = ModelConfig.from_env(os.environ)
    overrides: dict[str, Any] = {k: v for k, v in {"base": base, "device": device}.items() if v}
    if adapter:
        overrides["adapter"] = None if adapter.lower() == "none" else adapter
    config = dataclasses.replace(config, **overrides)
    load: dict[str, Any] = {"cold_s": None}
    if cold:
        with tempfile.TemporaryDirectory(prefix="actionbot-cold-") as tmp:
            started = time.perf_counter()
            load_extractor(dataclasses.replace(config, cache_dir=tmp), progress=_say)
            load["cold_s"] = time.perf_counter() - started
    started = time.perf_counter()
    extractor = load_extractor(config, progress=_say)
    load["warm_s"] = time.perf_counter() - started
    paths: dict[str, Any] = {"constrained": extractor}
    if getattr(extractor, "model", None) is not None:
        paths["unconstrained"] = UnconstrainedExtractor(extractor, config.max_new_tokens)
        eager = eager_twin(extractor)
        if eager is not None:
            paths["constrained_eager"] = eager
    else:
        _say(f"{extractor.name} has no local model; skipping the unconstrained baseline")
    return paths, load


def eager_twin(extractor: Any) -> Any:
    """On a GPU with CUDA graphs: the same model and settings through the eager decoding loop
    (ACTIONBOT_CUDA_GRAPHS=0), timed beside it; None elsewhere."""
    decoder: Any = getattr(extractor, "decoder", None)
    if getattr(decoder, "static", None) is None:
        return None
    from extractor.hf import build_decoder

    twin = copy.copy(extractor)
    cache_dir = decoder.grammars.dir.parent if decoder.grammars.dir else None
    twin.decoder = build_decoder(
        extractor.model, extractor.tokenizer, extractor.config, cache_dir, static=False
    )
    twin.name = f"{extractor.name} (eager)"
    return twin


def format_table(report: dict[str, Any]) -> str:
    """A plain-text table: one row per figure, one column per path, then the ratio."""

    def fmt(v: Any) -> str:
        return "-" if v is None else f"{v:.3g}" if isinstance(v, float) else str(v)

    names = [p for p in PATHS if p in report["dev"]]
    lines = [f"{'':26}" + "".join(f"{n:>15}" for n in names) + f"{'ratio':>10}"]

    def row(label: str, values: list[Any]) -> None:
        r = ratio(values[0], values[1]) if len(values) >= 2 else None  # constrained / baseline
        lines.append(f"{label:26}" + "".join(f"{fmt(v):>15}" for v in values) + f"{fmt(r):>10}")

    for key in report["dev"][names[0]]:
        row(f"dev {key}", [report["dev"][n].get(key) for n in names])
    for b in report["throughput"][names[0]]:
        row(f"transcripts/s @ batch {b}", [report["throughput"][n][b] for n in names])
    for point in report["sweep"]:
        row(f"latency_s @ {point['words']} words", [point.get(f"{n}_s") for n in names])
    for key in ("f1", "task_f1", "json_validity"):
        if report["score"]:
            row(f"score {key}", [report["score"][n].get(key) for n in names])
    return "\n".join(lines)


def save_plot(report: dict[str, Any], path: Path) -> None:
    """Latency against transcript length, one line per path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    words = [p["words"] for p in report["sweep"]]
    for name in PATHS:
        if report["sweep"] and f"{name}_s" in report["sweep"][0]:
            ax.plot(words, [p[f"{name}_s"] for p in report["sweep"]], marker="o", label=name)
    ax.set(
        xlabel="transcript length (words)",
        ylabel="latency (s)",
        title=f"{report['model']} on {report['device']}",
    )
    ax.set_xscale("log")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _ints(value: str | None, option: str) -> tuple[int, ...] | None:
    if not value:
        return None
    try:
        out = tuple(int(v) for v in value.split(",") if v.strip())
    except ValueError as exc:
        raise click.BadParameter(
            f"expected comma-separated numbers, got {value!r}", param_hint=option
        ) from exc
    if not out or min(out) < 1:
        raise click.BadParameter("numbers must be 1 or more", param_hint=option)
    return out


@click.command()
@click.option(
    "--dev",
    "dev_path",
    type=click.Path(path_type=Path),
    envvar="ACTIONBOT_DEV_SET",
    default=DEFAULT_DEV,
    show_default=True,
    help="Gold JSONL whose transcripts are timed.",
)
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write every figure as JSON here.",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Save latency vs transcript length as a PNG.",
)
@click.option("--small", is_flag=True, help="CI mode: 3 dev transcripts, sweep of 100 and 400 words.")
@click.option("--limit", type=int, default=None, help="Only the first N dev transcripts.")
@click.option(
    "--batch-sizes", default=None, help="Comma-separated batch sizes (default 1,8,32 on GPU, 1 on CPU)."
)
@click.option(
    "--sweep", default=None, help="Comma-separated synthetic lengths in words (default 100..10000)."
)
@click.option("--cold", is_flag=True, help="Also time a cold load (empty cache: GGUF conversion included).")
@click.option("--score", "do_score", is_flag=True, help="Also score both paths with the official scorer.")
@click.option(
    "--scorer",
    type=click.Path(path_type=Path),
    envvar="ACTIONBOT_SCORER",
    default=DEFAULT_SCORER,
    show_default=True,
    help="The official scorer script (with --score).",
)
@model_options
def bench(
    dev_path: Path,
    out: Path | None,
    plot: Path | None,
    small: bool,
    limit: int | None,
    batch_sizes: str | None,
    sweep: str | None,
    cold: bool,
    do_score: bool,
    scorer: Path,
    base: str | None,
    adapter: str | None,
    device: str | None,
) -> None:
    """Time the extractor against an unconstrained generate() baseline on the same model.

    Reports load time, p50/p95 latency, token rates, peak memory (RSS on CPU, VRAM on GPU),
    transcripts/s per batch size and a synthetic length sweep, with constrained/baseline ratios.

    Example:

        actionbot bench --small -o bench.json --plot latency.png
    """
    limit = limit or (3 if small else None)
    sweep_words = _ints(sweep, "--sweep") or (SMALL_SWEEP if small else FULL_SWEEP)
    rows = read_rows(dev_path, limit)
    score_module = load_scorer(scorer) if do_score else None
    try:
        paths, load = load_paths(base, adapter, device, cold)
        constrained = paths["constrained"]
        where = str(getattr(constrained, "device", "cpu"))
        sizes = _ints(batch_sizes, "--batch-sizes") or ((1, 8, 32) if where.startswith("cuda") else (1,))
        report = run_bench(paths, rows, sweep_words, sizes, where, score_module)
    except ExtractionError as exc:
        raise click.ClickException(str(exc)) from exc
    report = {
        "model": constrained.name,
        "device": where,
        "host": platform.node(),
        "python": sys.version.split()[0],
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "small": small,
        "load": load,
        **report,
    }
    click.echo(
        f"model {report['model']} on {where}; load warm {load['warm_s']:.1f}s"
        + (f", cold {load['cold_s']:.1f}s" if load["cold_s"] is not None else "")
    )
    click.echo(format_table(report))
    if out:
        out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        _say(f"wrote {out}")
    if plot:
        save_plot(report, plot)
        _say(f"wrote {plot}")
