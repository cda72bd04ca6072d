"""A fake Jira REST server on 127.0.0.1 (port 0) that speaks enough of Cloud (v2/v3) and Data Center (v2)
for the real `jira` client, records every request, and injects failures on demand."""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

SCREEN = {
    "summary",
    "description",
    "labels",
    "duedate",
    "priority",
    "assignee",
    "project",
    "issuetype",
    "reporter",
}
PRIORITIES = ["Highest", "High", "Medium", "Low", "Lowest"]
_JQL_LABEL = re.compile(r'^labels\s*=\s*"?([^"\s]+)"?$')


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


class FakeJira:
    """Fake Jira: `cloud=True` for Cloud (Basic email:token, v3 ADF), False for Data Center (Bearer PAT, v2)."""

    def __init__(
        self,
        cloud: bool = True,
        *,
        email: str = "bot@example.com",
        token: str = "tok-SECRET-123",
        pat: str = "pat-SECRET-456",
    ):
        self.cloud, self.email, self.token, self.pat = cloud, email, token, pat
        self.projects = {
            "OPS": {"id": "10000", "name": "Operations"},
            "ENG": {"id": "10001", "name": "Engineering"},
        }
        self.issue_types = [{"id": "3", "name": "Task"}, {"id": "1", "name": "Bug"}]
        self.screen = set(SCREEN)
        self.required_extra: dict[str, str] = {}  # fieldId -> name: required, no default
        self.users: list[dict[str, Any]] = []
        self.issues: dict[str, dict[str, Any]] = {}
        self.requests: list[Recorded] = []
        self.rules: list[Rule] = []
        self.create_delay = 0.0
        self.bot_email_hidden = False
        self._lock = threading.Lock()
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

    def add_user(
        self,
        display: str,
        email: str | None,
        *,
        account_id: str = "",
        name: str = "",
        hidden: bool = False,
        active: bool = True,
        assignable: bool = True,
    ) -> None:
        self.users.append(
            {
                "accountId": account_id or f"acc-{len(self.users)}",
                "name": name or display.split()[0].lower(),
                "displayName": display,
                "emailAddress": email,
                "hidden": hidden,
                "active": active,
                "assignable": assignable,
            }
        )

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

    def _authorized(self, headers: dict[str, str]) -> bool:
        auth = headers.get("authorization", "")
        if self.cloud:
            return auth == "Basic " + base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
        return auth == f"Bearer {self.pat}"

    def _route(
        self, method: str, version: str, path: str, query: dict, body: Any, headers: dict
    ) -> tuple[int, Any, dict]:
        if version == "3" and not self.cloud:
            return 404, None, {}
        if not self._authorized(headers):
            return (
                401,
                {
                    "errorMessages": [
                        "You are not authenticated. Authentication required to perform this operation."
                    ],
                    "errors": {},
                },
                {},
            )
        q = {k: v[0] for k, v in query.items()}
        routes = [
            ("GET", r"serverInfo", lambda: self._server_info()),
            ("GET", r"myself", lambda: (200, self._user_json(self._me(), version))),
            (
                "GET",
                r"field",
                lambda: (200, [{"id": f, "name": f.title(), "clauseNames": [f]} for f in sorted(SCREEN)]),
            ),
            (
                "GET",
                r"priority",
                lambda: (
                    200,
                    [
                        {"id": str(i), "name": n, "self": f"{self.url}/p/{i}"}
                        for i, n in enumerate(PRIORITIES, 1)
                    ],
                ),
            ),
            ("GET", r"project/([^/]+)", self._project),
            ("GET", r"issue/createmeta/([^/]+)/issuetypes/([^/]+)", self._createmeta),
            ("POST", r"issue", lambda: self._create(version, body)),
            (
                "GET",
                r"issue/([^/]+)",
                lambda k: (
                    (200, self.issues[k])
                    if k in self.issues
                    else (404, {"errorMessages": ["Issue does not exist"]})
                ),
            ),
            ("PUT", r"issue/([^/]+)/assignee", lambda k: self._assign(k, body)),
            ("GET", r"search", lambda: self._search(q, cloud_api=False)),
            ("GET", r"search/jql", lambda: self._search(q, cloud_api=True)),
            ("POST", r"search/jql", lambda: self._search(body or {}, cloud_api=True)),
            ("GET", r"user/search", lambda: (200, self._user_search(q, version))),
        ]
        for verb, pattern, fn in routes:
            m = re.fullmatch(pattern, path)
            if verb == method and m:
                status, payload = fn(*m.groups())
                return status, payload, {}
        return 404, {"errorMessages": [f"no route {method} {path}"]}, {}

    def _server_info(self) -> tuple[int, Any]:
        if self.cloud:
            return 200, {
                "baseUrl": self.url,
                "version": "1001.0.0-SNAPSHOT",
                "versionNumbers": [1001, 0, 0],
                "deploymentType": "Cloud",
                "serverTitle": "Fake Cloud",
            }
        return 200, {
            "baseUrl": self.url,
            "version": "9.12.2",
            "versionNumbers": [9, 12, 2],
            "deploymentType": "Server",
            "serverTitle": "Fake DC",
        }

    def _me(self) -> dict[str, Any]:
        return {
            "accountId": "acc-bot",
            "name": "actionbot",
            "displayName": "Action Bot",
            "emailAddress": self.email,
            "active": True,
            "hidden": self.bot_email_hidden,
        }

    def _user_json(self, u: dict[str, Any], version: str) -> dict[str, Any]:
        if self.cloud:
            out = {
                "self": f"{self.url}/rest/api/{version}/user?accountId={u['accountId']}",
                "accountId": u["accountId"],
                "accountType": "atlassian",
                "displayName": u["displayName"],
                "active": u["active"],
            }
            if u.get("emailAddress") and not u.get("hidden"):
                out["emailAddress"] = u["emailAddress"]
            return out
        return {
            "self": f"{self.url}/rest/api/2/user?username={u['name']}",
            "name": u["name"],
            "key": u["name"],
            "displayName": u["displayName"],
            "emailAddress": u.get("emailAddress"),
            "active": u["active"],
        }

    def _user_search(self, q: dict[str, str], version: str) -> list[dict[str, Any]]:
        term = ((q.get("query") if self.cloud else q.get("username")) or "").lower()
        hits = []
        for u in [*self.users, self._me()]:
            visible_email = "" if (self.cloud and u.get("hidden")) else (u.get("emailAddress") or "").lower()
            names = [u["displayName"].lower(), visible_email] + ([] if self.cloud else [u["name"]])
            if term and any(term in n for n in names) and u["active"]:
                hits.append(self._user_json(u, version))
        return hits

    def _project(self, key: str) -> tuple[int, Any]:
        p = self.projects.get(key)
        if p is None:
            return 404, {"errorMessages": [f"No project could be found with key '{key}'."], "errors": {}}
        return 200, {
            "self": f"{self.url}/rest/api/2/project/{p['id']}",
            "id": p["id"],
            "key": key,
            "name": p["name"],
            "issueTypes": [
                {**t, "self": f"{self.url}/it/{t['id']}", "subtask": False} for t in self.issue_types
            ],
        }

    def _createmeta(self, key: str, type_id: str) -> tuple[int, Any]:
        entries = [
            {
                "fieldId": f,
                "name": f.title(),
                "required": f in ("summary", "project", "issuetype"),
                "hasDefaultValue": False,
            }
            for f in sorted(self.screen)
        ]
        entries += [
            {"fieldId": f, "name": n, "required": True, "hasDefaultValue": False}
            for f, n in self.required_extra.items()
        ]
        return 200, (
            {"fields": entries, "total": len(entries)} if self.cloud else {"values": entries, "isLast": True}
        )

    def _create(self, version: str, body: Any) -> tuple[int, Any]:
        fields = (body or {}).get("fields") or {}
        errors = self._validate(version, fields)
        if errors:
            return 400, {"errorMessages": [], "errors": errors}
        time.sleep(self.create_delay)  # widens the window in which a second creator could race
        with self._lock:
            key = fields["project"]["key"]
            number = sum(1 for k in self.issues if k.startswith(key + "-")) + 1
            issue_id = str(10000 + len(self.issues) + 1)
            issue = {
                "id": issue_id,
                "key": f"{key}-{number}",
                "self": f"{self.url}/rest/api/{version}/issue/{issue_id}",
            }
            self.issues[issue["key"]] = {**issue, "fields": copy.deepcopy(fields)}
        return 201, issue

    def _validate(self, version: str, fields: dict[str, Any]) -> dict[str, str]:
        errors: dict[str, str] = {}
        key = (fields.get("project") or {}).get("key")
        if key not in self.projects:
            return {"project": "valid project is required"}
        if (fields.get("issuetype") or {}).get("name") not in {t["name"] for t in self.issue_types}:
            errors["issuetype"] = "Specify a valid issue type"
        for name in fields:
            if name not in self.screen:
                errors[name] = (
                    f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
                )
        errors.update({f: f"{n} is required." for f, n in self.required_extra.items() if f not in fields})
        summary = fields.get("summary") or ""
        if not summary.strip():
            errors["summary"] = "You must specify a summary of the issue."
        elif len(summary.encode("utf-16-le")) // 2 > 255 or "\n" in summary:  # Java counts UTF-16 units
            errors["summary"] = "Summary must be less than 255 characters."
        desc = fields.get("description")
        if version == "3" and desc is not None and not (isinstance(desc, dict) and desc.get("type") == "doc"):
            errors["description"] = (
                "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
            )
        if version != "3" and desc is not None and not isinstance(desc, str):
            errors["description"] = "Operation value must be a string"
        if (
            "priority" in fields
            and "priority" not in errors
            and fields["priority"].get("name") not in PRIORITIES
        ):
            errors["priority"] = "The priority selected is invalid."
        if any(" " in label for label in fields.get("labels", [])):
            errors["labels"] = "The label contains spaces which is invalid."
        if "duedate" in fields and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(fields["duedate"])):
            errors["duedate"] = f"Error parsing date string: {fields['duedate']}"
        if "assignee" in fields and "assignee" not in errors and self._assignee(fields["assignee"]) is None:
            errors["assignee"] = "User cannot be assigned issues."
        return errors

    def _assignee(self, ref: dict[str, str]) -> dict[str, Any] | None:
        attr, value = ("accountId", ref.get("accountId")) if self.cloud else ("name", ref.get("name"))
        return next((u for u in self.users if u[attr] == value and u["assignable"]), None)

    def _assign(self, key: str, body: Any) -> tuple[int, Any]:
        if key not in self.issues:
            return 404, {"errorMessages": ["Issue does not exist"]}
        if self._assignee(body or {}) is None:
            return 400, {"errorMessages": [], "errors": {"assignee": "User cannot be assigned issues."}}
        self.issues[key]["fields"]["assignee"] = body
        return 204, None

    def _search(self, params: dict[str, Any], cloud_api: bool) -> tuple[int, Any]:
        if cloud_api != self.cloud:
            # Cloud removed /search (410); Data Center has no /search/jql.
            return (
                (410, {"errorMessages": ["The requested API has been removed."]})
                if self.cloud
                else (404, None)
            )
        m = _JQL_LABEL.match(str(params.get("jql", "")).strip())
        if not m:
            return 400, {"errorMessages": ["Unsupported JQL in the fake"], "errors": {}}
        found = [
            {"id": i["id"], "key": i["key"], "self": i["self"], "fields": {"summary": i["fields"]["summary"]}}
            for i in self.issues.values()
            if m.group(1) in i["fields"].get("labels", [])
        ]
        if cloud_api:
            return 200, {"issues": found, "isLast": True}
        return 200, {"startAt": 0, "maxResults": 50, "total": len(found), "issues": found}


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
