"""`TrainConfig`: every knob of a fine-tuning run, validated up front, loadable from YAML."""

from __future__ import annotations

import difflib
import re
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

# Bases the GGUF-backed cache in extractor.weights does not provide; transformers fetches these
# from the Hugging Face Hub (or its local cache) by id.
HUB_BASES = {
    "mistral-7b": "mistralai/Mistral-7B-Instruct-v0.3",
    "phi-4": "microsoft/phi-4",
}
_HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")
QUANTIZATIONS = ("qlora", "none")
DEVICES = ("auto", "cpu", "cuda")


def is_hub_id(base: str) -> bool:
    """True for an `org/name` Hub id that is not also a local path."""
    return bool(_HUB_ID.match(base)) and not Path(base).expanduser().exists()


def known_bases() -> list[str]:
    """Short base names a config may use (the GGUF-backed ones first)."""
    from extractor.weights import KNOWN_BASES

    return [*KNOWN_BASES, *(n for n in HUB_BASES if n not in KNOWN_BASES)]


def _help(text: str, **kwargs: Any) -> Any:
    return field(metadata={"help": text}, **kwargs)


@dataclass
class TrainConfig:
    """A LoRA / QLoRA fine-tuning run of a base model on action-item JSONL data."""

    base: str = _help(
        "Base model: a short name (gemma-3-270m, smollm2-135m, mistral-7b, phi-4), "
        "a local HF model directory, a .gguf file, or a Hub id like org/name."
    )
    data: list[str] = _help("Training JSONL file(s) of labelled meetings (a string or a list).")
    output: str = _help(
        "Adapter directory to write, e.g. adapters/gemma-3-270m-actions (default: adapters/<base>-actions).",
        default="",
    )
    cache_dir: str | None = _help(
        "Where converted base models are cached (default ~/.cache/actionbot).", default=None
    )
    context_tokens: int = _help(
        "Prompt token budget per chunk; must equal the serving model's "
        "context_tokens so chunks match inference.",
        default=1024,
    )
    max_seq_len: int = _help(
        "Longest prompt+answer in tokens; longer examples are dropped and counted.", default=1536
    )
    lora_r: int = _help("LoRA rank.", default=16)
    lora_alpha: int = _help("LoRA scaling numerator (scale = alpha / r).", default=32)
    lora_dropout: float = _help("Dropout on the LoRA input, 0 <= p < 1.", default=0.05)
    target_modules: list[str] | str = _help(
        '"all-linear" or the module names to adapt (e.g. q_proj, v_proj).', default="all-linear"
    )
    lr: float = _help("Peak learning rate (cosine decay after warmup).", default=2e-4)
    warmup_ratio: float = _help("Fraction of the steps spent warming the learning rate up.", default=0.03)
    weight_decay: float = _help("AdamW weight decay on the LoRA weights.", default=0.0)
    max_grad_norm: float = _help("Gradient clipping norm (0 disables).", default=1.0)
    epochs: float = _help("Passes over the training examples (ignored when max_steps is set).", default=1.0)
    max_steps: int | None = _help("Optimizer steps to run; overrides epochs.", default=None)
    max_minutes: float | None = _help(
        "Wall-clock budget: stop, checkpoint and save after this long.", default=None
    )
    batch_size: int = _help("Examples per micro-batch.", default=16)
    grad_accum: int = _help("Micro-batches per optimizer step.", default=1)
    group_by_length: bool = _help("Batch examples of similar length together (less padding).", default=True)
    quantization: str = _help(
        '"qlora" (4-bit NF4 base, CUDA + bitsandbytes) or "none" (plain LoRA).', default="none"
    )
    bf16: bool = _help("bf16 weights and autocast on CUDA (CPU: see cpu_bf16).", default=True)
    cpu_bf16: bool = _help(
        "bf16 autocast on a CPU, LoRA weights kept in fp32: about twice as fast on CPUs with native "
        "bf16 (AMX, AVX512-BF16), much slower on others.",
        default=False,
    )
    init_adapter: str | None = _help(
        "Continue from this adapter directory's LoRA weights (its format.json must name the same "
        "base and prompt format); its rank and target modules replace lora_r/target_modules.",
        default=None,
    )
    gradient_checkpointing: bool = _help(
        "Recompute activations in backward: less memory, ~30% slower.", default=False
    )
    device: str = _help('"auto" (CUDA when available), "cpu" or "cuda".', default="auto")
    seed: int = _help("Seed for data order, the eval split and LoRA init.", default=13)
    eval_fraction: float = _help("Fraction of meetings held out for eval loss (0 disables).", default=0.02)
    empty_keep: float = _help(
        "Share of training chunks without items kept (seeded; the eval split keeps all). Below 1 "
        "counters a model that learns to answer an empty list too often.",
        default=1.0,
    )
    save_steps: int = _help("Checkpoint every N optimizer steps (0 disables).", default=200)
    save_total_limit: int = _help("Checkpoints kept on disk (oldest deleted first).", default=2)
    logging_steps: int = _help("Log the mean loss every N optimizer steps.", default=10)
    resume: bool = _help("Continue from the newest checkpoint in <output>.checkpoints.", default=False)
    keep_checkpoints: bool = _help("Keep <output>.checkpoints after a successful run.", default=False)
    skip_bad: bool = _help(
        "Skip (and count) malformed records instead of stopping at the first.", default=False
    )
    data_workers: int = _help(
        "Processes that parse and tokenise the data (0: one per CPU core, at most 16; same result).",
        default=0,
    )

    def __post_init__(self) -> None:
        if isinstance(self.data, (str, Path)):
            self.data = [str(self.data)]
        if isinstance(self.target_modules, tuple):
            self.target_modules = list(self.target_modules)
        self._coerce_floats()
        self._check_base()
        self._check_data()
        if not self.output:
            self.output = str(Path("adapters") / f"{self.base_name}-actions")
        self._check_numbers()
        if self.quantization not in QUANTIZATIONS:
            raise ValueError(
                f"quantization: must be one of {', '.join(QUANTIZATIONS)}, got {self.quantization!r}"
            )
        if self.device not in DEVICES:
            raise ValueError(f"device: must be one of {', '.join(DEVICES)}, got {self.device!r}")
        if self.init_adapter is not None and not (Path(self.init_adapter) / "adapter_config.json").is_file():
            raise ValueError(
                f"init_adapter: {self.init_adapter!r} is not an adapter directory (no adapter_config.json); "
                "point it at a trained adapter such as adapters/gemma-3-270m-actions or remove it"
            )
        if self.quantization == "qlora" and self.device == "cpu":
            raise ValueError("quantization: QLoRA needs a CUDA GPU; use quantization: none on device: cpu")
        tm = self.target_modules
        if not (
            tm == "all-linear" or (isinstance(tm, list) and tm and all(isinstance(m, str) and m for m in tm))
        ):
            raise ValueError(
                f'target_modules: give "all-linear" or a non-empty list of module names, got {tm!r}'
            )

    def _coerce_floats(self) -> None:
        # YAML 1.1 reads `2e-4` (no dot) as a string; accept it as the number it plainly is.
        for name in (
            "lr",
            "warmup_ratio",
            "weight_decay",
            "max_grad_norm",
            "epochs",
            "max_minutes",
            "lora_dropout",
            "eval_fraction",
            "empty_keep",
        ):
            value = getattr(self, name)
            if isinstance(value, str):
                try:
                    setattr(self, name, float(value))
                except ValueError:
                    raise ValueError(f"{name}: must be a number, got {value!r}") from None
            elif value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise ValueError(f"{name}: must be a number, got {value!r}")

    def _check_base(self) -> None:
        if not isinstance(self.base, str) or not self.base.strip():
            raise ValueError("base: required; name a base model, e.g. base: gemma-3-270m")
        path = Path(self.base).expanduser()
        if self.base in known_bases() or path.is_dir() or (path.is_file() and path.suffix == ".gguf"):
            return
        if is_hub_id(self.base):
            return
        hint = difflib.get_close_matches(self.base, known_bases(), n=1)
        raise ValueError(
            f"base: unknown base model {self.base!r}"
            + (f" (did you mean {hint[0]!r}?)" if hint else "")
            + f"; use one of {', '.join(known_bases())}, a local HF model directory, a .gguf file or a Hub id org/name"
        )

    def _check_data(self) -> None:
        if not self.data or not all(isinstance(p, str) and p for p in self.data):
            raise ValueError(
                "data: required; give the training JSONL path(s), e.g. data: training/data/build/train.jsonl"
            )
        for p in self.data:
            if not Path(p).is_file():
                raise ValueError(
                    f"data: {p} not found; build it with `make data` "
                    "(python -m training.data.build --out training/data/build/train.jsonl) or pass --data PATH"
                )

    def _check_numbers(self) -> None:
        positive_ints = ("context_tokens", "max_seq_len", "lora_r", "lora_alpha", "batch_size", "grad_accum")
        for name in positive_ints:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name}: must be a positive integer, got {value!r}")
        for name in ("save_steps", "logging_steps", "save_total_limit", "seed", "data_workers"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name}: must be a whole number >= 0, got {value!r}")
        if self.max_steps is not None and (not isinstance(self.max_steps, int) or self.max_steps < 1):
            raise ValueError(f"max_steps: must be a positive integer or null, got {self.max_steps!r}")
        checks = {
            "lr": 0 < self.lr < 1,
            "epochs": self.epochs > 0,
            "lora_dropout": 0 <= self.lora_dropout < 1,
            "warmup_ratio": 0 <= self.warmup_ratio < 1,
            "eval_fraction": 0 <= self.eval_fraction < 0.5,
            "empty_keep": 0 < self.empty_keep <= 1,
            "weight_decay": self.weight_decay >= 0,
            "max_grad_norm": self.max_grad_norm >= 0,
            "max_minutes": self.max_minutes is None or self.max_minutes > 0,
        }
        ranges = {
            "lr": "0 < lr < 1",
            "epochs": "> 0",
            "lora_dropout": "0 <= p < 1",
            "warmup_ratio": "0 <= r < 1",
            "eval_fraction": "0 <= f < 0.5",
            "empty_keep": "0 < share <= 1",
            "weight_decay": ">= 0",
            "max_grad_norm": ">= 0",
            "max_minutes": "> 0 or null",
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"{name}: must be {ranges[name]}, got {getattr(self, name)!r}")
        if self.max_seq_len <= self.context_tokens:
            raise ValueError(
                f"max_seq_len: must exceed context_tokens ({self.context_tokens}) to leave room for the answer, "
                f"got {self.max_seq_len}"
            )

    @property
    def base_name(self) -> str:
        """The base's short name (a directory's, file's or Hub id's last part)."""
        path = Path(self.base.rstrip("/"))
        return path.stem if path.suffix == ".gguf" else path.name

    @property
    def checkpoint_dir(self) -> Path:
        """Where checkpoints of this run live (beside the adapter, never inside it)."""
        out = Path(self.output)
        return out.with_name(out.name + ".checkpoints")

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of every field (for summaries and checkpoints)."""
        return asdict(self)

    @classmethod
    def field_help(cls) -> dict[str, str]:
        """Field name -> help text."""
        return {f.name: f.metadata.get("help", "") for f in fields(cls)}

    @classmethod
    def from_dict(cls, values: dict[str, Any], **overrides: Any) -> TrainConfig:
        """Build from a mapping; `overrides` whose value is None are ignored."""
        names = {f.name for f in fields(cls)}
        merged = {**values, **{k: v for k, v in overrides.items() if v is not None}}
        unknown = sorted(set(merged) - names)
        if unknown:
            hint = difflib.get_close_matches(unknown[0], names, n=1)
            raise ValueError(
                f"{unknown[0]}: unknown setting"
                + (f" (did you mean {hint[0]!r}?)" if hint else "")
                + f"; valid settings: {', '.join(sorted(names))}"
            )
        required = [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]
        missing = [n for n in required if merged.get(n) in (None, "", [])]
        if missing:
            raise ValueError(
                f"{missing[0]}: required; add `{missing[0]}: ...` to the config or pass it as an option"
            )
        return cls(**merged)

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides: Any) -> TrainConfig:
        """Load a YAML config; keyword overrides (e.g. from the CLI) win over the file."""
        path = Path(path)
        try:
            values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise ValueError(f"config: cannot read {path}: {exc.strerror or exc}") from exc
        except yaml.YAMLError as exc:
            raise ValueError(f"config: {path} is not valid YAML: {exc}") from exc
        if not isinstance(values, dict):
            raise ValueError(f"config: {path} must hold a mapping of settings, not {type(values).__name__}")
        return cls.from_dict(values, **overrides)
