"""ExtractionRunner: load the model once, on first use, and run the extractor pipeline."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from extractor.model import Extractor
from extractor.pipeline import ExtractionResult, extract_transcript
from extractor.turns import normalize_transcript

logger = logging.getLogger(__name__)


class Runner(Protocol):
    """What jobs call to extract: ExtractionRunner (local model) or bot.remote.RemoteRunner."""

    def prepare(self) -> None:
        """Get ready before the first request (load the model, or nothing)."""
        ...

    def run(self, text: str, *, meeting_date: dt.date | None, tz: str | None) -> Any:
        """A result with `.items` (list[ActionItem]) and `.model` (str)."""
        ...

    def close(self) -> None:
        """Release what the runner holds."""
        ...


class ExtractionRunner:
    """Runs `extractor.pipeline` on transcripts; the model is built lazily by `factory`."""

    def __init__(self, extractor: Extractor | Callable[[], Extractor]):
        if isinstance(extractor, Extractor):
            self._extractor: Extractor | None = extractor
            self._factory: Callable[[], Extractor] | None = None
        else:
            self._extractor, self._factory = None, extractor
        self._lock = threading.Lock()

    def extractor(self) -> Extractor:
        """The model, loaded on first call."""
        with self._lock:
            if self._extractor is None:
                assert self._factory is not None
                logger.info("loading the extraction model")
                self._extractor = self._factory()
            return self._extractor

    def prepare(self) -> None:
        """Load the model now rather than on the first transcript."""
        self.extractor()

    def close(self) -> None:
        """Nothing to release: the model lives as long as the process."""

    def run(self, text: str, *, meeting_date: dt.date | None, tz: str | None) -> ExtractionResult:
        """Extract items from `text`; `meeting_date` is used only when the transcript has no date."""
        transcript = normalize_transcript(text, tz=tz)
        if transcript.meeting_date is None and meeting_date is not None:
            transcript = dataclasses.replace(transcript, meeting_date=meeting_date)
        return extract_transcript(transcript, self.extractor())
