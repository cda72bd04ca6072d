"""The fine-tuning loop: length-grouped batches, loss on the answer only, cosine schedule,
JSONL loss log, resumable checkpoints, and an atomically saved adapter with format.json."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import math
import os
import random
import resource
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from tqdm import tqdm

from extractor.schema import PROMPT_FORMAT_VERSION
from training import checkpoints as ckpt
from training.batching import BatchStream, answer_loss_inputs, collate
from training.config import TrainConfig
from training.errors import CheckpointError, DataError, TrainingError
from training.examples import DataStats, Example, TokenCounter, build_examples, tokenize_all
from training.modeling import Progress, base_id, load_model, load_tokenizer, pick_device, resolve_base_path

logger = logging.getLogger(__name__)

MAX_NONFINITE_RUN = 20  # consecutive skipped updates before a run is declared diverged

Rows = list[dict[str, list[int]]]
# Settings a resumed run must share with the checkpoint it continues.
FINGERPRINT_KEYS = (
    "base",
    "lora_r",
    "lora_alpha",
    "target_modules",
    "quantization",
    "batch_size",
    "grad_accum",
    "seed",
    "context_tokens",
    "max_seq_len",
    "group_by_length",
    "eval_fraction",
    "empty_keep",
    "init_adapter",
)


def split_by_meeting(
    examples: list[Example], fraction: float, seed: int
) -> tuple[list[Example], list[Example]]:
    """(train, eval) with whole meetings held out, so eval chunks never share a meeting with training."""
    ids = sorted({ex.record_id for ex in examples})
    random.Random(seed).shuffle(ids)
    n_eval = round(len(ids) * fraction)
    if fraction > 0 and len(ids) > 1:
        n_eval = max(1, n_eval)
    held = set(ids[:n_eval])
    return [ex for ex in examples if ex.record_id not in held], [
        ex for ex in examples if ex.record_id in held
    ]


def thin_empty(examples: list[Example], keep: float, seed: int) -> tuple[list[Example], int]:
    """Keep every chunk with items and a seeded `keep` share of those without; (kept, dropped)."""
    if keep >= 1:
        return examples, 0
    rng = random.Random(seed + 1)
    kept = [ex for ex in examples if ex.items or rng.random() < keep]
    return kept, len(examples) - len(kept)


def prepare_data(cfg: TrainConfig, tokenizer: Any) -> tuple[Rows, Rows, DataStats]:
    """Tokenized (train, eval) rows of the configured data, with provenance stats."""
    workers = cfg.data_workers or min(16, os.cpu_count() or 1)
    examples, stats = build_examples(
        cfg.data, TokenCounter(tokenizer, cfg.context_tokens), skip_bad=cfg.skip_bad, workers=workers
    )
    train_ex, eval_ex = split_by_meeting(examples, cfg.eval_fraction, cfg.seed)
    train_ex, stats.dropped_empty = thin_empty(train_ex, cfg.empty_keep, cfg.seed)
    train_rows = tokenize_all(tokenizer, train_ex, cfg.max_seq_len, stats, workers)
    eval_rows = tokenize_all(tokenizer, eval_ex, cfg.max_seq_len, stats, workers)
    if not train_rows:
        raise DataError(
            f"no training examples left from {', '.join(cfg.data)} "
            f"({stats.skipped_bad} bad, {stats.skipped_unlocated} unlocated, "
            f"{stats.dropped_too_long} over max_seq_len={cfg.max_seq_len})"
        )
    return train_rows, eval_rows, stats


def peak_memory_mb(device: str) -> float:
    """Peak GPU memory allocated (CUDA) or peak resident set size (CPU), in MiB."""
    if device == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class TrainResult:
    """What a finished run reports."""

    adapter_dir: Path
    steps: int
    final_loss: float | None
    eval_loss: float | None
    seconds: float
    stopped_by: str


class LoraTrainer:
    """Runs the optimisation and writes the adapter; build it with `build_trainer`."""

    def __init__(
        self,
        cfg: TrainConfig,
        model: Any,
        tokenizer: Any,
        train_rows: Rows,
        eval_rows: Rows,
        stats: DataStats,
        device: str,
        progress: Progress | None = None,
    ):
        self.cfg, self.model, self.tokenizer, self.device = cfg, model, tokenizer, device
        self.train_rows, self.eval_rows, self.stats = train_rows, eval_rows, stats
        self.progress = progress or (lambda msg: None)
        self.stream = BatchStream(
            [len(r["input_ids"]) for r in train_rows], cfg.batch_size, cfg.seed, cfg.group_by_length
        )
        steps_per_epoch = math.ceil(self.stream.batches_per_epoch / cfg.grad_accum)
        self.total_steps = cfg.max_steps or max(1, math.ceil(steps_per_epoch * cfg.epochs))
        params = [p for p in model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(
            params, lr=cfg.lr, weight_decay=cfg.weight_decay, fused=device == "cuda"
        )
        from transformers import get_cosine_schedule_with_warmup

        self.scheduler = get_cosine_schedule_with_warmup(
            self.optimizer, round(cfg.warmup_ratio * self.total_steps), self.total_steps
        )
        self.root = cfg.checkpoint_dir
        self.log_path = self.root / ckpt.LOG_FILE
        self.step, self.elapsed_before = 0, 0.0
        self.final_loss: float | None = None
        self.eval_loss: float | None = None
        self.stopped_by = ""
        self.seconds = 0.0
        self.nonfinite_steps, self.nonfinite_run = 0, 0
        # Called after every optimizer step with (step, loss); tests use it to interrupt a run.
        self.on_step: Callable[[int, float], None] | None = None

    def fingerprint(self) -> dict[str, Any]:
        data = [f["sha256"] for f in self.stats.files]
        return {**{k: getattr(self.cfg, k) for k in FINGERPRINT_KEYS}, "data": data}

    def _autocast(self) -> Any:
        if self.device == "cuda" and (self.cfg.bf16 or self.cfg.quantization == "qlora"):
            return torch.autocast("cuda", dtype=torch.bfloat16)
        if self.device == "cpu" and self.cfg.cpu_bf16:
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _loss_sum(self, batch: dict[str, Any]) -> tuple[torch.Tensor, int]:
        """Summed cross-entropy over answer tokens, and how many there were."""
        keep = batch["keep"]
        inputs = {k: batch[k].to(self.device) for k in ("input_ids", "attention_mask", "position_ids")}
        with self._autocast():
            logits = self.model(**inputs, logits_to_keep=keep, use_cache=False).logits
        targets = answer_loss_inputs(batch["labels"], keep).to(self.device)
        loss = F.cross_entropy(
            logits[:, :-1].float().flatten(0, 1), targets.flatten(), ignore_index=-100, reduction="sum"
        )
        return loss, int((targets != -100).sum())

    def _start(self) -> None:
        found = ckpt.checkpoints(self.root)
        if self.cfg.resume and found:
            state = ckpt.load_checkpoint(
                found[-1], self.model, self.optimizer, self.scheduler, self.fingerprint()
            )
            self.step, self.elapsed_before = state["step"], state.get("elapsed", 0.0)
            ckpt.truncate_log(self.log_path, state["log_lines"])
            self.progress(f"resuming from {found[-1]} (step {self.step})")
            return
        if found:
            raise CheckpointError(
                f"{self.root} holds checkpoints of an earlier run; pass --resume to continue it "
                f"or delete {self.root} to start afresh"
            )
        if self.cfg.resume:
            self.progress(f"no checkpoint in {self.root}; starting from step 0")
        self.root.mkdir(parents=True, exist_ok=True)
        self.log_path.write_text("", encoding="utf-8")

    def _log(self, entry: dict[str, Any]) -> None:
        with self.log_path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry) + "\n")

    def _checkpoint(self, started: float) -> None:
        lines = len(self.log_path.read_text(encoding="utf-8").splitlines())
        state = {
            "fingerprint": self.fingerprint(),
            "log_lines": lines,
            "elapsed": self.elapsed_before + time.perf_counter() - started,
        }
        ckpt.save_checkpoint(
            self.root, self.step, self.model, self.optimizer, self.scheduler, state, self.cfg.save_total_limit
        )

    @torch.no_grad()
    def evaluate(self) -> float | None:
        """Mean answer-token loss on the held-out meetings."""
        if not self.eval_rows:
            return None
        self.model.eval()
        order = sorted(range(len(self.eval_rows)), key=lambda k: len(self.eval_rows[k]["input_ids"]))
        total, count = 0.0, 0
        for i in range(0, len(order), self.cfg.batch_size):
            batch = collate(
                [self.eval_rows[k] for k in order[i : i + self.cfg.batch_size]], self.tokenizer.pad_token_id
            )
            loss, n = self._loss_sum(batch)
            total, count = total + float(loss), count + n
        self.model.train()
        return total / max(1, count)

    def train(self) -> None:
        """Optimise until max_steps / epochs / max_minutes, logging and checkpointing on the way."""
        torch.manual_seed(self.cfg.seed)
        self._start()
        self.model.train()
        started = time.perf_counter()
        window: list[float] = []
        cfg = self.cfg
        bar = tqdm(
            total=self.total_steps,
            initial=self.step,
            desc="training",
            unit="step",
            file=sys.stderr,
            disable=not sys.stderr.isatty(),
        )
        self.stopped_by = "max_steps" if cfg.max_steps else "epochs"
        while self.step < self.total_steps:
            micro = [
                collate(
                    [self.train_rows[k] for k in self.stream[self.step * cfg.grad_accum + j]],
                    self.tokenizer.pad_token_id,
                )
                for j in range(cfg.grad_accum)
            ]
            tokens = sum(int((b["labels"] != -100).sum()) for b in micro)
            step_loss = 0.0
            for batch in micro:
                loss, _ = self._loss_sum(batch)
                (loss / max(1, tokens)).backward()
                step_loss += loss.item() / max(1, tokens)
            params = self.optimizer.param_groups[0]["params"]
            norm = torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm or float("inf"))
            if math.isfinite(step_loss) and bool(torch.isfinite(norm)):
                self.optimizer.step()
                self.nonfinite_run = 0
            else:
                # One overflowing batch must not turn every LoRA weight into NaN: skip its update.
                self.nonfinite_steps += 1
                self.nonfinite_run += 1
                logger.warning("step %d: loss or gradient is not finite; update skipped", self.step + 1)
                if self.nonfinite_run >= MAX_NONFINITE_RUN:
                    raise TrainingError(
                        f"{self.nonfinite_run} steps in a row had a non-finite loss or gradient "
                        f"(last at step {self.step + 1}); lower lr (now {cfg.lr}) or check the data"
                    )
            self.scheduler.step()
            self.optimizer.zero_grad(set_to_none=True)
            self.step += 1
            if math.isfinite(step_loss):
                window.append(step_loss)
            bar.update(1)
            elapsed = self.elapsed_before + time.perf_counter() - started
            if (
                window
                and cfg.logging_steps
                and (self.step % cfg.logging_steps == 0 or self.step == self.total_steps)
            ):
                self.final_loss = sum(window) / len(window)
                entry = {
                    "step": self.step,
                    "loss": round(self.final_loss, 5),
                    "lr": self.scheduler.get_last_lr()[0],
                    "elapsed": round(elapsed, 2),
                }
                self._log(entry)
                bar.set_postfix(loss=f"{self.final_loss:.4f}")
                if bar.disable:
                    self.progress(f"step {self.step}/{self.total_steps} loss {self.final_loss:.4f}")
                window = []
            if self.on_step:
                self.on_step(self.step, step_loss)
            out_of_time = cfg.max_minutes is not None and time.perf_counter() - started > cfg.max_minutes * 60
            if out_of_time:
                self.stopped_by = "max_minutes"
            if (
                cfg.save_steps
                and (self.step % cfg.save_steps == 0 or out_of_time)
                and self.step < self.total_steps
            ):
                if self.eval_rows:
                    self._log({"step": self.step, "eval_loss": round(self.evaluate() or 0.0, 5)})
                self._checkpoint(started)
            if out_of_time:
                self.progress(f"time budget of {cfg.max_minutes} min reached at step {self.step}")
                break
        bar.close()
        if window:
            self.final_loss = sum(window) / len(window)
        self.eval_loss = self.evaluate()
        if self.eval_loss is not None:
            self._log({"step": self.step, "eval_loss": round(self.eval_loss, 5)})
        self.seconds = self.elapsed_before + time.perf_counter() - started

    def summary(self) -> dict[str, Any]:
        """training_summary.json: steps, time, losses, device, peak memory."""
        name = torch.cuda.get_device_name() if self.device == "cuda" else "cpu"
        return {
            "steps": self.step,
            "total_steps": self.total_steps,
            "stopped_by": self.stopped_by,
            "nonfinite_steps": self.nonfinite_steps,
            "seconds": round(self.seconds, 1),
            "final_loss": self.final_loss,
            "eval_loss": self.eval_loss,
            "device": name,
            "peak_memory_mb": round(peak_memory_mb(self.device), 1),
            "train_examples": len(self.train_rows),
            "eval_examples": len(self.eval_rows),
            "train_tokens": sum(len(r["input_ids"]) for r in self.train_rows),
            "config": self.cfg.to_dict(),
        }

    def save(self) -> TrainResult:
        """Write the adapter directory atomically; drop the checkpoints unless asked to keep them."""
        out = Path(self.cfg.output)
        fmt = {
            "prompt_format_version": PROMPT_FORMAT_VERSION,
            "base_model": base_id(self.cfg),
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "train_examples": len(self.train_rows),
            "context_tokens": self.cfg.context_tokens,
            "quantization": self.cfg.quantization,
            "init_adapter": self.cfg.init_adapter,
            "data": self.stats.to_json(),
        }
        # The adapter names its base by our short name, not this machine's cache path.
        self.model.peft_config["default"].base_model_name_or_path = base_id(self.cfg)
        with ckpt.atomic_dir(out) as tmp:
            self.model.save_pretrained(
                tmp, save_embedding_layers=False
            )  # no Hub lookup; embeddings are frozen
            (tmp / "format.json").write_text(json.dumps(fmt, indent=2) + "\n", encoding="utf-8")
            shutil.copyfile(self.log_path, tmp / ckpt.LOG_FILE)
            (tmp / "training_summary.json").write_text(
                json.dumps(self.summary(), indent=2) + "\n", encoding="utf-8"
            )
        # A run stopped by its time budget is unfinished: keep its checkpoints for --resume.
        if not self.cfg.keep_checkpoints and self.stopped_by != "max_minutes":
            shutil.rmtree(self.root, ignore_errors=True)
        self.progress(f"adapter saved to {out}")
        return TrainResult(out, self.step, self.final_loss, self.eval_loss, self.seconds, self.stopped_by)


def build_trainer(cfg: TrainConfig, progress: Progress | None = None) -> LoraTrainer:
    """Check the machine, load tokenizer, data and model, and return a ready trainer."""
    say = progress or (lambda msg: None)
    device = pick_device(cfg)
    path = resolve_base_path(cfg, progress)
    tokenizer = load_tokenizer(path)
    say(f"building examples from {', '.join(cfg.data)}")
    train_rows, eval_rows, stats = prepare_data(cfg, tokenizer)
    say(
        f"{len(train_rows)} training / {len(eval_rows)} eval examples from {stats.records} meetings "
        f"({stats.skipped_bad} bad, {stats.skipped_unlocated} unlocated, {stats.dropped_too_long} too long)"
    )
    torch.manual_seed(cfg.seed)  # LoRA init
    say(f"loading {cfg.base} on {device} ({'QLoRA 4-bit' if cfg.quantization == 'qlora' else 'LoRA'})")
    model = load_model(cfg, path, device)
    return LoraTrainer(cfg, model, tokenizer, train_rows, eval_rows, stats, device, progress)
