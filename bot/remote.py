"""RemoteRunner: extraction through the HTTP extraction service (EXTRACTOR_URL) instead of a
model loaded in the bot process. Same `run()` as ExtractionRunner, so jobs don't care which.

Contract: POST {EXTRACTOR_URL}/v1/extract with {"text", "format", "meeting_date", "tz"} ->
200 {"action_items": [...], "warnings": [...], "model", "latency_s", "valid_json"};
errors are {"detail": str} with 413/415/422 (the input) or 503 (busy; may carry Retry-After)."""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from pydantic import ValidationError
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from bot.errors import RemoteExtractionError, RemoteInputError
from extractor.schema import ActionItem

logger = logging.getLogger(__name__)

EXTRACT_PATH = "/v1/extract"
INPUT_STATUSES = frozenset({413, 415, 422})
# Transient on the service's side: worth another attempt (a 4xx other than these is our bug).
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER_S = 60.0


@dataclass(frozen=True)
class RemoteResult:
    """What the service returned, shaped like extractor.pipeline.ExtractionResult where jobs read it."""

    items: list[ActionItem]
    model: str
    latency_s: float
    valid_json: bool
    warnings: list[str] = field(default_factory=list)


class _Transient(Exception):
    """A response worth retrying; carries the server's Retry-After (seconds), if any."""

    def __init__(self, status: int, detail: str, retry_after: float | None):
        super().__init__(f"HTTP {status}: {detail}")
        self.status, self.detail, self.retry_after = status, detail, retry_after


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), capped."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - (now or dt.datetime.now(dt.UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def _detail(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200] or resp.reason_phrase
    detail = body.get("detail") if isinstance(body, dict) else None
    return str(detail)[:500] if detail else resp.reason_phrase


def _retryable(exc: BaseException) -> bool:
    # A read timeout is not retried: the service may still be working on it, and a second
    # request would double its load. Connect failures never reached it.
    return isinstance(exc, (_Transient, httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError))


class RemoteRunner:
    """Calls the extraction service; bounded retries on connect errors and 5xx/503 (Retry-After honoured)."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = 120.0,
        attempts: int = 3,
        backoff_s: float = 1.0,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if attempts < 1:
            raise ValueError("attempts: must be at least 1")
        self.url = base_url.rstrip("/") + EXTRACT_PATH
        self.attempts, self.backoff_s, self._sleep = attempts, backoff_s, sleep
        self._client = client or httpx.Client(timeout=httpx.Timeout(timeout_s, connect=min(10.0, timeout_s)))

    def prepare(self) -> None:
        """Nothing to load: the model lives in the service."""
        logger.info("extraction runs remotely at %s", self.url)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Transient) and exc.retry_after is not None:
            return exc.retry_after
        return wait_exponential(multiplier=self.backoff_s, max=30)(state)

    def _post_once(self, payload: dict) -> httpx.Response:
        # The service's own contract (docs/slack.md, "Remote extraction"): POST /v1/extract.
        resp = self._client.post(self.url, json=payload)
        if resp.status_code in RETRY_STATUSES:
            raise _Transient(
                resp.status_code, _detail(resp), parse_retry_after(resp.headers.get("Retry-After"))
            )
        return resp

    def run(self, text: str, *, meeting_date: dt.date | None, tz: str | None) -> RemoteResult:
        """Extract items from `text` remotely; raise RemoteInputError (the input) or RemoteExtractionError."""
        payload = {
            "text": text,
            "format": "auto",
            "meeting_date": meeting_date.isoformat() if meeting_date else None,
            "tz": tz,
        }
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            retry=retry_if_exception(_retryable),
            sleep=self._sleep,
            reraise=True,
            before_sleep=lambda s: logger.warning(
                "extraction service: %s; retrying (attempt %d)",
                s.outcome.exception() if s.outcome else "?",
                s.attempt_number + 1,
            ),
        )
        try:
            resp = retrying(self._post_once, payload)
        except _Transient as exc:
            raise RemoteExtractionError(f"the extraction service is unavailable ({exc})") from exc
        except httpx.TimeoutException as exc:
            raise RemoteExtractionError(
                f"the extraction service did not answer in time ({exc.__class__.__name__})"
            ) from exc
        except httpx.HTTPError as exc:
            raise RemoteExtractionError(f"can't reach the extraction service at {self.url} ({exc})") from exc
        if resp.status_code in INPUT_STATUSES:
            raise RemoteInputError(_detail(resp))
        if resp.status_code != 200:
            raise RemoteExtractionError(
                f"the extraction service answered HTTP {resp.status_code}: {_detail(resp)}"
            )
        return self._result(resp)

    @staticmethod
    def _result(resp: httpx.Response) -> RemoteResult:
        try:
            body = resp.json()
            items = [ActionItem.model_validate(it) for it in body["action_items"]]
            result = RemoteResult(
                items=items,
                model=str(body.get("model") or "remote"),
                latency_s=float(body.get("latency_s") or 0.0),
                valid_json=bool(body.get("valid_json", True)),
                warnings=[str(w) for w in body.get("warnings") or []],
            )
        except (ValueError, KeyError, TypeError, AttributeError, ValidationError) as exc:
            # ValidationError is a ValueError; listed for the reader.
            raise RemoteExtractionError(
                f"the extraction service sent an unexpected response ({exc})"[:500]
            ) from exc
        logger.info(
            "extraction service: %d item(s), model %s, %.2fs", len(items), result.model, result.latency_s
        )
        return result

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()
