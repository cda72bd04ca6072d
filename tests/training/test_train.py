"""Fine-tuning runs end to end on tiny random-weight models: loss logged, adapter saved and
reloadable, resumable, and never half-written."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from safetensors.torch import load_file
from trainkit import save_tiny_base

from extractor.schema import PROMPT_FORMAT_VERSION
from training.checkpoints import atomic_dir, checkpoints
from training.cli import train as train_cmd
from training.config import TrainConfig
from training.errors import CheckpointError
from training.train import build_trainer

MODULES = {
    "llama": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    "mistral": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    "gemma3": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    "phi3": ["qkv_proj", "o_proj", "gate_up_proj", "down_proj"],
}


def tiny_cfg(base: Path, data: Path, out: Path, **changes) -> TrainConfig:
    values = {
        "base": str(base),
        "data": [str(data)],
        "output": str(out),
        "context_tokens": 512,
        "max_seq_len": 1024,
        "max_steps": 4,
        "batch_size": 2,
        "lr": 5e-3,
        "logging_steps": 1,
        "save_steps": 2,
        "device": "cpu",
        "eval_fraction": 0.2,
        "seed": 3,
        **changes,
    }
    return TrainConfig(**values)


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.glob(f"{out.name}.*"))


@pytest.mark.slow
@pytest.mark.parametrize("arch", list(MODULES))
def test_smoke_train_save_reload_generate(arch: str, tmp_path: Path, records_file: Path) -> None:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = save_tiny_base(tmp_path / arch, arch)
    out = tmp_path / "adapters" / f"{arch}-actions"
    trainer = build_trainer(tiny_cfg(base, records_file, out, target_modules=MODULES[arch]))
    trainer.train()
    result = trainer.save()

    log = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in log if "loss" in r]
    assert [r["step"] for r in log if "loss" in r] == [1, 2, 3, 4]
    assert all(math.isfinite(x) and x > 0 for x in losses) and {"lr", "elapsed"} <= set(log[0])
    assert any("eval_loss" in r for r in log) and result.steps == 4
    fmt = json.loads((out / "format.json").read_text())
    assert (
        fmt["prompt_format_version"] == PROMPT_FORMAT_VERSION and fmt["base_model"] == base.name
    )  # the id, not a machine path
    assert fmt["train_examples"] == len(trainer.train_rows) > 0 and fmt["data"]["records"] == 12
    summary = json.loads((out / "training_summary.json").read_text())
    assert summary["steps"] == 4 and summary["device"] == "cpu" and summary["peak_memory_mb"] > 0
    assert (out / "adapter_config.json").is_file() and (out / "adapter_model.safetensors").is_file()
    assert leftovers(out) == []  # no checkpoints or temp dirs beside the adapter

    weights = load_file(out / "adapter_model.safetensors")
    assert any("lora_B" in k and v.abs().sum() > 0 for k, v in weights.items())  # B starts at zero
    tok = AutoTokenizer.from_pretrained(base)
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), out).eval()
    ids = tok("[0] Priya: I will send it.", return_tensors="pt")
    trainer.model.eval()
    with torch.no_grad():
        assert torch.allclose(model(**ids).logits, trainer.model(**ids).logits, atol=1e-5)
        generated = model.generate(**ids, max_new_tokens=5, do_sample=False, pad_token_id=tok.pad_token_id)
    assert generated.shape[1] == ids["input_ids"].shape[1] + 5


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cli_refuses_qlora_on_cpu(records_file: Path) -> None:
    result = CliRunner().invoke(
        train_cmd, ["--config", "training/configs/gemma-3-270m.yaml", "--data", str(records_file)]
    )
    assert result.exit_code == 1
    assert (
        "QLoRA needs a CUDA GPU and bitsandbytes; use training/configs/gemma-3-270m-cpu.yaml" in result.output
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data", "missing.jsonl"], "data: missing.jsonl not found"),
        (["--base", "gpt-7"], "base: unknown base model 'gpt-7'"),
    ],
)
def test_cli_reports_config_errors(records_file: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(
        train_cmd, ["--config", "training/configs/tiny-cpu.yaml", "--data", str(records_file), *args]
    )
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


@pytest.mark.slow
def test_cli_trains_and_prints_the_adapter(tmp_path: Path, tiny_base: Path, records_file: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        f"base: {tiny_base}\ndata: {records_file}\ncontext_tokens: 512\nmax_seq_len: 1024\n"
        "device: cpu\nbatch_size: 2\nlogging_steps: 1\n",
        encoding="utf-8",
    )
    out = tmp_path / "adapter"
    result = CliRunner().invoke(
        train_cmd, ["--config", str(config), "--output", str(out), "--max-steps", "2"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out) and (out / "format.json").is_file()


class Stop(Exception):
    pass


@pytest.mark.slow
def test_resume_continues_exactly(tmp_path: Path, tiny_base: Path, records_file: Path) -> None:
    def run(out: Path, stop_at: int | None = None, **changes) -> Path:
        trainer = build_trainer(
            tiny_cfg(tiny_base, records_file, out, max_steps=6, lora_dropout=0.1, **changes)
        )

        def on_step(step: int, loss: float) -> None:
            if step == stop_at:
                raise Stop

        trainer.on_step = on_step
        trainer.train()
        return trainer.save().adapter_dir

    straight = load_file(run(tmp_path / "a") / "adapter_model.safetensors")
    out = tmp_path / "b"
    with pytest.raises(Stop):
        run(out, stop_at=5)
    assert not out.exists() and [p.name for p in checkpoints(tmp_path / "b.checkpoints")] == [
        "step-0000002",
        "step-0000004",
    ]
    with pytest.raises(CheckpointError, match="pass --resume"):
        run(out)
    with pytest.raises(CheckpointError, match="lora_r changed"):
        run(out, resume=True, lora_r=4)
    resumed = load_file(run(out, resume=True) / "adapter_model.safetensors")
    assert straight.keys() == resumed.keys()
    assert all(torch.allclose(straight[k], resumed[k], atol=1e-6) for k in straight)
    log = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if "loss" in r] == [1, 2, 3, 4, 5, 6]


@pytest.mark.slow
def test_time_budget_stops_and_saves(tmp_path: Path, tiny_base: Path, records_file: Path) -> None:
    trainer = build_trainer(tiny_cfg(tiny_base, records_file, tmp_path / "a", max_steps=4, max_minutes=1e-9))
    trainer.train()
    result = trainer.save()
    assert (result.steps, result.stopped_by) == (1, "max_minutes") and (
        result.adapter_dir / "format.json"
    ).is_file()
    # The run is unfinished: its checkpoint stays, and --resume carries it on to max_steps.
    assert [p.name for p in checkpoints(tmp_path / "a.checkpoints")] == ["step-0000001"]
    resumed = build_trainer(tiny_cfg(tiny_base, records_file, tmp_path / "a", max_steps=4, resume=True))
    resumed.train()
    done = resumed.save()
    assert (done.steps, done.stopped_by) == (4, "max_steps")
    assert not (tmp_path / "a.checkpoints").exists()


@pytest.mark.slow
def test_failed_save_leaves_no_half_written_adapter(
    tmp_path: Path, tiny_base: Path, records_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "adapter"
    out.mkdir()
    (out / "format.json").write_text('{"previous": true}')
    trainer = build_trainer(tiny_cfg(tiny_base, records_file, out, max_steps=1))
    trainer.train()

    def broken_summary() -> dict:
        raise Stop

    monkeypatch.setattr(trainer, "summary", broken_summary)
    with pytest.raises(Stop):
        trainer.save()
    assert json.loads((out / "format.json").read_text()) == {"previous": True}  # old adapter intact
    assert sorted(p.name for p in out.iterdir()) == ["format.json"]
    assert leftovers(out) == ["adapter.checkpoints"]  # checkpoints kept for a retry; no temp dirs
    monkeypatch.undo()
    trainer.save()
    assert json.loads((out / "format.json").read_text())["train_examples"] > 0 and leftovers(out) == []


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_atomic_dir_cleans_up(tmp_path: Path, error: type[BaseException]) -> None:
    target = tmp_path / "out"
    with pytest.raises(error), atomic_dir(target) as tmp:
        (tmp / "half.bin").write_bytes(b"x")
        raise error
    assert list(tmp_path.iterdir()) == []
    with atomic_dir(target) as tmp:
        (tmp / "whole.bin").write_bytes(b"x")
    assert [p.name for p in tmp_path.iterdir()] == ["out"] and (target / "whole.bin").is_file()


def test_nonfinite_step_is_skipped_not_applied(tmp_path: Path, tiny_base: Path, records_file: Path) -> None:
    trainer = build_trainer(tiny_cfg(tiny_base, records_file, tmp_path / "a", max_steps=3, save_steps=0))
    real = trainer._loss_sum
    calls = {"n": 0}

    def poisoned(batch):
        loss, n = real(batch)
        calls["n"] += 1
        return (loss * float("nan") if calls["n"] == 2 else loss), n

    trainer._loss_sum = poisoned
    trainer.train()
    lora = [p for p in trainer.model.parameters() if p.requires_grad]
    assert trainer.nonfinite_steps == 1 and trainer.step == 3
    assert all(bool(torch.isfinite(p).all()) for p in lora)
    assert trainer.summary()["nonfinite_steps"] == 1


def test_diverged_run_stops_with_advice(
    tmp_path: Path, tiny_base: Path, records_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from training import train as train_mod
    from training.errors import TrainingError

    monkeypatch.setattr(train_mod, "MAX_NONFINITE_RUN", 2)
    trainer = build_trainer(tiny_cfg(tiny_base, records_file, tmp_path / "a", max_steps=5, save_steps=0))
    real = trainer._loss_sum
    trainer._loss_sum = lambda batch: (lambda loss, n: (loss * float("inf"), n))(*real(batch))
    with pytest.raises(TrainingError, match="2 steps in a row.*lower lr"):
        trainer.train()


def test_empty_keep_thins_only_training_chunks_without_items(
    tmp_path: Path, tiny_base: Path, tokenizer, records_file: Path
) -> None:
    from extractor.schema import ModelItem
    from training.examples import Example
    from training.train import prepare_data, thin_empty

    item = (ModelItem(turn=1, owner="A", task="Do it"),)
    examples = [Example(f"m{k}", 0, "p", "c", item if k % 3 == 0 else ()) for k in range(300)]
    kept, dropped = thin_empty(examples, 0.25, seed=3)
    assert [ex for ex in kept if ex.items] == [ex for ex in examples if ex.items]
    assert dropped == 300 - len(kept) and 120 < dropped < 180  # ~75% of the 200 empty ones
    assert thin_empty(examples, 0.25, seed=3) == (kept, dropped)  # seeded
    assert thin_empty(examples, 1.0, seed=3) == (examples, 0)

    full_cfg = tiny_cfg(tiny_base, records_file, tmp_path / "a", eval_fraction=0.25)
    full, full_eval, full_stats = prepare_data(full_cfg, tokenizer)
    thin, thin_eval, stats = prepare_data(replace(full_cfg, empty_keep=0.01), tokenizer)
    assert full_stats.dropped_empty == 0 and stats.dropped_empty > 0
    assert len(thin) == len(full) - stats.dropped_empty
    assert thin_eval == full_eval  # held-out loss still sees empty chunks


@pytest.mark.parametrize("value", [0, 1.5])
def test_empty_keep_range(tmp_path: Path, records_file: Path, value: float) -> None:
    with pytest.raises(ValueError, match="empty_keep"):
        tiny_cfg(tmp_path / "base", records_file, tmp_path / "a", empty_keep=value)


def test_init_adapter_continues_from_its_weights(tmp_path: Path, tiny_base: Path, records_file: Path) -> None:
    first = build_trainer(tiny_cfg(tiny_base, records_file, tmp_path / "a", max_steps=2))
    first.train()
    first.save()
    saved = load_file(tmp_path / "a" / "adapter_model.safetensors")
    cont = build_trainer(
        tiny_cfg(
            tiny_base, records_file, tmp_path / "b", max_steps=1, lr=1e-9, init_adapter=str(tmp_path / "a")
        )
    )
    start = {k.replace(".default", ""): v for k, v in cont.model.state_dict().items() if "lora_" in k}
    assert start.keys() == saved.keys()
    assert all(torch.equal(start[k], saved[k]) for k in saved)  # not a fresh init (B would be zero)
    assert any(p.requires_grad for p in cont.model.parameters())
    cont.train()
    cont.save()
    assert json.loads((tmp_path / "b" / "format.json").read_text())["init_adapter"] == str(tmp_path / "a")


def test_init_adapter_must_be_an_adapter(tmp_path: Path, tiny_base: Path, records_file: Path) -> None:
    with pytest.raises(ValueError, match=r"init_adapter: .* \(no adapter_config.json\)"):
        tiny_cfg(tiny_base, records_file, tmp_path / "a", init_adapter=str(tmp_path))


def test_init_adapter_for_another_base_is_refused(
    tmp_path: Path, tiny_base: Path, records_file: Path
) -> None:
    from training.errors import SetupError

    first = build_trainer(tiny_cfg(tiny_base, records_file, tmp_path / "a", max_steps=1))
    first.train()
    first.save()
    fmt = tmp_path / "a" / "format.json"
    fmt.write_text(json.dumps({**json.loads(fmt.read_text()), "base_model": "other-base"}))
    with pytest.raises(SetupError, match="init_adapter: .*trained on base 'other-base'"):
        build_trainer(tiny_cfg(tiny_base, records_file, tmp_path / "b", init_adapter=str(tmp_path / "a")))


def test_cpu_bf16_autocasts_the_forward_only_when_asked(
    tmp_path: Path, tiny_base: Path, records_file: Path
) -> None:
    seen = []
    for flag in (False, True):
        trainer = build_trainer(tiny_cfg(tiny_base, records_file, tmp_path / f"a{flag}", cpu_bf16=flag))
        with trainer._autocast():
            seen.append(torch.is_autocast_enabled("cpu"))
        assert all(p.dtype == torch.float32 for p in trainer.model.parameters() if p.requires_grad)
    assert seen == [False, True]
