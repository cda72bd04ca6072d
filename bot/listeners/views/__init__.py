"""Modal submissions."""

from slack_bolt import App

from bot import ids
from bot.listeners.views.edit_item_view import edit_item_view_callback


def register(app: App) -> None:
    """Register the Edit modal's submission."""
    app.view(ids.EDIT_VIEW)(edit_item_view_callback)
