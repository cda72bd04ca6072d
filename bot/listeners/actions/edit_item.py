"""Edit: open a modal (owner, task, due date, priority) whose submit creates the issue."""

from __future__ import annotations

from logging import Logger

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks, ticketing
from bot.listeners.actions._common import read_click
from bot.modals import edit_modal
from bot.services import CONTEXT_KEY, respond_teller


def edit_item_callback(
    ack: Ack, body: dict, client: WebClient, context: BoltContext, respond: Respond, logger: Logger
) -> None:
    """Ack, then open the modal with the trigger_id (valid for 3 s, so before anything slow)."""
    ack()
    click = read_click(body)
    services, tell = context[CONTEXT_KEY], respond_teller(respond)
    row = services.store.get_item(click.value) if click.value is not None else None
    if row is None:
        tell(blocks.notice("That action item no longer exists.", ":warning:"))
        return
    if not ticketing.may_act(services, row.extraction_id, click.user, click.channel):
        tell(blocks.notice(ticketing.NOT_ALLOWED, ":no_entry:"))
        return
    if not blocks.is_actionable(row):
        tell(blocks.notice("That item already has an issue or was dismissed, so it can't be edited."))
        return
    try:
        # https://api.slack.com/methods/views.open
        client.views_open(trigger_id=body["trigger_id"], view=edit_modal(row))
    except SlackApiError as exc:
        logger.warning("views.open failed: %s", exc.response.get("error"))
        tell(blocks.notice("I couldn't open the editor; please click Edit again.", ":warning:"))
