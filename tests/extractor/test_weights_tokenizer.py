"""A GGUF tokenizer converted without its merges is refused before anything is cached."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.errors import ModelLoadError
from extractor.weights import check_tokenizer


class CharTokenizer:
    """What a bad conversion looks like: one token per character."""

    def __call__(self, text: str, add_special_tokens: bool = True) -> dict[str, list[int]]:
        return {"input_ids": [ord(c) for c in text]}


class WordTokenizer:
    def __call__(self, text: str, add_special_tokens: bool = True) -> dict[str, list[int]]:
        return {"input_ids": [hash(w) % 1000 for w in text.replace(",", " ,").split()]}


def test_character_level_tokenizer_is_refused_with_the_fix() -> None:
    with pytest.raises(ModelLoadError, match=r"into \d+ tokens.*upgrade transformers"):
        check_tokenizer(CharTokenizer(), Path("gemma.gguf"))


def test_subword_tokenizer_passes() -> None:
    check_tokenizer(WordTokenizer(), Path("gemma.gguf"))
