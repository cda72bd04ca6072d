"""Button and modal flows for tickets: create one, create all, dismiss, edit-then-create.
Each re-renders the results message from the database afterwards. Listeners ack, then hand
the Jira-bound flows to `in_background`."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks, ids
from bot.blocks import escape
from bot.errors import QueueFullError
from bot.modals import EditValues
from bot.publishing import publish
from bot.services import Services, Tell
from bot.tickets import TicketOutcome, create_ticket

logger = logging.getLogger(__name__)

NO_TRACKER = "Jira isn't configured for this bot yet; ask whoever runs it to set the JIRA_* variables."
NOT_ALLOWED = "You can't create tickets from here; ask an admin to add you or this channel to the allowlist."
BUSY = "I'm filing a lot of Jira issues right now and can't take this one; please click again in a minute."


def in_background(services: Services, tell: Tell, work: Callable[[], object]) -> bool:
    """Run `work` on the ticket pool, so a slow Jira never holds Bolt's few listener threads
    (every other request's ack waits for one); a full pool says so instead of dropping it."""
    try:
        services.ticket_pool.submit(work)
    except QueueFullError:
        logger.warning("ticket queue full; refused a click")
        tell(blocks.notice(BUSY, ":no_entry:"))
        return False
    return True


def may_act(services: Services, extraction_id: int, user: str, channel: str | None) -> bool:
    """The allowlists admit `user` in `channel` (the extraction's own channel when None).
    Edit and Dismiss count too: both decide what reaches Jira."""
    if channel is None:
        extraction = services.store.get_extraction(extraction_id)
        channel = extraction.channel_id if extraction else None
    return services.settings.may_create_tickets(channel, user)


def _permalink(client: WebClient, services: Services, extraction_id: int) -> str | None:
    known = services.store.messages(extraction_id)
    if 0 not in known:
        return None
    try:
        # https://api.slack.com/methods/chat.getPermalink
        return client.chat_getPermalink(channel=known[0][0], message_ts=known[0][1]).get("permalink")
    except SlackApiError as exc:
        logger.info("chat.getPermalink failed: %s", exc.response.get("error"))
        return None


def create_one(
    services: Services,
    client: WebClient,
    item_id: int,
    user: str,
    channel: str | None,
    tell: Tell,
    *,
    quiet: bool = False,
) -> TicketOutcome:
    """Create the ticket for one item (once), update the message, and tell the user about problems."""
    if services.tracker is None:
        tell(blocks.notice(NO_TRACKER, ":warning:"))
        return TicketOutcome("failed", error=NO_TRACKER)
    row = services.store.get_item(item_id)
    if row is None:
        tell(blocks.notice("That action item no longer exists.", ":warning:"))
        return TicketOutcome("missing")
    if not may_act(services, row.extraction_id, user, channel):
        tell(blocks.notice(NOT_ALLOWED, ":no_entry:"))
        return TicketOutcome("failed", row, error=NOT_ALLOWED)
    owner_email = None
    if row.owner_user_id:
        member = services.directory(client).member(row.owner_user_id)
        owner_email = member.email if member else None
    outcome = create_ticket(
        services.store,
        services.tracker,
        item_id,
        user,
        owner_email=owner_email,
        permalink=_permalink(client, services, row.extraction_id),
        on_claimed=lambda: publish(services, client, row.extraction_id),
    )
    publish(services, client, row.extraction_id)
    if outcome.state == "failed" and outcome.row is not None and not quiet:
        tell(blocks.ticket_error(outcome.row, outcome.error or "unknown error"))
    elif outcome.state == "exists" and not quiet:
        tell(blocks.notice(f"That item already has an issue: {escape(outcome.issue_key or '')}."))
    elif outcome.state == "busy" and not quiet:
        tell(blocks.notice("That issue is being created right now."))
    elif outcome.state == "dismissed" and not quiet:
        tell(blocks.notice("That item was dismissed, so no issue was created."))
    return outcome


def create_all(
    services: Services, client: WebClient, extraction_id: int, user: str, channel: str | None, tell: Tell
) -> list[TicketOutcome]:
    """Create tickets for every open item of an extraction; one summary message for failures."""
    if services.tracker is None:
        tell(blocks.notice(NO_TRACKER, ":warning:"))
        return []
    if not may_act(services, extraction_id, user, channel):
        tell(blocks.notice(NOT_ALLOWED, ":no_entry:"))
        return []
    rows = [r for r in services.store.items(extraction_id) if blocks.is_actionable(r)]
    outcomes = [create_one(services, client, r.id, user, channel, tell, quiet=True) for r in rows]
    failed = [o for o in outcomes if o.state == "failed" and o.row is not None]
    if len(failed) == 1:
        tell(blocks.ticket_error(failed[0].row, failed[0].error or "unknown error"))  # type: ignore[arg-type]
    elif failed:
        text = (
            f"{len(failed)} issues couldn't be created; the first error was: {escape(failed[0].error or '')}"
        )
        tell(
            blocks.Message(
                text,
                [
                    {"type": "section", "text": blocks.mrkdwn(f":warning: {text}")},
                    {
                        "type": "actions",
                        "elements": [
                            blocks.button("Retry all", ids.CREATE_ALL, str(extraction_id), "primary")
                        ],
                    },
                ],
            )
        )
    return outcomes


def dismiss(
    services: Services, client: WebClient, item_id: int, user: str, channel: str | None, tell: Tell
) -> bool:
    """Dismiss an item without a ticket and update the message."""
    row = services.store.get_item(item_id)
    if row is None:
        tell(blocks.notice("That action item no longer exists.", ":warning:"))
        return False
    if not may_act(services, row.extraction_id, user, channel):
        tell(blocks.notice(NOT_ALLOWED, ":no_entry:"))
        return False
    done = services.store.dismiss_item(item_id, user)
    publish(services, client, row.extraction_id)
    if not done:
        tell(blocks.notice("That item already has an issue or was dismissed."))
    return done


def edit_and_create(services: Services, client: WebClient, values: EditValues, user: str, tell: Tell) -> None:
    """Apply the modal's values to the item, then create its ticket."""
    row = services.store.get_item(values.item_id)
    if row is None:
        tell(blocks.notice("That action item no longer exists.", ":warning:"))
        return
    if not may_act(services, row.extraction_id, user, None):
        # The modal only opens for allowed users; this catches a stale or forged submission.
        tell(blocks.notice(NOT_ALLOWED, ":no_entry:"))
        return
    owner_name = row.item.owner
    if values.owner_user_id and values.owner_user_id != row.owner_user_id:
        member = services.directory(client).member(values.owner_user_id)
        owner_name = member.label if member else owner_name
    elif values.owner_user_id is None:
        owner_name = row.item.owner if row.owner_user_id is None else None
    changed = services.store.edit_item(
        values.item_id,
        task=values.task,
        owner_user_id=values.owner_user_id,
        owner=owner_name,
        deadline_date=values.deadline_date,
        priority=values.priority,
    )
    if not changed:
        publish(services, client, row.extraction_id)
        tell(blocks.notice("Too late to edit: that item already has an issue or was dismissed."))
        return
    create_one(services, client, values.item_id, user, None, tell)
