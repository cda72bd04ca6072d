"""Create all: a ticket for every item still open in an extraction."""

from __future__ import annotations

from logging import Logger

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot import ticketing
from bot.listeners.actions._common import read_click
from bot.services import CONTEXT_KEY, respond_teller


def create_all_callback(
    ack: Ack, body: dict, client: WebClient, context: BoltContext, respond: Respond, logger: Logger
) -> None:
    """Ack, then create the open items' tickets one by one."""
    ack()
    click = read_click(body)
    if click.value is None:
        logger.warning("create_all without an extraction id")
        return
    outcomes = ticketing.create_all(
        context[CONTEXT_KEY], client, click.value, click.user, click.channel, respond_teller(respond)
    )
    if click.ephemeral and outcomes and all(o.state in {"created", "exists"} for o in outcomes):
        respond(delete_original=True)
