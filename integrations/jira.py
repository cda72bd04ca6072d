"""JiraTracker: files action items as Jira issues (Cloud REST v3 / Data Center REST v2), exactly once
per idempotency key, through the `jira` client with our own bounded retries."""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from jira import JIRA
from jira.exceptions import JIRAError

from integrations.calls import RetryPolicy, retrying, translated
from integrations.config import JiraConfig, load_user_map
from integrations.errors import FieldError, IntegrationError, NotFoundError, PermissionDeniedError
from integrations.locks import KeyLocks
from integrations.payload import IssueSettings, issue_fields
from integrations.tracker import (
    HealthReport,
    IdempotencyStore,
    IssueRef,
    TrackerContext,
    TrackerItem,
    TrackerUser,
    idempotency_label,
)
from integrations.tracker import idempotency_key as default_idempotency_key
from integrations.users import exact_user, mapped_identity, mapped_user

logger = logging.getLogger(__name__)
T = TypeVar("T")
USER_CACHE_TTL_S = 600.0
# Jira's search index can trail a create by a moment; after a create whose answer was lost we look
# for the label twice, this far apart, before posting again.
INDEX_LAG_S = 2.0


class JiraTracker:
    """The Tracker for Jira Cloud and Data Center; share one instance per process (it holds the key locks)."""

    def __init__(
        self,
        config: JiraConfig,
        *,
        store: IdempotencyStore | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self._store = store
        self._sleep = sleep
        self._policy = RetryPolicy(config.max_attempts, config.max_retry_wait_s)
        self._deployment = config.deployment
        self._client: JIRA | None = None
        self._client_lock = threading.Lock()
        self._key_locks = KeyLocks()
        self._user_map = load_user_map(config.user_map_file) if config.user_map_file else {}
        self._user_cache: dict[str, tuple[float, TrackerUser | None]] = {}

    @property
    def deployment(self) -> str | None:
        """cloud or datacenter (known after the first call when JIRA_DEPLOYMENT is unset)."""
        return self._deployment

    @property
    def api_version(self) -> str:
        """REST version in use: 3 on Cloud (ADF descriptions), 2 on Data Center."""
        return "3" if self._deployment == "cloud" else "2"

    def call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one client call with error translation and bounded retries."""
        for attempt in retrying(what, self._policy, self._sleep):
            with attempt, self._translated(what):
                return fn()
        raise AssertionError("unreachable: tenacity re-raises the last error")

    def _translated(self, what: str, project: str | None = None) -> Any:
        fix = (
            "check JIRA_EMAIL and JIRA_API_TOKEN (tokens: https://id.atlassian.com/manage-profile/security/api-tokens)"
            if self.config.auth_kind() == "basic"
            else "check JIRA_PAT (Jira profile > Personal Access Tokens; it may have expired)"
        )
        return translated(
            what,
            where=f"{project or self.config.project}/{self.config.issue_type}",
            auth_fix=fix,
            secrets=self.config.secrets(),
        )

    def client(self) -> JIRA:
        """The connected client; detects Cloud vs Data Center from serverInfo on first use."""
        with self._client_lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _connect(self) -> JIRA:
        cfg = self.config

        def make(version: str) -> JIRA:
            # https://jira.readthedocs.io/api.html#jira.client.JIRA -- max_retries=0 turns off the client's
            # own 429/503 retry (unbounded waits, no 5xx/timeout handling) so `call` is the only retry loop;
            # logging=False stops the client from forcing the `jira` logger to INFO.
            return JIRA(
                server=cfg.url,
                options={"rest_api_version": version, "check_update": False},
                basic_auth=(cfg.email or "", cfg.api_token or "") if cfg.auth_kind() == "basic" else None,
                token_auth=cfg.pat if cfg.auth_kind() == "bearer" else None,
                timeout=cfg.timeout_s,
                max_retries=0,
                logging=False,
                get_server_info=True,
            )

        # GET serverInfo: https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-server-info/
        try:
            client = self.call("connect to Jira", lambda: make(self.api_version))
        except NotFoundError as exc:
            exc.fix = (
                "check JIRA_URL is the site root (Data Center: include the context path, e.g. "
                "https://jira.acme.com/jira) and that JIRA_DEPLOYMENT matches (Data Center has no REST v3)"
            )
            raise
        detected = "cloud" if client.deploymentType == "Cloud" else "datacenter"
        if self._deployment is None:
            self._deployment = detected
            if detected == "cloud":  # probed over v2, which both have; Cloud descriptions need v3
                client.close()
                client = self.call("connect to Jira", lambda: make("3"))
        elif self._deployment != detected:
            logger.warning(
                "JIRA_DEPLOYMENT=%s but serverInfo reports %s", self._deployment, client.deploymentType
            )
        logger.info("connected to Jira %s at %s (REST v%s)", self._deployment, cfg.url, self.api_version)
        return client

    def close(self) -> None:
        """Close the HTTP session."""
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def create_issue(
        self, item: TrackerItem, ctx: TrackerContext, idempotency_key: str | None = None
    ) -> IssueRef:
        """Create the issue for `item`, or return the one this key already produced (store, then JQL)."""
        key = idempotency_key or default_idempotency_key(ctx)
        label = idempotency_label(key)
        with self._key_locks.hold(key):
            if self._store is not None and (ref := self._store.get(key)) is not None:
                logger.info("issue %s already filed for %s (store)", ref.key, key)
                return ref
            self.client()  # connect outside the retry loops below, so retries never nest
            # Not recorded: maybe never created, maybe created and then we crashed. The label tells.
            ref = self.call("look up the issue label", lambda: self._search_label(label))
            if ref is not None:
                logger.info("issue %s already filed for %s (label %s)", ref.key, key, label)
            else:
                ref = self._create(item, ctx, label)
                logger.info("created %s for %s in %s", ref.key, key, ref.url)
            if self._store is not None:
                try:
                    self._store.put(key, ref)
                except Exception:
                    # The issue exists and carries the label, so a retry finds it instead of duplicating.
                    logger.exception("created %s but could not record it for %s", ref.key, key)
                    raise
            return ref

    def _search_label(self, label: str) -> IssueRef | None:
        # Cloud: GET /rest/api/3/search/jql (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/)
        # DC: GET /rest/api/2/search (https://docs.atlassian.com/software/jira/docs/api/REST/9.12.0/#api/2/search)
        # The client picks the endpoint from deploymentType.
        found = self.client().search_issues(
            f'labels = "{label}"', maxResults=10, fields="summary", json_result=True
        )
        issues = sorted(found.get("issues") or [], key=lambda i: int(i.get("id") or 0))
        if len(issues) > 1:
            logger.warning(
                "label %s is on %d issues; using the oldest, %s", label, len(issues), issues[0]["key"]
            )
        return self._ref(issues[0]) if issues else None

    def _search_label_settled(self, label: str) -> IssueRef | None:
        """The label search, repeated once after INDEX_LAG_S when it finds nothing (fresh issues lag)."""
        ref = self._search_label(label)
        if ref is None:
            self._sleep(INDEX_LAG_S)
            ref = self._search_label(label)
        return ref

    def _ref(self, raw: dict[str, Any]) -> IssueRef:
        return IssueRef(key=raw["key"], url=f"{self.config.url}/browse/{raw['key']}", id=str(raw["id"]))

    def _create(self, item: TrackerItem, ctx: TrackerContext, label: str) -> IssueRef:
        client = self.client()
        project = self.config.project_for(ctx.channel_id)
        assignee = self.resolve_assignee(item)
        settings = IssueSettings(
            project=project,
            issue_type=self.config.issue_type,
            api_version=self.api_version,
            labels=self.config.labels,
            priority_map=self.config.priority_map,
        )
        fields = issue_fields(item, ctx, settings, idem_label=label, assignee=assignee)
        try:
            return self._post_issue(client, fields, label, project)
        except FieldError as exc:
            if assignee is None or set(exc.fields) != {"assignee"}:
                raise
            # Assignee not on the create screen, or not assignable: file it, then try the assign endpoint.
            logger.warning(
                "Jira refused the assignee on create (%s); creating unassigned", exc.fields["assignee"]
            )
            ref = self._post_issue(
                client, {k: v for k, v in fields.items() if k != "assignee"}, label, project
            )
            self._assign(client, ref, fields["assignee"])
            return ref

    def _post_issue(self, client: JIRA, fields: dict[str, Any], label: str, project: str) -> IssueRef:
        what = f"create the issue in {project}"
        unsure = False  # a previous attempt may have created the issue (5xx, timeout, dropped connection)
        for attempt in retrying(what, self._policy, self._sleep):
            with attempt, self._translated(what, project):
                if unsure and (ref := self._search_label_settled(label)) is not None:
                    return ref
                try:
                    # POST issue: https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-post
                    issue = client.create_issue(fields=copy.deepcopy(fields), prefetch=False)
                except (requests.exceptions.RequestException, JIRAError) as exc:
                    unsure = not isinstance(exc, JIRAError) or (exc.status_code or 0) >= 500
                    raise
                return self._ref(issue.raw)
        raise AssertionError("unreachable: tenacity re-raises the last error")

    def _assign(self, client: JIRA, ref: IssueRef, assignee: dict[str, str]) -> None:
        # PUT issue/{key}/assignee works without the field on a screen:
        # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-assignee-put
        # Not client.assign_issue(): it re-searches users and falls back to the first hit (fuzzy).
        url = client._get_latest_url(f"issue/{ref.key}/assignee")
        try:
            self.call(f"assign {ref.key}", lambda: client._session.put(url, data=json.dumps(assignee)))
        except IntegrationError as exc:
            logger.warning("%s stays unassigned: %s", ref.key, exc)

    def resolve_assignee(self, item: TrackerItem) -> TrackerUser | None:
        """Mapping file (Slack id, email, name) first, then an exact email match in Jira; never fuzzy."""
        email = item.owner_email
        ident = mapped_identity(self._user_map, item)
        if ident is not None:
            if "@" not in ident:
                self.client()  # settles the deployment, which decides the id kind
                return mapped_user(ident, self._deployment == "cloud")
            email = ident  # mapped to a Jira e-mail: look that one up exactly
        if not email:
            return None
        try:
            return self.find_user(email)
        except PermissionDeniedError as exc:
            logger.warning("cannot search Jira users, leaving %s unassigned: %s", item.owner_name, exc)
            return None

    def find_user(self, query: str) -> TrackerUser | None:
        """The one active account whose email (query with @) or display name equals `query`, else None."""
        q = query.strip().casefold()
        cached = self._user_cache.get(q)
        if not q or (cached and time.monotonic() - cached[0] < USER_CACHE_TTL_S):
            return cached[1] if cached else None
        client = self.client()
        cloud = self._deployment == "cloud"
        # GET user/search: https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-user-search/
        # Cloud matches `query` against name and email; Data Center takes `username` (name, email).
        users = self.call(
            "search Jira users",
            lambda: (
                client.search_users(query=query.strip(), maxResults=50)
                if cloud
                else client.search_users(user=query.strip(), maxResults=50)
            ),
        )
        found = exact_user((u.raw or {} for u in users), query, cloud)
        if found is None:
            logger.debug("no single Jira user for %r among %d hits", query, len(users))
        self._user_cache[q] = (time.monotonic(), found)
        return found

    def check(self) -> HealthReport:
        """Verify server, credentials, projects, issue type, priorities and create screens; create nothing."""
        from integrations.health import run_checks

        return run_checks(self)
