"""Plain channel messages: subscribed only so file_share messages arrive; nothing to do."""

from __future__ import annotations


def message_callback() -> None:
    """Ignore ordinary messages (Bolt has already acknowledged them)."""
