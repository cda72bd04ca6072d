"""Dismiss: keep the item in the message, struck through, with no buttons."""

from __future__ import annotations

from logging import Logger

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot import ticketing
from bot.listeners.actions._common import read_click
from bot.services import CONTEXT_KEY, respond_teller


def dismiss_item_callback(
    ack: Ack, body: dict, client: WebClient, context: BoltContext, respond: Respond, logger: Logger
) -> None:
    """Ack, mark the item dismissed and update the message."""
    ack()
    click = read_click(body)
    if click.value is None:
        logger.warning("dismiss_item without an item id")
        return
    ticketing.dismiss(
        context[CONTEXT_KEY], client, click.value, click.user, click.channel, respond_teller(respond)
    )
