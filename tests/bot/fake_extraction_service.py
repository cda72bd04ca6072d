"""A fake extraction service (the EXTRACTOR_URL side) on 127.0.0.1: records each request and
answers from a queue of (status, body, headers); an empty queue answers with `default`."""

from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = tuple[int, dict[str, Any], dict[str, str]]


def ok_body(*items: dict[str, Any], model: str = "gemma-remote") -> dict[str, Any]:
    """A 200 body in the service's contract for `items` (ActionItem.to_json() dicts)."""
    return {"action_items": list(items), "warnings": [], "model": model, "latency_s": 0.5, "valid_json": True}


class FakeExtractionService:
    """POST /v1/extract; start() binds a free port."""

    def __init__(self, default: Reply | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.replies: deque[Reply] = deque()
        self.default: Reply = default or (200, ok_body(), {})
        self.hold = threading.Event()  # set by a test to make the next reply wait (a slow service)
        self.release = threading.Event()
        self._cond = threading.Condition()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> FakeExtractionService:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with fake._cond:
                    fake.requests.append(
                        {
                            "path": self.path,
                            "json": json.loads(raw or b"null"),
                            "content_type": self.headers.get("Content-Type"),
                        }
                    )
                    fake._cond.notify_all()
                    status, body, headers = fake.replies.popleft() if fake.replies else fake.default
                if fake.hold.is_set():
                    fake.release.wait(20)
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out on a held reply (the timeout tests want exactly that)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"
