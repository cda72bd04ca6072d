"""build_app: the Bolt App with our listeners, middleware and services wired in."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.extraction import ExtractionRunner, Runner
from bot.listeners import register_all
from bot.remote import RemoteRunner
from bot.services import CONTEXT_KEY, Services
from bot.settings import BotSettings
from bot.store import Store
from bot.tickets import IssueTracker
from bot.worker import WorkerPool
from extractor.model import Extractor

logger = logging.getLogger(__name__)

# Clicks that may wait for a free Jira worker (ACTIONBOT_TICKET_WORKERS), per worker.
TICKET_QUEUE_PER_WORKER = 8


def make_client(settings: BotSettings) -> WebClient:
    """A WebClient for the bot token that waits out 429s (Retry-After) a couple of times."""
    return WebClient(token=settings.bot_token, base_url=settings.api_url)


def _with_rate_limit_retries(client: WebClient) -> WebClient:
    if not any(isinstance(h, RateLimitErrorRetryHandler) for h in client.retry_handlers):
        # https://docs.slack.dev/tools/python-slack-sdk/web#rate-limits : honours Retry-After
        client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return client


def make_runner(settings: BotSettings, extractor: Extractor | Callable[[], Extractor] | None) -> Runner:
    """The extraction service client when EXTRACTOR_URL is set, else the in-process model."""
    if settings.extractor_url:
        return RemoteRunner(
            settings.extractor_url,
            timeout_s=settings.extractor_timeout_s,
            attempts=settings.extractor_attempts,
        )
    if extractor is None:
        raise ValueError("no extractor: pass a model (or factory), or set EXTRACTOR_URL")
    return ExtractionRunner(extractor)


def build_services(
    settings: BotSettings,
    extractor: Extractor | Callable[[], Extractor] | None,
    tracker: IssueTracker | None,
    store: Store,
    *,
    runner: Runner | None = None,
) -> Services:
    """The listeners' collaborators: bounded pools (extractions, Jira calls), the extraction
    runner, the tracker and the store."""
    return Services(
        settings=settings,
        store=store,
        pool=WorkerPool(settings.workers, settings.queue_size),
        runner=runner or make_runner(settings, extractor),
        tracker=tracker,
        ticket_pool=WorkerPool(
            settings.ticket_workers, TICKET_QUEUE_PER_WORKER * settings.ticket_workers, "actionbot-tickets"
        ),
    )


def build_app(
    settings: BotSettings,
    extractor: Extractor | Callable[[], Extractor] | None = None,
    tracker: IssueTracker | None = None,
    store: Store | None = None,
    *,
    client: WebClient | None = None,
    services: Services | None = None,
) -> App:
    """A Bolt App for `settings`. Pass `extractor` (an Extractor or a factory, loaded on first use),
    `tracker` (None: Jira off) and `store`, or ready-made `services`."""
    if services is None:
        if store is None:
            raise ValueError("build_app: pass a store, or services")
        services = build_services(settings, extractor, tracker, store)
    client = _with_rate_limit_retries(client or make_client(settings))
    app = App(
        # The token travels in `client` (Bolt ignores `token` when a client is given).
        signing_secret=settings.signing_secret or "",
        client=client,
        # Socket Mode frames are authenticated by the connection, not signed.
        request_verification_enabled=not settings.socket_mode,
        process_before_response=False,
        # We call auth.test ourselves below, to turn a bad token into a one-line error.
        token_verification_enabled=False,
    )
    try:
        # https://api.slack.com/methods/auth.test : our own user id, to skip our messages in threads
        services.bot_user_id = client.auth_test().get("user_id")
    except SlackApiError as exc:
        raise ValueError(
            f"SLACK_BOT_TOKEN: auth.test failed ({exc.response.get('error')}); check the token"
        ) from exc

    def inject_services(context, next):  # noqa: A002 - Bolt passes the argument by this name
        context[CONTEXT_KEY] = services
        next()

    def skip_duplicate_events(body, next, logger):  # noqa: A002
        # Slack retries an event (X-Slack-Retry-Num) with the same event_id; handle it once.
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not services.store.claim_event(event_id):
            logger.info("skipping duplicate event %s", event_id)
            return BoltResponse(status=200, body="")
        next()
        return None

    app.use(inject_services)
    app.use(skip_duplicate_events)
    register_all(app)
    return app
