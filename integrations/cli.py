"""`actionbot jira ...`: check the Jira setup from the shell."""

from __future__ import annotations

import dataclasses
import json
import os

import click

from integrations.cli_filing import create, retry
from integrations.config import JiraConfig, load_user_map
from integrations.errors import ConfigError
from integrations.health import sample_fields
from integrations.jira import JiraTracker
from integrations.tracker import HealthReport

_MARK = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}


@click.group()
def jira() -> None:
    """Jira integration: verify the settings, file action items, retry the ones kept after a failure.

    Example:

        actionbot jira check --dry-run
    """


jira.add_command(create)
jira.add_command(retry)


@jira.command()
@click.option(
    "--dry-run",
    is_flag=True,
    help="Only validate the JIRA_* settings and print the sample issue; no network.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def check(dry_run: bool, as_json: bool) -> None:
    """Verify credentials, project, issue type, priorities and the create screen, then print the issue a
    sample item would become. Creates nothing. Settings come from JIRA_* variables (or .env).

    Example:

        JIRA_URL=https://acme.atlassian.net JIRA_EMAIL=me@acme.com JIRA_API_TOKEN=... JIRA_PROJECT=OPS actionbot jira check
    """
    try:
        config = JiraConfig.from_env(os.environ)
        report = _dry_run(config) if dry_run else _live(config)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(
            json.dumps(
                {
                    "ok": report.ok,
                    "deployment": report.deployment,
                    "checks": [dataclasses.asdict(c) for c in report.checks],
                    "sample_fields": report.sample_fields,
                },
                indent=2,
            )
        )
    else:
        for c in report.checks:
            click.echo(f"{_MARK.get(c.status, c.status)}  {c.name}: {c.detail}")
            if c.fix and c.status != "ok":
                click.echo(f"      fix: {c.fix}")
        if report.sample_fields:
            click.echo("\nA sample item would be created as (not created):")
            click.echo(json.dumps(report.sample_fields, indent=2, ensure_ascii=False))
    if not report.ok:
        failed = sum(c.status == "fail" for c in report.checks)
        raise click.ClickException(f"Jira check failed: {failed} problem(s) above; fix them and run again")


def _dry_run(config: JiraConfig) -> HealthReport:
    deployment = config.deployment or ("cloud" if config.auth_kind() == "basic" else "datacenter")
    report = HealthReport(deployment=deployment)
    report.add(
        "config",
        "ok",
        f"{config.url}, project {config.project}, {deployment} "
        f"({config.auth_kind()} auth; Jira not contacted)",
    )
    if config.user_map_file:
        report.add(
            "user map", "ok", f"{len(load_user_map(config.user_map_file))} entries in {config.user_map_file}"
        )
    report.sample_fields = sample_fields(config, "3" if deployment == "cloud" else "2")
    return report


def _live(config: JiraConfig) -> HealthReport:
    tracker = JiraTracker(config)
    try:
        return tracker.check()
    finally:
        tracker.close()
