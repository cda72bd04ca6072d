"""Render an extraction's stored items and put them into its Slack messages (chat.update)."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.records import ExtractionRecord
from bot.services import Services

logger = logging.getLogger(__name__)


def header_for(extraction: ExtractionRecord) -> blocks.Header:
    """The results header of an extraction."""
    return blocks.Header(title=extraction.title, requested_by=extraction.requested_by, model=extraction.model)


def render(services: Services, extraction_id: int) -> list[blocks.Message]:
    """One message per part, from what the database says now."""
    extraction = services.store.get_extraction(extraction_id)
    if extraction is None:
        return []
    rows = services.store.items(extraction_id)
    header = header_for(extraction)
    if not rows:
        return [blocks.empty_message(header)]
    parts = max(r.part for r in rows) + 1
    return [
        blocks.results_message(
            header, extraction_id, [r for r in rows if r.part == p], part=p, parts=parts, all_rows=rows
        )
        for p in range(parts)
    ]


def publish(services: Services, client: WebClient, extraction_id: int, *, post_missing: bool = False) -> None:
    """Update every results message of an extraction; with `post_missing`, post parts that have
    no message yet as replies in the results thread (only the first publish does that)."""
    extraction = services.store.get_extraction(extraction_id)
    if extraction is None:
        return
    with services.message_lock(extraction_id):
        messages = render(services, extraction_id)
        known = services.store.messages(extraction_id)
        if 0 not in known:
            logger.warning("extraction %d has no placeholder message to update", extraction_id)
            return
        channel, first_ts = known[0]
        for part, message in enumerate(messages):
            try:
                if part in known:
                    # https://api.slack.com/methods/chat.update
                    client.chat_update(
                        channel=known[part][0], ts=known[part][1], text=message.text, blocks=message.blocks
                    )
                elif post_missing:
                    # https://api.slack.com/methods/chat.postMessage
                    resp = client.chat_postMessage(
                        channel=channel,
                        thread_ts=extraction.thread_ts or first_ts,
                        text=message.text,
                        blocks=message.blocks,
                        unfurl_links=False,
                        unfurl_media=False,
                    )
                    services.store.set_message(extraction_id, part, channel, resp["ts"])
            except SlackApiError as exc:
                logger.error(
                    "updating part %d of extraction %d failed: %s",
                    part,
                    extraction_id,
                    exc.response.get("error"),
                )


def replace_placeholder(client: WebClient, channel: str, ts: str, message: blocks.Message) -> None:
    """Put a notice (busy, error) where the placeholder was."""
    try:
        # https://api.slack.com/methods/chat.update
        client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)
    except SlackApiError as exc:
        logger.error("updating the placeholder in %s failed: %s", channel, exc.response.get("error"))
