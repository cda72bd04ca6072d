"""Buttons and the Edit modal over real HTTP: one click -> one ticket -> chat.update; double
clicks, failures with Retry, dismiss, create all, allowlists and a restart in between."""

from __future__ import annotations

import json
import threading

import pytest
from bot_harness import CHANNEL, TRANSCRIPT, FakeTracker, item_ids, result_messages, wait_results
from mock_slack import block_problems, view_problems

from bot import ids
from integrations.errors import AuthError, ServerError


def _extract(bot, slack):
    bot.command(TRANSCRIPT)
    [msg] = wait_results(slack)
    return msg


def _latest(slack, ts):
    return next(m for m in result_messages(slack) if m["ts"] == ts)


def _updated_with(slack, needle):
    return slack.wait_for(
        lambda: [c for c in slack.calls_to("chat.update") if needle in json.dumps(c.params.get("blocks"))]
    )


def test_create_button_files_one_issue_and_shows_its_key(make_bot, slack):
    tracker = FakeTracker()
    bot = make_bot(tracker=tracker)
    msg = _extract(bot, slack)
    first = item_ids(msg)[0]
    status, _ = bot.click(ids.CREATE_ISSUE, first, message_ts=msg["ts"])
    assert status == 200
    _updated_with(slack, "OPS-1")
    item, ctx, key = tracker.calls[0]
    assert item.task == "Send the revised budget to finance"
    assert item.owner_slack_id == "U1DANA" and item.owner_email == "dana@example.test"
    assert item.priority == "high" and item.deadline_date is not None
    assert ctx.item_id == first and ctx.channel_id == CHANNEL and ctx.slack_permalink
    assert key == f"{ctx.extraction_id}:{ctx.item_id}"
    row = _latest(slack, msg["ts"])
    assert "<https://jira.example.test/browse/OPS-1|OPS-1>" in json.dumps(row["blocks"])
    assert first not in item_ids(row)  # no more buttons on that row
    assert block_problems(row["blocks"]) == []


def test_double_click_creates_one_issue(make_bot, slack):
    tracker = FakeTracker(gate=threading.Event())
    bot = make_bot(tracker=tracker)
    msg = _extract(bot, slack)
    first = item_ids(msg)[0]
    bot.click(ids.CREATE_ISSUE, first, message_ts=msg["ts"], response="c1")
    assert tracker.entered.wait(10)
    # The second click arrives while the first is still inside the tracker.
    bot.click(ids.CREATE_ISSUE, first, message_ts=msg["ts"], response="c2")
    busy = slack.wait_for(lambda: [r for r in slack.responses if "being created" in r.get("text", "")])
    assert busy
    tracker.gate.set()
    _updated_with(slack, "OPS-1")
    bot.click(ids.CREATE_ISSUE, first, message_ts=msg["ts"], response="c3")
    slack.wait_for(lambda: [r for r in slack.responses if "already has an issue: OPS-1" in r.get("text", "")])
    assert len(tracker.calls) == 1


def test_failure_shows_ephemeral_retry_and_the_item_stays(make_bot, slack):
    tracker = FakeTracker()
    tracker.failures.append(ServerError("Jira is having trouble", status_code=503))
    bot = make_bot(tracker=tracker)
    msg = _extract(bot, slack)
    first = item_ids(msg)[0]
    bot.click(ids.CREATE_ISSUE, first, message_ts=msg["ts"])
    err = slack.wait_for(lambda: [r for r in slack.responses if "Couldn't create" in r.get("text", "")])[0]
    assert err["response_type"] == "ephemeral" and "HTTP 503" in err["text"]
    retry = [e for b in err["blocks"] if b["type"] == "actions" for e in b["elements"]][0]
    assert retry["action_id"] == ids.RETRY_CREATE and retry["value"] == first
    assert first in item_ids(_latest(slack, msg["ts"]))  # buttons still there
    bot.click(ids.RETRY_CREATE, first, message_ts="eph.1", ephemeral=True, response="retry")
    _updated_with(slack, "OPS-2")
    slack.wait_for(lambda: [r for r in slack.responses if r.get("delete_original")])
    assert len(tracker.calls) == 2


def test_tracker_errors_are_shown_without_internals(make_bot, slack):
    tracker = FakeTracker()
    tracker.failures.append(
        AuthError("Jira refused the credentials", status_code=401, fix="check JIRA_API_TOKEN")
    )
    bot = make_bot(tracker=tracker)
    msg = _extract(bot, slack)
    bot.click(ids.CREATE_ISSUE, item_ids(msg)[1], message_ts=msg["ts"])
    err = slack.wait_for(lambda: [r for r in slack.responses if "Couldn't create" in r.get("text", "")])[0]
    assert "Jira refused the credentials (HTTP 401)" in err["text"]
    assert "Traceback" not in err["text"]


def test_restart_between_extraction_and_click_still_works(make_bot, slack):
    first_bot = make_bot(tracker=FakeTracker())
    msg = _extract(first_bot, slack)
    first_bot.stop()
    tracker = FakeTracker()
    second_bot = make_bot(tracker=tracker)  # same database, new process state
    second_bot.click(ids.CREATE_ISSUE, item_ids(msg)[2], message_ts=msg["ts"])
    update = _updated_with(slack, "OPS-1")[0]
    assert update.params["ts"] == msg["ts"]
    assert tracker.calls[0][0].task == "Draft the agenda"


def test_dismiss_strikes_the_row_and_blocks_creation(make_bot, slack):
    tracker = FakeTracker()
    bot = make_bot(tracker=tracker)
    msg = _extract(bot, slack)
    second = item_ids(msg)[1]
    bot.click(ids.DISMISS_ITEM, second, user="U2LEE", message_ts=msg["ts"])
    _updated_with(slack, "Dismissed by <@U2LEE>")
    assert second not in item_ids(_latest(slack, msg["ts"]))
    bot.click(ids.CREATE_ISSUE, second, message_ts=msg["ts"])
    slack.wait_for(lambda: [r for r in slack.responses if "dismissed" in r.get("text", "")])
    assert tracker.calls == []


def test_create_all_files_every_open_item(make_bot, slack):
    tracker = FakeTracker()
    bot = make_bot(tracker=tracker)
    msg = _extract(bot, slack)
    bot.click(ids.DISMISS_ITEM, item_ids(msg)[1], message_ts=msg["ts"])
    _updated_with(slack, "Dismissed")
    [extraction_id] = item_ids(_latest(slack, msg["ts"]), ids.CREATE_ALL) or item_ids(msg, ids.CREATE_ALL)
    bot.click(ids.CREATE_ALL, extraction_id, message_ts=msg["ts"])
    _updated_with(slack, "OPS-2")
    slack.wait_for(lambda: "OPS-2" in json.dumps(_latest(slack, msg["ts"])["blocks"]))
    assert sorted(c[0].task for c in tracker.calls) == [
        "Draft the agenda",
        "Send the revised budget to finance",
    ]
    final = _latest(slack, msg["ts"])
    assert item_ids(final) == [] and item_ids(final, ids.CREATE_ALL) == []


@pytest.mark.parametrize(
    ("overrides", "user"),
    [
        ({"ticket_users": frozenset({"U2LEE"})}, "U1DANA"),
        ({"ticket_channels": frozenset({"C0OTHER"})}, "U2LEE"),
    ],
    ids=["user-not-listed", "channel-not-listed"],
)
def test_allowlist_refuses_ticket_creation(make_bot, slack, overrides, user):
    tracker = FakeTracker()
    bot = make_bot(tracker=tracker, **overrides)
    msg = _extract(bot, slack)
    bot.click(ids.CREATE_ISSUE, item_ids(msg)[0], user=user, message_ts=msg["ts"])
    slack.wait_for(lambda: [r for r in slack.responses if "can't create tickets" in r.get("text", "")])
    assert tracker.calls == []


@pytest.mark.parametrize("action", [ids.CREATE_ALL, ids.EDIT_ITEM, ids.DISMISS_ITEM])
def test_allowlist_covers_every_button_on_an_item(make_bot, slack, action):
    # Edit's submit files the issue and Dismiss rules one out: both are ticket decisions.
    tracker = FakeTracker()
    bot = make_bot(tracker=tracker, ticket_users=frozenset({"U2LEE"}))
    msg = _extract(bot, slack)
    value = item_ids(msg, ids.CREATE_ALL)[0] if action == ids.CREATE_ALL else item_ids(msg)[0]
    bot.click(action, value, user="U1DANA", message_ts=msg["ts"])
    slack.wait_for(lambda: [r for r in slack.responses if "can't create tickets" in r.get("text", "")])
    assert tracker.calls == [] and not slack.calls_to("views.open")
    assert item_ids(_latest(slack, msg["ts"])) == item_ids(msg)  # every item still open


def test_allowlist_refuses_an_edit_submitted_by_someone_not_listed(make_bot, slack):
    tracker = FakeTracker()
    bot = make_bot(tracker=tracker, ticket_users=frozenset({"U2LEE"}))
    msg = _extract(bot, slack)
    first = item_ids(msg)[0]
    state = {
        "values": {ids.EDIT_TASK_BLOCK: {ids.EDIT_TASK: {"type": "plain_text_input", "value": "Hijacked"}}}
    }
    view = {
        "type": "modal",
        "callback_id": ids.EDIT_VIEW,
        "id": "V1",
        "state": state,
        "private_metadata": json.dumps({"item": int(first)}),
    }
    status, _ = bot.interactive({"type": "view_submission", "user": {"id": "U1DANA"}, "view": view})
    assert status == 200
    eph = slack.wait_calls("chat.postEphemeral")[0]
    assert "can't create tickets" in eph.params["text"] and eph.params["user"] == "U1DANA"
    assert tracker.calls == []
    assert bot.services.store.get_item(int(first)).item.task == "Send the revised budget to finance"


def test_jira_not_configured_is_explained(make_bot, slack):
    bot = make_bot(tracker=None)
    msg = _extract(bot, slack)
    bot.click(ids.CREATE_ISSUE, item_ids(msg)[0], message_ts=msg["ts"])
    slack.wait_for(lambda: [r for r in slack.responses if "Jira isn't configured" in r.get("text", "")])


def test_edit_opens_a_valid_modal_and_submit_creates_with_the_edits(make_bot, slack):
    tracker = FakeTracker()
    bot = make_bot(tracker=tracker)
    msg = _extract(bot, slack)
    third = item_ids(msg)[2]  # Alex: not a member, so the modal offers a picker
    bot.click(ids.EDIT_ITEM, third, message_ts=msg["ts"])
    view = slack.wait_calls("views.open")[0].params["view"]
    assert view_problems(view) == [] and slack.calls_to("views.open")[0].response["ok"]
    assert json.loads(view["private_metadata"]) == {"item": int(third)}
    state = {
        "values": {
            ids.EDIT_OWNER_BLOCK: {ids.EDIT_OWNER: {"type": "users_select", "selected_user": "U3SAM"}},
            ids.EDIT_TASK_BLOCK: {
                ids.EDIT_TASK: {"type": "plain_text_input", "value": "Draft and share the agenda"}
            },
            ids.EDIT_DUE_BLOCK: {ids.EDIT_DUE: {"type": "datepicker", "selected_date": "2025-04-01"}},
            ids.EDIT_PRIORITY_BLOCK: {
                ids.EDIT_PRIORITY: {"type": "static_select", "selected_option": {"value": "medium"}}
            },
        }
    }
    status, body = bot.interactive(
        {
            "type": "view_submission",
            "user": {"id": "U1DANA"},
            "trigger_id": "t",
            "view": {**view, "id": "V0001", "state": state},
        }
    )
    assert status == 200 and body == ""
    _updated_with(slack, "OPS-1")
    item = tracker.calls[0][0]
    assert (item.task, item.owner_slack_id, item.owner_email, str(item.deadline_date), item.priority) == (
        "Draft and share the agenda",
        "U3SAM",
        "sam@example.test",
        "2025-04-01",
        "medium",
    )
    assert "<@U3SAM>" in json.dumps(_latest(slack, msg["ts"])["blocks"])


def test_edit_with_a_blank_task_keeps_the_modal_open(make_bot, slack):
    bot = make_bot(tracker=FakeTracker())
    msg = _extract(bot, slack)
    state = {"values": {ids.EDIT_TASK_BLOCK: {ids.EDIT_TASK: {"type": "plain_text_input", "value": "  "}}}}
    view = {
        "type": "modal",
        "callback_id": ids.EDIT_VIEW,
        "id": "V1",
        "state": state,
        "private_metadata": json.dumps({"item": int(item_ids(msg)[0])}),
    }
    status, body = bot.interactive({"type": "view_submission", "user": {"id": "U1DANA"}, "view": view})
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors" and list(answer["errors"]) == [ids.EDIT_TASK_BLOCK]
    assert "Write the task" in answer["errors"][ids.EDIT_TASK_BLOCK]
