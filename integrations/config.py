"""JiraConfig: every Jira setting, built from an env-like mapping (never read from os.environ here)."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

from integrations.errors import ConfigError

DEFAULT_PRIORITY_MAP = {"high": "High", "medium": "Medium", "low": "Low"}
DEPLOYMENTS = ("cloud", "datacenter")
_PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9_]{0,254}$")
_OFF = {"none", "off", "false", "0"}


@dataclass(frozen=True)
class JiraConfig:
    """Jira connection and issue settings; build with `JiraConfig.from_env(os.environ)`."""

    url: str = field(metadata={"help": "JIRA_URL: site root, e.g. https://acme.atlassian.net"})
    project: str = field(metadata={"help": "JIRA_PROJECT: default project key, e.g. OPS"})
    email: str | None = field(
        default=None, metadata={"help": "JIRA_EMAIL: Cloud account email (with JIRA_API_TOKEN)"}
    )
    api_token: str | None = field(
        default=None, repr=False, metadata={"help": "JIRA_API_TOKEN: Cloud API token"}
    )
    pat: str | None = field(
        default=None, repr=False, metadata={"help": "JIRA_PAT: Data Center personal access token"}
    )
    deployment: str | None = field(
        default=None, metadata={"help": "JIRA_DEPLOYMENT: cloud | datacenter; unset = detect from serverInfo"}
    )
    issue_type: str = field(default="Task", metadata={"help": "JIRA_ISSUE_TYPE: issue type name"})
    priority_map: dict[str, str] | None = field(
        default_factory=lambda: dict(DEFAULT_PRIORITY_MAP),
        metadata={"help": "JIRA_PRIORITY_MAP: high:High,medium:Medium,low:Low; 'none' sends no priority"},
    )
    labels: tuple[str, ...] = field(
        default=("actionbot",), metadata={"help": "JIRA_LABELS: extra labels, comma-separated"}
    )
    project_map: dict[str, str] = field(
        default_factory=dict,
        metadata={"help": "JIRA_PROJECT_MAP: Slack channel id -> project key, C123:OPS,C456:ENG"},
    )
    user_map_file: Path | None = field(
        default=None,
        metadata={
            "help": "JIRA_USER_MAP_FILE: JSON/YAML, Slack id/email/name -> accountId, username or Jira e-mail"
        },
    )
    timeout_s: float = field(
        default=10.0, metadata={"help": "JIRA_TIMEOUT_S: connect/read timeout per request"}
    )
    max_attempts: int = field(
        default=4, metadata={"help": "JIRA_MAX_ATTEMPTS: tries per call for 429/5xx/timeouts"}
    )
    max_retry_wait_s: float = field(
        default=30.0,
        metadata={"help": "JIRA_MAX_RETRY_WAIT_S: longest wait between tries (longer Retry-After fails)"},
    )

    def __post_init__(self) -> None:
        parsed = urlparse(self.url or "")
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ConfigError("JIRA_URL: set the Jira site root, e.g. https://acme.atlassian.net")
        if parsed.username or parsed.password:
            raise ConfigError(
                "JIRA_URL: remove the credentials from the URL; use JIRA_EMAIL/JIRA_API_TOKEN or JIRA_PAT"
            )
        for name, key in [
            ("JIRA_PROJECT", self.project),
            *((f"JIRA_PROJECT_MAP[{c}]", k) for c, k in self.project_map.items()),
        ]:
            if not _PROJECT_KEY.match(key or ""):
                raise ConfigError(f"{name}: {key!r} is not a project key; use the upper-case key, e.g. OPS")
        if self.deployment is not None and self.deployment not in DEPLOYMENTS:
            raise ConfigError(
                f"JIRA_DEPLOYMENT: {self.deployment!r} is not cloud or datacenter (or leave it unset)"
            )
        if not self.issue_type.strip():
            raise ConfigError("JIRA_ISSUE_TYPE: must not be blank (default Task)")
        if self.priority_map is not None and set(self.priority_map) - set(DEFAULT_PRIORITY_MAP):
            raise ConfigError(
                "JIRA_PRIORITY_MAP: keys must be high, medium, low, e.g. high:Highest,low:Lowest"
            )
        for label in self.labels:
            if not label or any(ch.isspace() for ch in label):
                raise ConfigError(f"JIRA_LABELS: {label!r} is not a Jira label (labels have no spaces)")
        for name, ok in [
            ("JIRA_TIMEOUT_S", self.timeout_s > 0),
            ("JIRA_MAX_ATTEMPTS", self.max_attempts >= 1),
            ("JIRA_MAX_RETRY_WAIT_S", self.max_retry_wait_s >= 0),
        ]:
            if not ok:
                raise ConfigError(f"{name}: must be positive (timeout > 0 s, attempts >= 1, wait >= 0 s)")
        for name, value in [("JIRA_API_TOKEN", self.api_token), ("JIRA_PAT", self.pat)]:
            # A pasted token with a line break or a typographic character would reach requests, which
            # fails with an encoding error naming nothing useful, or quotes the header (the token) back.
            if value is not None and not all(33 <= ord(ch) < 127 for ch in value):
                raise ConfigError(
                    f"{name}: contains a space, line break or non-ASCII character; copy the token again "
                    "(tokens are plain ASCII)"
                )
        if self.email is not None and (
            "@" not in self.email or any(ch.isspace() or ord(ch) > 255 for ch in self.email)
        ):
            raise ConfigError("JIRA_EMAIL: set the e-mail of the Jira account, e.g. actionbot@acme.com")
        self.auth_kind()  # raises when the credentials do not fit

    def auth_kind(self) -> str:
        """'basic' (email + API token, Cloud) or 'bearer' (personal access token, Data Center)."""
        basic = bool(self.email and self.api_token)
        if self.deployment == "cloud" or (self.deployment is None and basic and not self.pat):
            if not basic:
                raise ConfigError(
                    "JIRA_EMAIL and JIRA_API_TOKEN: both are needed for Jira Cloud "
                    "(create a token at https://id.atlassian.com/manage-profile/security/api-tokens)"
                )
            return "basic"
        if self.deployment == "datacenter" or (self.deployment is None and self.pat and not basic):
            if not self.pat:
                raise ConfigError(
                    "JIRA_PAT: set a personal access token for Jira Data Center "
                    "(Profile > Personal Access Tokens)"
                )
            return "bearer"
        if basic and self.pat:
            raise ConfigError(
                "JIRA_DEPLOYMENT: both JIRA_API_TOKEN and JIRA_PAT are set; set "
                "JIRA_DEPLOYMENT=cloud or datacenter to pick one"
            )
        raise ConfigError(
            "JIRA_EMAIL + JIRA_API_TOKEN (Cloud) or JIRA_PAT (Data Center): no Jira credentials are set"
        )

    def secrets(self) -> list[str]:
        """Values that must never appear in messages or logs (the tokens, and the Basic header they make)."""
        found = [s for s in (self.api_token, self.pat) if s]
        if self.email and self.api_token:
            pair = f"{self.email}:{self.api_token}".encode("latin-1")
            found.append(base64.b64encode(pair).decode("ascii"))
        return found

    def project_for(self, channel_id: str | None) -> str:
        """The project for a Slack channel: the per-channel mapping, else the default."""
        return self.project_map.get(channel_id or "", self.project)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> JiraConfig:
        """Build from JIRA_* variables in `env` (pass os.environ at the edge)."""

        def get(name: str) -> str | None:
            value = env.get(name)
            return value.strip() if value and value.strip() else None

        kwargs: dict[str, Any] = {
            "url": (get("JIRA_URL") or "").rstrip("/"),
            "project": get("JIRA_PROJECT") or "",
            "email": get("JIRA_EMAIL"),
            "api_token": get("JIRA_API_TOKEN"),
            "pat": get("JIRA_PAT"),
            "deployment": (get("JIRA_DEPLOYMENT") or "").lower().replace("-", "").replace("_", "") or None,
            "issue_type": get("JIRA_ISSUE_TYPE") or "Task",
            "project_map": _pairs("JIRA_PROJECT_MAP", get("JIRA_PROJECT_MAP")),
        }
        if kwargs["deployment"] in ("dc", "server"):
            kwargs["deployment"] = "datacenter"
        priority = get("JIRA_PRIORITY_MAP")
        if priority is not None:
            kwargs["priority_map"] = (
                None
                if priority.lower() in _OFF
                else {**DEFAULT_PRIORITY_MAP, **_pairs("JIRA_PRIORITY_MAP", priority, lower_keys=True)}
            )
        labels = get("JIRA_LABELS")
        if labels is not None:
            kwargs["labels"] = (
                () if labels.lower() in _OFF else tuple(x.strip() for x in labels.split(",") if x.strip())
            )
        if get("JIRA_USER_MAP_FILE"):
            kwargs["user_map_file"] = Path(get("JIRA_USER_MAP_FILE") or "")
        for name, attr, kind in [
            ("JIRA_TIMEOUT_S", "timeout_s", float),
            ("JIRA_MAX_ATTEMPTS", "max_attempts", int),
            ("JIRA_MAX_RETRY_WAIT_S", "max_retry_wait_s", float),
        ]:
            raw = get(name)
            if raw is not None:
                try:
                    kwargs[attr] = kind(raw)
                except ValueError:
                    raise ConfigError(f"{name}: {raw!r} is not a number") from None
        return cls(**kwargs)


def _pairs(name: str, raw: str | None, lower_keys: bool = False) -> dict[str, str]:
    """Parse `a:B,c:D` (or `a=B`) into a dict, naming the variable on bad input."""
    out: dict[str, str] = {}
    for part in (raw or "").split(","):
        if not part.strip():
            continue
        key, sep, value = part.replace("=", ":", 1).partition(":")
        if not sep or not key.strip() or not value.strip():
            raise ConfigError(f"{name}: {part.strip()!r} is not key:value; write e.g. C123:OPS,C456:ENG")
        out[key.strip().lower() if lower_keys else key.strip()] = value.strip()
    return out


def load_user_map(path: Path) -> dict[str, str]:
    """Read a JSON/YAML mapping of email, Slack user id or owner name -> Jira accountId (Cloud), username
    (Data Center) or the e-mail of the Jira account (looked up exactly)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"JIRA_USER_MAP_FILE: cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError(
            f"JIRA_USER_MAP_FILE: {path} is not valid {path.suffix.lstrip('.') or 'YAML'}: "
            f"{str(exc).splitlines()[0]}"
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in data.items()
    ):
        raise ConfigError(
            f"JIRA_USER_MAP_FILE: {path} must map strings to strings, e.g. "
            '{"dana@example.com": "5b10ac8d82e05b22cc7d4ef5", "U024BE7LH": "dana"}'
        )
    return {k.strip().casefold(): v.strip() for k, v in data.items()}
