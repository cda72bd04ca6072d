"""Shortcuts."""

from slack_bolt import App

from bot import ids
from bot.listeners.shortcuts.extract_shortcut import extract_shortcut_callback


def register(app: App) -> None:
    """Register the "Extract action items" message shortcut."""
    app.shortcut(ids.EXTRACT_SHORTCUT)(extract_shortcut_callback)
