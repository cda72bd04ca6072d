"""OpenAIExtractor against a local fake OpenAI-compatible server (127.0.0.1, port 0)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from extractor.errors import ExtractionError, ModelLoadError
from extractor.model import Extractor
from extractor.openai_backend import OpenAIExtractor, encode_prompt
from extractor.pipeline import extract_text
from extractor.prompt import render_prompt

CANNED = '{"action_items": [{"turn": 1, "owner": "Lee", "task": "Send the budget", "deadline": "by Friday", "priority": null}]}'
TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}<|end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def tiny_tokenizer(chat_template: bool = True) -> Any:
    """A word-level tokenizer built here, so no model download is needed."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    specials = ["<unk>", "<pad>", "<s>", "</s>"]
    words = "Lee Dana I'll send the budget by Friday Thanks . : [ ] 0 1 Transcript".split()
    vocab = {w: i for i, w in enumerate(specials + words)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>"
    )
    fast.chat_template = TEMPLATE if chat_template else None
    return fast


@dataclass
class Config:
    """The ModelConfig fields the backend reads."""

    openai_url: str = ""
    openai_model: str = "actions"
    openai_api_key: str | None = "sk-test"
    base: str = "unused"
    adapter: str | None = "adapters/gemma-3-270m-actions"
    cache_dir: str | None = None
    max_new_tokens: int = 64
    batch_size: int = 4
    context_tokens: int = 2048


@dataclass
class FakeOpenAI:
    """Records completion bodies; answers with `script` statuses first, then CANNED."""

    script: list[int] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    models: list[str] = field(default_factory=lambda: ["base", "actions"])
    lock: threading.Lock = field(default_factory=threading.Lock)


def make_handler(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, obj: Any) -> None:
            data = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            assert self.path == "/v1/models"
            self._send(200, {"object": "list", "data": [{"id": m} for m in fake.models]})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with fake.lock:
                fake.bodies.append(body)
                fake.headers.append(dict(self.headers))
                status = fake.script.pop(0) if fake.script else 200
            if self.path != "/v1/completions":
                self._send(404, {"error": "no such route"})
            elif status != 200:
                self._send(status, {"error": {"message": "scripted failure"}})
            else:
                self._send(
                    200,
                    {
                        "choices": [{"text": CANNED, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": len(body["prompt"]), "completion_tokens": 7},
                    },
                )

    return Handler


@pytest.fixture
def server() -> Iterator[tuple[FakeOpenAI, str]]:
    fake = FakeOpenAI()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(fake))
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield fake, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def make(url: str, **changes: Any) -> OpenAIExtractor:
    return OpenAIExtractor(Config(openai_url=url, **changes), tokenizer=tiny_tokenizer(), retry_wait_s=0.001)


TRANSCRIPT = "Dana: Lee, can you send the budget?\nLee: I'll send the budget by Friday."


def test_request_shape_and_result(server: tuple[FakeOpenAI, str]) -> None:
    fake, url = server
    ex = make(url)
    assert isinstance(ex, Extractor)
    result = extract_text(TRANSCRIPT, ex)
    assert [(it.owner, it.task) for it in result.items] == [("Lee", "Send the budget")]
    assert result.valid_json
    body = fake.bodies[0]
    assert body["model"] == "actions"
    assert body["temperature"] == 0
    assert body["max_tokens"] == 64
    assert body["structured_outputs"]["json"]["required"] == ["action_items"]
    assert all(isinstance(i, int) for i in body["prompt"])
    assert fake.headers[0]["Authorization"] == "Bearer sk-test"
    assert ex.usage == {"prompt_tokens": len(body["prompt"]), "completion_tokens": 7}


@pytest.mark.parametrize("chat_template", [True, False])
def test_prompt_ids_have_one_bos(chat_template: bool) -> None:
    tok = tiny_tokenizer(chat_template)
    prompt = render_prompt(tok, [{"role": "user", "content": "Lee : send the budget"}])
    ids = encode_prompt(tok, prompt)
    assert ids.count(tok.bos_token_id) == int(chat_template)  # this bare tokenizer adds no BOS itself


@pytest.mark.parametrize("n", [1, 3, 9])
def test_batch_keeps_order(server: tuple[FakeOpenAI, str], n: int) -> None:
    fake, url = server
    ex = make(url, batch_size=4)
    from extractor.model import GenerationRequest

    reqs = [
        GenerationRequest([{"role": "user", "content": f"[{k}] Lee : send"}], {"type": "object"})
        for k in range(n)
    ]
    assert ex.generate(reqs) == [CANNED] * n
    assert len(fake.bodies) == n


@pytest.mark.parametrize("script", [[429], [503, 500], [502, 504, 429]])
def test_retries_transient_errors(server: tuple[FakeOpenAI, str], script: list[int]) -> None:
    fake, url = server
    fake.script = list(script)
    result = extract_text(TRANSCRIPT, make(url))
    assert len(result.items) == 1
    assert len(fake.bodies) == len(script) + 1


def test_gives_up_after_attempts(server: tuple[FakeOpenAI, str]) -> None:
    fake, url = server
    fake.script = [503] * 10
    with pytest.raises(ExtractionError, match="failed 4 times.*503"):
        extract_text(TRANSCRIPT, make(url))
    assert len(fake.bodies) == 4


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_client_errors_are_not_retried(server: tuple[FakeOpenAI, str], status: int) -> None:
    fake, url = server
    fake.script = [status]
    with pytest.raises(ExtractionError, match=f"HTTP {status}"):
        extract_text(TRANSCRIPT, make(url))
    assert len(fake.bodies) == 1


def test_unserved_model_is_refused_at_load(server: tuple[FakeOpenAI, str]) -> None:
    fake, url = server
    fake.models = ["base"]
    with pytest.raises(ModelLoadError, match="does not serve 'actions'.*--lora-modules"):
        make(url)


@pytest.mark.parametrize("url", ["", "http://127.0.0.1:9"])
def test_unreachable_or_missing_url(url: str) -> None:
    with pytest.raises(ModelLoadError, match="ACTIONBOT_OPENAI_URL"):
        make(url)


def test_count_tokens_uses_tokenizer(server: tuple[FakeOpenAI, str]) -> None:
    _, url = server
    assert make(url).count_tokens("Lee send the budget") == 4
