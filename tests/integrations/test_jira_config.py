"""JiraConfig.from_env and the user map file: parsing, defaults, and errors that name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrations.config import DEFAULT_PRIORITY_MAP, JiraConfig, load_user_map
from integrations.errors import ConfigError

CLOUD = {
    "JIRA_URL": "https://acme.atlassian.net/",
    "JIRA_EMAIL": "bot@acme.com",
    "JIRA_API_TOKEN": "tok-SECRET",
    "JIRA_PROJECT": "OPS",
}
DC = {"JIRA_URL": "https://jira.acme.internal", "JIRA_PAT": "pat-SECRET", "JIRA_PROJECT": "OPS"}


def test_cloud_defaults() -> None:
    cfg = JiraConfig.from_env(CLOUD)
    assert cfg.url == "https://acme.atlassian.net"
    assert cfg.auth_kind() == "basic"
    assert cfg.issue_type == "Task"
    assert cfg.priority_map == DEFAULT_PRIORITY_MAP
    assert cfg.labels == ("actionbot",)
    assert cfg.deployment is None
    assert cfg.project_for("C999") == "OPS"


def test_dc_uses_bearer() -> None:
    assert JiraConfig.from_env(DC).auth_kind() == "bearer"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("C123:OPS,C456:ENG", {"C123": "OPS", "C456": "ENG"}),
        (" C123 : OPS , ", {"C123": "OPS"}),
        ("C123=OPS", {"C123": "OPS"}),
    ],
)
def test_project_map(raw: str, expected: dict[str, str]) -> None:
    cfg = JiraConfig.from_env({**CLOUD, "JIRA_PROJECT_MAP": raw})
    assert cfg.project_map == expected
    assert cfg.project_for("C123") == "OPS" and cfg.project_for(None) == "OPS"


def test_project_map_routes_channels() -> None:
    cfg = JiraConfig.from_env({**CLOUD, "JIRA_PROJECT_MAP": "C456:ENG"})
    assert (cfg.project_for("C456"), cfg.project_for("C123")) == ("ENG", "OPS")


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("high:Highest,low:Lowest", {"high": "Highest", "medium": "Medium", "low": "Lowest"}),
        ("HIGH:P1", {"high": "P1", "medium": "Medium", "low": "Low"}),
        ("none", None),
        ("off", None),
        ("", DEFAULT_PRIORITY_MAP),
    ],
)
def test_priority_map(raw: str, expected: dict[str, str] | None) -> None:
    assert JiraConfig.from_env({**CLOUD, "JIRA_PRIORITY_MAP": raw}).priority_map == expected


@pytest.mark.parametrize("raw, expected", [("actionbot,meetings", ("actionbot", "meetings")), ("none", ())])
def test_labels(raw: str, expected: tuple[str, ...]) -> None:
    assert JiraConfig.from_env({**CLOUD, "JIRA_LABELS": raw}).labels == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("cloud", "cloud"),
        ("Data-Center", "datacenter"),
        ("dc", "datacenter"),
        ("server", "datacenter"),
        ("", None),
    ],
)
def test_deployment_aliases(raw: str, expected: str | None) -> None:
    env = {**CLOUD, **DC, "JIRA_DEPLOYMENT": raw} if expected else CLOUD
    assert JiraConfig.from_env(env).deployment == expected


@pytest.mark.parametrize(
    "env, names",
    [
        ({**CLOUD, "JIRA_URL": ""}, "JIRA_URL"),
        ({**CLOUD, "JIRA_URL": "acme.atlassian.net"}, "JIRA_URL"),
        ({**CLOUD, "JIRA_URL": "https://bot:tok-SECRET@acme.atlassian.net"}, "JIRA_URL"),
        ({**CLOUD, "JIRA_PROJECT": ""}, "JIRA_PROJECT"),
        ({**CLOUD, "JIRA_PROJECT": "ops team"}, "JIRA_PROJECT"),
        ({**CLOUD, "JIRA_PROJECT_MAP": "C123"}, "JIRA_PROJECT_MAP"),
        ({**CLOUD, "JIRA_PROJECT_MAP": "C123:eng"}, "JIRA_PROJECT_MAP[C123]"),
        ({**CLOUD, "JIRA_PRIORITY_MAP": "urgent:Highest"}, "JIRA_PRIORITY_MAP"),
        ({**CLOUD, "JIRA_LABELS": "action bot"}, "JIRA_LABELS"),
        ({**CLOUD, "JIRA_DEPLOYMENT": "onprem"}, "JIRA_DEPLOYMENT"),
        ({**CLOUD, "JIRA_TIMEOUT_S": "fast"}, "JIRA_TIMEOUT_S"),
        ({**CLOUD, "JIRA_MAX_ATTEMPTS": "0"}, "JIRA_MAX_ATTEMPTS"),
        ({k: v for k, v in CLOUD.items() if k != "JIRA_API_TOKEN"}, "JIRA_EMAIL + JIRA_API_TOKEN"),
        ({**CLOUD, "JIRA_PAT": "pat"}, "JIRA_DEPLOYMENT"),
        ({**DC, "JIRA_DEPLOYMENT": "cloud"}, "JIRA_EMAIL and JIRA_API_TOKEN"),
        ({**CLOUD, "JIRA_DEPLOYMENT": "datacenter"}, "JIRA_PAT"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigError) as err:
        JiraConfig.from_env(env)
    assert str(err.value).startswith(names)
    assert "SECRET" not in str(err.value)


@pytest.mark.parametrize(
    "env, name",
    [
        ({**CLOUD, "JIRA_API_TOKEN": "tok-SEC\nRET"}, "JIRA_API_TOKEN"),
        ({**CLOUD, "JIRA_API_TOKEN": "tok SECRET"}, "JIRA_API_TOKEN"),
        ({**DC, "JIRA_PAT": "pat-SECRET\u2019"}, "JIRA_PAT"),  # a typographic quote pasted along
        ({**DC, "JIRA_PAT": "pat-SEC\tRET"}, "JIRA_PAT"),
        ({**CLOUD, "JIRA_EMAIL": "bot"}, "JIRA_EMAIL"),
        ({**CLOUD, "JIRA_EMAIL": "bot @acme.com"}, "JIRA_EMAIL"),
    ],
)
def test_malformed_credentials_are_refused_early(env: dict[str, str], name: str) -> None:
    # Without this, requests fails later with an encoding error ("check JIRA_URL") or quotes the header.
    with pytest.raises(ConfigError) as err:
        JiraConfig.from_env(env)
    assert str(err.value).startswith(name) and "SEC" not in str(err.value)


def test_secrets_include_the_basic_header() -> None:
    import base64

    cfg = JiraConfig.from_env(CLOUD)
    assert base64.b64encode(b"bot@acme.com:tok-SECRET").decode() in cfg.secrets()


def test_repr_hides_tokens() -> None:
    text = repr(JiraConfig.from_env({**DC, **CLOUD, "JIRA_DEPLOYMENT": "cloud"}))
    assert "SECRET" not in text and "acme.atlassian.net" in text


@pytest.mark.parametrize(
    "name, text",
    [
        ("users.json", '{"Dana@Example.com": "acc-dana", "U024BE7LH": "acc-fox"}'),
        ("users.yaml", "Dana@Example.com: acc-dana\nU024BE7LH: acc-fox\n"),
        ("users.yml", "{Dana@Example.com: acc-dana, U024BE7LH: acc-fox}"),
    ],
)
def test_user_map_formats(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    assert load_user_map(path) == {"dana@example.com": "acc-dana", "u024be7lh": "acc-fox"}


@pytest.mark.parametrize(
    "name, text, fragment",
    [
        ("users.json", "{not json", "not valid json"),
        ("users.yaml", "- a\n- b\n", "must map strings to strings"),
        ("users.json", '{"dana@example.com": 42}', "must map strings to strings"),
        ("users.yaml", "a: [b", "not valid yaml"),
    ],
)
def test_user_map_errors(tmp_path: Path, name: str, text: str, fragment: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError, match=fragment):
        load_user_map(path)


def test_user_map_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="JIRA_USER_MAP_FILE: cannot read"):
        load_user_map(tmp_path / "nope.json")


def test_empty_user_map(tmp_path: Path) -> None:
    (tmp_path / "u.yaml").write_text("")
    assert load_user_map(tmp_path / "u.yaml") == {}


def test_env_example_block_parses_and_lists_every_variable() -> None:
    import re

    import integrations.cli_filing
    import integrations.config

    path = Path(__file__).parents[2] / "docs" / "env.jira"
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    env = dict(line.split("=", 1) for line in lines)
    assert JiraConfig.from_env(env).project == "OPS"
    read = set(
        re.findall(r'"((?:JIRA|ACTIONBOT_JIRA)_[A-Z_]+)"', Path(integrations.config.__file__).read_text())
    )
    read |= set(re.findall(r'"(ACTIONBOT_JIRA_[A-Z_]+)"', Path(integrations.cli_filing.__file__).read_text()))
    assert read and read <= set(env), f"missing from docs/env.jira: {read - set(env)}"
