"""Tiny random-weight causal LMs with a real byte-level BPE tokenizer, for decoding tests."""

from __future__ import annotations

import functools
from typing import Any

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    Gemma3ForCausalLM,
    Gemma3TextConfig,
    LlamaConfig,
    LlamaForCausalLM,
    MistralConfig,
    MistralForCausalLM,
    Phi3Config,
    Phi3ForCausalLM,
    PreTrainedTokenizerFast,
)

from extractor.prompt import build_messages
from extractor.schema import ModelItem, render_target
from extractor.turns import Turn
from extractor.weights import GEMMA3_CHAT_TEMPLATE

ARCHS = ("llama", "mistral", "phi3", "gemma3")
SPECIALS = ["<pad>", "<bos>", "<eos>", "<start_of_turn>", "<end_of_turn>"]

TURNS = [
    Turn(0, "Alex", "I'll send the Q3 numbers by Friday."),
    Turn(1, "Maria", "Can you book the room for the offsite, José?"),
    Turn(2, "José", "Sure, I'll do it today. It's urgent."),
    Turn(3, "Alex", 'Someone should fix the "login" bug before the release.'),
]


def _corpus() -> list[str]:
    items = [
        ModelItem(turn=0, owner="Alex", task="Send the Q3 numbers", deadline="by Friday", priority="high"),
        ModelItem(turn=2, owner="José", task="Book the room", deadline="today"),
        ModelItem(turn=3, task='Fix the "login" bug'),
    ]
    text = [render_target(items), render_target(items[:1]), render_target([])]
    text += [m["content"] for m in build_messages(TURNS, few_shot=True)]
    return text * 20


@functools.cache
def tiny_tokenizer() -> PreTrainedTokenizerFast:
    """A ~600-token byte-level BPE trained on prompts and targets, with the Gemma chat template."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600,
        special_tokens=SPECIALS,
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(_corpus(), trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>"
    )
    fast.chat_template = GEMMA3_CHAT_TEMPLATE
    return fast


def tiny_model(arch: str, vocab_size: int, seed: int = 0) -> Any:
    """A 2-layer, hidden-64 random model of `arch` (fp32, eval mode)."""
    torch.manual_seed(seed)
    common: dict[str, Any] = dict(
        vocab_size=vocab_size,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
    )
    if arch == "llama":
        model = LlamaForCausalLM(LlamaConfig(**common))
    elif arch == "mistral":
        model = MistralForCausalLM(MistralConfig(**common, sliding_window=None))
    elif arch == "phi3":
        model = Phi3ForCausalLM(Phi3Config(**common))
    elif arch == "gemma3":
        # A small sliding window, so decoding runs past it and drafts get cropped there.
        model = Gemma3ForCausalLM(
            Gemma3TextConfig(
                **common, head_dim=16, sliding_window=32, layer_types=["sliding_attention", "full_attention"]
            )
        )
    else:
        raise ValueError(f"unknown arch {arch}")
    # Random init gives near-flat logits; larger weights make greedy choices clear-cut.
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 2:
                p.normal_(0.0, 0.5)
    return model.eval()
