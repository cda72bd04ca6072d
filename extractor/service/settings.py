"""ApiSettings: how the HTTP service queues, batches and limits requests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from extractor.reading import MAX_BYTES


@dataclass(frozen=True)
class ApiSettings:
    """Service limits; build with `ApiSettings.from_env(os.environ)`."""

    host: str = field(default="127.0.0.1", metadata={"help": "Interface to listen on (ACTIONBOT_API_HOST)."})
    port: int = field(default=8080, metadata={"help": "TCP port (ACTIONBOT_API_PORT)."})
    queue_size: int = field(
        default=64, metadata={"help": "Requests waiting for the model before 503 (ACTIONBOT_API_QUEUE)."}
    )
    batch_size: int = field(
        default=8, metadata={"help": "Most meetings per generate call (ACTIONBOT_BATCH_SIZE)."}
    )
    batch_wait_ms: float = field(
        default=5.0,
        metadata={
            "help": "How long the worker waits for more requests to batch (ACTIONBOT_API_BATCH_WAIT_MS)."
        },
    )
    max_bytes: int = field(
        default=MAX_BYTES,
        metadata={"help": "Largest transcript accepted, in bytes (ACTIONBOT_API_MAX_BYTES)."},
    )
    retry_after_s: int = field(
        default=2, metadata={"help": "Retry-After sent with 503 when the queue is full."}
    )

    def __post_init__(self) -> None:
        for name in ("queue_size", "batch_size", "max_bytes", "retry_after_s"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be at least 1, got {getattr(self, name)}")
        if self.batch_wait_ms < 0:
            raise ValueError(f"batch_wait_ms: must be 0 or more, got {self.batch_wait_ms}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port: must be 0-65535, got {self.port}")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ApiSettings:
        """Settings from environment variables; unset ones keep their defaults."""
        names = {
            "host": ("ACTIONBOT_API_HOST", str),
            "port": ("ACTIONBOT_API_PORT", int),
            "queue_size": ("ACTIONBOT_API_QUEUE", int),
            "batch_size": ("ACTIONBOT_BATCH_SIZE", int),
            "batch_wait_ms": ("ACTIONBOT_API_BATCH_WAIT_MS", float),
            "max_bytes": ("ACTIONBOT_API_MAX_BYTES", int),
        }
        values: dict[str, object] = {}
        for attr, (var, kind) in names.items():
            raw = env.get(var, "").strip()
            if not raw:
                continue
            try:
                values[attr] = kind(raw)
            except ValueError as exc:
                raise ValueError(f"{var}: expected a {kind.__name__}, got {raw!r}") from exc
        return cls(**values)  # type: ignore[arg-type]
