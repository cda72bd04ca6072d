"""Format detection and parsing: every format on realistic fixtures, plus malformed and junk input."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from extractor.errors import TranscriptFormatError
from extractor.formats import FORMATS, detect_format
from extractor.formats.header import attendees, find_meeting_date
from extractor.turns import UNRECOGNISED, Transcript, normalize_transcript

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"


def load(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def read(name: str, **kwargs) -> Transcript:
    return normalize_transcript(load(name), **kwargs)


# fixture, format, turn count, speakers in order, meeting date found in the header
CASES = [
    ("zoom.vtt", "vtt", 6, ("Marisol Vega", "Tobias Brandt", "Keiko Ito"), None),
    ("teams.vtt", "vtt", 5, ("Amara Okonkwo", "Henrik Dahl", "Priya Nair"), None),
    ("labelled.srt", "srt", 5, ("Margaret", "Owen"), None),
    ("caps.srt", "srt", 3, ("Ruth", "Dev"), None),
    ("unlabelled.srt", "srt", 3, (), None),
    ("otter.txt", "otter", 6, ("Grant Holloway", "Lucy Fernandes", "Speaker 3", "Unknown Speaker"), None),
    ("teams.txt", "teams", 8, ("Rosa Delgado", "Ahmed Karimi", "Nadia Sorensen"), dt.date(2025, 3, 10)),
    (
        "slack.txt",
        "slack",
        7,
        ("Hana Kobayashi", "Diego Ramos", "Samir Haddad", "Release Bot"),
        dt.date(2025, 4, 16),
    ),
    ("slack_connect.txt", "slack", 5, ("Elise Martin (Northwind)", "Paolo Bianchi", "Tomas Varga"), None),
    ("notes.md", "notes", 13, (), dt.date(2025, 3, 10)),
    ("dialogsum.txt", "dialogsum", 5, ("Person1", "Person2"), None),
    ("plain.txt", "plain", 8, ("Lena", "Omar", "Sue"), dt.date(2025, 3, 10)),
    ("meet_doc.txt", "plain", 6, ("Ines Moreau", "Karl Weber"), None),
]


def test_cases_cover_every_fixture_and_format():
    assert sorted(c[0] for c in CASES) == sorted(p.name for p in FIXTURES.iterdir())
    assert {c[1] for c in CASES} == set(FORMATS)


@pytest.mark.parametrize(("name", "fmt"), [(c[0], c[1]) for c in CASES])
def test_detects_format(name, fmt):
    assert detect_format(load(name)) == fmt


@pytest.mark.parametrize(("name", "fmt", "count", "speakers", "date"), CASES)
def test_parses_fixture(name, fmt, count, speakers, date):
    t = read(name)
    assert (t.format, len(t.turns), t.speakers, t.meeting_date, t.warnings) == (
        fmt,
        count,
        speakers,
        date,
        (),
    )
    assert [turn.index for turn in t.turns] == list(range(count))
    assert all(turn.text and turn.text == " ".join(turn.text.split()) for turn in t.turns)


@pytest.mark.parametrize(("name", "fmt"), [(c[0], c[1]) for c in CASES])
def test_forcing_the_detected_format_gives_the_same_result(name, fmt):
    assert read(name, fmt=fmt) == read(name)


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_crlf_and_bom_do_not_change_the_result(name):
    windows = "\ufeff" + load(name).replace("\n", "\r\n")
    assert normalize_transcript(windows) == read(name)


def test_zoom_cues_of_one_speaker_merge_and_keep_the_first_start():
    t = read("zoom.vtt")
    assert t.turns[0].start == pytest.approx(2.14)
    assert t.turns[0].text.endswith("Two things today, the scanner rollout and the new shift roster.")
    assert t.turns[1].text == (
        "Scanners arrived Monday. Forty units, all charged, but the docking stations are still in customs."
    )
    assert t.turns[4].timestamp == "0:29"


def test_teams_vtt_voices_entities_and_guid_ids():
    t = read("teams.vtt")
    assert "Q&A doc" in t.turns[0].text
    assert not any("3f2a9c1e" in turn.text or "<v" in turn.text for turn in t.turns)
    # one cue holding two <v> spans becomes two speakers' turns at the same time
    assert [(x.speaker, x.text) for x in t.turns[2:4]] == [
        ("Amara Okonkwo", "Great, thanks."),
        (
            "Priya Nair",
            "Can I add one thing? Support needs the new macros before the email goes out. "
            "I'll write those by Wednesday.",
        ),
    ]
    assert t.turns[2].start == t.turns[3].start == pytest.approx(24.7)


def test_srt_labels_continuations_and_tags():
    t = read("labelled.srt")
    assert (
        t.turns[0].text
        == "Okay, let's start with the roof. The inspector flagged the flashing on the north side last week."
    )
    assert t.turns[2].text == "Good. And the permit for the crane?"
    assert t.turns[3].text.endswith("so we should be fine.")
    assert (t.turns[4].speaker, t.turns[4].text) == (None, "Sounds good.")  # bare ">>": unknown speaker
    assert t.turns[1].start == pytest.approx(9.9)


def test_srt_capital_labels_become_names():
    t = read("caps.srt")
    assert [x.speaker for x in t.turns] == ["Ruth", "Dev", "Ruth"]
    assert t.turns[0].text.endswith("same flow cell lot.")


def test_unlabelled_srt_groups_cues_at_sentence_end_and_pause():
    t = read("unlabelled.srt")
    assert all(x.speaker is None for x in t.turns)
    assert t.turns[0].text.endswith("weights with no loss in accuracy.")
    assert t.turns[1].text.startswith("I'm not sure I buy that.")
    assert [x.start for x in t.turns] == pytest.approx([0.5, 12.6, 21.7])


def test_otter_footer_paragraphs_and_hour_timestamps():
    t = read("otter.txt")
    assert not any("otter.ai" in x.text for x in t.turns)
    assert t.turns[1].text.endswith("I'll have the full draft to you by the 14th.")
    assert t.turns[4].start == 3602.0 and t.turns[4].timestamp == "1:00:02"
    assert t.turns[0].timestamp == "58:41"


def test_teams_text_drops_transcription_notices_and_keeps_header():
    t = read("teams.txt")
    assert not any("transcription" in x.text for x in t.turns)
    assert [x.text for x in t.turns[:3]] == [
        "Vendor review - Transcript",
        "March 10, 2025, 2:03PM",
        "32m 15s",
    ]
    assert t.turns[4].text.endswith("They can also deliver two weeks sooner.")


def test_slack_messages_are_cleaned():
    texts = [(x.speaker, x.text) for x in read("slack.txt").turns]
    assert texts == [
        (None, "#proj-mobile-release"),
        (
            "Hana Kobayashi",
            "👋 morning! release branch is cut. @U04ABCD12 can you run the smoke suite on the RC?",
        ),
        ("Diego Ramos", "on it 👍"),
        # the bare "9:41" line is a follow-up message; "(edited)" and the reaction count go
        ("Diego Ramos", "smoke suite green except the deep link test, looks flaky. rerunning"),
        (
            "Hana Kobayashi",
            "ok. @Samir Haddad can you update the release notes before 3pm? marketing wants them today",
        ),
        ("Samir Haddad", "yep, will do 📝"),
        ("Release Bot", "Build 4.12.0 (312) uploaded to TestFlight"),
    ]


def test_slack_connect_keeps_org_suffix_and_named_mentions():
    t = read("slack_connect.txt")
    assert t.turns[1].speaker == "Elise Martin (Northwind)"
    assert "@tomas can you open the ticket" in t.turns[2].text
    assert t.turns[3].text == "✅ ticket is open, I'll finish the config by Friday"


def test_notes_keep_every_line_with_its_markers():
    t = read("notes.md")
    texts = [x.text for x in t.turns]
    assert "- [x] Bob: fix the settings crash" in texts
    assert "- [ ] ~~Tom: redo the onboarding survey~~ (dropped)" in texts
    assert "- [ ] Priya: write the dark mode rollout plan [P1] - by Thu" in texts
    assert (
        texts[0] == "# Product council - weekly notes"
        and texts[-1] == "TODO: update the pricing FAQ -- owner?"
    )
    assert t.participants == ("Maria Lopez", "Bob Chen", "Priya Shah", "Tom O'Hara")


def test_plain_continuation_lines_and_attendees():
    t = read("plain.txt")
    assert t.turns[4].text.endswith("about forty percent. We lose most people there on Android.")
    assert t.participants == ("Lena", "Omar", "Sue", "Lena Park", "Omar Haddad", "Sue Brennan")


@pytest.mark.parametrize(
    ("line", "speaker", "text", "start"),
    [
        ("Ann Lee: I'll do it.", "Ann Lee", "I'll do it.", None),
        ("[00:01:02] Ann: I'll do it.", "Ann", "I'll do it.", 62.0),
        ("00:01:02 Ann: I'll do it.", "Ann", "I'll do it.", 62.0),
        ("Ann Lee (1:05): I'll do it.", "Ann Lee", "I'll do it.", 65.0),
        ("**Ann Lee:** I'll do it.", "Ann Lee", "I'll do it.", None),
        ("**Ann Lee**: I'll do it.", "Ann Lee", "I'll do it.", None),
        ("SPEAKER_01: I'll do it.", "SPEAKER_01", "I'll do it.", None),
        ("Dr. Greg Owens: Noted, thanks.", "Dr. Greg Owens", "Noted, thanks.", None),
    ],
)
def test_plain_speaker_line_variants(line, speaker, text, start):
    t = normalize_transcript(f"{line}\nBo: Okay.")
    assert (t.format, t.turns[0].speaker, t.turns[0].text, t.turns[0].start) == (
        "plain",
        speaker,
        text,
        start,
    )


@pytest.mark.parametrize(
    "line",
    [
        "Agenda: budget, hiring",
        "Action items: none",
        "Postmortem review: search outage",
        "Note: the room moved",
        "https://example.com/a",
    ],
)
def test_headings_are_not_speakers(line):
    t = normalize_transcript(f"{line}\nAnn: Hello.\nBo: Hi.", fmt="plain")
    assert t.turns[0].speaker is None and t.speakers == ("Ann", "Bo")


def test_meet_doc_timestamp_lines_set_start():
    t = read("meet_doc.txt")
    assert [x.start for x in t.turns if x.speaker] == [0.0, None, 72.0, None]


def test_given_meeting_date_and_tz_win():
    t = read("plain.txt", meeting_date=dt.date(2024, 1, 2), tz="Europe/Berlin")
    assert (t.meeting_date, t.tz) == (dt.date(2024, 1, 2), "Europe/Berlin")


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("Alice: I'll send the report by Friday.", "plain"),
        ("Project Manager: Okay.\nMarketing Expert: Mm-hmm.", "plain"),
        ("#Person1#: Can you do it?\n#Person2#: Sure.", "dialogsum"),
        ("- [ ] Bob: send the deck\n- [x] Ann: book room", "notes"),
        ("AI: Bob to send the deck\nTODO(maria): book room", "notes"),
        ("alice  10:42 AM\ncan someone look at the build?", "slack"),
        ("Bo Li [10:03 AM]\nlgtm", "slack"),
        ("[10:03 AM] Bo Li: lgtm", "slack"),
        ("Ann Lee  0:05\nHello there.", "otter"),
        ("Ann Lee 0:00:05\nHello there.\n\nBo Li 0:00:09\nHi.", "teams"),
        ("Ann Lee   0:05\nHello there.", "teams"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHi", "vtt"),
        ("00:00:01.000 --> 00:00:02.000\nAnn: Hi", "vtt"),  # WebVTT cues without the header
        ("1\n00:00:01,000 --> 00:00:02,000\nHi", "srt"),
        ("It was a long day and nothing much happened.\nWe went home.", "unknown"),
    ],
)
def test_detects_small_snippets(text, fmt):
    assert detect_format(text) == fmt


def test_prose_falls_back_to_lines_with_a_warning():
    t = normalize_transcript("We talked about the launch.\nNobody took notes, sadly.")
    assert t.format == "plain" and t.warnings == (UNRECOGNISED,)
    assert [(x.speaker, x.text) for x in t.turns] == [
        (None, "We talked about the launch."),
        (None, "Nobody took notes, sadly."),
    ]


BROKEN_VTT = """WEBVTT

1
00:00:01.000 --> 00:00:04.000
Ann Lee: I'll book the venue.

2
00:00:0x.000 --> 00:00:07.000
Ann Lee: And send the invites by Monday.

3
00:00:08.000 --> 00:00:09.000
Bo Chen: Thanks Ann.
"""

BROKEN_SRT = """1
00:00:01,000 --> 00:00:04,000
ANN: I'll book the venue.

2
00:00:05,000 --> banana
And send the invites by Monday.

3
00:00:08,000 --> 00:00:09,000
BO: Thanks Ann.
"""


@pytest.mark.parametrize(
    ("raw", "fmt", "names"), [(BROKEN_VTT, "vtt", ("Ann Lee", "Bo Chen")), (BROKEN_SRT, "srt", ("Ann", "Bo"))]
)
def test_malformed_captions_keep_their_text_with_a_warning(raw, fmt, names):
    t = normalize_transcript(raw)
    assert t.format == fmt and len(t.warnings) == 1 and "malformed" in t.warnings[0]
    assert [(x.speaker, x.text) for x in t.turns] == [
        (names[0], "I'll book the venue. And send the invites by Monday."),
        (names[1], "Thanks Ann."),
    ]
    assert t.turns[0].start == 1.0


def test_vtt_block_without_timing_line_keeps_its_text():
    raw = BROKEN_VTT.replace("00:00:0x.000 --> 00:00:07.000\n", "")
    t = normalize_transcript(raw)
    assert "And send the invites by Monday." in t.turns[0].text and t.warnings


@pytest.mark.parametrize("fmt", ["vtt", "srt"])
def test_forced_caption_format_with_nothing_readable_raises(fmt):
    with pytest.raises(TranscriptFormatError, match=fmt):
        normalize_transcript("Ann: just a chat line", fmt=fmt)


def test_forced_format_that_does_not_fit_warns():
    t = normalize_transcript("Ann: hello\nBo: hi", fmt="dialogsum")
    assert t.format == "dialogsum" and "dialogsum" in t.warnings[0]
    assert [x.text for x in t.turns] == ["Ann: hello", "Bo: hi"]


def test_unknown_format_name_is_a_value_error():
    with pytest.raises(ValueError, match="unknown transcript format 'pdf'"):
        normalize_transcript("Ann: hi", fmt="pdf")


@pytest.mark.parametrize(
    "raw", ["", "   \n\t\n  ", "\ufeff", "WEBVTT\n\n", "WEBVTT - Standup 2025-03-10\n\nNOTE nothing said\n"]
)
def test_no_text_gives_no_turns_and_a_warning(raw):
    t = normalize_transcript(raw)
    assert t.turns == () and len(t.warnings) == 1


def test_vtt_title_date_is_the_meeting_date():
    t = normalize_transcript("WEBVTT - Standup 2025-03-10\n\n00:00:01.000 --> 00:00:02.000\nAnn: Hi\n")
    assert (t.meeting_date, t.turns[0].speaker) == (dt.date(2025, 3, 10), "Ann")


JUNK = [
    "-->",
    ":::::",
    "#",
    "#Person1#",
    "1\n\n2\n\n3",
    "WEBVTT\n-->\n-->",
    "\x00\x01\x02 binary-ish",
    "Name  0:05",
    "alice  10:42 AM",
    "- [ ]",
    "~~",
    "<v >",
    "<v Ann>",
    "00:00:01,000 --> 00:00:02,000",
    "a" * 20000,
    "é" * 300 + "\n" * 300,
    "Ann:\nBo:\n",
    ">> \n>>",
    "{\\an8}",
    "&amp;&lt;",
]


@pytest.mark.parametrize("raw", JUNK)
def test_junk_never_crashes(raw):
    t = normalize_transcript(raw)
    assert [x.index for x in t.turns] == list(range(len(t.turns)))


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_truncated_and_shuffled_fixtures_never_crash(name):
    text = load(name)
    rng = random.Random(name)
    for _ in range(25):
        cut = text[: rng.randrange(len(text))]
        lines = text.split("\n")
        rng.shuffle(lines)
        for variant in (cut, "\n".join(lines)):
            t = normalize_transcript(variant)
            assert t.format in FORMATS


@pytest.mark.parametrize(
    ("lines", "date"),
    [
        (["Date: 2025-03-10"], dt.date(2025, 3, 10)),
        (["Board minutes", "Date: Feb 17, 2026 | Location: Zoom"], dt.date(2026, 2, 17)),
        (["Standup - 10 March 2025"], dt.date(2025, 3, 10)),
        (["Client call, Wed 4/8/26, 30 min"], dt.date(2026, 4, 8)),
        (["Sync-20250310_100203-Meeting Recording"], dt.date(2025, 3, 10)),
        (["Sept 30, 2025 retro"], dt.date(2025, 9, 30)),
        (["Outage review (Tue Sept 30)"], None),  # no year: could be the incident, not the meeting
        (["Release 2025-13-45"], None),
        (["Kickoff 2024-01-05", "Date: 2025-03-10"], dt.date(2025, 3, 10)),  # a Date: line wins
    ],
)
def test_find_meeting_date(lines, date):
    assert find_meeting_date(lines) == date


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("Attendees: A Ray, Bo Li", ["A Ray", "Bo Li"]),
        ("Present: Carol J (Chair); Mike D and Tom", ["Carol J", "Mike D", "Tom"]),
        ("**Participants:** Zoe & Liam", ["Zoe", "Liam"]),
        ("Ann: I'll do it", None),
    ],
)
def test_attendees(line, names):
    assert attendees(line) == names
