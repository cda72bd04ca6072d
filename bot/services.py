"""Services: what every listener needs (settings, store, pool, model runner, tracker), built
once by build_app and handed to listeners through Bolt's context, never as a global."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import Message
from bot.extraction import Runner
from bot.people import Directory, UserCache
from bot.settings import BotSettings
from bot.store import Store
from bot.tickets import IssueTracker
from bot.worker import WorkerPool

logger = logging.getLogger(__name__)

CONTEXT_KEY = "actionbot_services"

# How to answer the person who asked, privately: respond() or chat.postEphemeral.
Tell = Callable[[Message], None]


@dataclass
class Services:
    """Long-lived collaborators of the listeners."""

    settings: BotSettings
    store: Store
    pool: WorkerPool
    runner: Runner
    # Jira calls run here, not on Bolt's listener threads (5 by default): those must stay
    # free to ack every other request within Slack's 3 s.
    ticket_pool: WorkerPool
    tracker: IssueTracker | None = None
    users: UserCache = field(default_factory=UserCache)
    bot_user_id: str | None = None
    _locks: dict[int, threading.Lock] = field(default_factory=dict)
    _locks_guard: threading.Lock = field(default_factory=threading.Lock)

    def directory(self, client: WebClient) -> Directory:
        """A member directory over `client`, sharing this app's users.info cache."""
        return Directory(client, self.users, self.settings.max_channel_members)

    def message_lock(self, extraction_id: int) -> threading.Lock:
        """Serialises render-and-update of one extraction's messages within this process."""
        with self._locks_guard:
            return self._locks.setdefault(extraction_id, threading.Lock())

    def close(self) -> None:
        """Wait for running jobs and release the database."""
        self.ticket_pool.shutdown(wait=True)
        self.pool.shutdown(wait=True)
        self.runner.close()
        self.store.engine.dispose()


def ephemeral_teller(client: WebClient, channel: str, user: str, thread_ts: str | None = None) -> Tell:
    """A Tell that posts an ephemeral message to `user` in `channel`."""

    def tell(message: Message) -> None:
        try:
            # https://api.slack.com/methods/chat.postEphemeral
            client.chat_postEphemeral(
                channel=channel, user=user, text=message.text, blocks=message.blocks, thread_ts=thread_ts
            )
        except SlackApiError as exc:
            logger.warning(
                "chat.postEphemeral to %s in %s failed: %s", user, channel, exc.response.get("error")
            )

    return tell


def respond_teller(respond: Callable[..., object]) -> Tell:
    """A Tell over Bolt's respond() (the request's response_url), always ephemeral."""

    def tell(message: Message) -> None:
        respond(text=message.text, blocks=message.blocks, response_type="ephemeral", replace_original=False)

    return tell
