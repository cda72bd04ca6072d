"""An Extractor backed by an OpenAI-compatible completion server (vLLM serving the base model
plus our LoRA adapter). Prompts are rendered and tokenized here, with the base model's own
tokenizer, so the server sees exactly the token ids the adapter was trained on."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from tenacity import RetryError, Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from extractor.errors import ExtractionError, ModelLoadError
from extractor.model import GenerationRequest
from extractor.prompt import render_prompt

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
ATTEMPTS = 4
DEFAULT_BASE = "gemma-3-270m"


class _Retryable(Exception):
    """A failure worth another try: 429, a 5xx or a dropped connection."""


def encode_prompt(tokenizer: Any, prompt: str) -> list[int]:
    """Prompt token ids as training encodes them: BOS added only when the template did not write one."""
    bos = getattr(tokenizer, "bos_token", None)
    add = not (bos and prompt.startswith(bos))
    return list(tokenizer(prompt, add_special_tokens=add)["input_ids"])


def load_tokenizer(base: str, cache_dir: str | Path | None) -> Any:
    """The base model's tokenizer alone (no weights), from the converted local copy."""
    from transformers import AutoTokenizer

    from extractor.weights import resolve_base

    path = resolve_base(base, Path(cache_dir) if cache_dir else None)
    try:
        return AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"could not load the tokenizer of {base} from {path}: {exc}") from exc


class OpenAIExtractor:
    """Completes prompts on a remote `/v1/completions` endpoint, one HTTP request per prompt,
    several at once (the server batches them)."""

    def __init__(
        self,
        config: Any,
        tokenizer: Any = None,
        *,
        retry_wait_s: float = 0.5,
        timeout_s: float = 120.0,
        check_server: bool = True,
    ) -> None:
        started = time.perf_counter()
        if not getattr(config, "openai_url", None):
            raise ModelLoadError(
                "backend openai needs a server URL: set ACTIONBOT_OPENAI_URL, e.g. http://127.0.0.1:8000"
            )
        self.url = str(config.openai_url).rstrip("/").removesuffix("/v1")
        self.served_model = config.openai_model or "actions"
        self.max_new_tokens = int(config.max_new_tokens)
        self.concurrency = max(1, int(getattr(config, "batch_size", 8) or 8))
        self.few_shot = getattr(config, "adapter", None) is None
        self.context_tokens = int(config.context_tokens)
        self.name = f"{self.served_model}@{urlsplit(self.url).netloc}"
        self.tokenizer = tokenizer or load_tokenizer(config.base or DEFAULT_BASE, config.cache_dir)
        self.retry_wait_s = retry_wait_s
        headers = {"Authorization": f"Bearer {config.openai_api_key}"} if config.openai_api_key else {}
        self.client = httpx.Client(base_url=self.url, headers=headers, timeout=timeout_s)
        self.usage = {"prompt_tokens": 0, "completion_tokens": 0}
        if check_server:
            self._check_model()
        self.load_seconds = time.perf_counter() - started

    def _check_model(self) -> None:
        """Fail at start-up, not on the first meeting, when the server lacks our model."""
        # https://platform.openai.com/docs/api-reference/models/list
        try:
            reply = self.client.get("/v1/models")
            reply.raise_for_status()
            served = [m.get("id") for m in reply.json().get("data", [])]
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            raise ModelLoadError(
                f"could not reach the completion server at {self.url} ({exc}); "
                "start it (see docs/speed.md) or fix ACTIONBOT_OPENAI_URL"
            ) from exc
        if self.served_model not in served:
            raise ModelLoadError(
                f"the server at {self.url} does not serve {self.served_model!r} "
                f"(it serves {', '.join(map(str, served)) or 'nothing'}); "
                "set ACTIONBOT_OPENAI_MODEL or pass --lora-modules to vllm serve"
            )

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.client.close()

    def count_tokens(self, text: str) -> int:
        """Tokens `text` costs, by the base model's tokenizer."""
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def payload(self, request: GenerationRequest) -> dict[str, Any]:
        """The completion request body for one prompt."""
        prompt_ids = encode_prompt(self.tokenizer, render_prompt(self.tokenizer, request.messages))
        return {
            "model": self.served_model,
            # Token ids, not text: the server would otherwise tokenize again and may add a second BOS.
            "prompt": prompt_ids,
            "max_tokens": self.max_new_tokens,
            "temperature": 0,
            # vLLM >= 0.12 (https://docs.vllm.ai/en/latest/features/structured_outputs/); the older
            # `guided_json` field was removed in 0.12.
            "structured_outputs": {"json": request.schema},
        }

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        # https://platform.openai.com/docs/api-reference/completions/create
        try:
            reply = self.client.post("/v1/completions", json=body)
        except httpx.TransportError as exc:
            raise _Retryable(f"connection failed: {exc}") from exc
        if reply.status_code in RETRY_STATUSES:
            raise _Retryable(f"HTTP {reply.status_code}: {reply.text[:200]}")
        if reply.status_code >= 400:
            raise ExtractionError(
                f"the completion server refused the request (HTTP {reply.status_code}): {reply.text[:300]}"
            )
        try:
            return dict(reply.json())
        except ValueError as exc:
            raise ExtractionError(
                f"the completion server sent a reply that is not JSON: {reply.text[:200]}"
            ) from exc

    def complete(self, request: GenerationRequest) -> str:
        """The server's text for one request, retrying 429/5xx and dropped connections."""
        body = self.payload(request)
        retrying = Retrying(
            retry=retry_if_exception(lambda exc: isinstance(exc, _Retryable)),
            stop=stop_after_attempt(ATTEMPTS),
            wait=wait_exponential(multiplier=self.retry_wait_s, max=10 * self.retry_wait_s + 1),
        )
        try:
            reply = retrying(self._post, body)
        except RetryError as exc:
            cause = exc.last_attempt.exception()
            raise ExtractionError(
                f"the completion server at {self.url} failed {ATTEMPTS} times ({cause})"
            ) from cause
        try:
            choice = reply["choices"][0]
            text = str(choice["text"])
        except (KeyError, IndexError, TypeError) as exc:
            raise ExtractionError(
                f"the completion server's reply has no choices[0].text: {str(reply)[:200]}"
            ) from exc
        if choice.get("finish_reason") == "length":
            logger.debug(
                "completion hit max_tokens=%d; the pipeline salvages what closed", self.max_new_tokens
            )
        usage = reply.get("usage") or {}
        for key in self.usage:
            self.usage[key] += int(usage.get(key) or 0)
        return text

    def generate(self, requests: Sequence[GenerationRequest]) -> list[str]:
        """Complete every request concurrently; results in request order."""
        if len(requests) <= 1:
            return [self.complete(r) for r in requests]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(requests))) as pool:
            return list(pool.map(self.complete, requests))
