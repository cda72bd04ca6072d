"""Bolt listeners, one folder per Slack kind; `register_all(app)` wires them up."""

from slack_bolt import App

from bot.listeners import actions, commands, events, shortcuts, views


def register_all(app: App) -> None:
    """Register every listener on `app`."""
    commands.register(app)
    events.register(app)
    shortcuts.register(app)
    actions.register(app)
    views.register(app)
