"""Events API listeners."""

from slack_bolt import App

from bot.listeners.events.app_mention import app_mention_callback
from bot.listeners.events.file_shared import file_share_message_callback, file_shared_callback
from bot.listeners.events.message import message_callback


def register(app: App) -> None:
    """Register app_mention, file_shared and message listeners (the first match runs)."""
    app.event("app_mention")(app_mention_callback)
    app.event("file_shared")(file_shared_callback)
    app.event({"type": "message", "subtype": "file_share"})(file_share_message_callback)
    app.event("message")(message_callback)
