"""A bounded worker pool: a few threads and a fixed number of waiting slots, never an
unbounded backlog. A full pool refuses work at once so the caller can say so in Slack."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from bot.errors import QueueFullError

logger = logging.getLogger(__name__)


class WorkerPool:
    """`workers` threads plus `queue_size` waiting jobs; `submit` raises QueueFullError beyond that."""

    def __init__(self, workers: int = 1, queue_size: int = 8, name: str = "actionbot-worker"):
        if workers < 1:
            raise ValueError("workers: must be at least 1")
        if queue_size < 0:
            raise ValueError("queue_size: must be 0 or more")
        self.capacity = workers + queue_size
        self._slots = threading.BoundedSemaphore(self.capacity)
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._lock = threading.Lock()
        self._in_flight = 0

    @property
    def in_flight(self) -> int:
        """Jobs running or waiting."""
        return self._in_flight

    def submit(self, fn: Callable[[], object]) -> Future:
        """Run `fn` on a worker; raise QueueFullError when every slot is taken."""
        if not self._slots.acquire(blocking=False):
            raise QueueFullError(f"all {self.capacity} extraction slots are busy")
        with self._lock:
            self._in_flight += 1
        try:
            future = self._executor.submit(self._run, fn)
        except RuntimeError:  # shut down
            self._release()
            raise
        return future

    def _release(self) -> None:
        with self._lock:
            self._in_flight -= 1
        self._slots.release()

    def _run(self, fn: Callable[[], object]) -> object:
        try:
            return fn()
        except Exception:
            # The job reports its own failures to Slack; this only keeps the pool from
            # swallowing a bug in that reporting.
            logger.exception("background job failed")
            raise
        finally:
            self._release()

    def shutdown(self, wait: bool = True) -> None:
        """Stop accepting work; wait for running jobs when `wait`."""
        self._executor.shutdown(wait=wait, cancel_futures=not wait)
