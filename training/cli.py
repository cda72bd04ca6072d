"""`actionbot train`: fine-tune a LoRA / QLoRA adapter from a YAML config."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from extractor.errors import ExtractionError
from training.errors import TrainingError

logger = logging.getLogger(__name__)


def _progress(message: str) -> None:
    click.echo(f"… {message}", err=True)


@click.command()
@click.option(
    "--config",
    "config_path",
    required=True,
    envvar="ACTIONBOT_TRAIN_CONFIG",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML config, e.g. training/configs/gemma-3-270m.yaml.",
)
@click.option(
    "--data", multiple=True, help="Training JSONL file(s); replaces the config's data (repeatable)."
)
@click.option("--output", default=None, help="Adapter directory to write; replaces the config's output.")
@click.option("--base", default=None, help="Base model name or directory; replaces the config's base.")
@click.option("--max-steps", type=click.IntRange(min=1), default=None, help="Stop after N optimizer steps.")
@click.option(
    "--max-minutes",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Wall-clock budget; checkpoint and save when it runs out.",
)
@click.option("--resume", is_flag=True, default=None, help="Continue from the newest checkpoint.")
@click.option("--skip-bad", is_flag=True, default=None, help="Skip (and count) malformed records.")
def train(
    config_path: Path,
    data: tuple[str, ...],
    output: str | None,
    base: str | None,
    max_steps: int | None,
    max_minutes: float | None,
    resume: bool | None,
    skip_bad: bool | None,
) -> None:
    """Fine-tune a LoRA adapter for action-item extraction.

    Builds training examples with the serving prompt builder and chunker, trains (QLoRA on a
    CUDA GPU, plain LoRA on CPU), and writes the adapter with format.json, train_log.jsonl
    and training_summary.json.

    Example:

        actionbot train --config training/configs/gemma-3-270m.yaml --max-steps 600
    """
    from training.config import TrainConfig
    from training.train import build_trainer

    try:
        cfg = TrainConfig.from_yaml(
            config_path,
            data=list(data) or None,
            output=output,
            base=base,
            max_steps=max_steps,
            max_minutes=max_minutes,
            resume=resume,
            skip_bad=skip_bad,
        )
    except ValueError as exc:
        raise click.ClickException(f"{config_path}: {exc}") from exc
    try:
        trainer = build_trainer(cfg, progress=_progress)
        trainer.train()
        result = trainer.save()
    except (TrainingError, ExtractionError) as exc:
        raise click.ClickException(str(exc)) from exc
    except KeyboardInterrupt as exc:
        raise click.ClickException(
            f"interrupted; rerun with --resume to continue from the last checkpoint in {cfg.checkpoint_dir}"
        ) from exc
    loss = f"{result.final_loss:.4f}" if result.final_loss is not None else "n/a"
    _progress(f"{result.steps} steps in {result.seconds:.0f}s, final loss {loss} ({result.stopped_by})")
    click.echo(str(result.adapter_dir))
