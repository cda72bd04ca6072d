"""Prometheus metrics for the service, in a registry owned by one app (no global state)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 80, 160)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64)


class ApiMetrics:
    """Request counts by status, latency, queue depth and batch sizes."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, queue_depth: Callable[[], float]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "actionbot_api_requests", "Extraction requests by HTTP status", ["status"], registry=self.registry
        )
        self.latency = Histogram(
            "actionbot_api_request_seconds",
            "Extraction request latency",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "actionbot_api_batch_size",
            "Meetings per generate call",
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        self.generate_seconds = Histogram(
            "actionbot_api_generate_seconds",
            "Wall time of one batched generate call",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "actionbot_api_queue_depth", "Requests waiting for the model", registry=self.registry
        )
        self.queue_depth.set_function(queue_depth)

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)


class MetricsMiddleware:
    """ASGI middleware that counts every /v1/extract response by status and times it."""

    def __init__(self, app: Any, metrics: ApiMetrics, path: str = "/v1/extract") -> None:
        self.app, self.metrics, self.path = app, metrics, path

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self.metrics.requests.labels(status=str(status)).inc()
            self.metrics.latency.observe(time.perf_counter() - started)
