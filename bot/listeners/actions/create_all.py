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
    """Ack, then create the open items' tickets one by one on the ticket pool."""
    ack()
    click = read_click(body)
    if click.value is None:
        logger.warning("create_all without an extraction id")
        return
    services, tell, extraction_id = context[CONTEXT_KEY], respond_teller(respond), click.value

    def work() -> None:
        outcomes = ticketing.create_all(services, client, extraction_id, click.user, click.channel, tell)
        if click.ephemeral and outcomes and all(o.state in {"created", "exists"} for o in outcomes):
            respond(delete_original=True)

    ticketing.in_background(services, tell, work)
