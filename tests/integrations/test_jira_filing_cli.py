"""`actionbot jira create` / `retry` through CliRunner against the fake Jira (Cloud and Data Center):
one correct issue per item, reruns find their issues, and items survive Jira being down."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fake_jira import FakeJira
from test_jira_cli import OFFLINE_CLOUD, OFFLINE_DC, env_for

from actionbot.cli import cli
from integrations import cli_filing
from integrations.outbox import SQLiteOutbox
from integrations.store import exclusive
from integrations.tracker import idempotency_label

ITEMS = {
    "action_items": [
        {
            "owner": "Dana Scully",
            "task": "Send the revised budget draft to finance",
            "deadline": "by Friday",
            "deadline_date": "2025-03-14",
            "priority": "high",
            "evidence": {
                "turn": 2,
                "time": None,
                "speaker": "Dana Scully",
                "quote": "I'll send it by Friday.",
            },
            "owner_email": "dana@example.com",
        },
        {
            "owner": "Someone Else",
            "task": "Book the room",
            "deadline": None,
            "deadline_date": None,
            "priority": "low",
            "evidence": None,
        },
    ],
    "meeting_date": "2025-03-10",
    "format": "plain",
    "model": "fake",
    "warnings": [],
}


@pytest.fixture
def items_file(tmp_path: Path) -> Path:
    path = tmp_path / "meeting.json"
    path.write_text(json.dumps(ITEMS), encoding="utf-8")
    return path


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["jira", *args], env=env, input=stdin)


def created(fake: FakeJira) -> list[dict[str, Any]]:
    return [r.body["fields"] for r in fake.calls("POST", "issue")]


def test_create_files_one_correct_issue_per_item(fake: FakeJira, items_file: Path, tmp_path: Path) -> None:
    store = str(tmp_path / "jira.sqlite3")
    result = run(env_for(fake), "create", str(items_file), "--channel", "C123", "--store", store, "--json")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["issue"] for line in lines] == ["OPS-1", "OPS-2"] and all(
        not line["error"] for line in lines
    )
    first, second = created(fake)
    assert first["summary"] == "Send the revised budget draft to finance"
    assert first["duedate"] == "2025-03-14" and first["priority"] == {"name": "High"}
    assert first["assignee"] == ({"accountId": "acc-dana"} if fake.cloud else {"name": "dscully"})
    assert first["labels"] == ["actionbot", idempotency_label(lines[0]["key"])]
    assert isinstance(first["description"], dict if fake.cloud else str)
    assert "assignee" not in second and "duedate" not in second and second["priority"] == {"name": "Low"}
    assert "Someone Else (not matched to a Jira user)" in json.dumps(second["description"])
    # The same file again: the store answers, nothing new is created.
    again = run(env_for(fake), "create", str(items_file), "--channel", "C123", "--store", store)
    assert again.exit_code == 0 and "OPS-1" in again.output and "OPS-2" in again.output
    assert len(fake.issues) == 2 and len(created(fake)) == 2


def test_rerun_with_a_lost_store_finds_issues_by_label(
    fake: FakeJira, items_file: Path, tmp_path: Path
) -> None:
    assert run(env_for(fake), "create", str(items_file), "--store", str(tmp_path / "a.db")).exit_code == 0
    result = run(env_for(fake), "create", str(items_file), "--store", str(tmp_path / "b.db"))
    assert result.exit_code == 0 and len(fake.issues) == 2 and len(created(fake)) == 2


def test_channel_picks_the_project(fake: FakeJira, tmp_path: Path) -> None:
    env = env_for(fake, JIRA_PROJECT_MAP="C456:ENG")
    result = run(
        env, "create", "--item", '{"task": "Ship it"}', "--channel", "C456", "--store", str(tmp_path / "s")
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ENG-1  ") and list(fake.issues) == ["ENG-1"]


def test_stdin(fake: FakeJira, tmp_path: Path) -> None:
    result = run(env_for(fake), "create", "-", "--store", str(tmp_path / "s"), stdin=json.dumps(ITEMS))
    assert result.exit_code == 0 and len(fake.issues) == 2


def test_jira_down_keeps_every_item_then_retry_files_each_once(
    fake: FakeJira, items_file: Path, tmp_path: Path
) -> None:
    store = str(tmp_path / "jira.sqlite3")
    fake.fail("GET", "serverInfo", 503, {"errorMessages": ["maintenance"]}, times=99)
    down = run(env_for(fake), "create", str(items_file), "--store", store)
    assert down.exit_code == 1
    assert "2 of 2 item(s) not filed" in down.output and "actionbot jira retry" in down.output
    assert "HTTP 503" in down.output and "maintenance" in down.output and "Traceback" not in down.output
    assert len(fake.calls("GET", "serverInfo")) == 1  # JIRA_MAX_ATTEMPTS=1; the second item is not tried
    kept = SQLiteOutbox(store).pending()
    assert [p.entry.item.task for p in kept] == ["Send the revised budget draft to finance", "Book the room"]
    assert kept[1].error.startswith("not tried: ")
    listed = run(env_for(fake), "retry", "--list", "--store", store)
    assert listed.exit_code == 0 and "Book the room" in listed.output and fake.issues == {}
    fake.rules.clear()  # Jira is back
    up = run(env_for(fake), "retry", "--store", store)
    assert up.exit_code == 0, up.output
    assert len(fake.issues) == 2 and SQLiteOutbox(store).pending() == []
    assert fake.issues["OPS-1"]["fields"]["duedate"] == "2025-03-14"
    assert "nothing to retry" in run(env_for(fake), "retry", "--store", store).output
    assert run(env_for(fake), "create", str(items_file), "--store", store).exit_code == 0
    assert len(fake.issues) == 2


def test_bad_token_keeps_items_without_secrets(fake: FakeJira, items_file: Path, tmp_path: Path) -> None:
    bad = {"JIRA_API_TOKEN": "wrong-SECRET"} if fake.cloud else {"JIRA_PAT": "wrong-SECRET"}
    result = run(env_for(fake, **bad), "create", str(items_file), "--store", str(tmp_path / "s"))
    assert result.exit_code == 1 and "HTTP 401" in result.output and "SECRET" not in result.output
    assert len(SQLiteOutbox(tmp_path / "s").pending()) == 2


def test_field_error_on_one_item_files_the_others(fake: FakeJira, items_file: Path, tmp_path: Path) -> None:
    fake.fail("POST", "issue", 400, {"errorMessages": [], "errors": {"customfield_1": "Team is required."}})
    result = run(env_for(fake), "create", str(items_file), "--store", str(tmp_path / "s"))
    assert result.exit_code == 1 and "1 of 2 item(s) not filed" in result.output
    assert "customfield_1" in result.output and list(fake.issues) == ["OPS-1"]
    [kept] = SQLiteOutbox(tmp_path / "s").pending()
    assert kept.entry.item.task == "Send the revised budget draft to finance"


@pytest.mark.parametrize("env, description_type", [(OFFLINE_CLOUD, dict), (OFFLINE_DC, str)])
def test_dry_run_prints_fields_offline(env: dict[str, str], description_type: type, items_file: Path) -> None:
    result = CliRunner().invoke(cli, ["jira", "create", str(items_file), "--dry-run"], env=env)
    assert result.exit_code == 0, result.output
    decoder, text, docs = json.JSONDecoder(), result.stdout, []
    while text.strip():
        doc, end = decoder.raw_decode(text.strip())
        docs.append(doc)
        text = text.strip()[end:]
    assert len(docs) == 2 and isinstance(docs[0]["fields"]["description"], description_type)
    assert docs[0]["fields"]["labels"][1] == idempotency_label(docs[0]["key"])
    assert "SECRET" not in result.output


@pytest.mark.parametrize(
    "args, stdin, fragment",
    [
        ([], None, "give either FILE"),
        (["x.json", "--item", "{}"], None, "give either FILE"),
        (["--item", "{nope"], None, "Error: --item: not JSON"),
        (["--item", '{"task": ""}'], None, "Error: action_items[0].task: must not be blank"),
        (["--item", '{"task": "x", "priority": "p1"}'], None, "action_items[0].priority: 'p1' is not one of"),
        (["missing.json"], None, "Error: missing.json: cannot read it"),
        (["-"], "[1]", "Error: action_items[0]: must be a JSON object"),
    ],
)
def test_bad_input_is_one_line(args: list[str], stdin: str | None, fragment: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["jira", "create", *args, "--store", str(tmp_path / "s")], env=OFFLINE_CLOUD, input=stdin
    )
    assert result.exit_code in (1, 2) and fragment in result.output and "Traceback" not in result.output


def test_config_error_is_one_line(items_file: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["jira", "create", str(items_file), "--store", str(tmp_path / "s")], env={}
    )
    assert result.exit_code == 1 and result.output.startswith("Error: JIRA_URL")


def test_empty_extraction_files_nothing(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["jira", "create", "--item", '{"action_items": []}'], env=OFFLINE_CLOUD)
    assert result.exit_code == 0 and "no action items" in result.output


def test_unusable_store_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("")
    store = tmp_path / "plain" / "jira.db"  # its folder is a file
    args = ["jira", "create", "--item", '{"task": "x"}', "--store", str(store)]
    result = CliRunner().invoke(cli, args, env=OFFLINE_CLOUD)
    assert result.exit_code == 1 and "Error: ACTIONBOT_JIRA_STORE: cannot open" in result.output
    assert "Traceback" not in result.output


def test_two_processes_on_one_store_file_each_item_once(
    fake: FakeJira, items_file: Path, tmp_path: Path
) -> None:
    # Two real processes (say a cron `retry` overlapping a slow run): in-process key locks can't see each
    # other, so without the store lock both miss the store and the label search and file twice.
    fake.create_delay = 0.3
    env = {**os.environ, **env_for(fake), "ACTIONBOT_JIRA_STORE": str(tmp_path / "jira.sqlite3")}
    args = [sys.executable, "-m", "actionbot", "jira", "create", str(items_file)]
    runs = [subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    results = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], results
    assert sorted(fake.issues) == ["OPS-1", "OPS-2"] and len(created(fake)) == 2


def test_a_run_waits_for_another_on_the_same_store(
    fake: FakeJira, items_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "jira.sqlite3"
    monkeypatch.setattr(cli_filing, "STORE_WAIT_S", 0.3)
    with exclusive(store, 1):  # another run holds the store for longer than we wait
        busy = run(env_for(fake), "create", str(items_file), "--store", str(store))
    assert busy.exit_code == 1 and "waiting for another run" in busy.output
    assert "another `actionbot jira create` or `retry`" in busy.output and "nothing was filed" in busy.output
    assert fake.requests == [] and "Traceback" not in busy.output
    # A holder that finishes within the wait: this run waits, then files.
    monkeypatch.setattr(cli_filing, "STORE_WAIT_S", 10.0)
    held, done = threading.Event(), threading.Event()

    def other_run() -> None:
        with exclusive(store, 1):
            held.set()
            done.wait(0.3)

    holder = threading.Thread(target=other_run)
    holder.start()
    held.wait(5)
    waited = run(env_for(fake), "create", str(items_file), "--store", str(store))
    holder.join()
    assert waited.exit_code == 0 and "waiting for another run" in waited.output and len(fake.issues) == 2
