"""Test helpers for training: a tiny tokenizer, tiny random-weight models and labelled meetings
written here (never taken from the evaluation sets)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from extractor.prompt import INSTRUCTION

NAMES = ["Priya", "Marco", "Lena", "Tom", "Aisha", "Ken"]
TASKS = [
    ("send the revised budget", "by Friday"),
    ("book the venue for the offsite", "next week"),
    ("update the onboarding checklist", None),
    ("call the vendor about the late shipment", "tomorrow"),
    ("draft the release notes", "before the demo"),
    ("review the security findings", None),
]
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}<|end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def make_record(k: int, turns: int = 8, with_items: bool = True) -> dict[str, Any]:
    """A plain `Name: text` meeting with chatter and up to two committed tasks."""
    rng = random.Random(k)
    lines, items = [], []
    chosen = rng.sample(TASKS, 2) if with_items else []
    slots = sorted(rng.sample(range(1, turns), len(chosen)))
    for i in range(turns):
        speaker = NAMES[(i + k) % len(NAMES)]
        if chosen and i in slots:
            task, deadline = chosen[slots.index(i)]
            said = f"I will {task}" + (f" {deadline}" if deadline else "") + "."
            lines.append(f"{speaker}: Okay.   {said}")
            items.append(
                {
                    "owner": speaker,
                    "task": task.capitalize(),
                    "deadline": deadline,
                    "priority": "high" if "security" in task else None,
                    "evidence": said,
                }
            )
        else:
            lines.append(f"{speaker}: We talked about item {i} of meeting {k} and the numbers look fine.")
    return {
        "id": f"m{k:03d}",
        "source": "test",
        "format": "plain",
        "meeting_date": "2025-03-10",
        "transcript": "\n".join(lines),
        "action_items": items,
    }


def write_jsonl(path: Path, records: list[Any]) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records), encoding="utf-8"
    )
    return path


def build_tokenizer(chat_template: bool = True) -> Any:
    """A byte-level BPE tokenizer trained on our own text, wrapped as a transformers tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    corpus = [
        INSTRUCTION,
        *(make_record(k)["transcript"] for k in range(20)),
        '{"action_items": [{"turn": 1}]}',
    ]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<pad>", "<s>", "</s>", "<|user|>", "<|assistant|>", "<|end|>"]
    trainer = trainers.BpeTrainer(
        vocab_size=600, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(corpus, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    if chat_template:
        fast.chat_template = CHAT_TEMPLATE
    return fast


def tiny_config(arch: str, vocab: int) -> Any:
    """A 2-layer random-weight config of `arch` (llama, mistral, phi3, gemma3)."""
    from transformers import Gemma3TextConfig, LlamaConfig, MistralConfig, Phi3Config

    common = {
        "vocab_size": vocab,
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 2048,
        "pad_token_id": 0,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "tie_word_embeddings": False,
    }
    if arch == "llama":
        return LlamaConfig(**common)
    if arch == "mistral":
        return MistralConfig(**common, sliding_window=None)
    if arch == "phi3":
        return Phi3Config(**common, sliding_window=None)
    if arch == "gemma3":
        return Gemma3TextConfig(
            **{**common, "tie_word_embeddings": True},
            head_dim=16,
            sliding_window=64,
            layer_types=["sliding_attention", "full_attention"],
        )
    raise ValueError(arch)


def save_tiny_base(directory: Path, arch: str, chat_template: bool = True) -> Path:
    """Write a tiny model of `arch` plus tokenizer to `directory` (loadable like a real base)."""
    import torch
    from transformers import AutoModelForCausalLM

    tok = build_tokenizer(chat_template)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(tiny_config(arch, len(tok)))
    model.save_pretrained(directory)
    tok.save_pretrained(directory)
    return directory
