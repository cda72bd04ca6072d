"""Interrupted extractions: a worker that died (restart, crash, lost replica) leaves its
"Extracting…" placeholder behind. The sweeper finds pending extractions nobody renewed within
ACTIONBOT_STALE_CLAIM_S, marks them failed (compare-and-set, so one replica does it once) and
tells the channel to ask again; asking again then runs it (failed claims are taken over)."""

from __future__ import annotations

import logging
import threading

from slack_sdk import WebClient

from bot import blocks
from bot.publishing import replace_placeholder
from bot.services import Services

logger = logging.getLogger(__name__)

INTERRUPTED = (
    "I was interrupted (restarted) before I finished this one, so there are no results. "
    "Please ask again: run the command again, re-share the file, or mention me in the thread."
)


def sweep(services: Services, client: WebClient) -> int:
    """Give up on stale pending extractions and say so where their placeholder is; returns how many."""
    count = 0
    for extraction_id, attempt, channel, ts in services.store.stale_pending():
        if not services.store.finish_extraction(
            extraction_id, status="failed", error="interrupted", attempt=attempt
        ):
            continue  # it finished, or another replica took it, since we looked
        logger.warning("extraction %d (attempt %d) was interrupted; told %s", extraction_id, attempt, channel)
        replace_placeholder(client, channel, ts, blocks.notice(INTERRUPTED, ":warning:"))
        count += 1
    return count


class Sweeper:
    """Runs `sweep` at start and then every `interval_s` seconds on a daemon thread."""

    def __init__(self, services: Services, client: WebClient, interval_s: float = 60.0):
        self.services, self.client, self.interval_s = services, client, interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="actionbot-sweeper", daemon=True)

    def _loop(self) -> None:
        while True:
            try:
                sweep(self.services, self.client)
            except Exception:
                # A database hiccup must not end the sweeper thread for the life of the process.
                logger.exception("sweeping interrupted extractions failed; will try again")
            if self._stop.wait(self.interval_s):
                return

    def start(self) -> Sweeper:
        """Start sweeping in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop after the current sweep."""
        self._stop.set()
        self._thread.join(timeout=10)
