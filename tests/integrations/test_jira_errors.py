"""Failures over real HTTP: the right IntegrationError (status, cause, fix), bounded retries that honour
Retry-After, no secrets anywhere, and the item still files exactly once when the caller retries."""

from __future__ import annotations

import base64
import email.utils
import logging
import socket
import time
import traceback
from collections.abc import Callable

import pytest
import requests
from fake_jira import FakeJira
from jira_samples import config_for, ctx, item

from integrations.calls import translated
from integrations.errors import (
    AuthError,
    FieldError,
    IntegrationError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TrackerTimeoutError,
    UnexpectedResponseError,
    UnreachableError,
)
from integrations.jira import INDEX_LAG_S, JiraTracker

Make = Callable[..., JiraTracker]
SEARCH = r"search(/jql)?"


def assert_no_secrets(fake: FakeJira, *texts: str) -> None:
    basic = base64.b64encode(f"{fake.email}:{fake.token}".encode()).decode()
    for text in texts:
        for secret in (fake.token, fake.pat, basic, "wrong-SECRET", "SECRET"):
            assert secret not in text


def full_text(err: BaseException) -> str:
    return "".join(traceback.format_exception(err)) + repr(err)


def test_bad_credentials(fake: FakeJira, make_tracker: Make, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    bad = {"api_token": "wrong-SECRET"} if fake.cloud else {"pat": "wrong-SECRET"}
    with pytest.raises(AuthError) as err:
        make_tracker(fake, **bad).create_issue(item(), ctx())
    assert err.value.status_code == 401 and "not authenticated" in err.value.cause
    assert ("JIRA_API_TOKEN" if fake.cloud else "JIRA_PAT") in err.value.fix
    assert not err.value.retryable
    assert len(fake.calls("GET", "serverInfo")) == 1  # 401 is not retried
    assert_no_secrets(fake, full_text(err.value), caplog.text)


def test_unknown_project_on_create(fake: FakeJira, make_tracker: Make) -> None:
    with pytest.raises(FieldError) as err:
        make_tracker(fake, project="NOPE").create_issue(item(), ctx())
    assert err.value.fields == {"project": "valid project is required"}
    assert "JIRA_PROJECT" in err.value.fix and err.value.status_code == 400


def test_404_is_not_found(fake: FakeJira, make_tracker: Make) -> None:
    fake.fail("GET", SEARCH, 404, {"errorMessages": ["No project could be found with key 'OPS'."]})
    with pytest.raises(NotFoundError, match="No project could be found") as err:
        make_tracker(fake).create_issue(item(), ctx())
    assert err.value.status_code == 404 and "JIRA_PROJECT" in err.value.fix


def test_priority_not_on_screen_names_the_field_and_fix(fake: FakeJira, make_tracker: Make) -> None:
    fake.screen.discard("priority")
    with pytest.raises(FieldError) as err:
        make_tracker(fake).create_issue(item(), ctx())
    assert err.value.fields == {
        "priority": "Field 'priority' cannot be set. It is not on the appropriate screen, or unknown."
    }
    text = str(err.value)
    assert "HTTP 400" in text and "priority: Field 'priority' cannot be set" in text
    assert "JIRA_PRIORITY_MAP=none" in err.value.fix and "OPS/Task" in err.value.fix
    assert len(fake.calls("POST", "issue")) == 1  # a 400 is not retried
    # The caller follows the fix and retries: exactly one issue.
    assert make_tracker(fake, priority_map=None).create_issue(item(), ctx()).key == "OPS-1"
    assert len(fake.issues) == 1


def test_several_field_errors_are_all_named(fake: FakeJira, make_tracker: Make) -> None:
    fake.screen -= {"duedate", "labels"}
    fake.required_extra = {"customfield_10020": "Team"}
    with pytest.raises(FieldError) as err:
        make_tracker(fake).create_issue(item(), ctx())
    assert set(err.value.fields) == {"duedate", "labels", "customfield_10020"}
    assert "Due date" in err.value.fix and "Labels" in err.value.fix and "customfield_10020" in err.value.fix


def test_429_honours_retry_after(fake: FakeJira, make_tracker: Make, sleeps: list[float]) -> None:
    fake.fail(
        "POST",
        "issue",
        429,
        {"errorMessages": ["Rate limit exceeded."]},
        headers={"Retry-After": "2"},
        times=2,
    )
    assert make_tracker(fake).create_issue(item(), ctx()).key == "OPS-1"
    assert sleeps == [2.0, 2.0]
    assert len(fake.calls("POST", "issue")) == 3 and len(fake.issues) == 1


def test_retry_after_as_http_date(fake: FakeJira, make_tracker: Make, sleeps: list[float]) -> None:
    when = email.utils.formatdate(time.time() + 3, usegmt=True)
    fake.fail("GET", SEARCH, 503, {"errorMessages": ["busy"]}, headers={"Retry-After": when})
    make_tracker(fake).create_issue(item(), ctx())
    assert len(sleeps) == 1 and 0 < sleeps[0] <= 3


def test_429_with_long_retry_after_fails_fast(
    fake: FakeJira, make_tracker: Make, sleeps: list[float]
) -> None:
    fake.fail(
        "POST", "issue", 429, {"errorMessages": ["Rate limit exceeded."]}, headers={"Retry-After": "120"}
    )
    tracker = make_tracker(fake, max_retry_wait_s=5)
    with pytest.raises(RateLimitedError) as err:
        tracker.create_issue(item(), ctx())
    assert err.value.retry_after == 120 and err.value.status_code == 429 and "120 s" in err.value.fix
    assert sleeps == [] and fake.issues == {}
    assert tracker.create_issue(item(), ctx()).key == "OPS-1"  # the caller retries later: one issue


def test_429_exhausts_bounded_attempts(fake: FakeJira, make_tracker: Make, sleeps: list[float]) -> None:
    fake.fail("GET", SEARCH, 429, headers={"Retry-After": "1"}, times=99)
    with pytest.raises(RateLimitedError):
        make_tracker(fake, max_attempts=3).create_issue(item(), ctx())
    assert len(fake.calls("GET", SEARCH)) == 3 and sleeps == [1.0, 1.0]


def test_5xx_exhausted_keeps_item_for_a_later_retry(
    fake: FakeJira, make_tracker: Make, sleeps: list[float]
) -> None:
    fake.fail("POST", "issue", 500, {"errorMessages": ["Internal server error"]}, times=3)
    tracker = make_tracker(fake, max_attempts=3)
    with pytest.raises(ServerError) as err:
        tracker.create_issue(item(), ctx())
    assert err.value.status_code == 500 and err.value.retryable and "Internal server error" in err.value.cause
    # Two backoffs between the 3 tries, and before tries 2 and 3 a second look for the label (index lag).
    assert sleeps.count(INDEX_LAG_S) == 2 and len(sleeps) == 4 and all(0 <= s <= 30 for s in sleeps)
    assert fake.issues == {}
    assert tracker.create_issue(item(), ctx()).key == "OPS-1"
    assert len(fake.issues) == 1


def test_client_own_retry_is_off(fake: FakeJira, make_tracker: Make, sleeps: list[float]) -> None:
    # The jira client would sleep on 503 itself (max_retries=3 by default); ours records the only wait.
    fake.fail("GET", "serverInfo", 503, headers={"Retry-After": "1"})
    make_tracker(fake).create_issue(item(), ctx())
    assert sleeps == [1.0]


def test_slow_jira_times_out(fake: FakeJira, make_tracker: Make, sleeps: list[float]) -> None:
    fake.fail("GET", SEARCH, 0, delay=0.6, apply=True, times=2)
    with pytest.raises(TrackerTimeoutError) as err:
        make_tracker(fake, timeout_s=0.2, max_attempts=2).create_issue(item(), ctx())
    assert "JIRA_TIMEOUT_S" in err.value.fix and len(sleeps) == 1 and fake.issues == {}


def test_connection_refused(fake: FakeJira, make_tracker: Make, sleeps: list[float]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = config_for(fake, url=f"http://127.0.0.1:{port}", max_attempts=2)
    tracker = JiraTracker(config, sleep=sleeps.append)
    with pytest.raises(UnreachableError) as err:
        tracker.create_issue(item(), ctx())
    assert "JIRA_URL" in err.value.fix and len(sleeps) == 1
    assert_no_secrets(fake, full_text(err.value))


@pytest.mark.parametrize(
    "status, body",
    [
        (400, {"errorMessages": [], "errors": {"priority": "bad"}}),
        (401, {"errorMessages": ["nope"]}),
        (403, {"errorMessages": ["You do not have permission to create issues in this project."]}),
        (404, {"errorMessages": ["gone"]}),
        (500, "<html>oops</html>"),
        (418, None),
    ],
)
def test_every_failure_is_an_integration_error_without_secrets(
    fake: FakeJira, make_tracker: Make, caplog: pytest.LogCaptureFixture, status: int, body: object
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.fail("POST", "issue", status, body, times=9)
    with pytest.raises(IntegrationError) as err:
        make_tracker(fake, max_attempts=2).create_issue(item(), ctx())
    assert err.value.status_code == status and err.value.fix
    assert err.value.__cause__ is None and err.value.__suppress_context__
    assert_no_secrets(fake, full_text(err.value), caplog.text)


@pytest.mark.parametrize("body", [b"<html>Log in to continue</html>", {"hello": "world"}])
def test_url_that_is_not_jira(fake: FakeJira, make_tracker: Make, body: object) -> None:
    fake.fail("GET", "serverInfo", 200, body, times=9)
    with pytest.raises(UnexpectedResponseError) as err:
        make_tracker(fake).create_issue(item(), ctx())
    assert "JIRA_URL" in err.value.fix and not err.value.retryable
    assert len(fake.calls("GET", "serverInfo")) == 1


def test_datacenter_forced_to_cloud_points_at_deployment(make_tracker: Make) -> None:
    dc = FakeJira(cloud=False).start()
    try:
        with pytest.raises(NotFoundError) as err:
            make_tracker(dc, deployment="cloud", email="bot@example.com", api_token="tok").client()
        assert "JIRA_DEPLOYMENT" in err.value.fix
    finally:
        dc.stop()


def test_captcha_lockout_is_a_login_problem_not_a_permission(fake: FakeJira, make_tracker: Make) -> None:
    # After failed logins Jira answers 403 with these headers until someone solves a CAPTCHA in a browser.
    headers = {
        "X-Seraph-LoginReason": "AUTHENTICATION_DENIED",
        "X-Authentication-Denied-Reason": f"CAPTCHA_CHALLENGE; login-url={fake.url}/login.jsp",
    }
    fake.fail("GET", "serverInfo", 403, b"", headers=headers)
    with pytest.raises(AuthError) as err:
        make_tracker(fake).create_issue(item(), ctx())
    assert err.value.status_code == 403 and err.value.cause == "CAPTCHA_CHALLENGE"
    assert "CAPTCHA" in err.value.fix and ("JIRA_API_TOKEN" if fake.cloud else "JIRA_PAT") in err.value.fix
    assert "Browse projects" not in str(err.value) and not err.value.retryable


def test_debug_traceback_is_redacted(caplog: pytest.LogCaptureFixture) -> None:
    # requests quotes a header value it refuses, and the refused header is Authorization.
    caplog.set_level(logging.DEBUG)
    secret = "pat-SEC\nRET-456"
    with (
        pytest.raises(UnexpectedResponseError) as err,
        translated("x", where="", auth_fix="", secrets=[secret]),
    ):
        raise requests.exceptions.InvalidHeader(f"Invalid header value {('Bearer ' + secret).encode()!r}")
    assert caplog.text and "SEC" not in caplog.text and "SEC" not in full_text(err.value)
