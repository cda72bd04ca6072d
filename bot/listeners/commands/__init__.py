"""Slash commands."""

from slack_bolt import App

from bot import ids
from bot.listeners.commands.actions_command import actions_command_callback


def register(app: App) -> None:
    """Register /actions."""
    app.command(ids.SLASH_COMMAND)(actions_command_callback)
