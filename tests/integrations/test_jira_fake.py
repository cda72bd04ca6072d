"""The fake's REST v3 refuses descriptions that Jira Cloud refuses, through the real client, so the
contract tests' ADF passing it means something."""

from __future__ import annotations

import pytest
from fake_jira import FakeJira
from fake_jira_checks import ADF_INVALID
from jira import JIRA

from integrations.calls import translated
from integrations.errors import FieldError

ADF_TEXT = {"type": "paragraph", "content": [{"type": "text", "text": "x"}]}


@pytest.mark.parametrize(
    "description, message",
    [
        ("plain", "Atlassian Document"),  # a wiki string sent to REST v3
        ({"type": "doc", "version": 1, "content": [{"type": "text", "text": "bare"}]}, ADF_INVALID),
        (
            {
                "type": "doc",
                "version": 1,
                "content": [{"type": "paragraph", "content": [{"type": "text", "text": ""}]}],
            },
            ADF_INVALID,
        ),
        (
            {
                "type": "doc",
                "version": 1,
                "content": [{"type": "blockquote", "content": [{"type": "text", "text": "q"}]}],
            },
            ADF_INVALID,
        ),
        (
            {
                "type": "doc",
                "version": 1,
                "content": [
                    {
                        "type": "paragraph",
                        "content": [{"type": "text", "text": "l", "marks": [{"type": "link", "attrs": {}}]}],
                    }
                ],
            },
            ADF_INVALID,
        ),
        ({"type": "doc", "content": [ADF_TEXT]}, ADF_INVALID),
    ],
)
def test_v3_rejects_what_cloud_rejects(cloud: FakeJira, description: object, message: str) -> None:
    # What Cloud answers to a description that is not valid ADF (the tracker's own passes: see the
    # contract test and test_jira_payload.test_adf_is_valid_for_cloud).
    client = JIRA(
        cloud.url, options={"rest_api_version": "3"}, basic_auth=(cloud.email, cloud.token), max_retries=0
    )
    fields = {
        "project": {"key": "OPS"},
        "issuetype": {"name": "Task"},
        "summary": "x",
        "description": description,
    }
    with (
        pytest.raises(FieldError) as err,
        translated("create", where="OPS/Task", auth_fix="", secrets=[cloud.token]),
    ):
        client.create_issue(fields=fields, prefetch=False)
    client.close()
    assert message in err.value.fields["description"]
    assert "JIRA_DEPLOYMENT" in err.value.fix and cloud.issues == {}
