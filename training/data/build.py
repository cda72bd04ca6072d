"""Build the training set: hand-written meetings re-rendered many ways, plus composed meetings.

python -m training.data.build --out training/data/build/train.jsonl --n 6000 --seed 13 --stats
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import random
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from training.data.ami import compose_ami
from training.data.handwritten import load_seeds, variant
from training.data.mix import make_record
from training.data.pools import Pools
from training.data.record import Rejects
from training.data.stats import format_stats
from training.data.synth import compose
from training.errors import DataError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildConfig:
    """Shares of the mix; the rest of `n` is composed dialogue meetings."""

    n: int = 6000
    seed: int = 13
    handwritten_share: float = 0.55  # of n, spread evenly over the seeds (~500 seeds: ~10 variants each)
    max_variants: int = 40  # per hand-written seed
    ami_share: float = 0.10  # long role-labelled design meetings
    long_share: float = 0.10  # of the composed dialogue meetings: 2,000-9,000 words

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError(f"n must be at least 1, got {self.n}")
        if not 0 <= self.handwritten_share + self.ami_share <= 1:
            raise ValueError("handwritten_share + ami_share must be between 0 and 1")


Job = tuple[str, int, int]  # (kind, index, variant)

_STATE: dict[str, Any] = {}


def _init_worker(seeds: list[dict[str, Any]] | None = None) -> None:
    # Seeds come from the parent, so that workers agree on them even if files change mid-build.
    _STATE["pools"] = Pools.load()
    _STATE["seeds"] = seeds if seeds is not None else load_seeds()


def plan(cfg: BuildConfig, n_seeds: int) -> list[Job]:
    """Which meetings to make: seed variants round-robin, then AMI and dialogue meetings."""
    hand = min(round(cfg.n * cfg.handwritten_share), n_seeds * cfg.max_variants) if n_seeds else 0
    jobs: list[Job] = [("hw", k % n_seeds, k // n_seeds) for k in range(hand)]
    ami = round(cfg.n * cfg.ami_share)
    jobs += [("ami", k, 0) for k in range(ami)]
    rest = cfg.n - len(jobs)
    n_long = math.ceil(rest * cfg.long_share)
    jobs += [("long" if k < n_long else "dialog", k, 0) for k in range(rest)]
    return jobs


def run_job(job: Job, seed: int) -> tuple[dict[str, Any] | None, Counter[str]]:
    """One record (or None) and the rejection reasons met on the way."""
    pools: Pools = _STATE["pools"]
    kind, k, v = job
    rejects = Rejects()
    if kind == "hw":
        rec_seed = _STATE["seeds"][k]
        key = f"{rec_seed['seed_id']}:{v}"
        rec = make_record(lambda rng: variant(rec_seed, rng, pools, v), key, seed, pools, rejects)
    elif kind == "ami":
        key = f"ami-{k:05d}"
        rec = make_record(lambda rng: compose_ami(rng, pools, str(k)), key, seed, pools, rejects)
    else:
        key = f"{kind}-{k:05d}"
        rec = make_record(
            lambda rng: compose(rng, pools, f"{kind}-{k}", long=kind == "long"), key, seed, pools, rejects
        )
    if rec is not None:
        rec["id"] = f"s{seed}-{key}"
    return rec, rejects.reasons


def _run_chunk(args: tuple[list[Job], int]) -> list[tuple[dict[str, Any] | None, Counter[str]]]:
    jobs, seed = args
    if not _STATE:
        _init_worker()
    return [run_job(j, seed) for j in jobs]


@functools.lru_cache(maxsize=4)
def sample(n: int, seed: int) -> tuple[dict[str, Any], ...]:
    """A small in-process build, cached (tests share one)."""
    records, _ = build(BuildConfig(n=n, seed=seed), workers=1)
    return tuple(records)


def build(cfg: BuildConfig, workers: int = 1) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """All records (shuffled by seed) and build facts (rejections, failures, seconds)."""
    start = time.perf_counter()
    _init_worker()
    jobs = plan(cfg, len(_STATE["seeds"]))
    chunks = [(jobs[i : i + 50], cfg.seed) for i in range(0, len(jobs), 50)]
    if workers > 1:
        with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(_STATE["seeds"],)) as pool:
            results = [r for chunk in pool.map(_run_chunk, chunks) for r in chunk]
    else:
        results = [r for chunk in chunks for r in _run_chunk(chunk)]
    records = [rec for rec, _ in results if rec is not None]
    rejects: Counter[str] = Counter()
    for _, reasons in results:
        rejects.update(reasons)
    random.Random(cfg.seed).shuffle(records)
    facts = {
        "planned": len(jobs),
        "failed": len(jobs) - len(records),
        "rejected_renders": dict(rejects),
        "seconds": round(time.perf_counter() - start, 1),
        "seeds": len(_STATE["seeds"]),
    }
    return records, facts


@click.command()
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="JSONL file to write.",
)
@click.option("--n", "n", type=int, default=6000, show_default=True, help="Number of meetings.")
@click.option(
    "--seed", type=int, default=13, show_default=True, help="Random seed; the same seed gives the same file."
)
@click.option(
    "--workers", type=int, default=min(2, os.cpu_count() or 1), show_default=True, help="Processes."
)
@click.option("--stats", is_flag=True, help="Print counts per format, domain, source and item count.")
def main(out: Path, n: int, seed: int, workers: int, stats: bool) -> None:
    """Write the training meetings to OUT (one JSON record per line).

    Example: python -m training.data.build --out training/data/build/train.jsonl --n 6000 --seed 13 --stats
    """
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        cfg = BuildConfig(n=n, seed=seed)
        records, facts = build(cfg, workers=workers)
    except (DataError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    tmp.replace(out)
    click.echo(
        f"wrote {len(records)} meetings to {out} in {facts['seconds']}s "
        f"({facts['failed']} planned meetings failed to render)",
        err=True,
    )
    if stats:
        click.echo(format_stats(records, facts))


if __name__ == "__main__":
    sys.exit(main())
