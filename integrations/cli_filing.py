"""`actionbot jira create` and `actionbot jira retry`: file items without Slack, keep failures for later."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

import click

from integrations.config import JiraConfig
from integrations.errors import ConfigError, ItemFormatError, StoreBusyError
from integrations.filing import Outcome, file_entries
from integrations.items import Entry, entries_from_json
from integrations.jira import JiraTracker
from integrations.outbox import SQLiteOutbox
from integrations.payload import IssueSettings, issue_fields
from integrations.store import SQLiteIdempotencyStore, exclusive
from integrations.tracker import idempotency_key, idempotency_label

store_option = click.option(
    "--store",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="ACTIONBOT_JIRA_STORE",
    default=lambda: Path(click.get_app_dir("actionbot")) / "jira.sqlite3",
    show_default="<app dir>/jira.sqlite3",
    help="SQLite file of filed keys and kept items (env ACTIONBOT_JIRA_STORE).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object per item.")
# How long a run waits for another run on the same store before giving up (it files nothing then).
STORE_WAIT_S = 120.0


def _load(file: str | None, item: str | None) -> Any:
    if (file is None) == (item is None):
        raise click.UsageError("give either FILE (an extraction JSON, - for stdin) or --item JSON")
    if item is not None:
        text, name = item, "--item"
    else:
        name = "stdin" if file == "-" else str(file)
        try:
            if file == "-":
                text = sys.stdin.read()
            else:
                text = Path(str(file)).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise click.ClickException(f"{name}: cannot read it ({exc.__class__.__name__})") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise click.ClickException(
            f"{name}: not JSON ({exc}); pass the output of `actionbot extract --output json`"
        ) from None


def _report(outcomes: list[Outcome], as_json: bool, store: Path) -> None:
    for o in outcomes:
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "key": o.key,
                        "task": o.entry.item.task,
                        "issue": o.ref.key if o.ref else None,
                        "url": o.ref.url if o.ref else None,
                        "error": o.error,
                    },
                    ensure_ascii=False,
                )
            )
        elif o.ref:
            click.echo(f"{o.ref.key}  {o.ref.url}  {o.entry.item.task}")
        else:
            click.echo(f"kept  {o.entry.item.task}: {o.error}", err=True)
    failed = sum(o.ref is None for o in outcomes)
    if failed:
        raise click.ClickException(
            f"{failed} of {len(outcomes)} item(s) not filed; they are kept in {store}. "
            "Fix the cause above, then run `actionbot jira retry`"
        )


def _open(store: Path) -> tuple[SQLiteIdempotencyStore, SQLiteOutbox]:
    try:
        return SQLiteIdempotencyStore(store), SQLiteOutbox(store)
    except (OSError, sqlite3.Error) as exc:
        raise click.ClickException(
            f"ACTIONBOT_JIRA_STORE: cannot open {store} ({exc}); pass --store with a writable file path"
        ) from None


def _file(entries: list[Entry], store: Path, as_json: bool) -> None:
    try:
        config = JiraConfig.from_env(os.environ)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    keys, outbox = _open(store)
    try:
        with exclusive(
            store, STORE_WAIT_S, lambda: click.echo(f"waiting for another run on {store}…", err=True)
        ):
            tracker = JiraTracker(config, store=keys)
            try:
                outcomes = file_entries(tracker, entries, outbox)
            finally:
                tracker.close()
    except (ConfigError, StoreBusyError) as exc:  # ConfigError: an unreadable JIRA_USER_MAP_FILE
        raise click.ClickException(str(exc)) from None
    _report(outcomes, as_json, store)


@click.command()
@click.argument("file", required=False)
@click.option("--item", help='One item as JSON, e.g. \'{"task": "Ship it", "owner": "Dana"}\'.')
@click.option("--extraction-id", help="Id of the extraction (default: a hash of the items, so reruns match).")
@click.option("--channel", help="Slack channel id, picks the project through JIRA_PROJECT_MAP.")
@click.option("--permalink", help="Link back to the Slack thread, put in the description.")
@click.option("--meeting-date", type=click.DateTime(["%Y-%m-%d"]), help="Meeting date (default: from FILE).")
@click.option("--dry-run", is_flag=True, help="Print the fields each issue would get; contact no one.")
@store_option
@json_option
def create(
    file: str | None,
    item: str | None,
    extraction_id: str | None,
    channel: str | None,
    permalink: str | None,
    meeting_date: dt.datetime | None,
    dry_run: bool,
    store: Path,
    as_json: bool,
) -> None:
    """File one Jira issue per action item of FILE (what `actionbot extract --output json` writes) or --item.

    Filing the same items again returns the issues already made. Items that fail are kept in --store
    and filed by `actionbot jira retry`.

    Example:

        actionbot jira create meeting.json --channel C0123ABCD
    """
    try:
        entries = entries_from_json(
            _load(file, item),
            extraction_id=extraction_id,
            channel_id=channel,
            permalink=permalink,
            meeting_date=meeting_date.date() if meeting_date else None,
        )
    except ItemFormatError as exc:
        raise click.ClickException(str(exc)) from None
    if not entries:
        click.echo("no action items to file", err=True)
        return
    if dry_run:
        _dry_run(entries)
        return
    _file(entries, store, as_json)


def _dry_run(entries: list[Entry]) -> None:
    try:
        config = JiraConfig.from_env(os.environ)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    deployment = config.deployment or ("cloud" if config.auth_kind() == "basic" else "datacenter")
    for entry in entries:
        settings = IssueSettings(
            project=config.project_for(entry.ctx.channel_id),
            issue_type=config.issue_type,
            api_version="3" if deployment == "cloud" else "2",
            labels=config.labels,
            priority_map=config.priority_map,
        )
        key = idempotency_key(entry.ctx)
        fields = issue_fields(
            entry.item, entry.ctx, settings, idem_label=idempotency_label(key), assignee=None
        )
        click.echo(json.dumps({"key": key, "fields": fields}, indent=2, ensure_ascii=False))
    click.echo(
        f"{len(entries)} issue(s) would be filed (not created; assignees are looked up when filing)", err=True
    )


@click.command()
@click.option("--list", "list_only", is_flag=True, help="Only list the kept items and their last error.")
@store_option
@json_option
def retry(list_only: bool, store: Path, as_json: bool) -> None:
    """File the items kept after a failure (Jira down, bad settings); each still gets exactly one issue.

    Example:

        actionbot jira retry --list && actionbot jira retry
    """
    kept = _open(store)[1].pending() if store.exists() else []
    if not kept:
        click.echo("nothing to retry", err=True)
        return
    if list_only:
        for p in kept:
            click.echo(f"{p.key}  tries={p.attempts}  {p.entry.item.task}: {p.error}")
        return
    _file([p.entry for p in kept], store, as_json)
