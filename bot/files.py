"""Fetch a shared transcript file from Slack: only from Slack's file host, only with the bot
token, only small files of the transcript types we read."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlparse

from bot.errors import FileRejectedError
from bot.settings import BotSettings

logger = logging.getLogger(__name__)

TEXT_TYPES = frozenset(
    {
        "text/plain",
        "text/markdown",
        "text/x-markdown",
        "text/vtt",
        "text/srt",
        "application/x-subrip",
        "application/octet-stream",
    }
)
DOCX_TYPES = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/zip",
        "application/octet-stream",
    }
)
CONTENT_TYPES = {
    ".txt": TEXT_TYPES,
    ".md": TEXT_TYPES,
    ".vtt": TEXT_TYPES,
    ".srt": TEXT_TYPES,
    ".docx": DOCX_TYPES,
}


@dataclass(frozen=True)
class SlackFile:
    """The parts of a files.info `file` object we use."""

    id: str
    name: str
    size: int
    mimetype: str
    url: str
    user: str | None
    shares: dict[str, Any]

    @property
    def extension(self) -> str:
        """Lower-case extension with the dot."""
        return PurePosixPath(self.name).suffix.lower()

    def share_ts(self, channel: str) -> tuple[str | None, str | None]:
        """(message ts, thread ts) of this file's share in `channel`, when Slack lists it."""
        for scope in ("public", "private"):
            for share in (self.shares.get(scope) or {}).get(channel) or []:
                return share.get("ts"), share.get("thread_ts")
        return None, None


def from_info(file: dict[str, Any]) -> SlackFile:
    """A SlackFile from a files.info / event `file` object."""
    return SlackFile(
        id=file["id"],
        name=file.get("name") or file.get("title") or file["id"],
        size=int(file.get("size") or 0),
        mimetype=(file.get("mimetype") or "").split(";")[0].strip().lower(),
        url=file.get("url_private_download") or file.get("url_private") or "",
        user=file.get("user"),
        shares=file.get("shares") or {},
    )


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def is_transcript_name(name: str | None) -> bool:
    """True for the extensions we read (.txt .md .vtt .srt .docx)."""
    return name is not None and PurePosixPath(name).suffix.lower() in CONTENT_TYPES


def check_file(file: SlackFile, settings: BotSettings) -> None:
    """Raise FileRejectedError unless `file` is a transcript we may fetch."""
    if file.extension not in CONTENT_TYPES:
        raise FileRejectedError(f"{file.name}: only {', '.join(sorted(CONTENT_TYPES))} files are read")
    if file.size > settings.max_file_bytes:
        raise FileRejectedError(
            f"{file.name} is {_mb(file.size)}; the limit is {_mb(settings.max_file_bytes)}"
        )
    if file.mimetype and file.mimetype not in CONTENT_TYPES[file.extension]:
        raise FileRejectedError(
            f"{file.name}: its type {file.mimetype} doesn't match a {file.extension} transcript"
        )
    check_url(file.url, settings)


def check_url(url: str, settings: BotSettings) -> None:
    """Raise FileRejectedError unless `url` is on a configured Slack file host."""
    parsed = urlparse(url)
    schemes = {"https", "http"} if settings.allow_http_files else {"https"}
    if parsed.scheme not in schemes or parsed.hostname not in settings.file_hosts:
        raise FileRejectedError("the file is not hosted by Slack, so I won't fetch it")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect could lead the bearer token off Slack's host; refuse them all.
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, ANN201
        raise FileRejectedError("Slack redirected the file download; is files:read granted?")


def download(file: SlackFile, token: str, settings: BotSettings, timeout_s: float = 30) -> bytes:
    """The file's bytes, fetched with the bot token; raises FileRejectedError."""
    check_file(file, settings)
    opener = urllib.request.build_opener(_NoRedirect)
    # https://api.slack.com/types/file#auth : url_private needs "Authorization: Bearer <bot token>"
    request = urllib.request.Request(file.url, headers={"Authorization": f"Bearer {token}"})
    try:
        with opener.open(request, timeout=timeout_s) as resp:
            ctype = (resp.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if ctype not in CONTENT_TYPES[file.extension]:
                # Slack answers a request it won't authorise with an HTML login page.
                raise FileRejectedError(
                    f"{file.name}: Slack sent {ctype or 'no content type'}, not a transcript"
                )
            data = resp.read(settings.max_file_bytes + 1)
    except urllib.error.HTTPError as exc:
        raise FileRejectedError(f"couldn't download {file.name} (HTTP {exc.code})") from exc
    except urllib.error.URLError as exc:
        raise FileRejectedError(f"couldn't download {file.name} ({exc.reason})") from exc
    if len(data) > settings.max_file_bytes:
        raise FileRejectedError(f"{file.name} is larger than the {_mb(settings.max_file_bytes)} limit")
    logger.info("downloaded file %s (%d bytes)", file.id, len(data))
    return data
