"""BotSettings: every knob of the Slack bot, built once from an environment mapping."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_DB_URL = "sqlite:///actionbot.db"
MB = 1024 * 1024


def _csv(value: str | None) -> frozenset[str]:
    return frozenset(p.strip() for p in (value or "").split(",") if p.strip())


def _bool(name: str, value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    low = value.strip().lower()
    if low in {"1", "true", "yes", "on"}:
        return True
    if low in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name}: expected true/false, got {value!r}")


def _float(name: str, value: str | None, default: float) -> float:
    if value is None or value.strip() == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name}: expected a number of seconds, got {value!r}") from None
    if number <= 0:
        raise ValueError(f"{name}: must be more than 0, got {value!r}")
    return number


def _int(name: str, value: str | None, default: int, minimum: int) -> int:
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name}: expected a whole number, got {value!r}") from None
    if number < minimum:
        raise ValueError(f"{name}: must be at least {minimum}, got {number}")
    return number


@dataclass(frozen=True)
class BotSettings:
    """Configuration of the Slack bot (see .env.example for the variables)."""

    bot_token: str = field(metadata={"help": "SLACK_BOT_TOKEN: the xoxb- bot token"})
    signing_secret: str | None = field(
        default=None,
        metadata={"help": "SLACK_SIGNING_SECRET: verifies HTTP requests (required in HTTP mode)"},
    )
    app_token: str | None = field(
        default=None, metadata={"help": "SLACK_APP_TOKEN: xapp- token; when set the bot runs in Socket Mode"}
    )
    api_url: str = field(
        default="https://slack.com/api/",
        metadata={"help": "SLACK_API_URL: Web API base (tests point it at a fake)"},
    )
    db_url: str = field(
        default=DEFAULT_DB_URL,
        metadata={"help": "ACTIONBOT_DB_URL: SQLAlchemy URL (SQLite file or Postgres)"},
    )
    workers: int = field(default=1, metadata={"help": "ACTIONBOT_WORKERS: extractions run at the same time"})
    queue_size: int = field(
        default=8,
        metadata={"help": "ACTIONBOT_QUEUE_SIZE: extractions that may wait; more are refused politely"},
    )
    ticket_workers: int = field(
        default=4,
        metadata={
            "help": "ACTIONBOT_TICKET_WORKERS: Jira calls at the same time; up to 8 per worker more may wait"
        },
    )
    max_file_bytes: int = field(
        default=5 * MB, metadata={"help": "ACTIONBOT_MAX_FILE_BYTES: largest transcript file fetched"}
    )
    file_hosts: frozenset[str] = field(
        default=frozenset({"files.slack.com"}),
        metadata={"help": "ACTIONBOT_SLACK_FILE_HOSTS: hosts url_private may point at (comma-separated)"},
    )
    allow_http_files: bool = field(
        default=False,
        metadata={"help": "ACTIONBOT_ALLOW_HTTP_FILES: accept http:// file URLs (local tests only)"},
    )
    timezone: str = field(
        default="UTC", metadata={"help": "ACTIONBOT_TZ: zone used to date a meeting from its Slack message"}
    )
    ticket_channels: frozenset[str] = field(
        default=frozenset(),
        metadata={
            "help": "ACTIONBOT_TICKET_CHANNELS: channel ids where items may be filed, edited or dismissed (empty: all)"
        },
    )
    ticket_users: frozenset[str] = field(
        default=frozenset(),
        metadata={
            "help": "ACTIONBOT_TICKET_USERS: user ids who may file, edit or dismiss items (empty: all)"
        },
    )
    max_channel_members: int = field(
        default=100,
        metadata={
            "help": "ACTIONBOT_MAX_CHANNEL_MEMBERS: look up owners among channel members up to this size"
        },
    )
    stale_claim_s: int = field(
        default=600, metadata={"help": "ACTIONBOT_STALE_CLAIM_S: a claim older than this is taken over"}
    )
    extractor_url: str | None = field(
        default=None,
        metadata={
            "help": "EXTRACTOR_URL: base URL of the extraction service; when set no model is loaded here"
        },
    )
    extractor_timeout_s: float = field(
        default=120.0, metadata={"help": "EXTRACTOR_TIMEOUT: seconds to wait for one extraction service call"}
    )
    extractor_attempts: int = field(
        default=3, metadata={"help": "EXTRACTOR_ATTEMPTS: tries per extraction on connect errors and 5xx/503"}
    )
    debug: bool = field(default=False, metadata={"help": "DEBUG: log transcripts and model output"})

    def __post_init__(self) -> None:
        if not self.bot_token.startswith("xoxb-"):
            raise ValueError("SLACK_BOT_TOKEN: must be a bot token starting with xoxb-")
        if self.app_token is not None and not self.app_token.startswith("xapp-"):
            raise ValueError("SLACK_APP_TOKEN: must be an app-level token starting with xapp-")
        if self.app_token is None and not self.signing_secret:
            raise ValueError(
                "SLACK_SIGNING_SECRET: required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)"
            )
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"ACTIONBOT_TZ: unknown time zone {self.timezone!r}; use an IANA name") from None
        if self.extractor_url is not None and urlparse(self.extractor_url).scheme not in {"http", "https"}:
            raise ValueError(
                f"EXTRACTOR_URL: {self.extractor_url!r} is not an http(s) URL, e.g. http://extractor:8000"
            )
        if not self.file_hosts:
            raise ValueError("ACTIONBOT_SLACK_FILE_HOSTS: needs at least one host, e.g. files.slack.com")

    @property
    def socket_mode(self) -> bool:
        """True when an app-level token is configured."""
        return self.app_token is not None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> BotSettings:
        """Build settings from a mapping such as os.environ; raise ValueError naming the variable."""
        token = env.get("SLACK_BOT_TOKEN", "").strip()
        if not token:
            raise ValueError("SLACK_BOT_TOKEN: not set; copy .env.example to .env and fill it in")
        log_level = env.get("LOG_LEVEL", "").strip().upper()
        return cls(
            bot_token=token,
            signing_secret=env.get("SLACK_SIGNING_SECRET", "").strip() or None,
            app_token=env.get("SLACK_APP_TOKEN", "").strip() or None,
            api_url=env.get("SLACK_API_URL", "").strip() or "https://slack.com/api/",
            db_url=env.get("ACTIONBOT_DB_URL", "").strip() or DEFAULT_DB_URL,
            workers=_int("ACTIONBOT_WORKERS", env.get("ACTIONBOT_WORKERS"), 1, 1),
            queue_size=_int("ACTIONBOT_QUEUE_SIZE", env.get("ACTIONBOT_QUEUE_SIZE"), 8, 0),
            ticket_workers=_int("ACTIONBOT_TICKET_WORKERS", env.get("ACTIONBOT_TICKET_WORKERS"), 4, 1),
            max_file_bytes=_int("ACTIONBOT_MAX_FILE_BYTES", env.get("ACTIONBOT_MAX_FILE_BYTES"), 5 * MB, 1),
            file_hosts=_csv(env.get("ACTIONBOT_SLACK_FILE_HOSTS")) or frozenset({"files.slack.com"}),
            allow_http_files=_bool(
                "ACTIONBOT_ALLOW_HTTP_FILES", env.get("ACTIONBOT_ALLOW_HTTP_FILES"), False
            ),
            timezone=env.get("ACTIONBOT_TZ", "").strip() or "UTC",
            ticket_channels=_csv(env.get("ACTIONBOT_TICKET_CHANNELS")),
            ticket_users=_csv(env.get("ACTIONBOT_TICKET_USERS")),
            max_channel_members=_int(
                "ACTIONBOT_MAX_CHANNEL_MEMBERS", env.get("ACTIONBOT_MAX_CHANNEL_MEMBERS"), 100, 0
            ),
            stale_claim_s=_int("ACTIONBOT_STALE_CLAIM_S", env.get("ACTIONBOT_STALE_CLAIM_S"), 600, 1),
            extractor_url=env.get("EXTRACTOR_URL", "").strip() or None,
            extractor_timeout_s=_float("EXTRACTOR_TIMEOUT", env.get("EXTRACTOR_TIMEOUT"), 120.0),
            extractor_attempts=_int("EXTRACTOR_ATTEMPTS", env.get("EXTRACTOR_ATTEMPTS"), 3, 1),
            debug=_bool("DEBUG", env.get("DEBUG"), False) or log_level == "DEBUG",
        )

    def may_create_tickets(self, channel: str | None, user: str | None) -> bool:
        """True when the allowlists (if any) admit this channel and user."""
        if self.ticket_channels and channel not in self.ticket_channels:
            return False
        return not (self.ticket_users and user not in self.ticket_users)

    def describe(self) -> dict[str, str]:
        """Field name -> help text, for docs and `--help`."""
        return {f.name: f.metadata.get("help", "") for f in fields(self)}
