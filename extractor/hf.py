"""The local Hugging Face extractor: base weights + optional LoRA adapter + constrained decoding."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import re
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from extractor import weights
from extractor.config import ModelConfig
from extractor.errors import AdapterFormatError, ModelLoadError
from extractor.model import Extractor, GenerationRequest
from extractor.prompt import render_prompt
from extractor.schema import PROMPT_FORMAT_VERSION

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent


def load_extractor(config: ModelConfig, progress: weights.Progress | None = None) -> Extractor:
    """The extractor `config` describes: a local model, or a client of an OpenAI-compatible server."""
    if config.backend == "openai":
        from extractor.openai_backend import OpenAIExtractor

        return OpenAIExtractor(config)
    return HFExtractor(config, progress=progress)


def resolve_adapter(config: ModelConfig) -> Path | None:
    """The adapter directory to load, or None for the few-shot base."""
    if config.adapter is None or config.adapter.lower() in ("", "none"):
        return None
    if config.adapter == "auto":
        shipped = REPO_ROOT / "adapters" / f"{weights.base_id(config.base)}-actions"
        if not (shipped / "format.json").is_file():
            return None
        try:
            fmt = json.loads((shipped / "format.json").read_text(encoding="utf-8"))
        except ValueError:
            logger.warning("ignoring %s: its format.json is not JSON", shipped)
            return None
        if fmt.get("base_model") != weights.base_id(config.base):
            return None
        return shipped
    path = Path(config.adapter).expanduser()
    if not path.is_dir():
        raise ModelLoadError(
            f"adapter {path} not found; pass an adapter directory, or --adapter none for the base model"
        )
    return path


def check_adapter_format(adapter: Path, base: str) -> dict[str, Any]:
    """Read `adapter`/format.json; refuse an adapter trained for another prompt format or base."""
    path = adapter / "format.json"
    if not path.is_file():
        raise AdapterFormatError(
            f"{adapter} has no format.json, so its prompt format is unknown; "
            "re-save it with `actionbot train` or use --adapter none"
        )
    try:
        fmt = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise AdapterFormatError(f"{path} is not valid JSON ({exc})") from exc
    version = str(fmt.get("prompt_format_version"))
    if version != PROMPT_FORMAT_VERSION:
        raise AdapterFormatError(
            f"adapter {adapter.name} was trained with prompt format {version}, this code renders "
            f"format {PROMPT_FORMAT_VERSION}; retrain it (actionbot train) or use --adapter none"
        )
    want = weights.base_id(base)
    if fmt.get("base_model") != want:
        raise AdapterFormatError(
            f"adapter {adapter.name} was trained on base {fmt.get('base_model')!r}, "
            f"not {want!r}; pass --model {fmt.get('base_model')} or another adapter"
        )
    return fmt


def pick_device(config: ModelConfig) -> str:
    """'cuda' or 'cpu', checking that what was asked for exists."""
    import torch

    if config.device == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError("ACTIONBOT_DEVICE=cuda but no CUDA device is visible; use --device cpu")
    device = (
        "cuda"
        if config.device == "cuda" or (config.device == "auto" and torch.cuda.is_available())
        else "cpu"
    )
    if config.load_in_4bit:
        if device != "cuda":
            raise ModelLoadError(
                "4-bit loading (ACTIONBOT_4BIT) needs a CUDA GPU; unset ACTIONBOT_4BIT on CPU"
            )
        if importlib.util.find_spec("bitsandbytes") is None:
            raise ModelLoadError(
                "4-bit loading needs bitsandbytes: pip install bitsandbytes (or unset ACTIONBOT_4BIT)"
            )
    return device


class HFExtractor:
    """A local causal LM (optionally with a merged LoRA adapter) behind the Extractor protocol."""

    def __init__(self, config: ModelConfig, progress: weights.Progress | None = None):
        import torch
        from safetensors import SafetensorError
        from transformers import AutoModelForCausalLM, AutoTokenizer

        say = progress or (lambda msg: logger.info("%s", msg))
        self.config = config
        if config.threads:
            torch.set_num_threads(config.threads)
        started = time.perf_counter()
        self.device = pick_device(config)
        cache_dir = Path(config.cache_dir).expanduser() if config.cache_dir else None
        base_dir = weights.resolve_base(config.base, cache_dir, progress)
        adapter = resolve_adapter(config)
        fmt = check_adapter_format(adapter, config.base) if adapter else None
        say(
            f"loading {weights.base_id(config.base)}"
            + (f" + {adapter.name}" if adapter else " (few-shot, no adapter)")
        )
        dtype = _dtype(config, self.device)
        kwargs: dict[str, Any] = {"dtype": dtype}
        if config.load_in_4bit:
            from transformers import BitsAndBytesConfig

            # https://huggingface.co/docs/transformers/quantization/bitsandbytes
            kwargs["quantization_config"] = BitsAndBytesConfig(
                load_in_4bit=True,
                bnb_4bit_quant_type="nf4",
                bnb_4bit_use_double_quant=True,
                bnb_4bit_compute_dtype=torch.bfloat16,
            )
            kwargs["device_map"] = {"": 0}
        merged = (
            merged_dir(cache_dir or weights.default_cache_root(), base_dir, adapter, dtype)
            if adapter and not config.load_in_4bit
            else None
        )
        source = merged if merged is not None and weights.is_hf_dir(merged) else base_dir
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(base_dir)
            model = AutoModelForCausalLM.from_pretrained(source, **kwargs)
        except (OSError, ValueError, RuntimeError, SafetensorError) as exc:
            raise ModelLoadError(
                f"could not load the base model from {source} ({exc}); delete that folder and run "
                f"`actionbot models fetch {config.base}` to rebuild it"
            ) from exc
        if not getattr(self.tokenizer, "chat_template", None):
            self.tokenizer.chat_template = weights.default_chat_template(self.tokenizer)
        if not config.load_in_4bit:
            model = model.to(self.device)  # type: ignore[arg-type]  # transformers' to() stub wants a model
        if adapter and source == base_dir:
            model = _attach_adapter(model, adapter, merge=not config.load_in_4bit)
            if merged is not None:
                _save_merged(model, merged)
        model.eval()
        self.model = model
        self.few_shot = adapter is None
        self.context_tokens = config.context_tokens
        version = (fmt or {}).get("adapter_version") or (adapter.name if adapter else "base")
        self.name = (
            f"{weights.base_id(config.base)}+{version}"
            if adapter
            else f"{weights.base_id(config.base)} (few-shot)"
        )
        self.decoder = build_decoder(
            model,
            self.tokenizer,
            config,
            cache_dir or weights.default_cache_root(),
            static=self.device == "cuda" and config.cuda_graphs,
        )
        self.load_seconds = time.perf_counter() - started
        logger.info("loaded %s on %s (%s) in %.1fs", self.name, self.device, dtype, self.load_seconds)

    def count_tokens(self, text: str) -> int:
        """Number of tokens `text` costs in this model's prompt."""
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def generate(self, requests: Sequence[GenerationRequest]) -> list[str]:
        """Schema-constrained greedy JSON for each request, in request order."""
        prompts = [render_prompt(self.tokenizer, r.messages) for r in requests]
        return self.decoder.generate(
            prompts, [r.schema for r in requests], self.config.max_new_tokens, self.batch_size
        )

    @property
    def batch_size(self) -> int:
        """Prompts decoded together: one at a time with drafts on CPU, batched on a GPU."""
        return self.config.cpu_batch_size if self.device == "cpu" else self.config.batch_size


def build_decoder(
    model: Any, tokenizer: Any, config: ModelConfig, cache_dir: Path | None, *, static: bool
) -> Any:
    """The constrained decoder for `model` with `config`'s decoding settings."""
    from extractor.decoding import ConstrainedDecoder

    return ConstrainedDecoder(
        model,
        tokenizer,
        cache_dir=cache_dir,
        jump_forward=config.jump_forward,
        empty_penalty=config.empty_penalty,
        copy_bias=config.copy_bias,
        head_rows=config.head_rows,
        lookup=config.lookup,
        static=static,
    )


def _dtype(config: ModelConfig, device: str) -> Any:
    import torch

    if config.dtype != "auto":
        return getattr(torch, config.dtype)
    return torch.bfloat16 if device == "cuda" or cpu_has_fast_bf16() else torch.float32


def cpu_has_fast_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """True on x86 CPUs with AMX or AVX512-BF16, where bf16 matmuls beat float32 (on dev, p50
    12.9 s against 15.4 s on 2 cores, F1 within 0.01). Elsewhere bf16 is emulated and slower."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return bool(re.search(r"^flags\s*:.*\b(?:amx_bf16|avx512_bf16)\b", text, re.M))


def merged_dir(cache_root: Path, base_dir: Path, adapter: Path, dtype: Any) -> Path:
    """Where the base with this adapter merged in, in `dtype`, is cached: keyed by the adapter's
    weights and the base's config and weight file sizes, so a new adapter or base gets a new copy."""
    digest = hashlib.sha256(str(dtype).encode())
    for path in (adapter / "adapter_model.safetensors", adapter / "adapter_config.json"):
        digest.update(path.read_bytes() if path.is_file() else b"")
    for path in sorted(base_dir.glob("*.safetensors")) + [base_dir / "config.json"]:
        digest.update(f"{path.name}:{path.stat().st_size if path.exists() else 0}".encode())
    return cache_root / "merged" / f"{base_dir.name}-{adapter.name}-{digest.hexdigest()[:16]}"


def _save_merged(model: Any, target: Path) -> None:
    """Save a merged model for the next load (atomically); a failure only costs the next load time."""
    tmp = target.with_name(target.name + f".tmp-{os.getpid()}")
    try:
        model.save_pretrained(tmp)
        tmp.replace(target)
    except OSError as exc:
        logger.warning("could not cache the merged model in %s: %s", target, exc)
        shutil.rmtree(tmp, ignore_errors=True)


def _attach_adapter(model: Any, adapter: Path, *, merge: bool) -> Any:
    """Load a LoRA adapter onto `model`; merge it into the weights unless they are quantized."""
    try:
        from peft import PeftModel

        # https://huggingface.co/docs/peft/package_reference/peft_model#peft.PeftModel.from_pretrained
        peft_model = PeftModel.from_pretrained(model, str(adapter))
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise ModelLoadError(
            f"could not load the adapter in {adapter} ({exc}); re-train or re-copy it, "
            "or run the base model with --adapter none"
        ) from exc
    # Merged LoRA costs nothing per token; a 4-bit base cannot take merged weights without loss.
    return peft_model.merge_and_unload() if merge else peft_model
