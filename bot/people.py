"""Owner resolution: match a name from the transcript to exactly one Slack member of the
channel or thread, or to nobody. Exact (normalised) names only; never a fuzzy guess."""

from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

logger = logging.getLogger(__name__)

EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


@dataclass(frozen=True)
class Member:
    """A workspace member as far as owner matching needs."""

    id: str
    names: tuple[str, ...]
    label: str
    email: str | None = None


def normalize(name: str) -> str:
    """Casefolded, accent-free, single-spaced, without a leading @."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().lstrip("@").split())


def member_from_user(user: dict[str, Any]) -> Member | None:
    """A Member from a users.info `user` object; None for bots and deactivated accounts."""
    if user.get("deleted") or user.get("is_bot") or user.get("id") == "USLACKBOT":
        return None
    profile = user.get("profile") or {}
    given = [profile.get("real_name"), profile.get("display_name"), user.get("real_name"), user.get("name")]
    names: list[str] = list(dict.fromkeys(n.strip() for n in given if n and n.strip()))
    label = (
        profile.get("display_name")
        or profile.get("real_name")
        or user.get("real_name")
        or user.get("name")
        or user["id"]
    )
    return Member(id=user["id"], names=tuple(names), label=label.strip(), email=profile.get("email"))


def match_owner(owner: str | None, members: list[Member]) -> str | None:
    """The id of the one member whose name equals `owner`; a lone first name counts only if
    exactly one member has it. Ambiguity or no match gives None."""
    if not owner or not owner.strip():
        return None
    key = normalize(owner)
    if EMAIL.match(key):
        hits = {m.id for m in members if m.email and normalize(m.email) == key}
        return hits.pop() if len(hits) == 1 else None
    exact = {m.id for m in members if key in {normalize(n) for n in m.names}}
    if exact:
        return exact.pop() if len(exact) == 1 else None
    if " " in key:
        return None
    firsts = {m.id for m in members if key in {normalize(n).split(" ")[0] for n in m.names}}
    return firsts.pop() if len(firsts) == 1 else None


class UserCache:
    """users.info results for a few minutes; owned by the app, shared by its threads."""

    def __init__(self, ttl_s: float = 600):
        self.ttl_s = ttl_s
        self._data: dict[str, tuple[float, Member | None]] = {}
        self._lock = threading.Lock()

    def get(self, user_id: str) -> tuple[bool, Member | None]:
        """(hit, member)."""
        with self._lock:
            entry = self._data.get(user_id)
        if entry and time.monotonic() - entry[0] < self.ttl_s:
            return True, entry[1]
        return False, None

    def put(self, user_id: str, member: Member | None) -> None:
        """Remember a lookup."""
        with self._lock:
            self._data[user_id] = (time.monotonic(), member)


class Directory:
    """Looks members up through the Web API for one request."""

    def __init__(self, client: WebClient, cache: UserCache, max_channel_members: int = 100):
        self.client = client
        self.cache = cache
        self.max_channel_members = max_channel_members

    def member(self, user_id: str) -> Member | None:
        """The member with `user_id`, or None (bot, deleted, or lookup failed)."""
        hit, member = self.cache.get(user_id)
        if hit:
            return member
        try:
            # https://api.slack.com/methods/users.info
            user = self.client.users_info(user=user_id)["user"]
        except SlackApiError as exc:
            logger.warning("users.info %s failed: %s", user_id, exc.response.get("error"))
            return None
        member = member_from_user(user)
        self.cache.put(user_id, member)
        return member

    def label(self, user_id: str) -> str:
        """A readable name for a speaker line."""
        member = self.member(user_id)
        return member.label if member else user_id

    def channel_member_ids(self, channel: str) -> list[str]:
        """Members of a small channel; [] when it is larger than the limit or can't be listed."""
        if self.max_channel_members <= 0:
            return []
        try:
            # https://api.slack.com/methods/conversations.members
            resp = self.client.conversations_members(channel=channel, limit=self.max_channel_members + 1)
        except SlackApiError as exc:
            logger.info("conversations.members %s failed: %s", channel, exc.response.get("error"))
            return []
        members = list(resp.get("members") or [])
        more = (resp.get("response_metadata") or {}).get("next_cursor")
        return [] if more or len(members) > self.max_channel_members else members

    def candidates(self, channel: str, user_ids: list[str]) -> list[Member]:
        """Members who may own items: the people in the thread plus a small channel's members."""
        wanted = dict.fromkeys([*user_ids, *self.channel_member_ids(channel)])
        return [m for uid in wanted if (m := self.member(uid)) is not None]

    def by_email(self, email: str) -> str | None:
        """The member with this exact email address, or None."""
        try:
            # https://api.slack.com/methods/users.lookupByEmail
            user = self.client.users_lookupByEmail(email=email)["user"]
        except SlackApiError:
            return None
        member = member_from_user(user)
        return member.id if member else None

    def resolve(self, owners: list[str | None], members: list[Member]) -> list[str | None]:
        """One user id (or None) per owner name."""
        out = []
        for owner in owners:
            uid = match_owner(owner, members)
            if uid is None and owner and EMAIL.match(owner.strip()):
                uid = self.by_email(owner.strip())
            out.append(uid)
        return out
