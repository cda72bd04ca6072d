"""Create Jira issue (and Retry after a failure): one item -> one ticket, exactly once."""

from __future__ import annotations

from logging import Logger

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot import ticketing
from bot.listeners.actions._common import read_click
from bot.services import CONTEXT_KEY, respond_teller


def create_issue_callback(
    ack: Ack, body: dict, client: WebClient, context: BoltContext, respond: Respond, logger: Logger
) -> None:
    """Ack, then create the ticket and update the results message on the ticket pool."""
    ack()
    click = read_click(body)
    if click.value is None:
        logger.warning("create_issue without an item id")
        return
    services, tell, item_id = context[CONTEXT_KEY], respond_teller(respond), click.value

    def work() -> None:
        outcome = ticketing.create_one(services, client, item_id, click.user, click.channel, tell)
        if click.ephemeral and outcome.state in {"created", "exists"}:
            # The click came from the ephemeral error's Retry button: that error is now stale.
            respond(delete_original=True)

    ticketing.in_background(services, tell, work)
