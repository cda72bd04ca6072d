"""Turn `jira`/`requests` failures into IntegrationError (status, cause, fix; no secrets) and retry
the retryable ones a bounded number of times, honouring Retry-After."""

from __future__ import annotations

import email.utils
import logging
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from jira.exceptions import JIRAError
from tenacity import RetryCallState, Retrying, stop_after_attempt, wait_exponential_jitter

from integrations.errors import (
    AuthError,
    FieldError,
    IntegrationError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    TrackerTimeoutError,
    UnexpectedResponseError,
    UnreachableError,
)

logger = logging.getLogger(__name__)

# What to do about a 400 on a given field of the create request.
FIELD_FIXES = {
    "priority": "set JIRA_PRIORITY_MAP=none to stop sending priority, or add the Priority field to the "
    "create screen of {where} (and check JIRA_PRIORITY_MAP names match Jira's priorities)",
    "duedate": "add the Due date field to the create screen of {where}",
    "labels": "add the Labels field to the create screen of {where} (actionbot marks issues with a label "
    "to avoid duplicates)",
    "issuetype": "set JIRA_ISSUE_TYPE to an issue type of the project (`actionbot jira check` lists them)",
    "project": "check JIRA_PROJECT / JIRA_PROJECT_MAP: the key must exist and be visible to the Jira user",
    "description": "check JIRA_DEPLOYMENT: Cloud takes REST v3 (ADF), Data Center REST v2 (wiki text)",
    "summary": "shorten the task text",
    "assignee": "map the owner in JIRA_USER_MAP_FILE to a user who can be assigned in {where}",
}


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry 429, 5xx, timeouts and refused connections."""

    max_attempts: int = 4
    max_wait_s: float = 30.0


def redact(text: str, secrets: list[str]) -> str:
    """Replace every secret value in `text` with ***, also where it appears repr-escaped."""
    for secret in secrets:
        for form in dict.fromkeys([secret, secret.encode("unicode_escape").decode("ascii")]):
            text = text.replace(form, "***")
    return text


def _login_denied(exc: JIRAError) -> str | None:
    """Why Jira refused the login outright (CAPTCHA after failed logins), from its 403 headers."""
    headers = exc.response.headers if exc.response is not None else {}
    reason = headers.get("X-Authentication-Denied-Reason") or ""
    if reason or "AUTHENTICATION_DENIED" in (headers.get("X-Seraph-LoginReason") or ""):
        return reason.split(";")[0].strip() or "AUTHENTICATION_DENIED"
    return None


def _jira_messages(exc: JIRAError) -> tuple[list[str], dict[str, str]]:
    """Jira's errorMessages and per-field errors from the response body (never the request)."""
    body: Any = None
    if exc.response is not None:
        try:
            body = exc.response.json()
        except ValueError:
            body = None
    if not isinstance(body, dict):
        return ([exc.text] if exc.text else []), {}
    messages = [str(m) for m in body.get("errorMessages") or []]
    for key in ("message", "errorMessage"):
        if body.get(key):
            messages.append(str(body[key]))
    errors = body.get("errors")
    return messages, ({str(k): str(v) for k, v in errors.items()} if isinstance(errors, dict) else {})


def _retry_after(exc: JIRAError) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date)."""
    value = exc.response.headers.get("Retry-After") if exc.response is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        when = email.utils.parsedate_to_datetime(value) if email.utils.parsedate(value) else None
        return max(0.0, when.timestamp() - time.time()) if when else None


def from_jira_error(exc: JIRAError, what: str, where: str, auth_fix: str) -> IntegrationError:
    """Map one JIRAError to the IntegrationError subclass for its status."""
    status = exc.status_code
    messages, fields = _jira_messages(exc)
    cause = "; ".join(messages + [f"{k}: {v}" for k, v in fields.items()]) or (exc.text or "no details")
    if status == 401:
        return AuthError(f"{what}: Jira rejected the credentials", status_code=401, cause=cause, fix=auth_fix)
    if status == 403 and (denied := _login_denied(exc)):
        # https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/#captcha
        return AuthError(
            f"{what}: Jira refused the login until someone solves a CAPTCHA",
            status_code=403,
            cause=denied,
            fix="log in to JIRA_URL once in a browser as the Jira user and solve the CAPTCHA (Jira shows "
            f"one after failed logins), then {auth_fix}",
        )
    if status == 403:
        return PermissionDeniedError(
            f"{what}: the Jira user lacks a permission",
            status_code=403,
            cause=cause,
            fix=f"grant the Jira user Browse projects and Create issues in {where}",
        )
    if status == 404:
        return NotFoundError(
            f"{what}: not found in Jira",
            status_code=404,
            cause=cause,
            fix="check JIRA_URL and JIRA_PROJECT / JIRA_PROJECT_MAP (the key must be visible "
            "to the Jira user)",
        )
    if status == 400 and fields:
        fixes = [
            FIELD_FIXES.get(
                k, f"add the field {k!r} to the create screen of {where} or give it a default"
            ).format(where=where)
            for k in fields
        ]
        return FieldError(
            f"{what}: Jira rejected fields {', '.join(fields)}",
            fields=fields,
            status_code=400,
            cause=cause,
            fix="; ".join(dict.fromkeys(fixes)),
        )
    if status == 429:
        wait = _retry_after(exc)
        return RateLimitedError(
            f"{what}: Jira is rate limiting",
            retry_after=wait,
            status_code=429,
            cause=cause,
            fix=f"try again in {wait:.0f} s" if wait is not None else "try again later",
        )
    if status is not None and status >= 500:
        return ServerError(
            f"{what}: Jira server error",
            status_code=status,
            cause=cause,
            retry_after=_retry_after(exc),
            fix="try again later; check Jira's status page if it persists",
        )
    return IntegrationError(
        f"{what}: Jira refused the request", status_code=status, cause=cause, fix="see Jira's message above"
    )


@contextmanager
def translated(what: str, *, where: str, auth_fix: str, secrets: list[str]) -> Iterator[None]:
    """Re-raise client failures as IntegrationError, with secrets redacted and the client error dropped.

    `from None` matters: str(JIRAError) includes the request headers, i.e. the Authorization header.
    """
    try:
        yield
    except JIRAError as exc:
        err = from_jira_error(exc, what, where, auth_fix)
    except requests.exceptions.Timeout as exc:
        err = TrackerTimeoutError(
            f"{what}: Jira did not answer in time",
            cause=type(exc).__name__,
            fix="raise JIRA_TIMEOUT_S or check the network path to JIRA_URL",
        )
    except requests.exceptions.ConnectionError as exc:
        err = UnreachableError(
            f"{what}: cannot connect to Jira",
            cause=type(exc).__name__,
            fix="check JIRA_URL (host, port, https) and that Jira is up and reachable",
        )
    except (requests.exceptions.RequestException, ValueError, KeyError, TypeError) as exc:
        # Non-JSON bodies (a login page, a proxy), JSON of another shape, TLS or redirect loops. The
        # traceback goes to DEBUG so a bug of ours stays findable, redacted: requests quotes a header
        # value it refuses (InvalidHeader), and that header is Authorization.
        logger.debug(
            "%s: unexpected answer\n%s", what, redact("".join(traceback.format_exception(exc)), secrets)
        )
        err = UnexpectedResponseError(
            f"{what}: unexpected answer from JIRA_URL",
            cause=type(exc).__name__,
            fix="check JIRA_URL is the Jira site root (https://acme.atlassian.net or your Data Center base URL)",
        )
    else:
        return
    err.message, err.cause, err.fix = (redact(s, secrets) for s in (err.message, err.cause, err.fix))
    raise err from None


def _should_retry(policy: RetryPolicy) -> Callable[[RetryCallState], bool]:
    def check(state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        if not isinstance(exc, IntegrationError) or not exc.retryable:
            return False
        # A Retry-After longer than we are willing to block means: give up now, caller retries later.
        return (exc.retry_after or 0) <= policy.max_wait_s

    return check


def _wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    backoff = wait_exponential_jitter(initial=0.5, max=policy.max_wait_s)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, IntegrationError) and exc.retry_after is not None:
            return exc.retry_after
        return float(backoff(state))

    return wait


def retrying(what: str, policy: RetryPolicy, sleep: Callable[[float], None]) -> Retrying:
    """A tenacity loop for one logical call: bounded attempts, Retry-After honoured, last error re-raised."""

    def log(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0
        logger.warning(
            "%s failed (attempt %d/%d): %s; retrying in %.1f s",
            what,
            state.attempt_number,
            policy.max_attempts,
            exc,
            wait,
        )

    return Retrying(
        stop=stop_after_attempt(policy.max_attempts),
        wait=_wait(policy),
        retry=_should_retry(policy),
        sleep=sleep,
        before_sleep=log,
        reraise=True,
    )
