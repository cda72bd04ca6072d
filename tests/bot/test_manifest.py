"""The app manifests ask for exactly what the code uses: scopes from the Web API methods the
bot calls and the events it listens to, the slash command, the shortcut, interactivity."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot import ids

BOT_DIR = Path(__file__).resolve().parents[2] / "bot"

# Required bot scopes per Web API method, from each method's page on https://api.slack.com/methods
# (None: no scope needed). A method missing here fails the test: look it up and add it.
METHOD_SCOPES: dict[str, set[str]] = {
    "auth_test": set(),
    "chat_getPermalink": set(),
    "chat_postMessage": {"chat:write"},
    "chat_update": {"chat:write"},
    "chat_postEphemeral": {"chat:write"},
    "conversations_members": {"channels:read", "groups:read"},
    "conversations_replies": {"channels:history", "groups:history"},
    "files_info": {"files:read"},
    "users_info": {"users:read", "users:read.email"},  # .email: profile.email for the Jira assignee
    "users_lookupByEmail": {"users:read.email"},
    "views_open": set(),
    "views_update": set(),
}
# Events API subscription -> (manifest bot_events, scope) https://api.slack.com/events
EVENT_SUBSCRIPTIONS = {
    "app_mention": ({"app_mention"}, {"app_mentions:read"}),
    "file_shared": ({"file_shared"}, {"files:read"}),
    "message": ({"message.channels", "message.groups"}, {"channels:history", "groups:history"}),
}


def _source() -> str:
    return "\n".join(p.read_text() for p in BOT_DIR.rglob("*.py"))


def _called_methods() -> set[str]:
    # WebClient calls look like client.chat_postMessage( ; our own httpx client only calls .post/.close.
    return {m for m in re.findall(r"client\.([a-z]+_[A-Za-z]+)\(", _source())}


def _listened_events() -> set[str]:
    names = set(re.findall(r'app\.event\("([a-z_]+)"\)', _source()))
    names |= set(re.findall(r'app\.event\(\{"type": "([a-z_]+)"', _source()))
    return names


@pytest.fixture(params=["manifest.yml", "manifest.http.yml"])
def manifest(request) -> dict:
    return yaml.safe_load((BOT_DIR / request.param).read_text())


def test_every_called_method_is_known():
    unknown = _called_methods() - set(METHOD_SCOPES)
    assert not unknown, f"look up the scopes of {unknown} and add them to METHOD_SCOPES and the manifests"


def test_scopes_are_exactly_what_the_code_needs(manifest):
    needed = {"commands"}  # the slash command and the message shortcut
    for method in _called_methods():
        needed |= METHOD_SCOPES[method]
    for event in _listened_events():
        needed |= EVENT_SUBSCRIPTIONS[event][1]
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == needed
    assert "user" not in manifest["oauth_config"]["scopes"]


def test_events_match_the_listeners(manifest):
    expected = set().union(*(EVENT_SUBSCRIPTIONS[e][0] for e in _listened_events()))
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == expected


def test_command_shortcut_and_interactivity_match_the_ids(manifest):
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == ids.SLASH_COMMAND and command["should_escape"] is True
    [shortcut] = manifest["features"]["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("message", ids.EXTRACT_SHORTCUT)
    assert shortcut["name"] == "Extract action items"
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["features"]["bot_user"]["display_name"] == "actionbot"


def test_socket_and_http_manifests_differ_only_in_urls_and_mode():
    socket = yaml.safe_load((BOT_DIR / "manifest.yml").read_text())
    http = yaml.safe_load((BOT_DIR / "manifest.http.yml").read_text())
    assert (
        socket["settings"]["socket_mode_enabled"] is True and http["settings"]["socket_mode_enabled"] is False
    )
    urls = [
        http["features"]["slash_commands"][0].pop("url"),
        http["settings"]["event_subscriptions"].pop("request_url"),
        http["settings"]["interactivity"].pop("request_url"),
    ]
    assert set(urls) == {"https://YOUR-HOST/slack/events"}
    assert urls[0].endswith("/slack/events")
    http["settings"]["socket_mode_enabled"] = True
    assert http == socket
