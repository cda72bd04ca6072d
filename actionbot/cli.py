"""The `actionbot` click group. Each command lives beside the package it drives and is
imported only when invoked, so `actionbot --help` stays fast (no torch import)."""

from __future__ import annotations

import importlib

import click

# command name -> "module:attribute" of a click.Command
COMMANDS = {
    "extract": "extractor.cli:extract",
    "eval": "extractor.cli:eval_cmd",
    "train": "training.cli:train",
    "serve": "bot.cli:serve",
    "jira": "integrations.cli:jira",
    "bench": "extractor.bench:bench",
    "api": "extractor.service.cli:api",
    "models": "extractor.cli:models",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup)
@click.version_option(package_name="actionbot")
def cli() -> None:
    """actionbot: turn meeting transcripts into action items and Jira issues.

    Example:

        actionbot extract examples/product_demo.txt
    """
