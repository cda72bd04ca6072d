"""docs/env.bot (pasted into .env.example) lists every variable the bot reads, and parses;
.env.example holds every one of them."""

from __future__ import annotations

import re
from pathlib import Path

from dotenv import dotenv_values

from bot.settings import BotSettings

ROOT = Path(__file__).resolve().parents[2]


def _read_by_code() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        source = path.read_text()
        names |= set(re.findall(r'env\.get\("([A-Z_]+)"', source))
        names |= set(re.findall(r'envvar="([A-Z_]+)"', source))
    return names - {"JIRA_URL"}  # Jira's variables are documented in docs/env.jira


def test_every_variable_the_bot_reads_is_documented():
    documented = set(dotenv_values(ROOT / "docs" / "env.bot"))
    missing = _read_by_code() - documented
    assert not missing, f"add {sorted(missing)} to docs/env.bot with a one-line comment"


def test_the_documented_values_build_valid_settings():
    values = {k: v for k, v in dotenv_values(ROOT / "docs" / "env.bot").items() if v is not None}
    settings = BotSettings.from_env(values)
    assert not settings.socket_mode and settings.extractor_url is None
    assert settings.max_file_bytes == 5 * 1024 * 1024 and settings.file_hosts == frozenset(
        {"files.slack.com"}
    )


def test_env_example_lists_every_bot_variable():
    missing = set(dotenv_values(ROOT / "docs" / "env.bot")) - set(dotenv_values(ROOT / ".env.example"))
    assert not missing, f"paste docs/env.bot into .env.example again; it lacks {sorted(missing)}"
