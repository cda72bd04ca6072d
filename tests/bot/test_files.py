"""File checks before any download: Slack's host only, https only, transcript types and sizes."""

from __future__ import annotations

import pytest

from bot.errors import FileRejectedError
from bot.files import SlackFile, check_file, check_url, from_info, is_transcript_name
from bot.settings import BotSettings

PROD = BotSettings(bot_token="xoxb-1", signing_secret="s")


def _file(
    name="notes.vtt", size=100, mimetype="text/vtt", url="https://files.slack.com/files-pri/T1-F1/notes.vtt"
) -> SlackFile:
    return SlackFile(id="F1", name=name, size=size, mimetype=mimetype, url=url, user="U1", shares={})


@pytest.mark.parametrize(
    "url",
    [
        "http://files.slack.com/files-pri/T1-F1/a.txt",  # not https
        "https://files.slack.com.evil.test/files-pri/T1-F1/a.txt",
        "https://evil.test/files.slack.com/a.txt",
        "https://user@evil.test/a.txt",
        "https://slack.com/files-pri/T1-F1/a.txt",
        "file:///etc/passwd",
        "",
    ],
)
def test_urls_off_slacks_file_host_are_refused(url):
    with pytest.raises(FileRejectedError, match="not hosted by Slack"):
        check_url(url, PROD)


def test_slacks_file_host_over_https_is_accepted():
    check_url("https://files.slack.com/files-pri/T1-F1/notes.txt?download=1", PROD)


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (_file(name="photo.png", mimetype="image/png"), "only .docx, .md, .srt, .txt, .vtt files are read"),
        (_file(size=5 * 1024 * 1024 + 1), "the limit is 5.0 MB"),
        (_file(name="notes.txt", mimetype="text/html"), "its type text/html doesn't match a .txt transcript"),
        (_file(name="notes.docx", mimetype="text/plain"), "doesn't match a .docx transcript"),
    ],
)
def test_wrong_type_or_size_is_refused(file, message):
    with pytest.raises(FileRejectedError, match=message.replace(".", r"\.")):
        check_file(file, PROD)


@pytest.mark.parametrize(
    ("name", "mimetype"),
    [
        ("a.txt", "text/plain"),
        ("a.md", "text/markdown"),
        ("a.vtt", "text/vtt"),
        ("a.srt", "application/x-subrip"),
        ("A.DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("a.txt", ""),
    ],
)
def test_transcript_types_pass(name, mimetype):
    check_file(_file(name=name, mimetype=mimetype, size=5 * 1024 * 1024), PROD)
    assert is_transcript_name(name)


def test_from_info_prefers_the_download_url_and_strips_parameters_from_the_type():
    f = from_info(
        {
            "id": "F1",
            "name": "a.txt",
            "size": "12",
            "mimetype": "text/plain; charset=utf-8",
            "url_private": "https://files.slack.com/a",
            "url_private_download": "https://files.slack.com/a?d=1",
        }
    )
    assert (f.url, f.mimetype, f.size) == ("https://files.slack.com/a?d=1", "text/plain", 12)
