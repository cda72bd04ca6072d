"""Errors raised by the integrations package: each names the HTTP status, the cause and a fix."""

from __future__ import annotations


class IntegrationError(Exception):
    """Base class: a tracker call failed; the item it was for is untouched and may be retried."""

    # Whether repeating the same call later can succeed without a config change.
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        cause: str = "",
        fix: str = "",
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.cause = cause
        self.fix = fix
        self.retry_after = retry_after  # seconds Jira asked us to wait (Retry-After on 429/503)

    def __str__(self) -> str:
        text = self.message
        if self.status_code is not None:
            text += f" (HTTP {self.status_code})"
        if self.cause:
            text += f": {self.cause}"
        if self.fix:
            text += f". Fix: {self.fix}"
        return text


class ConfigError(IntegrationError, ValueError):
    """The tracker settings are missing or malformed (names the variable and the fix)."""


class AuthError(IntegrationError):
    """Jira refused the credentials (401)."""


class PermissionDeniedError(AuthError):
    """The credentials are valid but lack a permission (403)."""


class NotFoundError(IntegrationError):
    """A project, issue type or endpoint does not exist or is not visible (404)."""


class FieldError(IntegrationError):
    """Jira rejected one or more fields of the request (400); `fields` maps field -> Jira's message."""

    def __init__(self, message: str, *, fields: dict[str, str], **kwargs: object):
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.fields = dict(fields)


class UnexpectedResponseError(IntegrationError):
    """Jira (or whatever answers at JIRA_URL) sent something that is not the expected JSON."""


class RateLimitedError(IntegrationError):
    """Jira kept answering 429 after our bounded retries, or asked us to wait too long."""

    retryable = True


class ServerError(IntegrationError):
    """Jira answered 5xx (after bounded retries)."""

    retryable = True


class TrackerTimeoutError(IntegrationError):
    """Jira did not answer within the configured timeout."""

    retryable = True


class UnreachableError(IntegrationError):
    """No connection to Jira (refused, DNS failure, TLS failure)."""

    retryable = True


class StoreBusyError(IntegrationError):
    """Another process holds the CLI's store (a run filing items right now)."""

    retryable = True


class ItemFormatError(IntegrationError, ValueError):
    """An item or extraction JSON given to the CLI is not of the expected shape (names the field)."""
