"""TrainConfig: shipped configs load, bad settings fail early with the field named."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.config import TrainConfig
from training.errors import SetupError
from training.modeling import pick_device

CONFIGS = sorted(Path("training/configs").glob("*.yaml"))


@pytest.fixture
def data(tmp_path: Path) -> str:
    path = tmp_path / "train.jsonl"
    path.write_text("{}\n", encoding="utf-8")
    return str(path)


def test_every_field_has_help() -> None:
    assert all(text.strip() for text in TrainConfig.field_help().values())


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_shipped_configs_load(path: Path, data: str) -> None:
    cfg = TrainConfig.from_yaml(path, data=[data])
    assert cfg.data == [data] and cfg.lr > 0 and cfg.output
    if cfg.quantization == "qlora":
        assert cfg.target_modules != "all-linear"  # GPU configs name their modules explicitly


@pytest.mark.parametrize(
    ("base", "modules"),
    [
        ("gemma-3-270m", ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]),
        ("smollm2-135m", ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]),
        ("mistral-7b", ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]),
        ("phi-4", ["qkv_proj", "o_proj", "gate_up_proj", "down_proj"]),
    ],
)
def test_per_base_target_modules(base: str, modules: list[str], data: str) -> None:
    cfg = TrainConfig.from_yaml(f"training/configs/{base}.yaml", data=[data])
    assert cfg.base == base and cfg.target_modules == modules and cfg.quantization == "qlora"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lora_r": 0}, "lora_r"),
        ({"lora_alpha": -1}, "lora_alpha"),
        ({"lora_dropout": 1.0}, "lora_dropout"),
        ({"lr": 0}, "lr"),
        ({"lr": "fast"}, "lr"),
        ({"epochs": 0}, "epochs"),
        ({"max_steps": 0}, "max_steps"),
        ({"max_minutes": -5}, "max_minutes"),
        ({"batch_size": 0}, "batch_size"),
        ({"grad_accum": 1.5}, "grad_accum"),
        ({"max_seq_len": 256, "context_tokens": 512}, "max_seq_len"),
        ({"quantization": "int8"}, "quantization"),
        ({"device": "tpu"}, "device"),
        ({"quantization": "qlora", "device": "cpu"}, "quantization"),
        ({"eval_fraction": 0.9}, "eval_fraction"),
        ({"save_steps": -1}, "save_steps"),
        ({"data_workers": -2}, "data_workers"),
        ({"target_modules": []}, "target_modules"),
        ({"target_modules": "q_proj"}, "target_modules"),
        ({"base": ""}, "base"),
        ({"base": "gemma-3-207m"}, "base"),
        ({"data": []}, "data"),
        ({"data": ["no/such/file.jsonl"]}, "data"),
    ],
)
def test_bad_settings_name_the_field(changes: dict, field: str, data: str, tmp_path: Path) -> None:
    values = {"base": str(tmp_path), "data": [data], **changes}
    with pytest.raises(ValueError, match=rf"^{field}: "):
        TrainConfig.from_dict(values)


def test_unknown_base_suggests_the_close_name(data: str) -> None:
    with pytest.raises(ValueError, match="did you mean 'gemma-3-270m'"):
        TrainConfig(base="gemma-3-207m", data=[data])


def test_missing_data_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"data: .*not found; build it with `make data`"):
        TrainConfig(base=str(tmp_path), data=str(tmp_path / "train.jsonl"))


def test_yaml_overrides_and_defaults(tmp_path: Path, data: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(f"base: {tmp_path}\ndata: {data}\nlr: 2e-4\nmax_steps: 50\n", encoding="utf-8")
    cfg = TrainConfig.from_yaml(path, max_steps=7, resume=None)
    assert cfg.lr == pytest.approx(2e-4) and cfg.max_steps == 7 and cfg.resume is False
    assert cfg.output == f"adapters/{tmp_path.name}-actions"
    assert cfg.checkpoint_dir == Path(f"adapters/{tmp_path.name}-actions.checkpoints")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "must hold a mapping"),
        ("base: [unclosed\n", "not valid YAML"),
        ("base: x\nlearning_rate: 0.1\n", "learning_rate: unknown setting"),
        ("data: x.jsonl\n", "base: required"),
    ],
)
def test_bad_yaml_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        TrainConfig.from_yaml(path)


@pytest.mark.parametrize(("cuda", "bnb"), [(False, True), (False, False), (True, False)])
def test_qlora_refused_without_cuda_and_bitsandbytes(cuda: bool, bnb: bool, data: str) -> None:
    cfg = TrainConfig.from_yaml("training/configs/gemma-3-270m.yaml", data=[data])
    with pytest.raises(
        SetupError,
        match=r"QLoRA needs a CUDA GPU and bitsandbytes; use training/configs/"
        r"gemma-3-270m-cpu\.yaml or quantization: none",
    ):
        pick_device(cfg, cuda_available=cuda, bnb_available=bnb)


@pytest.mark.parametrize(
    ("device", "cuda", "expected"),
    [("auto", False, "cpu"), ("auto", True, "cuda"), ("cpu", True, "cpu"), ("cuda", True, "cuda")],
)
def test_pick_device(device: str, cuda: bool, expected: str, data: str, tmp_path: Path) -> None:
    cfg = TrainConfig(base=str(tmp_path), data=[data], device=device)
    assert pick_device(cfg, cuda_available=cuda) == expected


def test_cuda_device_without_a_gpu(data: str, tmp_path: Path) -> None:
    with pytest.raises(SetupError, match="device: cuda"):
        pick_device(TrainConfig(base=str(tmp_path), data=[data], device="cuda"), cuda_available=False)
