"""Pure payload building: summary, ADF/wiki description, fields per deployment, tracker value types."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace
from typing import Any

import pytest
from fake_jira_checks import adf_problem
from jira_samples import ctx, item

from integrations.payload import IssueSettings, issue_fields, summary, to_adf, to_wiki, wiki_escape
from integrations.tracker import TrackerContext, TrackerItem, TrackerUser, idempotency_key, idempotency_label

PRIO = {"high": "Highest", "medium": "Medium", "low": "Lowest"}


def settings(version: str = "3", **kw: Any) -> IssueSettings:
    values: dict[str, Any] = dict(
        project="OPS", issue_type="Task", api_version=version, labels=("actionbot",), priority_map=PRIO
    )
    return IssueSettings(**{**values, **kw})


def adf_text(doc: dict[str, Any]) -> str:
    """All text nodes of an ADF doc, one paragraph per line."""

    def walk(node: dict[str, Any]) -> str:
        if node.get("type") == "text":
            return node["text"]
        return "".join(walk(c) for c in node.get("content", []))

    return "\n".join(walk(block) for block in doc["content"])


@pytest.mark.parametrize(
    "task, expected",
    [
        ("  Ship   the\nrelease notes ", "Ship the release notes"),
        ("x" * 255, "x" * 255),
    ],
)
def test_summary_short(task: str, expected: str) -> None:
    assert summary(task) == expected


def test_summary_is_cut_to_255() -> None:
    text = "abcdefghi " * 40
    out = summary(text)
    assert 250 <= len(out) <= 255 and out.endswith("…")
    assert text.startswith(out[:-1])


@pytest.mark.parametrize("version", ["2", "3"])
def test_fields_contract(version: str) -> None:
    label = idempotency_label("ex-1:0")
    fields = issue_fields(
        item(),
        ctx(),
        settings(version),
        idem_label=label,
        assignee=TrackerUser(account_id="acc-dana") if version == "3" else TrackerUser(name="dscully"),
    )
    assert fields["project"] == {"key": "OPS"}
    assert fields["issuetype"] == {"name": "Task"}
    assert fields["summary"] == "Send the revised budget draft to finance"
    assert fields["duedate"] == "2025-03-14"
    assert fields["priority"] == {"name": "Highest"}
    assert fields["labels"] == ["actionbot", label]
    assert fields["assignee"] == ({"accountId": "acc-dana"} if version == "3" else {"name": "dscully"})
    text = adf_text(fields["description"]) if version == "3" else fields["description"]
    for fragment in [
        "Owner: Dana Scully (dana@example.com)",
        "by Friday",
        "2025-03-14",
        "I'll send the budget draft to finance by Friday.",
        "https://acme.slack.com/archives/C123/",
        "ops",
        "extraction ex",
        "item 0",
    ]:
        assert fragment in text


def test_adf_is_a_doc_with_quote_and_link() -> None:
    doc = issue_fields(item(), ctx(), settings("3"), idem_label="actionbot-x", assignee=None)["description"]
    assert doc["type"] == "doc" and doc["version"] == 1
    kinds = [block["type"] for block in doc["content"]]
    assert "blockquote" in kinds
    marks = [
        m for block in doc["content"] for node in block.get("content", []) for m in node.get("marks", [])
    ]
    assert {"type": "link", "attrs": {"href": ctx().slack_permalink}} in marks
    assert all(
        node["text"]
        for block in doc["content"]
        for node in block.get("content", [])
        if node["type"] == "text"
    )


def test_wiki_has_quote_macro_and_link() -> None:
    text = issue_fields(item(), ctx(), settings("2"), idem_label="actionbot-x", assignee=None)["description"]
    assert isinstance(text, str)
    assert "{quote}I'll send the budget draft to finance by Friday.{quote}" in text
    assert f"[Slack thread|{ctx().slack_permalink}]" in text


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2025-03-14 follow-up", "2025-03-14 follow-up"),
        ("{quote}", "\\{quote\\}"),
        ("[link|x]", "\\[link\\|x\\]"),
        ("*bold* _it_", "\\*bold\\* \\_it\\_"),
        ("a - b", "a \\- b"),
        ("#1 in #ops", "\\#1 in #ops"),
    ],
)
def test_wiki_escape(raw: str, expected: str) -> None:
    assert wiki_escape(raw) == expected


def test_wiki_keeps_user_markup_literal() -> None:
    parts = [("quote", "use {code} and [x|y]", "")]
    assert to_wiki(parts) == "{quote}use \\{code\\} and \\[x\\|y\\]{quote}"
    assert adf_text(to_adf(parts)) == "use {code} and [x|y]"


@pytest.mark.parametrize(
    "overrides, absent",
    [
        ({"deadline_date": None, "deadline_phrase": None}, "duedate"),
        ({"priority": None}, "priority"),
    ],
)
def test_optional_fields_left_out(overrides: dict[str, Any], absent: str) -> None:
    fields = issue_fields(item(**overrides), ctx(), settings(), idem_label="actionbot-x", assignee=None)
    assert absent not in fields


def test_priority_map_none_sends_no_priority() -> None:
    fields = issue_fields(item(), ctx(), settings(priority_map=None), idem_label="actionbot-x", assignee=None)
    assert "priority" not in fields


@pytest.mark.parametrize(
    "overrides, line",
    [
        ({}, "Owner in the meeting: Dana Scully (not matched to a Jira user)"),
        ({"owner_name": None, "owner_email": None}, "Owner: not named in the meeting"),
    ],
)
def test_unmatched_owner_line(overrides: dict[str, Any], line: str) -> None:
    fields = issue_fields(item(**overrides), ctx(), settings("2"), idem_label="actionbot-x", assignee=None)
    assert line in fields["description"]
    assert "assignee" not in fields


def test_labels_deduplicated() -> None:
    fields = issue_fields(
        item(), ctx(), settings(labels=("actionbot", "actionbot-x")), idem_label="actionbot-x", assignee=None
    )
    assert fields["labels"] == ["actionbot", "actionbot-x"]


def test_idempotency_key_and_label() -> None:
    assert idempotency_key(ctx()) == "ex-1:0"
    label = idempotency_label("ex-1:0")
    assert label.startswith("actionbot-") and " " not in label and len(label) == len("actionbot-") + 16
    assert label == idempotency_label("ex-1:0") != idempotency_label("ex-1:1")


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"task": "  "}, "task"),
        ({"task": "x", "priority": "urgent"}, "priority"),
    ],
)
def test_item_validation(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=f"^{field}:"):
        TrackerItem(**kwargs)


def test_context_validation() -> None:
    with pytest.raises(ValueError, match="^item_id:"):
        TrackerContext(extraction_id="ex", item_id=" ")


def test_from_action_item_duck_types() -> None:
    action = SimpleNamespace(
        owner="Dana",
        task="Ship it",
        deadline="Friday",
        deadline_date=dt.date(2025, 3, 14),
        priority="low",
        evidence=SimpleNamespace(quote="I'll ship it"),
    )
    got = TrackerItem.from_action_item(action, owner_email="dana@example.com")
    assert got == TrackerItem(
        task="Ship it",
        owner_name="Dana",
        owner_email="dana@example.com",
        deadline_phrase="Friday",
        deadline_date=dt.date(2025, 3, 14),
        priority="low",
        evidence_quote="I'll ship it",
    )


@pytest.mark.parametrize(
    "task, limit_ok",
    [
        ("🚀" * 200, True),  # 400 UTF-16 units: Jira would refuse a code-point cut at 255
        ("ab🚀" * 100, True),
        ("é" * 300, True),
    ],
)
def test_summary_limit_counts_utf16_like_jira(task: str, limit_ok: bool) -> None:
    from integrations.payload import jira_length

    out = summary(task)
    assert (jira_length(out) <= 255) == limit_ok and out.endswith("…")
    assert task.startswith(out[:-1])


@pytest.mark.parametrize("version", ["2", "3"])
def test_cut_summary_keeps_full_task_in_description(version: str) -> None:
    task = "Review the vendor contract clause by clause " * 8
    fields = issue_fields(item(task=task), ctx(), settings(version), idem_label="actionbot-x", assignee=None)
    text = adf_text(fields["description"]) if version == "3" else fields["description"]
    assert fields["summary"].endswith("…")
    assert ("Task: " + " ".join(task.split())) in text.replace("\\", "")


def test_short_task_is_not_repeated() -> None:
    fields = issue_fields(item(), ctx(), settings("2"), idem_label="actionbot-x", assignee=None)
    assert "Task:" not in fields["description"]


@pytest.mark.parametrize("quote", ["   ", "", None])
def test_blank_quote_left_out(quote: str | None) -> None:
    doc = issue_fields(item(evidence_quote=quote), ctx(), settings("3"), idem_label="a-x", assignee=None)[
        "description"
    ]
    assert "blockquote" not in [b["type"] for b in doc["content"]]
    assert "Said in the meeting" not in adf_text(doc)


def test_long_quote_is_capped() -> None:
    fields = issue_fields(
        item(evidence_quote="word " * 3000), ctx(), settings("3"), idem_label="a-x", assignee=None
    )
    [quote] = [b for b in fields["description"]["content"] if b["type"] == "blockquote"]
    assert len(adf_text({"content": [quote]})) <= 2000


@pytest.mark.parametrize("version", ["2", "3"])
def test_permalink_that_is_not_a_url_is_plain_text(version: str) -> None:
    fields = issue_fields(
        item(), ctx(slack_permalink="C123/p17416"), settings(version), idem_label="a-x", assignee=None
    )
    text = json.dumps(fields["description"])
    assert "Slack thread: C123/p17416" in text and '"link"' not in text and "|C123" not in text


@pytest.mark.parametrize(
    "item_kw, ctx_kw",
    [
        ({}, {}),
        ({"owner_name": None, "owner_email": None, "evidence_quote": "  "}, {"channel_id": None}),
        ({"task": "Long " * 80, "deadline_phrase": None, "priority": None}, {"slack_permalink": "C1/p2"}),
        ({"evidence_quote": "line one\nline two {code}"}, {"slack_permalink": None, "channel_name": None}),
    ],
)
def test_adf_is_valid_for_cloud(item_kw: dict[str, Any], ctx_kw: dict[str, Any]) -> None:
    # The same check the fake applies on REST v3 (empty text nodes, link marks without href, ...).
    fields = issue_fields(item(**item_kw), ctx(**ctx_kw), settings("3"), idem_label="a-x", assignee=None)
    assert adf_problem(fields["description"]) is None
