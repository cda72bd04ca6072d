"""`actionbot jira check` through CliRunner, offline (--dry-run) and against the fake Jira."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fake_jira import FakeJira

from actionbot.cli import cli
from integrations.cli import jira


def env_for(fake: FakeJira, **extra: str) -> dict[str, str]:
    auth = {"JIRA_EMAIL": fake.email, "JIRA_API_TOKEN": fake.token} if fake.cloud else {"JIRA_PAT": fake.pat}
    return {
        "JIRA_URL": fake.url,
        "JIRA_PROJECT": "OPS",
        "JIRA_TIMEOUT_S": "3",
        "JIRA_MAX_ATTEMPTS": "1",
        **auth,
        **extra,
    }


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(jira, ["check", *args], env=env)


OFFLINE_CLOUD = {
    "JIRA_URL": "http://127.0.0.1:9",
    "JIRA_EMAIL": "bot@example.com",
    "JIRA_API_TOKEN": "tok-SECRET",
    "JIRA_PROJECT": "OPS",
}
OFFLINE_DC = {"JIRA_URL": "http://127.0.0.1:9", "JIRA_PAT": "pat-SECRET", "JIRA_PROJECT": "OPS"}


@pytest.mark.parametrize("env, description_type", [(OFFLINE_CLOUD, dict), (OFFLINE_DC, str)])
def test_dry_run_prints_sample_without_network(env: dict[str, str], description_type: type) -> None:
    result = run(env, "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] and report["deployment"] == ("cloud" if description_type is dict else "datacenter")
    fields = report["sample_fields"]
    assert isinstance(fields["description"], description_type)
    assert fields["project"] == {"key": "OPS"} and fields["priority"] == {"name": "High"}
    assert fields["labels"][0] == "actionbot" and fields["labels"][1].startswith("actionbot-")
    assert "SECRET" not in result.output


def test_dry_run_text_output() -> None:
    result = run({**OFFLINE_CLOUD, "JIRA_PRIORITY_MAP": "none", "JIRA_ISSUE_TYPE": "Story"}, "--dry-run")
    assert result.exit_code == 0
    assert (
        "not created" in result.output
        and '"name": "Story"' in result.output
        and '"priority"' not in result.output
    )


def test_dry_run_validates_user_map(tmp_path: Any) -> None:
    bad = tmp_path / "users.json"
    bad.write_text("[1, 2]")
    result = run({**OFFLINE_CLOUD, "JIRA_USER_MAP_FILE": str(bad)}, "--dry-run")
    assert (
        result.exit_code == 1 and "JIRA_USER_MAP_FILE" in result.output and "Traceback" not in result.output
    )


@pytest.mark.parametrize(
    "env, fragment",
    [
        ({}, "JIRA_URL"),
        ({**OFFLINE_CLOUD, "JIRA_PROJECT_MAP": "C1"}, "JIRA_PROJECT_MAP"),
        ({**OFFLINE_CLOUD, "JIRA_API_TOKEN": ""}, "JIRA_EMAIL + JIRA_API_TOKEN"),
    ],
)
def test_config_errors_are_one_line(env: dict[str, str], fragment: str) -> None:
    result = run(env, "--dry-run")
    assert result.exit_code == 1 and result.output.startswith("Error: " + fragment)
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_live_check_passes(fake: FakeJira) -> None:
    result = run(env_for(fake, JIRA_PROJECT_MAP="C456:ENG"))
    assert result.exit_code == 0, result.output
    for line in [
        "ok    server: Jira",
        "ok    credentials: authenticated as Action Bot",
        "ok    priorities",
        "ok    project OPS",
        "ok    project ENG",
        "ok    issue type OPS/Task",
        "ok    create screen OPS/Task",
        "not created",
    ]:
        assert line in result.output
    assert fake.calls("POST", "issue") == []  # check never creates


def test_live_check_json(fake: FakeJira) -> None:
    report = json.loads(run(env_for(fake), "--json").output)
    assert report["ok"] and report["deployment"] == ("cloud" if fake.cloud else "datacenter")
    assert isinstance(report["sample_fields"]["description"], dict if fake.cloud else str)


def test_bad_token_fails_with_fix_and_no_secret(fake: FakeJira) -> None:
    bad = {"JIRA_API_TOKEN": "wrong-SECRET"} if fake.cloud else {"JIRA_PAT": "wrong-SECRET"}
    result = run(env_for(fake, **bad))
    assert result.exit_code == 1
    assert (
        "FAIL  credentials" in result.output
        and "HTTP 401" in result.output
        and "fix: check JIRA_" in result.output
    )
    assert "SECRET" not in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    "extra, setup, fail_line, fix",
    [
        ({"JIRA_PROJECT_MAP": "C9:NOPE"}, None, "FAIL  project NOPE", "JIRA_PROJECT"),
        (
            {"JIRA_ISSUE_TYPE": "Epic"},
            None,
            "FAIL  issue type OPS/Epic",
            "JIRA_ISSUE_TYPE to one of: Task, Bug",
        ),
        ({"JIRA_PRIORITY_MAP": "high:Urgent"}, None, "FAIL  priorities", "JIRA_PRIORITY_MAP="),
        (
            {},
            lambda f: f.screen.discard("priority"),
            "FAIL  create screen OPS/Task",
            "JIRA_PRIORITY_MAP=none",
        ),
        (
            {},
            lambda f: f.required_extra.update({"customfield_1": "Team"}),
            "FAIL  create screen OPS/Task",
            "Team",
        ),
        (
            {},
            lambda f: f.screen.discard("assignee"),
            "warn  assignee OPS/Task",
            "assigned right after creation",
        ),
    ],
)
def test_live_check_reports_problems(
    fake: FakeJira, extra: dict[str, str], setup: Any, fail_line: str, fix: str
) -> None:
    if setup:
        setup(fake)
    result = run(env_for(fake, **extra))
    assert fail_line in result.output and fix in result.output
    assert result.exit_code == (0 if fail_line.startswith("warn") else 1)


def test_unreachable_jira(fake: FakeJira) -> None:
    result = run(env_for(fake, JIRA_URL="http://127.0.0.1:9"))
    assert result.exit_code == 1 and "FAIL  server" in result.output and "JIRA_URL" in result.output


def test_wired_into_actionbot_group() -> None:
    result = CliRunner().invoke(cli, ["jira", "check", "--dry-run"], env=OFFLINE_DC)
    assert result.exit_code == 0 and "not created" in result.output
    assert "jira check --dry-run" in CliRunner().invoke(cli, ["jira", "--help"]).output


def test_live_check_user_lookup_ok(fake: FakeJira) -> None:
    result = run(env_for(fake))
    expected = "acc-bot" if fake.cloud else "actionbot"
    assert f"ok    user lookup: bot@example.com -> {expected}" in result.output


@pytest.mark.parametrize(
    "setup, fragment",
    [
        (
            lambda f: f.fail("GET", "user/search", 403, {"errorMessages": ["Browse users denied"]}),
            "cannot search users",
        ),
        (lambda f: f.fail("GET", "user/search", 200, []), "found no single account"),
    ],
)
def test_live_check_user_lookup_warns(fake: FakeJira, setup: Any, fragment: str) -> None:
    setup(fake)
    result = run(env_for(fake))
    assert result.exit_code == 0 and "warn  user lookup" in result.output and fragment in result.output
    assert "JIRA_USER_MAP_FILE" in result.output


def test_hidden_bot_email_warns(cloud: FakeJira) -> None:
    cloud.bot_email_hidden = True
    result = run(env_for(cloud))
    assert result.exit_code == 0 and "warn  user lookup: the Jira user has no visible e-mail" in result.output


@pytest.mark.parametrize("fields_missing, status", [(False, "warn"), (True, "FAIL")])
def test_no_createmeta_falls_back_to_field_list(fake: FakeJira, fields_missing: bool, status: str) -> None:
    fake.fail("GET", r"issue/createmeta/.*", 404, {"errorMessages": ["null for uri"]})
    if fields_missing:
        fake.fail("GET", "field", 200, [{"id": "summary"}, {"id": "description"}, {"id": "labels"}])
    result = run(env_for(fake))
    assert (
        f"{status.ljust(4)}  create screen OPS/Task: not checked: this Jira has no createmeta"
        in result.output
    )
    if fields_missing:
        assert "fields missing in Jira: duedate, priority" in result.output and result.exit_code == 1
    else:
        assert "the 5 fields exist" in result.output and result.exit_code == 0
    assert fake.calls("GET", "field")
