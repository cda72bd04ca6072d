"""`actionbot extract`, `actionbot eval` and `actionbot models`: the extractor from the shell."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from extractor.errors import ExtractionError
from extractor.formats import FORMATS
from extractor.reading import read_input
from extractor.turns import Transcript, normalize_transcript

DEFAULT_SCORER = Path("..") / "shared" / "eval" / "score.py"


def _progress(message: str) -> None:
    click.echo(f"… {message}", err=True)


def model_options(fn: Any) -> Any:
    """Options shared by every command that loads the model."""
    options = [
        click.option(
            "--model",
            "base",
            envvar="ACTIONBOT_BASE_MODEL",
            default=None,
            help="Base model: gemma-3-270m (default), smollm2-135m, or a local HF directory / .gguf file.",
        ),
        click.option(
            "--adapter",
            envvar="ACTIONBOT_ADAPTER",
            default=None,
            help="LoRA adapter directory (default: the shipped adapter for the base); 'none' runs the base few-shot.",
        ),
        click.option(
            "--device",
            envvar="ACTIONBOT_DEVICE",
            default=None,
            type=click.Choice(["auto", "cpu", "cuda"]),
            help="Where to run the model (default auto: CUDA when available).",
        ),
    ]
    for opt in reversed(options):
        fn = opt(fn)
    return fn


def load_model(base: str | None, adapter: str | None, device: str | None) -> Any:
    """Build the configured extractor, reporting progress on stderr."""
    from extractor.config import ModelConfig
    from extractor.hf import load_extractor

    try:
        config = ModelConfig.from_env(os.environ)
        overrides: dict[str, Any] = {k: v for k, v in {"base": base, "device": device}.items() if v}
        if adapter:
            overrides["adapter"] = None if adapter.lower() == "none" else adapter
        config = dataclasses.replace(config, **overrides)
        return load_extractor(config, progress=_progress)
    except (ValueError, ExtractionError) as exc:
        raise click.ClickException(str(exc)) from exc


def with_meeting_date(transcript: Transcript, tz: str | None) -> Transcript:
    """Resolve deadlines against today (in `tz`) when neither the file nor --date gives a date."""
    if transcript.meeting_date is not None:
        return transcript
    today = dt.datetime.now(ZoneInfo(tz)).date() if tz else dt.date.today()
    _progress(
        f"no meeting date in the transcript; resolving deadlines against today ({today}); pass --date to change"
    )
    return dataclasses.replace(transcript, meeting_date=today)


def _zone(tz: str | None) -> str | None:
    if tz:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise click.BadParameter(
                f"unknown time zone {tz!r}; use an IANA name like Europe/Berlin", param_hint="--tz"
            ) from exc
    return tz


@click.command()
@click.argument("source", metavar="FILE|-")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", *FORMATS]),
    default="auto",
    show_default=True,
    help="Transcript format; auto-detected by default.",
)
@click.option(
    "--date",
    "meeting_date",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Meeting date (YYYY-MM-DD) to resolve 'Friday' or 'EOD' against; default: from the file, else today.",
)
@click.option(
    "--tz", envvar="ACTIONBOT_TZ", default=None, help="IANA time zone of the meeting, e.g. America/New_York."
)
@click.option(
    "--output",
    type=click.Choice(["auto", "json", "table", "markdown"]),
    default="auto",
    show_default=True,
    help="auto: a table on a terminal, JSON when piped.",
)
@model_options
def extract(
    source: str,
    fmt: str,
    meeting_date: dt.datetime | None,
    tz: str | None,
    output: str,
    base: str | None,
    adapter: str | None,
    device: str | None,
) -> None:
    """Extract action items from a meeting transcript FILE (or - for stdin).

    Reads plain `Name: text`, DialogSum, Zoom/Teams WebVTT, SubRip, Otter and Teams exports,
    pasted Slack threads and meeting notes (.txt .md .vtt .srt .docx).

    Example:

        actionbot extract examples/product_demo.txt --date 2025-03-10
    """
    from extractor.pipeline import extract_transcript
    from extractor.render import markdown, table

    try:
        raw = read_input(source, stdin=sys.stdin.buffer if source == "-" else None)
        transcript = normalize_transcript(
            raw, fmt=fmt, meeting_date=meeting_date.date() if meeting_date else None, tz=_zone(tz)
        )
        for w in transcript.warnings:
            click.echo(f"warning: {w}", err=True)
        transcript = with_meeting_date(transcript, tz)
        extractor = load_model(base, adapter, device)
        _progress(
            f"reading {len(transcript.turns)} turns ({transcript.word_count()} words) with {extractor.name}"
        )
        result = extract_transcript(transcript, extractor)
    except ExtractionError as exc:
        raise click.ClickException(str(exc)) from exc
    for w in result.warnings[len(transcript.warnings) :]:
        click.echo(f"warning: {w}", err=True)
    if output == "auto":
        output = "table" if sys.stdout.isatty() else "json"
    if output == "json":
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    elif output == "markdown":
        click.echo(markdown(result.items))
    else:
        click.echo(table(result.items))
    _progress(f"{len(result.items)} item(s) in {result.latency_s:.1f}s")


def load_scorer(path: Path) -> Any:
    """Import the official scorer module from its file."""
    if not path.is_file():
        raise click.ClickException(f"scorer not found at {path}; pass --scorer PATH/TO/score.py")
    spec = importlib.util.spec_from_file_location("official_score", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read_gold(path: Path, limit: int | None, ids: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except ValueError as exc:
                raise click.ClickException(f"{path}:{n}: not JSON ({exc})") from exc
    if ids:
        rows = [r for r in rows if r.get("id") in ids]
    return rows[:limit] if limit else rows


@click.command("eval")
@click.argument("gold", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Predictions JSONL (official scorer format); default: <gold stem>.preds.jsonl.",
)
@click.option("--limit", type=int, default=None, help="Only the first N meetings (e.g. a CI subset).")
@click.option("--id", "ids", multiple=True, help="Only these meeting ids (repeatable).")
@click.option(
    "--batch",
    type=int,
    default=1,
    show_default=True,
    help="Meetings per generate call (GPU batching; latency is then the batch time split evenly).",
)
@click.option(
    "--scorer",
    type=click.Path(path_type=Path),
    envvar="ACTIONBOT_SCORER",
    default=DEFAULT_SCORER,
    show_default=True,
    help="The official scorer script.",
)
@click.option(
    "--metrics",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the scorer's figures as JSON here.",
)
@model_options
def eval_cmd(
    gold: Path,
    out: Path | None,
    limit: int | None,
    ids: tuple[str, ...],
    batch: int,
    scorer: Path,
    metrics: Path | None,
    base: str | None,
    adapter: str | None,
    device: str | None,
) -> None:
    """Run the extractor over a gold JSONL set and score it with the official scorer.

    Writes one prediction per meeting ({id, raw, action_items, latency_s}) and prints the
    scorer's figures (F1, task recall, owner/deadline accuracy, JSON validity, latency).

    Example:

        actionbot eval ../shared/data/dev.jsonl -o dev.preds.jsonl
    """
    from extractor.pipeline import extract_many

    score = load_scorer(scorer)
    rows = _read_gold(gold, limit, ids)
    if not rows:
        raise click.ClickException(f"{gold}: no meetings to evaluate")
    out = out or gold.with_name(gold.stem + ".preds.jsonl")
    extractor = load_model(base, adapter, device)
    preds: list[dict[str, Any]] = []
    started = time.perf_counter()
    # Predictions are written as they come, so a long run that is stopped keeps what it did.
    with (
        out.open("w", encoding="utf-8") as fh,
        click.progressbar(length=len(rows), label="extracting", file=sys.stderr) as bar,
    ):
        for start in range(0, len(rows), max(1, batch)):
            group = _predict_group(rows[start : start + max(1, batch)], extractor, extract_many)
            fh.writelines(json.dumps(p, ensure_ascii=False) + "\n" for p in group)
            fh.flush()
            preds.extend(group)
            bar.update(len(group))
    result, _ = score.score(rows, preds)
    result["model"] = extractor.name
    result["wall_s"] = round(time.perf_counter() - started, 1)
    for key, value in result.items():
        click.echo(f"{key:24} {value}")
    if metrics:
        metrics.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    click.echo(f"predictions: {out}", err=True)


def _predict_group(rows: list[dict[str, Any]], extractor: Any, extract_many: Any) -> list[dict[str, Any]]:
    """Predictions for a group of gold rows; a meeting that fails gets an `error`, not a crash."""
    transcripts: list[Transcript | None] = []
    errors: dict[int, str] = {}
    for k, row in enumerate(rows):
        try:
            date = dt.date.fromisoformat(row["meeting_date"]) if row.get("meeting_date") else None
            transcripts.append(normalize_transcript(row.get("transcript") or "", meeting_date=date))
        except (ExtractionError, ValueError) as exc:
            transcripts.append(None)
            errors[k] = str(exc)
    ok = [t for t in transcripts if t is not None and t.turns]
    try:
        results = iter(extract_many(ok, extractor)) if ok else iter(())
    except ExtractionError as exc:
        results, errors = iter(()), {k: str(exc) for k in range(len(rows))}
    preds = []
    for k, (row, t) in enumerate(zip(rows, transcripts, strict=True)):
        if k in errors or t is None or not t.turns:
            preds.append({"id": row["id"], "action_items": None, "error": errors.get(k, "no text")})
            continue
        r = next(results)
        preds.append(
            {
                "id": row["id"],
                "raw": r.raw,
                "action_items": [it.to_json() for it in r.items],
                "latency_s": round(r.latency_s, 3),
                "chunks": len(r.raw_chunks),
            }
        )
    return preds


@click.group()
def models() -> None:
    """Manage base models: fetch and convert them once, list the cache."""


@models.command("fetch")
@click.argument("base", default="gemma-3-270m")
def fetch(base: str) -> None:
    """Fetch BASE's weights and convert them to a cached HF copy (gemma-3-270m, smollm2-135m).

    Example:

        actionbot models fetch smollm2-135m
    """
    from extractor.weights import resolve_base

    try:
        path = resolve_base(base, progress=_progress)
    except ExtractionError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(str(path))
