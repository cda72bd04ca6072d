"""A fake Slack Web API on 127.0.0.1 that records every call and behaves like Slack where the
bot depends on it: bearer tokens, Block Kit limits (invalid_blocks), 429 + Retry-After,
private file URLs that need the bot token, response_url, and apps.connections.open for a
local Socket Mode websocket server. Tests may also set `retry_after` (the 429's header) and
`redirects` (file id -> Location: a private file URL that answers 302).

The block checks are written from Slack's reference, independently of bot/blocks.py, so a
renderer bug shows up as a failed call, as it would in a real workspace."""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

BOT_TOKEN = "xoxb-test-bot-token"
APP_TOKEN = "xapp-test-app-token"
BOT_USER = "UBOT"
TEAM = "T0TEST"

JSON_FIELDS = ("blocks", "attachments", "view", "metadata")
LOGIN_PAGE = b"<!DOCTYPE html><html><body>Sign in to Slack</body></html>"


@dataclass
class Call:
    """One recorded request."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)


def _text_len(obj: dict[str, Any] | None) -> int:
    return len((obj or {}).get("text") or "")


def block_problems(blocks: list[dict[str, Any]], max_blocks: int = 50) -> list[str]:
    """What Slack would reject in `blocks` (empty when fine)."""
    problems: list[str] = []
    if not isinstance(blocks, list):
        return ["blocks must be an array"]
    if len(blocks) > max_blocks:
        problems.append(f"{len(blocks)} blocks > {max_blocks}")
    seen_ids: set[str] = set()
    for n, block in enumerate(blocks):
        kind = block.get("type")
        bid = block.get("block_id")
        if bid is not None:
            if len(bid) > 255 or bid in seen_ids:
                problems.append(f"block {n}: bad or repeated block_id {bid!r}")
            seen_ids.add(bid)
        if kind == "section":
            if "text" not in block and "fields" not in block:
                problems.append(f"block {n}: section without text")
            if _text_len(block.get("text")) > 3000 or _text_len(block.get("text")) == 0 and "text" in block:
                problems.append(f"block {n}: section text length {_text_len(block.get('text'))}")
        elif kind == "header":
            if (
                block.get("text", {}).get("type") != "plain_text"
                or not 0 < _text_len(block.get("text")) <= 150
            ):
                problems.append(f"block {n}: header text must be plain_text of 1-150 chars")
        elif kind == "context":
            elements = block.get("elements") or []
            if not 0 < len(elements) <= 10 or any(_text_len(e) > 3000 for e in elements):
                problems.append(f"block {n}: context needs 1-10 elements of <= 3000 chars")
        elif kind == "actions":
            elements = block.get("elements") or []
            if not 0 < len(elements) <= 25:
                problems.append(f"block {n}: actions needs 1-25 elements")
            action_ids = [e.get("action_id") for e in elements if e.get("action_id")]
            if len(action_ids) != len(set(action_ids)):
                problems.append(f"block {n}: repeated action_id")
            for e in elements:
                if e.get("type") == "button":
                    if (
                        e.get("text", {}).get("type") != "plain_text"
                        or not 0 < _text_len(e.get("text")) <= 75
                    ):
                        problems.append(f"block {n}: button text must be plain_text of 1-75 chars")
                    if len(e.get("value") or "") > 2000 or len(e.get("action_id") or "") > 255:
                        problems.append(f"block {n}: button value/action_id too long")
                    if e.get("style") not in (None, "primary", "danger"):
                        problems.append(f"block {n}: bad button style")
        elif kind in ("divider", "input", "image", "rich_text"):
            pass
        else:
            problems.append(f"block {n}: unknown type {kind!r}")
    return problems


def view_problems(view: dict[str, Any]) -> list[str]:
    """What views.open would reject."""
    problems = block_problems(view.get("blocks") or [], max_blocks=100)
    if view.get("type") != "modal":
        problems.append("type must be modal")
    for key in ("title", "submit", "close"):
        if key in view and not 0 < _text_len(view[key]) <= 24:
            problems.append(f"{key} must be 1-24 chars")
    if len(view.get("private_metadata") or "") > 3000:
        problems.append("private_metadata > 3000 chars")
    for block in view.get("blocks") or []:
        if block.get("type") == "input" and (
            "element" not in block or not 0 < _text_len(block.get("label")) <= 2000
        ):
            problems.append("input block needs an element and a label")
    return problems


class FakeSlack:
    """The fake server; start() binds 127.0.0.1:0."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.threads: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.members: dict[str, list[str]] = {}
        self.files: dict[str, tuple[dict[str, Any], bytes, str]] = {}
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.responses: list[dict[str, Any]] = []
        self.rate_limits: dict[str, int] = {}
        self.retry_after = "0"
        self.redirects: dict[str, str] = {}
        self.not_in_channel: set[str] = set()
        self.ws_url: str | None = None
        self._ts = itertools.count(1)
        self._cond = threading.Condition()
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeSlack:
        """Serve on a free port in a background thread."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                fake._post(self)

            def do_GET(self) -> None:
                fake._get(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        """Shut the server down."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT/"""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    @property
    def api_url(self) -> str:
        """Web API base for WebClient(base_url=...)."""
        return self.url + "api/"

    # -- fixtures for tests ----------------------------------------------------------------
    def add_user(
        self, uid: str, real_name: str, display_name: str = "", email: str | None = None, **extra: Any
    ) -> None:
        """A workspace member users.info can return."""
        profile = {"real_name": real_name, "display_name": display_name, "email": email}
        self.users[uid] = {
            "id": uid,
            "name": real_name.split()[0].lower(),
            "real_name": real_name,
            "profile": profile,
            "deleted": False,
            "is_bot": False,
            **extra,
        }

    def add_thread(self, channel: str, messages: list[dict[str, Any]]) -> str:
        """A thread conversations.replies returns; ts values are filled in. Returns the parent ts."""
        parent = None
        for msg in messages:
            msg.setdefault("ts", self.next_ts())
            parent = parent or msg["ts"]
            msg.setdefault("thread_ts", parent)
        self.threads[(channel, parent)] = messages
        return parent

    def add_file(
        self,
        file_id: str,
        name: str,
        content: bytes,
        *,
        channel: str,
        user: str,
        content_type: str = "text/plain",
        mimetype: str | None = None,
        size: int | None = None,
        host_url: str | None = None,
    ) -> dict[str, Any]:
        """A file files.info describes and /files-pri/ serves (with the bot token only)."""
        ts = self.next_ts()
        url = (host_url or self.url) + f"files-pri/{TEAM}-{file_id}/{name}"
        meta = {
            "id": file_id,
            "name": name,
            "title": name,
            "user": user,
            "size": len(content) if size is None else size,
            "mimetype": mimetype or content_type,
            "url_private": url,
            "url_private_download": url + "?download=1",
            "shares": {"public": {channel: [{"ts": ts, "channel_name": "general", "reply_count": 0}]}},
        }
        self.files[file_id] = (meta, content, content_type)
        return meta

    def next_ts(self) -> str:
        """A fresh message timestamp."""
        return f"{1741600000 + next(self._ts)}.000100"

    def response_url(self, name: str = "r1") -> str:
        """A response_url that records what is posted to it."""
        return self.url + f"response/{name}"

    # -- assertions ------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls of one method (successful or not)."""
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, predicate: Any, timeout: float = 15.0) -> Any:
        """Block until predicate() is truthy (re-checked on every call); return its value."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting; calls so far: {[c.method for c in self.calls]}")
                self._cond.wait(left)

    def wait_calls(self, method: str, n: int = 1, timeout: float = 15.0) -> list[Call]:
        """Block until `method` was called at least `n` times."""
        return self.wait_for(lambda: len(self.calls_to(method)) >= n and self.calls_to(method), timeout)

    def _record(self, call: Call) -> None:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    # -- HTTP ------------------------------------------------------------------------------
    def _send(
        self,
        h: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        ctype: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    def _get(self, h: BaseHTTPRequestHandler) -> None:
        path = urlparse(h.path).path
        headers = {k.lower(): v for k, v in h.headers.items()}
        self._record(Call("GET " + path, {}, headers))
        if path.startswith("/files-pri/"):
            file_id = path.split("/")[2].split("-", 1)[1]
            entry = self.files.get(file_id)
            if entry is None:
                return self._send(h, 404, b"not found", "text/plain")
            if headers.get("authorization") != f"Bearer {BOT_TOKEN}":
                # Slack answers an unauthenticated url_private with its login page, status 200.
                return self._send(h, 200, LOGIN_PAGE, "text/html; charset=utf-8")
            if file_id in self.redirects:
                return self._send(h, 302, b"", "text/plain", {"Location": self.redirects[file_id]})
            return self._send(h, 200, entry[1], entry[2])
        self._send(h, 404, b"not found", "text/plain")

    def _post(self, h: BaseHTTPRequestHandler) -> None:
        path = urlparse(h.path).path
        headers = {k.lower(): v for k, v in h.headers.items()}
        raw = h.rfile.read(int(headers.get("content-length") or 0))
        if path.startswith("/response/"):
            body = json.loads(raw or b"{}")
            with self._cond:
                self.responses.append(body)
            self._record(Call("response_url", body, headers))
            return self._send(h, 200, b"ok", "text/plain")
        if not path.startswith("/api/"):
            return self._send(h, 404, b"not found", "text/plain")
        method = path[len("/api/") :]
        params = self._params(raw, headers.get("content-type", ""), h.path)
        call = Call(method, params, headers)
        with self._cond:
            limited = self.rate_limits.get(method, 0)
            if limited:
                self.rate_limits[method] = limited - 1
        if limited:
            call.status, call.response = 429, {"ok": False, "error": "ratelimited"}
            self._record(call)
            return self._send(
                h,
                429,
                json.dumps(call.response).encode(),
                "application/json",
                {"Retry-After": self.retry_after},
            )
        call.response = self._api(method, params, headers.get("authorization", ""))
        self._record(call)
        self._send(h, 200, json.dumps(call.response).encode(), "application/json; charset=utf-8")

    @staticmethod
    def _params(raw: bytes, ctype: str, full_path: str) -> dict[str, Any]:
        if "json" in ctype:
            params = json.loads(raw or b"{}")
        else:
            params = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            params.update({k: v[0] for k, v in parse_qs(urlparse(full_path).query).items()})
        for key in JSON_FIELDS:
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        return params

    # -- the API ---------------------------------------------------------------------------
    def _api(self, method: str, p: dict[str, Any], auth: str) -> dict[str, Any]:
        if method == "apps.connections.open":
            if auth != f"Bearer {APP_TOKEN}":
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True, "url": self.ws_url}
        if auth != f"Bearer {BOT_TOKEN}":
            return {"ok": False, "error": "not_authed" if not auth else "invalid_auth"}
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        return handler(p)

    def _auth_test(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://test.slack.com/",
            "team": "Test",
            "user": "actionbot",
            "team_id": TEAM,
            "user_id": BOT_USER,
            "bot_id": "BBOT",
        }

    def _message_problems(self, p: dict[str, Any]) -> str | None:
        if "blocks" in p:
            if not p.get("text"):
                # Real Slack only warns (missing_text_in_blocks); this fake insists on a fallback.
                return "no_text"
            if block_problems(p["blocks"]) or len(json.dumps(p["blocks"])) > 40_000:
                return "invalid_blocks"
        elif not p.get("text"):
            return "no_text"
        if len(p.get("text") or "") > 40_000:
            return "msg_too_long"
        return None

    def _chat_postMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = p.get("channel")
        if channel in self.not_in_channel:
            return {"ok": False, "error": "not_in_channel"}
        if error := self._message_problems(p):
            return {"ok": False, "error": error}
        ts = self.next_ts()
        msg = {
            "channel": channel,
            "ts": ts,
            "thread_ts": p.get("thread_ts"),
            "text": p.get("text"),
            "blocks": p.get("blocks"),
        }
        with self._cond:
            self.messages[(channel, ts)] = msg
        return {"ok": True, "channel": channel, "ts": ts, "message": msg}

    def _chat_update(self, p: dict[str, Any]) -> dict[str, Any]:
        key = (p.get("channel"), p.get("ts"))
        if key not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        if error := self._message_problems(p):
            return {"ok": False, "error": error}
        with self._cond:
            self.messages[key].update(text=p.get("text"), blocks=p.get("blocks"))
        return {"ok": True, "channel": key[0], "ts": key[1]}

    def _chat_postEphemeral(self, p: dict[str, Any]) -> dict[str, Any]:
        if error := self._message_problems(p):
            return {"ok": False, "error": error}
        return {"ok": True, "message_ts": self.next_ts()}

    def _chat_getPermalink(self, p: dict[str, Any]) -> dict[str, Any]:
        ts = str(p.get("message_ts", "")).replace(".", "")
        return {"ok": True, "permalink": f"https://test.slack.com/archives/{p.get('channel')}/p{ts}"}

    def _files_info(self, p: dict[str, Any]) -> dict[str, Any]:
        entry = self.files.get(p.get("file", ""))
        return {"ok": True, "file": entry[0]} if entry else {"ok": False, "error": "file_not_found"}

    def _users_info(self, p: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(p.get("user", ""))
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def _users_lookupByEmail(self, p: dict[str, Any]) -> dict[str, Any]:
        for user in self.users.values():
            if (user["profile"].get("email") or "").lower() == str(p.get("email", "")).lower():
                return {"ok": True, "user": user}
        return {"ok": False, "error": "users_not_found"}

    def _conversations_replies(self, p: dict[str, Any]) -> dict[str, Any]:
        if p.get("channel") in self.not_in_channel:
            return {"ok": False, "error": "not_in_channel"}
        messages = self.threads.get((p.get("channel"), p.get("ts")))
        if messages is None:
            return {"ok": False, "error": "thread_not_found"}
        return {"ok": True, "messages": messages, "has_more": False}

    def _conversations_members(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "members": self.members.get(p.get("channel", ""), []),
            "response_metadata": {"next_cursor": ""},
        }

    def _views_open(self, p: dict[str, Any]) -> dict[str, Any]:
        view = p.get("view") or {}
        if not p.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        if problems := view_problems(view):
            return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": problems}}
        return {"ok": True, "view": {"id": "V0001", **view}}

    def _views_update(self, p: dict[str, Any]) -> dict[str, Any]:
        if problems := view_problems(p.get("view") or {}):
            return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": problems}}
        return {"ok": True, "view": {"id": p.get("view_id") or "V0001", **(p.get("view") or {})}}
