"""ModelConfig: which model the extractor runs and how, built from an env-style mapping."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

BACKENDS = ("local", "openai")
DEVICES = ("auto", "cpu", "cuda")
DTYPES = ("auto", "float32", "bfloat16", "float16")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _help(text: str, env: str) -> Any:
    return {"help": text, "env": env}


@dataclass(frozen=True)
class ModelConfig:
    """Settings for loading and running the extraction model."""

    backend: str = field(
        default="local",
        metadata=_help("local (Hugging Face weights) or openai (a server)", "ACTIONBOT_BACKEND"),
    )
    base: str = field(
        default="gemma-3-270m",
        metadata=_help("known base name, HF directory or .gguf file", "ACTIONBOT_BASE_MODEL"),
    )
    adapter: str | None = field(
        default="auto",
        metadata=_help(
            "auto = the shipped adapters/<base>-actions/ if it fits the base; None = base few-shot; else a path",
            "ACTIONBOT_ADAPTER",
        ),
    )
    device: str = field(
        default="auto", metadata=_help("auto (CUDA when available), cpu or cuda", "ACTIONBOT_DEVICE")
    )
    load_in_4bit: bool = field(
        default=False, metadata=_help("4-bit NF4 weights (CUDA + bitsandbytes only)", "ACTIONBOT_4BIT")
    )
    dtype: str = field(
        default="auto",
        metadata=_help(
            "auto = bfloat16 on CUDA and on CPUs with AMX/AVX512-BF16, else float32", "ACTIONBOT_DTYPE"
        ),
    )
    max_new_tokens: int = field(
        default=640, metadata=_help("generation budget per chunk", "ACTIONBOT_MAX_NEW_TOKENS")
    )
    batch_size: int = field(default=8, metadata=_help("prompts decoded together", "ACTIONBOT_BATCH_SIZE"))
    cpu_batch_size: int = field(
        default=1,
        metadata=_help(
            "prompts decoded together on CPU (1: one chunk at a time with drafts beats batching there)",
            "ACTIONBOT_CPU_BATCH_SIZE",
        ),
    )
    context_tokens: int = field(
        default=1536, metadata=_help("prompt token budget per chunk", "ACTIONBOT_CONTEXT_TOKENS")
    )
    threads: int | None = field(
        default=None, metadata=_help("torch CPU threads (default: torch's choice)", "ACTIONBOT_THREADS")
    )
    cache_dir: str | None = field(
        default=None, metadata=_help("converted models and compiled grammars", "ACTIONBOT_CACHE_DIR")
    )
    jump_forward: bool = field(
        default=True, metadata=_help("feed grammar-forced text in one pass", "ACTIONBOT_JUMP_FORWARD")
    )
    lookup: bool = field(
        default=True,
        metadata=_help("draft free text from the prompt (verified, same output)", "ACTIONBOT_LOOKUP"),
    )
    head_rows: int = field(
        default=60_000,
        metadata=_help(
            "free text scores only the first N vocabulary rows plus the prompt's tokens (0 = all rows)",
            "ACTIONBOT_HEAD_ROWS",
        ),
    )
    cuda_graphs: bool = field(
        default=True,
        metadata=_help(
            "on a GPU, decode over fixed KV buffers replayed as CUDA graphs (off: the eager loop)",
            "ACTIONBOT_CUDA_GRAPHS",
        ),
    )
    empty_penalty: float = field(
        default=2.0,
        metadata=_help(
            "nats taken off answering an empty list (a prior correction; 1.0 cost ami_dev task recall "
            "0.21 -> 0.16 with dev unchanged)",
            "ACTIONBOT_EMPTY_PENALTY",
        ),
    )
    copy_bias: float = field(
        default=3.0,
        metadata=_help(
            "nats added, while a task is written, to tokens of the words of its supporting turn "
            "and the two before it (0 = off; 3 took the Dec 2 adapter's dev F1 0.62 -> 0.66)",
            "ACTIONBOT_COPY_BIAS",
        ),
    )
    openai_url: str | None = field(
        default=None, metadata=_help("OpenAI-compatible server base URL", "ACTIONBOT_OPENAI_URL")
    )
    openai_model: str | None = field(
        default=None, metadata=_help("model name on that server", "ACTIONBOT_OPENAI_MODEL")
    )
    openai_api_key: str | None = field(
        default=None, metadata=_help("API key for that server", "ACTIONBOT_OPENAI_API_KEY")
    )

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(
                f"ACTIONBOT_BACKEND: unknown backend {self.backend!r}; use one of {', '.join(BACKENDS)}"
            )
        if self.device not in DEVICES:
            raise ValueError(
                f"ACTIONBOT_DEVICE: unknown device {self.device!r}; use one of {', '.join(DEVICES)}"
            )
        if self.dtype not in DTYPES:
            raise ValueError(f"ACTIONBOT_DTYPE: unknown dtype {self.dtype!r}; use one of {', '.join(DTYPES)}")
        if not self.base:
            raise ValueError(
                "ACTIONBOT_BASE_MODEL: must not be empty; use gemma-3-270m, a model directory or a .gguf"
            )
        for name, env, low in (
            ("max_new_tokens", "ACTIONBOT_MAX_NEW_TOKENS", 16),
            ("batch_size", "ACTIONBOT_BATCH_SIZE", 1),
            ("cpu_batch_size", "ACTIONBOT_CPU_BATCH_SIZE", 1),
            ("context_tokens", "ACTIONBOT_CONTEXT_TOKENS", 256),
            ("head_rows", "ACTIONBOT_HEAD_ROWS", 0),
        ):
            if getattr(self, name) < low:
                raise ValueError(f"{env}: must be at least {low}, got {getattr(self, name)}")
        if not 0 <= self.empty_penalty <= 20:
            raise ValueError(
                f"ACTIONBOT_EMPTY_PENALTY: must be between 0 and 20 nats, got {self.empty_penalty}"
            )
        if not 0 <= self.copy_bias <= 20:
            raise ValueError(f"ACTIONBOT_COPY_BIAS: must be between 0 and 20 nats, got {self.copy_bias}")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"ACTIONBOT_THREADS: must be a positive integer, got {self.threads}")
        if self.backend == "local" and self.load_in_4bit and self.device == "cpu":
            raise ValueError("ACTIONBOT_4BIT: 4-bit weights need CUDA; unset it or use ACTIONBOT_DEVICE=cuda")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ModelConfig:
        """Build a config from ACTIONBOT_* variables in `env` (e.g. os.environ); unset ones keep defaults."""
        kwargs: dict[str, Any] = {}
        for name, f in cls.__dataclass_fields__.items():
            var = f.metadata["env"]
            if var not in env:
                continue
            raw = env[var].strip()
            kwargs[name] = _convert(name, var, raw, f.type)
        return cls(**kwargs)


def _convert(name: str, var: str, raw: str, typ: Any) -> Any:
    if name == "adapter":
        return None if raw.lower() in ("none", "") else raw
    if typ == "bool":
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        raise ValueError(f"{var}: expected true/false (1/0), got {raw!r}")
    if typ in ("int", "int | None"):
        if raw == "" and typ == "int | None":
            return None
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{var}: expected an integer, got {raw!r}") from None
    if typ == "float":
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"{var}: expected a number, got {raw!r}") from None
    if typ == "str | None":
        return raw or None
    return raw.lower() if name in ("backend", "device", "dtype") else raw
