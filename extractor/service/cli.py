"""`actionbot api`: serve the extractor over HTTP with uvicorn."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import click

from extractor.cli import load_model, model_options


@click.command()
@click.option("--host", envvar="ACTIONBOT_API_HOST", default=None, help="Interface (default 127.0.0.1).")
@click.option("--port", envvar="ACTIONBOT_API_PORT", type=int, default=None, help="TCP port (default 8080).")
@click.option(
    "--queue",
    "queue_size",
    envvar="ACTIONBOT_API_QUEUE",
    type=int,
    default=None,
    help="Requests allowed to wait for the model before 503 (default 64).",
)
@click.option(
    "--batch-wait-ms",
    envvar="ACTIONBOT_API_BATCH_WAIT_MS",
    type=float,
    default=None,
    help="How long to gather concurrent requests into one batch (default 5).",
)
@model_options
def api(
    host: str | None,
    port: int | None,
    queue_size: int | None,
    batch_wait_ms: float | None,
    base: str | None,
    adapter: str | None,
    device: str | None,
) -> None:
    """Serve POST /v1/extract, /healthz, /metrics and OpenAPI docs at /docs.

    Concurrent requests are batched into one model call (ACTIONBOT_BATCH_SIZE meetings at most).

    Example:

    \b
        actionbot api --port 8080 &
        curl -s localhost:8080/v1/extract -H 'content-type: application/json' \\
             -d '{"text": "Dana: Lee, send the deck?\\nLee: Sure, by Friday.", "meeting_date": "2025-03-10"}'
    """
    import uvicorn

    from extractor.service.app import create_app
    from extractor.service.settings import ApiSettings

    try:
        settings = ApiSettings.from_env(os.environ)
        overrides: dict[str, Any] = {
            "host": host,
            "port": port,
            "queue_size": queue_size,
            "batch_wait_ms": batch_wait_ms,
        }
        settings = dataclasses.replace(settings, **{k: v for k, v in overrides.items() if v is not None})
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    extractor = load_model(base, adapter, device)
    click.echo(
        f"serving {extractor.name} on http://{settings.host}:{settings.port} (docs at /docs)", err=True
    )
    # https://www.uvicorn.org/settings/ ; one process: the model lives in this one.
    uvicorn.run(
        create_app(extractor, settings),
        host=settings.host,
        port=settings.port,
        log_level=os.environ.get("LOG_LEVEL", "info").lower(),
    )
