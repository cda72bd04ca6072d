"""Dynamic batching: requests wait in a bounded queue; one worker thread, the only code that
touches the model, gathers whatever arrives within a few milliseconds and runs it as one
`generate` call (the pipeline's plan_requests/assemble around it)."""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field

from extractor.errors import ExtractionError
from extractor.model import Extractor, GenerationRequest
from extractor.pipeline import ExtractionResult, assemble, plan_requests
from extractor.service.errors import QueueFullError
from extractor.service.metrics import ApiMetrics
from extractor.turns import Transcript

logger = logging.getLogger(__name__)


@dataclass
class Job:
    """One meeting waiting for the model, and where its result goes."""

    transcript: Transcript
    future: Future[ExtractionResult] = field(default_factory=Future)


class Batcher:
    """Owns the extractor; `submit` from any thread, results come back as futures."""

    def __init__(
        self,
        extractor: Extractor,
        *,
        max_batch: int,
        wait_s: float,
        queue_size: int,
        metrics: ApiMetrics | None = None,
    ) -> None:
        self.extractor = extractor
        self.max_batch = max_batch
        self.wait_s = wait_s
        self.metrics = metrics
        self.generate_calls = 0
        self._queue: queue.Queue[Job] = queue.Queue(maxsize=queue_size)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="actionbot-model-worker", daemon=True)

    def start(self) -> None:
        """Start the worker thread."""
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the current batch; fail whatever is still queued."""
        self._stop.set()
        self._thread.join(timeout)
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job.future.set_running_or_notify_cancel():
                job.future.set_exception(ExtractionError("the service is shutting down; try again"))

    @property
    def alive(self) -> bool:
        """True while the worker thread runs."""
        return self._thread.is_alive()

    def depth(self) -> int:
        """Requests waiting (not yet picked up by the worker)."""
        return self._queue.qsize()

    def submit(self, transcript: Transcript) -> Future[ExtractionResult]:
        """Queue one meeting; raise QueueFullError at once when the queue is full."""
        job = Job(transcript)
        try:
            self._queue.put_nowait(job)
        except queue.Full as exc:
            raise QueueFullError(f"{self._queue.maxsize} requests are already waiting") from exc
        return job.future

    def _gather(self) -> list[Job]:
        """Block for the first job, then take more until the batch is full or the wait is over."""
        try:
            jobs = [self._queue.get(timeout=0.1)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self.wait_s
        while len(jobs) < self.max_batch:
            remaining = deadline - time.monotonic()
            try:
                jobs.append(self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait())
            except queue.Empty:
                break
        return jobs

    def _run(self) -> None:
        while not self._stop.is_set():
            jobs = self._gather()
            # A job whose client went away was cancelled; set_running_or_notify_cancel skips it and
            # makes the others uncancellable, so setting their result below cannot race.
            live = [job for job in jobs if job.future.set_running_or_notify_cancel()]
            if live:
                self._process(live)

    def _process(self, jobs: list[Job]) -> None:
        planned: list[tuple[Job, list[GenerationRequest]]] = []
        for job in jobs:
            try:
                planned.append((job, plan_requests(job.transcript, self.extractor)))
            except ExtractionError as exc:
                job.future.set_exception(exc)
        if not planned:
            return
        started = time.perf_counter()
        try:
            raws = self.extractor.generate([r for _, plan in planned for r in plan])
        except Exception as exc:  # noqa: BLE001 - the worker must outlive any model failure; each caller gets it
            logger.exception("generate failed for a batch of %d meeting(s)", len(planned))
            for job, _ in planned:
                job.future.set_exception(exc)
            return
        finally:
            self.generate_calls += 1
        elapsed = time.perf_counter() - started
        if self.metrics:
            self.metrics.batch_size.observe(len(planned))
            self.metrics.generate_seconds.observe(elapsed)
        pos = 0
        for job, plan in planned:
            chunk_raws = raws[pos : pos + len(plan)]
            pos += len(plan)
            try:
                job.future.set_result(assemble(job.transcript, chunk_raws, elapsed, self.extractor.name))
            except ExtractionError as exc:
                job.future.set_exception(exc)
