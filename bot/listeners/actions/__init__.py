"""Block actions: the buttons on a results message (their values are database ids only)."""

from slack_bolt import App

from bot import ids
from bot.listeners.actions.create_all import create_all_callback
from bot.listeners.actions.create_issue import create_issue_callback
from bot.listeners.actions.dismiss_item import dismiss_item_callback
from bot.listeners.actions.edit_item import edit_item_callback


def register(app: App) -> None:
    """Register the button listeners."""
    app.action(ids.CREATE_ISSUE)(create_issue_callback)
    app.action(ids.RETRY_CREATE)(create_issue_callback)
    app.action(ids.CREATE_ALL)(create_all_callback)
    app.action(ids.EDIT_ITEM)(edit_item_callback)
    app.action(ids.DISMISS_ITEM)(dismiss_item_callback)
