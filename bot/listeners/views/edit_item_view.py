"""Submit of the Edit modal: validate inline, close, then update the item and create its issue
(on the ticket pool)."""

from __future__ import annotations

from logging import Logger

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot import ticketing
from bot.modals import read_submission, validation_errors
from bot.services import CONTEXT_KEY, ephemeral_teller


def edit_item_view_callback(
    ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext, logger: Logger
) -> None:
    """Inline errors keep the modal open; otherwise close it and file the issue."""
    try:
        values = read_submission(view)
    except ValueError as exc:
        logger.warning("bad edit submission: %s", exc)
        ack()
        return
    errors = validation_errors(values)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack()
    services = context[CONTEXT_KEY]
    user = body["user"]["id"]
    row = services.store.get_item(values.item_id)
    extraction = services.store.get_extraction(row.extraction_id) if row else None
    if extraction is None:
        logger.warning("edit for unknown item %s", values.item_id)
        return
    tell = ephemeral_teller(client, extraction.channel_id, user, extraction.thread_ts)
    ticketing.in_background(
        services, tell, lambda: ticketing.edit_and_create(services, client, values, user, tell)
    )
