"""The model-call boundary: the Extractor protocol, a fake for tests, and the factory that
builds the real one. Everything before (prompts) and after (parsing) is pure code."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class GenerationRequest:
    """One prompt to complete, with the JSON Schema its answer must satisfy."""

    messages: list[dict[str, str]]
    schema: dict[str, Any]


@runtime_checkable
class Extractor(Protocol):
    """Anything that turns chat messages into JSON text: a local HF model, a remote server, a fake."""

    name: str
    few_shot: bool  # True for an un-tuned base: prompts then carry a worked example
    context_tokens: int  # prompt token budget per chunk

    def count_tokens(self, text: str) -> int:
        """Number of tokens `text` costs in this model's prompt."""
        ...

    def generate(self, requests: Sequence[GenerationRequest]) -> list[str]:
        """Complete each request (greedy, schema-constrained); same order as `requests`."""
        ...


@dataclass
class FakeExtractor:
    """Returns queued outputs in order and records every request (for tests)."""

    outputs: deque[str] = field(default_factory=deque)
    name: str = "fake"
    few_shot: bool = False
    context_tokens: int = 100_000
    default: str = '{"action_items": []}'
    calls: list[GenerationRequest] = field(default_factory=list)

    @classmethod
    def with_outputs(cls, outputs: Iterable[str], **kwargs: Any) -> FakeExtractor:
        """A fake that answers with `outputs`, then with `default`."""
        return cls(outputs=deque(outputs), **kwargs)

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def generate(self, requests: Sequence[GenerationRequest]) -> list[str]:
        self.calls.extend(requests)
        return [self.outputs.popleft() if self.outputs else self.default for _ in requests]
