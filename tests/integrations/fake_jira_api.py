"""What the fake Jira answers: its projects, users, issues and search, for Cloud (v2/v3) or Data Center
(v2). FakeJira (fake_jira.py) serves this over HTTP, records requests and injects failures."""

from __future__ import annotations

import base64
import copy
import re
import threading
import time
from typing import Any

from fake_jira_checks import PRIORITIES, create_errors

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
_JQL_LABEL = re.compile(r'^labels\s*=\s*"?([^"\s]+)"?$')


class JiraBehaviour:
    """The state and REST routes of one fake site; `cloud` picks Cloud's or Data Center's dialect."""

    def __init__(self, cloud: bool, email: str, token: str, pat: str):
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
        self.create_delay = 0.0
        self.bot_email_hidden = False
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """Base URL of the site (FakeJira knows its port)."""
        raise NotImplementedError

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
        return create_errors(
            fields,
            version=version,
            projects=set(self.projects),
            issue_types={t["name"] for t in self.issue_types},
            screen=self.screen,
            required_extra=self.required_extra,
            assignable=lambda ref: self._assignee(ref) is not None,
        )

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
