"""Owner -> Jira account without guessing: the explicit user map first, then exactly one e-mail match.

Pure functions over plain values; JiraTracker does the HTTP (user/search) and the caching."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from integrations.tracker import TrackerItem, TrackerUser


def mapped_identity(user_map: Mapping[str, str], item: TrackerItem) -> str | None:
    """The map's value for the item's Slack id, e-mail or owner name (checked in that order), else None.

    Keys of `user_map` are casefolded (load_user_map does it); a value is an accountId (Cloud), a
    username (Data Center) or, when it holds an @, the Jira e-mail to look up exactly."""
    for key in (item.owner_slack_id, item.owner_email, item.owner_name):
        if key and key.strip().casefold() in user_map:
            return user_map[key.strip().casefold()]
    return None


def mapped_user(identity: str, cloud: bool) -> TrackerUser:
    """A user map value that is an account id (Cloud) or username (Data Center) as a TrackerUser."""
    return TrackerUser(account_id=identity) if cloud else TrackerUser(name=identity)


def exact_user(raw_users: Iterable[Mapping[str, Any]], query: str, cloud: bool) -> TrackerUser | None:
    """The one active human account whose e-mail (query with @) or display name equals `query`.

    Jira's user search matches prefixes and substrings ("ana@" finds "dana@"), and Cloud hides e-mails
    by privacy setting, so only an exact, visible, case-insensitive match counts; none or several
    exact matches give None (unassigned) rather than a guess."""
    q = query.strip().casefold()
    if not q:
        return None
    attr = "emailAddress" if "@" in q else "displayName"
    matches: dict[str, TrackerUser] = {}
    for raw in raw_users:
        if (
            (raw.get(attr) or "").casefold() != q
            or not raw.get("active", True)
            or raw.get("accountType") == "app"  # Cloud bots and integrations
        ):
            continue
        ident = raw.get("accountId") if cloud else raw.get("name")
        if ident:
            matches[ident] = TrackerUser(
                account_id=ident if cloud else None,
                name=None if cloud else ident,
                display_name=raw.get("displayName"),
                email=raw.get("emailAddress"),
            )
    return next(iter(matches.values())) if len(matches) == 1 else None
