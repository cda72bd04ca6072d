"""The FastAPI app: POST /v1/extract, GET /healthz, GET /metrics. Build it with
`create_app(extractor, settings)`; the model is touched only by the Batcher's worker thread."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import logging
import time
from collections.abc import AsyncIterator
from concurrent.futures import Future
from contextlib import asynccontextmanager
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError, field_validator
from starlette.concurrency import run_in_threadpool

from extractor.errors import ExtractionError, InputError
from extractor.formats import FORMATS
from extractor.model import Extractor
from extractor.pipeline import ExtractionResult
from extractor.reading import read_input
from extractor.service.batcher import Batcher
from extractor.service.errors import QueueFullError
from extractor.service.metrics import ApiMetrics, MetricsMiddleware
from extractor.service.settings import ApiSettings
from extractor.turns import Transcript, normalize_transcript

logger = logging.getLogger(__name__)

JSON, MULTIPART = "application/json", "multipart/form-data"
MULTIPART_SLACK = 64 * 1024  # room for the multipart envelope around a maximum-size file
CLIENT_GONE = 499  # nginx's "client closed request"; only ever seen in metrics


class ExtractRequest(BaseModel):
    """A transcript to extract action items from."""

    text: str = Field(description="The transcript, in any supported format.")
    format: str = Field(default="auto", description=f"auto or one of: {', '.join(FORMATS)}.")
    meeting_date: dt.date | None = Field(default=None, description="YYYY-MM-DD; resolves 'Friday' and 'EOD'.")
    tz: str | None = Field(default=None, description="IANA time zone, e.g. Europe/Berlin.")

    @field_validator("format")
    @classmethod
    def _known_format(cls, v: str) -> str:
        if v not in ("auto", *FORMATS):
            raise ValueError(f"unknown format {v!r}; use auto or one of: {', '.join(FORMATS)}")
        return v

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, v: str | None) -> str | None:
        if v:
            try:
                ZoneInfo(v)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown time zone {v!r}; use an IANA name like Europe/Berlin") from exc
        return v or None


class ExtractResponse(BaseModel):
    """The Slack bot's client reads exactly these fields."""

    action_items: list[dict[str, Any]]
    warnings: list[str]
    model: str
    latency_s: float
    valid_json: bool


_UPLOAD_SCHEMA = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary", "description": ".txt .md .vtt .srt or .docx"},
        "format": {"type": "string", "default": "auto"},
        "meeting_date": {"type": "string", "format": "date"},
        "tz": {"type": "string"},
    },
}


class ClientGoneError(Exception):
    """The client disconnected before its result was ready."""


def _invalid(errors: list[Any], prefix: tuple[str, ...] = ("body",)) -> RequestValidationError:
    return RequestValidationError(
        [{"loc": (*prefix, *e["loc"]), "msg": e["msg"], "type": e["type"]} for e in errors]
    )


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(
            413, f"request body is {int(declared) / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB"
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, f"request body exceeds {limit / 1e6:.0f} MB; split the transcript")
    return bytes(body)


async def _parse(request: Request, settings: ApiSettings) -> tuple[ExtractRequest, bytes, str]:
    """(fields, transcript bytes, file name) from a JSON body or a multipart upload."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in (JSON, MULTIPART):
        raise HTTPException(
            415,
            f"unsupported content type {ctype or 'none'!r}; send {JSON} "
            f'{{"text": ...}} or {MULTIPART} with a "file" part',
        )
    body = await _read_capped(request, settings.max_bytes + MULTIPART_SLACK)
    if ctype == JSON:
        try:
            obj = json.loads(body)
        except ValueError as exc:
            raise _invalid([{"loc": (), "msg": f"malformed JSON: {exc}", "type": "json_invalid"}]) from exc
        try:
            fields = ExtractRequest.model_validate(obj)
        except ValidationError as exc:
            raise _invalid(exc.errors()) from exc
        return fields, fields.text.encode("utf-8"), "text"

    async def replay() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    # https://www.starlette.io/requests/#request-files
    form = await Request(request.scope, replay).form(
        max_files=1, max_fields=16, max_part_size=settings.max_bytes
    )
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise _invalid([{"loc": ("file",), "msg": 'multipart uploads need a "file" part', "type": "missing"}])
    values = {
        k: v for k in ("format", "meeting_date", "tz") if isinstance(v := form.get(k), str) and v.strip()
    }
    try:
        fields = ExtractRequest.model_validate({"text": "", **values})
    except ValidationError as exc:
        raise _invalid(exc.errors()) from exc
    return fields, await upload.read(), upload.filename or "upload"


def _prepare(data: bytes, name: str, fields: ExtractRequest, max_bytes: int) -> Transcript:
    """Decode and normalise; meetings with no date resolve deadlines against today (in tz)."""
    if len(data) > max_bytes:
        raise HTTPException(413, f"{name} is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB")
    text = read_input(data, filename=name, max_bytes=max_bytes)
    transcript = normalize_transcript(text, fmt=fields.format, meeting_date=fields.meeting_date, tz=fields.tz)
    if transcript.meeting_date is None and transcript.turns:
        today = dt.datetime.now(ZoneInfo(fields.tz)).date() if fields.tz else dt.date.today()
        note = f"no meeting date given or found; deadlines resolved against today ({today})"
        transcript = dataclasses.replace(
            transcript, meeting_date=today, warnings=(*transcript.warnings, note)
        )
    return transcript


async def _wait(request: Request, future: Future[ExtractionResult]) -> ExtractionResult:
    """The worker's result, or ClientGoneError (and the queued job cancelled) if the client leaves."""
    waiter = asyncio.wrap_future(future)
    # Mark late results as retrieved, so asyncio does not log them once nobody waits any more.
    waiter.add_done_callback(lambda f: f.cancelled() or f.exception())
    while True:
        done, _ = await asyncio.wait({waiter}, timeout=0.2)
        if done:
            return waiter.result()
        if await request.is_disconnected():
            future.cancel()  # dropped from the batch if the worker has not picked it up yet
            raise ClientGoneError


def create_app(extractor: Extractor, settings: ApiSettings) -> FastAPI:
    """The HTTP service around `extractor` (a real model, a remote backend or a fake)."""
    batcher_box: dict[str, Batcher] = {}
    metrics = ApiMetrics(lambda: batcher_box["b"].depth() if "b" in batcher_box else 0)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        batcher = Batcher(
            extractor,
            max_batch=settings.batch_size,
            wait_s=settings.batch_wait_ms / 1000,
            queue_size=settings.queue_size,
            metrics=metrics,
        )
        batcher_box["b"] = app.state.batcher = batcher
        batcher.start()
        logger.info(
            "serving %s (batch ≤ %d, wait %.0f ms, queue %d)",
            extractor.name,
            settings.batch_size,
            settings.batch_wait_ms,
            settings.queue_size,
        )
        yield
        batcher.stop()

    app = FastAPI(
        title="actionbot extractor",
        version="1",
        lifespan=lifespan,
        description="Meeting transcript in, action items out (owner, task, deadline, priority).",
    )
    app.add_middleware(MetricsMiddleware, metrics=metrics)

    @app.post(
        "/v1/extract",
        response_model=ExtractResponse,
        responses={
            413: {"description": "Too large"},
            415: {"description": "Wrong content type"},
            422: {"description": "Unreadable input"},
            503: {"description": "Queue full; see Retry-After"},
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    JSON: {"schema": ExtractRequest.model_json_schema()},
                    MULTIPART: {"schema": _UPLOAD_SCHEMA},
                },
            }
        },
    )
    async def extract(request: Request) -> Any:
        """Extract action items from a transcript (JSON `text` or an uploaded `file`)."""
        started = time.perf_counter()
        fields, data, name = await _parse(request, settings)
        try:
            transcript = await run_in_threadpool(_prepare, data, name, fields, settings.max_bytes)
            future = batcher_box["b"].submit(transcript)
            result = await _wait(request, future)
        except QueueFullError as exc:
            raise HTTPException(
                503,
                f"the extractor is busy ({exc}); retry shortly",
                headers={"Retry-After": str(settings.retry_after_s)},
            ) from exc
        except (InputError, ValueError) as exc:
            raise HTTPException(422, str(exc)) from exc
        except ClientGoneError:
            logger.info("client went away before its %d-turn transcript was done", len(transcript.turns))
            return Response(status_code=CLIENT_GONE)
        except ExtractionError as exc:
            logger.exception("extraction failed")
            raise HTTPException(500, f"extraction failed: {exc}") from exc
        return ExtractResponse(
            action_items=[it.to_json() for it in result.items],
            warnings=result.warnings,
            model=result.model,
            latency_s=round(time.perf_counter() - started, 4),
            valid_json=result.valid_json,
        )

    @app.get("/healthz")
    def healthz() -> Response:
        """200 while the model worker runs, 503 otherwise."""
        batcher = batcher_box.get("b")
        alive = bool(batcher and batcher.alive)
        body = {
            "status": "ok" if alive else "down",
            "model": extractor.name,
            "queue_depth": batcher.depth() if batcher else 0,
        }
        return Response(json.dumps(body), status_code=200 if alive else 503, media_type=JSON)

    @app.get("/metrics")
    def prometheus() -> Response:
        """Prometheus text exposition."""
        return Response(metrics.render(), media_type=metrics.content_type)

    return app
