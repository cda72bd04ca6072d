"""`actionbot serve`: run the Slack bot in Socket Mode or HTTP mode."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

import click
from sqlalchemy.exc import SQLAlchemyError

from bot.app import build_app, build_services
from bot.recovery import Sweeper
from bot.settings import BotSettings
from bot.store import Store
from bot.tickets import IssueTracker, StoreKeys
from extractor.errors import ExtractionError

logger = logging.getLogger(__name__)


def load_tracker(env: Mapping[str, str], store: Store) -> IssueTracker | None:
    """The Jira tracker when JIRA_URL is set, else None (buttons then explain that Jira is off)."""
    if not env.get("JIRA_URL"):
        click.echo(
            "… JIRA_URL is not set; the Create Jira issue buttons will say Jira is not configured", err=True
        )
        return None
    from integrations.config import JiraConfig
    from integrations.errors import IntegrationError
    from integrations.jira import JiraTracker

    try:
        return JiraTracker(JiraConfig.from_env(env), store=StoreKeys(store))
    except IntegrationError as exc:
        raise click.ClickException(str(exc)) from exc


def model_factory():
    """Load the configured extractor (ACTIONBOT_BASE_MODEL / ACTIONBOT_ADAPTER / ACTIONBOT_DEVICE)."""
    from extractor.cli import load_model

    return load_model(None, None, None)


@click.command()
@click.option(
    "--port",
    envvar="PORT",
    type=int,
    default=3000,
    show_default=True,
    help="HTTP port (HTTP mode only; env PORT).",
)
@click.option(
    "--host",
    envvar="ACTIONBOT_HOST",
    default="0.0.0.0",
    show_default=True,
    help="Interface to listen on (HTTP mode only; env ACTIONBOT_HOST).",
)
@click.option(
    "--preload/--no-preload",
    default=True,
    show_default=True,
    help="Load the model before accepting requests (else on the first transcript).",
)
def serve(port: int, host: str, preload: bool) -> None:
    """Run the Slack bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on --port with
    request signatures checked against SLACK_SIGNING_SECRET. With EXTRACTOR_URL set, transcripts go
    to that extraction service and no model is loaded here. Settings come from the environment
    (.env); see .env.example and docs/slack.md.

    Example:

        actionbot serve --port 3000
    """
    env = os.environ
    try:
        settings = BotSettings.from_env(env)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        store = Store.from_url(settings.db_url, settings.stale_claim_s)
    except SQLAlchemyError as exc:
        raise click.ClickException(
            f"ACTIONBOT_DB_URL: can't open the database ({exc.__class__.__name__}: {exc})"
        ) from exc
    services = build_services(settings, model_factory, load_tracker(env, store), store)
    if preload:
        click.echo(
            "… using the extraction service" if settings.extractor_url else "… loading the model", err=True
        )
        try:
            services.runner.prepare()
        except ExtractionError as exc:
            services.close()
            raise click.ClickException(f"loading the model failed: {exc}") from exc
    try:
        app = build_app(settings, services=services)
    except ValueError as exc:
        services.close()
        raise click.ClickException(str(exc)) from exc
    # Placeholders of extractions a previous run never finished get an "ask again" note.
    sweeper = Sweeper(services, app.client, interval_s=min(60.0, settings.stale_claim_s / 2)).start()
    try:
        if settings.app_token:
            from bot.server import socket_mode_handler

            click.echo("… connecting to Slack in Socket Mode", err=True)
            socket_mode_handler(app, settings.app_token).start()
        else:
            from bot.server import EVENTS_PATH, HttpServer

            server = HttpServer(app, host=host, port=port)
            click.echo(f"… listening on http://{host}:{server.port}{EVENTS_PATH}", err=True)
            server.serve_forever()
    except KeyboardInterrupt:
        click.echo("… stopping", err=True)
    finally:
        sweeper.stop()
        services.close()
