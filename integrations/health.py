"""`check()` for Jira: server, credentials, priorities, projects, issue type and create screen, read-only."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from integrations.calls import FIELD_FIXES
from integrations.config import JiraConfig
from integrations.errors import AuthError, IntegrationError, NotFoundError, PermissionDeniedError
from integrations.payload import IssueSettings, issue_fields
from integrations.tracker import HealthReport, TrackerContext, TrackerItem, idempotency_label

if TYPE_CHECKING:
    from jira import JIRA

    from integrations.jira import JiraTracker

# Jira fills these itself; a create screen may mark them required without that being our problem.
_SELF_FILLED = {
    "project",
    "issuetype",
    "summary",
    "reporter",
    "description",
    "labels",
    "duedate",
    "priority",
    "assignee",
}


def sample_item(today: dt.date) -> TrackerItem:
    """A made-up item that shows every field we send."""
    friday = today + dt.timedelta(days=(4 - today.weekday()) % 7 or 7)
    return TrackerItem(
        task="Send the revised budget draft to finance",
        owner_name="Sample Owner",
        deadline_phrase="by Friday",
        deadline_date=friday,
        priority="high",
        evidence_quote="I'll send the revised budget draft to finance by Friday.",
    )


def sample_fields(config: JiraConfig, api_version: str, today: dt.date | None = None) -> dict[str, Any]:
    """The create-issue fields a sample item would get (no assignee lookup)."""
    today = today or dt.date.today()
    ctx = TrackerContext(
        extraction_id="sample",
        item_id="1",
        channel_name="sample-channel",
        meeting_date=today,
        slack_permalink="https://example.slack.com/archives/C0000000000/p1700000000000100",
    )
    settings = IssueSettings(
        project=config.project,
        issue_type=config.issue_type,
        api_version=api_version,
        labels=config.labels,
        priority_map=config.priority_map,
    )
    return issue_fields(
        sample_item(today), ctx, settings, idem_label=idempotency_label("sample:1"), assignee=None
    )


def _fail(report: HealthReport, name: str, exc: IntegrationError) -> None:
    detail = (
        exc.message
        + (f" (HTTP {exc.status_code})" if exc.status_code else "")
        + (f": {exc.cause}" if exc.cause else "")
    )
    report.add(name, "fail", detail, exc.fix)


def run_checks(tracker: JiraTracker) -> HealthReport:
    """Run every check; stop early only when nothing after could work (no server, bad credentials)."""
    cfg = tracker.config
    report = HealthReport()
    try:
        client = tracker.client()
        # GET serverInfo / myself: https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-myself/
        info = tracker.call("read serverInfo", client.server_info)
    except IntegrationError as exc:
        _fail(report, "credentials" if isinstance(exc, AuthError) else "server", exc)
        return report
    report.deployment = tracker.deployment
    report.add(
        "server",
        "ok",
        f"Jira {info.get('deploymentType', '?')} {info.get('version', '?')} at {cfg.url} "
        f"(REST v{tracker.api_version})",
    )
    try:
        me = tracker.call("read the current user", client.myself)
    except IntegrationError as exc:
        _fail(report, "credentials", exc)
        return report
    report.add(
        "credentials",
        "ok",
        f"authenticated as {me.get('displayName')} "
        f"({me.get('emailAddress') or me.get('name') or me.get('accountId')})",
    )
    _check_user_search(tracker, me, report)
    if cfg.priority_map:
        _check_priorities(tracker, client, report)
    for key in dict.fromkeys([cfg.project, *cfg.project_map.values()]):
        _check_project(tracker, client, key, report)
    report.sample_fields = sample_fields(cfg, tracker.api_version)
    return report


def _check_user_search(tracker: JiraTracker, me: dict[str, Any], report: HealthReport) -> None:
    """Owners are matched by exact e-mail; find the bot's own account the same way to prove it works."""
    email = me.get("emailAddress")
    mapped = " (JIRA_USER_MAP_FILE still works)" if tracker.config.user_map_file else ""
    if not email:
        report.add(
            "user lookup",
            "warn",
            "the Jira user has no visible e-mail, so lookup by e-mail was not tested",
            "map owners in JIRA_USER_MAP_FILE if issues come out unassigned",
        )
        return
    try:
        found = tracker.find_user(email)
    except PermissionDeniedError as exc:
        report.add(
            "user lookup",
            "warn",
            f"cannot search users ({exc.cause or 'HTTP 403'}); issues will be unassigned{mapped}",
            "grant the Jira user the Browse users and groups global permission, or fill JIRA_USER_MAP_FILE",
        )
        return
    except IntegrationError as exc:
        _fail(report, "user lookup", exc)
        return
    if found is None:
        report.add(
            "user lookup",
            "warn",
            f"searching for {email} found no single account: Jira hides e-mails or the search "
            f"is restricted, so owners will be unassigned{mapped}",
            "let users show their e-mail (Cloud: profile visibility / managed accounts), or fill JIRA_USER_MAP_FILE",
        )
    else:
        report.add("user lookup", "ok", f"{email} -> {found.identifier} (owners are matched by exact e-mail)")


def _check_priorities(tracker: JiraTracker, client: JIRA, report: HealthReport) -> None:
    # GET priority: https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-priorities/
    try:
        names = [p.name for p in tracker.call("read priorities", client.priorities)]
    except IntegrationError as exc:
        _fail(report, "priorities", exc)
        return
    wanted = tracker.config.priority_map or {}
    missing = {ours: theirs for ours, theirs in wanted.items() if theirs not in names}
    if missing:
        report.add(
            "priorities",
            "fail",
            f"Jira has no priority named {', '.join(sorted(set(missing.values())))} "
            f"(it has: {', '.join(names)})",
            "set JIRA_PRIORITY_MAP=high:<name>,medium:<name>,low:<name> with Jira's names, or none",
        )
    else:
        report.add("priorities", "ok", ", ".join(f"{k} -> {v}" for k, v in wanted.items()))


def _check_project(tracker: JiraTracker, client: JIRA, key: str, report: HealthReport) -> None:
    cfg = tracker.config
    try:
        # GET project/{key}: https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-projects/
        project = tracker.call(f"read project {key}", lambda: client.project(key))
    except IntegrationError as exc:
        _fail(report, f"project {key}", exc)
        return
    types = {it.name: it.id for it in getattr(project, "issueTypes", [])}
    report.add(f"project {key}", "ok", f"{project.name} (issue types: {', '.join(types)})")
    where = f"{key}/{cfg.issue_type}"
    if cfg.issue_type not in types:
        report.add(
            f"issue type {where}",
            "fail",
            f"{key} has no issue type {cfg.issue_type!r}",
            f"set JIRA_ISSUE_TYPE to one of: {', '.join(types)}",
        )
        return
    report.add(f"issue type {where}", "ok", f"id {types[cfg.issue_type]}")
    try:
        # The client refuses this endpoint on Cloud, but Cloud and Data Center 8.4+ both serve it:
        # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-createmeta-projectidorkey-issuetypes-issuetypeid-get
        meta = tracker.call(
            f"read the create screen of {where}",
            lambda: client._get_json(
                f"issue/createmeta/{key}/issuetypes/{types[cfg.issue_type]}", params={"maxResults": 200}
            ),
        )
    except NotFoundError:
        _check_fields_exist(tracker, client, where, report)
        return
    except IntegrationError as exc:
        _fail(report, f"create screen {where}", exc)
        return
    _check_screen(tracker, meta, where, report)


def _check_screen(tracker: JiraTracker, meta: dict[str, Any], where: str, report: HealthReport) -> None:
    entries = meta.get("values") or meta.get("fields") or meta.get("results") or []
    on_screen = {e.get("fieldId") or e.get("key"): e for e in entries if isinstance(e, dict)}
    needed = ["summary", "description", "labels", "duedate"] + (
        ["priority"] if tracker.config.priority_map else []
    )
    problems = [f for f in needed if f not in on_screen]
    blockers = [
        e.get("name") or fid
        for fid, e in on_screen.items()
        if e.get("required") and not e.get("hasDefaultValue") and fid not in _SELF_FILLED
    ]
    if problems or blockers:
        fixes = [
            FIELD_FIXES.get(f, "add the field {where} to the screen").format(where=where) for f in problems
        ]
        if blockers:
            fixes.append(
                f"give the required fields {', '.join(map(str, blockers))} a default value in {where}"
            )
        found = []
        if problems:
            found.append(f"not on the create screen: {', '.join(problems)}")
        if blockers:
            found.append(f"required without default: {', '.join(map(str, blockers))}")
        detail = "; ".join(found)
        report.add(f"create screen {where}", "fail", detail, "; ".join(fixes))
    else:
        report.add(f"create screen {where}", "ok", f"{len(needed)} fields settable")
    if "assignee" not in on_screen:
        report.add(
            f"assignee {where}",
            "warn",
            "assignee is not on the create screen",
            "issues are assigned right after creation instead (needs the Assign issues permission)",
        )


def _check_fields_exist(tracker: JiraTracker, client: JIRA, where: str, report: HealthReport) -> None:
    """Old Data Center (before 8.4) has no per-type createmeta: at least check the fields exist at all."""
    needed = ["summary", "description", "labels", "duedate"] + (
        ["priority"] if tracker.config.priority_map else []
    )
    try:
        # GET field: https://docs.atlassian.com/software/jira/docs/api/REST/9.12.0/#api/2/field
        ids = {f.get("id") for f in tracker.call("read the fields", client.fields)}
    except IntegrationError as exc:
        _fail(report, f"create screen {where}", exc)
        return
    missing = [f for f in needed if f not in ids]
    detail = "not checked: this Jira has no createmeta endpoint; " + (
        f"fields missing in Jira: {', '.join(missing)}" if missing else f"the {len(needed)} fields exist"
    )
    fix = (
        ""
        if not missing
        else "; ".join(FIELD_FIXES.get(f, "add the field to {where}").format(where=where) for f in missing)
    )
    report.add(f"create screen {where}", "fail" if missing else "warn", detail, fix)
