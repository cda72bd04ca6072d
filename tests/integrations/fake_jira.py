"""A fake Jira REST server on 127.0.0.1 (port 0) that speaks enough of Cloud (v2/v3) and Data Center (v2)
for the real `jira` client, records every request, and injects failures on demand. What it answers is
in fake_jira_api.py; what it refuses in a create request, in fake_jira_checks.py."""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from fake_jira_api import SCREEN, JiraBehaviour
from fake_jira_checks import PRIORITIES

__all__ = ["PRIORITIES", "SCREEN", "FakeJira", "Recorded", "Rule"]


@dataclass
class Recorded:
    """One request as the server saw it."""

    method: str
    version: str
    path: str  # below /rest/api/<version>/
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]  # names lower-cased


@dataclass
class Rule:
    """An injected response for requests whose method and path match."""

    method: str
    pattern: str
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    delay: float = 0.0
    apply: bool = False  # True: do the real work first, then answer with this status (lost response)
    # status 0 with apply=True: the real answer, only `delay` seconds late (a timeout after the work was done)


class FakeJira(JiraBehaviour):
    """Fake Jira: `cloud=True` for Cloud (Basic email:token, v3 ADF), False for Data Center (Bearer PAT, v2)."""

    def __init__(
        self,
        cloud: bool = True,
        *,
        email: str = "bot@example.com",
        token: str = "tok-SECRET-123",
        pat: str = "pat-SECRET-456",
    ):
        super().__init__(cloud, email, token, pat)
        self.requests: list[Recorded] = []
        self.rules: list[Rule] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._server.block_on_close = False  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.01,), daemon=True
        )  # fast shutdown

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeJira:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail(self, method: str, pattern: str, status: int, body: Any = None, **kw: Any) -> None:
        self.rules.append(Rule(method, pattern, status, body, **kw))

    def calls(self, method: str, pattern: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and re.fullmatch(pattern, r.path)]

    # --- request handling -------------------------------------------------------------------------
    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], raw_body: bytes
    ) -> tuple[int, Any, dict]:
        url = urlparse(raw_path)
        m = re.match(r"^/rest/api/(2|3|latest)/(.*)$", url.path)
        body = json.loads(raw_body) if raw_body else None
        version, path = (m.group(1), m.group(2)) if m else ("", url.path)
        query = parse_qs(url.query)
        with self._lock:
            self.requests.append(Recorded(method, version, path, query, body, headers))
            rule = next(
                (
                    r
                    for r in self.rules
                    if r.times > 0 and r.method == method and re.fullmatch(r.pattern, path)
                ),
                None,
            )
            if rule:
                rule.times -= 1
        if rule and not rule.apply:
            time.sleep(rule.delay)
            return rule.status, rule.body, rule.headers
        result = self._route(method, version, path, query, body, headers) if m else (404, None, {})
        if rule:
            time.sleep(rule.delay)
            if rule.status:
                return rule.status, rule.body, rule.headers
        return result


def _handler(fake: FakeJira) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, payload, headers = fake.handle(
                self.command,
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length),
            )
            raw = isinstance(payload, bytes)  # bytes go out as they are (an HTML page, say)
            data = payload if raw else b"" if payload is None else json.dumps(payload).encode()
            try:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "text/html" if raw else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test); nothing to answer

        do_GET = do_POST = do_PUT = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
