"""`actionbot api` over real HTTP: uvicorn in a thread on 127.0.0.1, port 0, with fake extractors."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from click.testing import CliRunner

from extractor.model import FakeExtractor, GenerationRequest
from extractor.service import ApiSettings, create_app

ITEM = {"turn": 1, "owner": "Lee", "task": "Send the deck", "deadline": "by Friday", "priority": None}
ANSWER = json.dumps({"action_items": [ITEM]})
TRANSCRIPT = "Dana: Lee, can you send the deck?\nLee: Sure, by Friday."
SRT = (
    "1\n00:00:01,000 --> 00:00:03,000\nDANA: Lee, can you send the deck?\n\n"
    "2\n00:00:04,000 --> 00:00:06,000\nLEE: Sure, by Friday.\n"
)


@dataclass
class GatedFake(FakeExtractor):
    """Answers ANSWER; each generate call blocks until `gate` is set and records its batch size."""

    gate: threading.Event = field(default_factory=threading.Event)
    batches: list[int] = field(default_factory=list)
    busy: threading.Event = field(default_factory=threading.Event)

    def generate(self, requests: Any) -> list[str]:
        self.busy.set()
        self.gate.wait(10)
        self.batches.append(len(requests))
        self.calls.extend(requests)
        return [ANSWER for _ in requests]


class Server:
    """uvicorn serving an app in a background thread."""

    def __init__(self, app: Any) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        until(lambda: self.server.started)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.client = httpx.Client(base_url=self.url, timeout=20)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(10)


def until(condition: Callable[[], Any], limit_s: float = 10.0) -> None:
    """Poll `condition` (a guard against hanging, not a timing assertion)."""
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, "condition never became true"
        time.sleep(0.01)


def serve(extractor: Any, **settings: Any) -> Server:
    return Server(create_app(extractor, ApiSettings(**{"batch_wait_ms": 20, **settings})))


@pytest.fixture
def api() -> Iterator[Server]:
    with serve(FakeExtractor(default=ANSWER)) as s:
        yield s


def test_json_request(api: Server) -> None:
    r = api.client.post("/v1/extract", json={"text": TRANSCRIPT, "meeting_date": "2025-03-10", "tz": None})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"action_items", "warnings", "model", "latency_s", "valid_json"}
    assert body["action_items"][0]["owner"] == "Lee"
    assert body["action_items"][0]["deadline_date"] == "2025-03-14"
    assert body["model"] == "fake" and body["valid_json"] is True and body["warnings"] == []


@pytest.mark.parametrize("name", ["meeting.txt", "meeting.srt", "notes.md"])
def test_file_upload(api: Server, name: str) -> None:
    data = TRANSCRIPT if not name.endswith(".srt") else SRT
    r = api.client.post(
        "/v1/extract", files={"file": (name, data.encode())}, data={"meeting_date": "2025-03-10"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["action_items"][0]["task"] == "Send the deck"


def test_no_date_resolves_against_today_with_warning(api: Server) -> None:
    r = api.client.post("/v1/extract", json={"text": TRANSCRIPT})
    assert r.status_code == 200
    assert any("today" in w for w in r.json()["warnings"])


@pytest.mark.parametrize(
    ("kwargs", "status", "needle"),
    [
        (
            {"content": b"Dana: hi", "headers": {"content-type": "text/plain"}},
            415,
            "unsupported content type",
        ),
        ({"content": b"Dana: hi"}, 415, "none"),
        ({"content": b'{"text": ', "headers": {"content-type": "application/json"}}, 422, "malformed JSON"),
        ({"json": {"txt": TRANSCRIPT}}, 422, "text"),
        ({"json": ["not", "an", "object"]}, 422, "dictionary"),
        ({"json": {"text": TRANSCRIPT, "meeting_date": "10/03/2025"}}, 422, "meeting_date"),
        ({"json": {"text": TRANSCRIPT, "format": "pdf"}}, 422, "format"),
        ({"json": {"text": TRANSCRIPT, "tz": "Mars/Olympus"}}, 422, "tz"),
        ({"json": {"text": ""}}, 422, "text is empty"),
        ({"json": {"text": "   \n "}}, 422, "only whitespace"),
        ({"json": {"text": "ab\x00\x01\x02cd"}}, 422, "binary"),
        ({"files": {"file": ("deck.pdf", b"%PDF-1.4 ...")}}, 422, "PDF files are not supported"),
        ({"files": {"file": ("x.bin", b"\x00\x01\x02\x03" * 10)}}, 422, "binary"),
        ({"files": {"other": ("m.txt", b"Dana: hi")}}, 422, "file"),
        (
            {"json": {"text": "Dana: hi"}, "headers": {"content-type": "application/xml"}},
            415,
            "application/xml",
        ),
    ],
)
def test_bad_requests(api: Server, kwargs: dict[str, Any], status: int, needle: str) -> None:
    r = api.client.post("/v1/extract", **kwargs)
    assert r.status_code == status, r.text
    assert needle in json.dumps(r.json())


@pytest.mark.parametrize("how", ["json", "file", "chunked"])
def test_too_large_is_413(how: str) -> None:
    with serve(FakeExtractor(default=ANSWER), max_bytes=2000) as s:
        big = "Dana: " + "word " * 1000
        if how == "json":
            r = s.client.post("/v1/extract", json={"text": big})
        elif how == "file":
            r = s.client.post("/v1/extract", files={"file": ("m.txt", big.encode())})
        else:
            body = json.dumps({"text": big * 20}).encode()
            r = s.client.post(
                "/v1/extract",
                content=iter([body[:1000], body[1000:]]),
                headers={"content-type": "application/json"},
            )
        assert r.status_code == 413
        assert "MB" in r.json()["detail"]


def test_concurrent_requests_are_batched() -> None:
    fake = GatedFake()
    with serve(fake, batch_size=8, queue_size=16) as s, ThreadPoolExecutor(6) as pool:
        first = pool.submit(
            s.client.post, "/v1/extract", json={"text": TRANSCRIPT, "meeting_date": "2025-03-10"}
        )
        until(fake.busy.is_set)  # the worker holds request 1; the other five queue up behind it
        rest = [
            pool.submit(s.client.post, "/v1/extract", json={"text": f"{TRANSCRIPT} #{k}"}) for k in range(5)
        ]
        until(lambda: s.client.get("/healthz").json()["queue_depth"] == 5)
        fake.gate.set()
        assert [f.result().status_code for f in [first, *rest]] == [200] * 6
        assert fake.batches == [1, 5]  # six requests, two generate calls
        metrics = s.client.get("/metrics").text
    assert "actionbot_api_batch_size_count 2.0" in metrics
    assert "actionbot_api_batch_size_sum 6.0" in metrics


def test_full_queue_is_503_with_retry_after() -> None:
    fake = GatedFake()
    with serve(fake, batch_size=1, queue_size=2) as s, ThreadPoolExecutor(4) as pool:
        post = lambda: s.client.post("/v1/extract", json={"text": TRANSCRIPT})  # noqa: E731
        held = [pool.submit(post)]
        until(fake.busy.is_set)
        held += [pool.submit(post), pool.submit(post)]
        until(lambda: s.client.get("/healthz").json()["queue_depth"] == 2)
        r = post()
        assert r.status_code == 503
        assert r.headers["Retry-After"] == "2"
        assert "busy" in r.json()["detail"]
        fake.gate.set()
        assert [f.result().status_code for f in held] == [200, 200, 200]
        assert 'actionbot_api_requests_total{status="503"} 1.0' in s.client.get("/metrics").text


def test_client_disconnect_is_harmless() -> None:
    fake = GatedFake()
    with serve(fake, batch_size=4) as s, ThreadPoolExecutor(2) as pool:
        held = pool.submit(s.client.post, "/v1/extract", json={"text": TRANSCRIPT})
        until(fake.busy.is_set)
        body = json.dumps({"text": "Omar: I will book the room."}).encode()
        port = int(s.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(
                b"POST /v1/extract HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )
            until(lambda: s.client.get("/healthz").json()["queue_depth"] == 1)
        until(lambda: 'status="499"' in s.client.get("/metrics").text)
        fake.gate.set()
        assert held.result().status_code == 200
        after = s.client.post("/v1/extract", json={"text": TRANSCRIPT})
        assert after.status_code == 200
        assert s.client.get("/healthz").status_code == 200
    prompts = [m["content"] for r in fake.calls for m in r.messages]
    assert not any("book the room" in p for p in prompts)  # the abandoned meeting never reached the model


def test_model_failure_is_500_and_worker_survives() -> None:
    class Broken(FakeExtractor):
        def generate(self, requests: list[GenerationRequest]) -> list[str]:
            from extractor.errors import ModelLoadError

            raise ModelLoadError("completion server unreachable")

    with serve(Broken()) as s:
        for _ in range(2):
            r = s.client.post("/v1/extract", json={"text": TRANSCRIPT})
            assert r.status_code == 500
            assert "completion server unreachable" in r.json()["detail"]
        assert s.client.get("/healthz").json()["status"] == "ok"


def test_health_metrics_and_docs(api: Server) -> None:
    api.client.post("/v1/extract", json={"text": TRANSCRIPT})
    api.client.post("/v1/extract", json={"text": ""})
    assert api.client.get("/healthz").json() == {"status": "ok", "model": "fake", "queue_depth": 0}
    text = api.client.get("/metrics").text
    for needle in [
        'actionbot_api_requests_total{status="200"} 1.0',
        'actionbot_api_requests_total{status="422"} 1.0',
        "actionbot_api_request_seconds_bucket",
        "actionbot_api_queue_depth 0.0",
        "actionbot_api_batch_size_bucket",
    ]:
        assert needle in text
    assert api.client.get("/docs").status_code == 200
    content = api.client.get("/openapi.json").json()["paths"]["/v1/extract"]["post"]["requestBody"]["content"]
    assert set(content) == {"application/json", "multipart/form-data"}


@pytest.mark.parametrize(
    ("env", "field_name", "value"),
    [
        ({"ACTIONBOT_API_QUEUE": "3"}, "queue_size", 3),
        ({"ACTIONBOT_API_BATCH_WAIT_MS": "2.5"}, "batch_wait_ms", 2.5),
        ({"ACTIONBOT_BATCH_SIZE": "32"}, "batch_size", 32),
        ({}, "max_bytes", 5 * 1024 * 1024),
    ],
)
def test_settings_from_env(env: dict[str, str], field_name: str, value: Any) -> None:
    assert getattr(ApiSettings.from_env(env), field_name) == value


@pytest.mark.parametrize(
    ("env", "needle"),
    [({"ACTIONBOT_API_QUEUE": "0"}, "queue_size"), ({"ACTIONBOT_API_PORT": "http"}, "ACTIONBOT_API_PORT")],
)
def test_bad_settings_name_the_field(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        ApiSettings.from_env(env)


def test_cli_reports_bad_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from extractor.service.cli import api as api_cmd

    result = CliRunner().invoke(api_cmd, [], env={"ACTIONBOT_API_QUEUE": "0"})
    assert result.exit_code == 1
    assert "queue_size: must be at least 1" in result.output
