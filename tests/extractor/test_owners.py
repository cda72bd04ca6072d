"""normalize_owner / speaker_names: labels, titles, accents, roles, vocatives, made-up names."""

from __future__ import annotations

import pytest

from extractor.owners import clean_name, display_name, is_generic_label, normalize_owner, speaker_names
from extractor.turns import Transcript, Turn


def transcript(*lines: tuple[str | None, str], participants: tuple[str, ...] = ()) -> Transcript:
    return Transcript(tuple(Turn(i, s, text) for i, (s, text) in enumerate(lines)), participants=participants)


NAMED = transcript(
    ("Laura Bennett (BrightPath)", "Let's go through the open points."),
    ("Dr. Priya Nair", "I can review the protocol. José will check the samples."),
    ("Project Manager", "Fine, the budget is on me."),
    ("José García", "Sure, and Jordan from finance should sign off."),
    ("Marketing Expert", "I'll draft the launch email."),
    participants=("Ms. Hannah Okafor",),
)

GENERIC = transcript(
    ("#Person1#", "Hey team, let's sync on the Q3 report."),
    ("#Person2#", "I can take the lead on gathering the sales data. I'll have it done by Friday."),
    ("#Person1#", "Great, thanks Alex. Maria, can you handle the marketing metrics?"),
    ("#Person3#", "Sure thing. I'll get those to you by end of day Thursday."),
    ("#Person4#", "I'm Sam, new here. What should I pick up, Maria?"),
    ("#Person3#", "The slide deck, please."),
)


@pytest.mark.parametrize(
    ("owner", "turn", "expected"),
    [
        # labels: full label or first name, case-insensitive; first name as spelled in the label
        ("Laura", None, "Laura"),
        ("laura", None, "Laura"),
        ("Laura Bennett", None, "Laura"),
        ("Laura Bennett (BrightPath)", None, "Laura"),
        ("Bennett", None, "Laura"),
        ("Ms. Laura", None, "Laura"),
        ("Dr. Priya Nair", None, "Priya"),
        ("Dr Nair", None, "Priya"),
        ("PRIYA", None, "Priya"),
        ("Priya (QA)", None, "Priya"),
        ("Hannah", None, "Hannah"),  # a participant who never spoke
        ("Okafor", None, "Hannah"),
        # accents are kept in the answer and ignored in the match
        ("José", None, "José"),
        ("Jose", None, "José"),
        ("jose garcia", None, "José"),
        # role labels stay whole
        ("Project Manager", None, "Project Manager"),
        ("project manager", None, "Project Manager"),
        ("the project manager", None, "Project Manager"),
        ("PM", None, "Project Manager"),
        ("Marketing", None, "Marketing Expert"),
        # named in the transcript but not a speaker: kept as spelled there
        ("Jordan", None, "Jordan"),
        ("jordan", None, "Jordan"),
        # invented, groups and pronouns
        ("Kevin", None, None),
        ("Kevin Smith", None, None),
        ("everyone", None, None),
        ("The team", None, None),
        ("Design team", None, None),
        ("we", None, None),
        ("all", None, None),
        ("Laura and José", None, None),
        ("TBD", None, None),
        ("", None, None),
        (None, None, None),
        ("I", 1, "Priya"),
        ("me", 2, "Project Manager"),
        ("I", 3, "José"),
        ("I", None, None),
        ("I", 99, None),
    ],
)
def test_named_speakers(owner: str | None, turn: int | None, expected: str | None) -> None:
    assert normalize_owner(owner, NAMED, turn) == expected


def test_speaker_names_from_vocatives_and_introductions() -> None:
    assert speaker_names(GENERIC) == {"#Person2#": "Alex", "#Person3#": "Maria", "#Person4#": "Sam"}


@pytest.mark.parametrize(
    ("owner", "turn", "expected"),
    [
        ("Alex", None, "Alex"),  # "thanks Alex" names the previous speaker
        ("Person2", None, "Alex"),
        ("#Person2#", None, "Alex"),
        ("person 2", None, "Alex"),
        ("Maria", None, "Maria"),  # "Maria, can you...?" names the next speaker
        ("#Person3#", None, "Maria"),
        ("Sam", None, "Sam"),  # "I'm Sam"
        ("Person1", None, "#Person1#"),  # no name known: the label itself
        ("I", 3, "Maria"),
        ("me", 1, "Alex"),
        ("I", 0, "#Person1#"),
        ("Person9", None, None),
        ("Bob", None, None),
        ("Speaker 2", None, None),
    ],
)
def test_generic_speakers_both_directions(owner: str, turn: int | None, expected: str | None) -> None:
    assert normalize_owner(owner, GENERIC, turn) == expected


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # a question ending in a name asks the next speaker; a statement answers the last one
        ((("SPEAKER_00", "What do you think, Dana?"), ("SPEAKER_01", "Looks fine.")), {"SPEAKER_01": "Dana"}),
        ((("SPEAKER_00", "It works."), ("SPEAKER_01", "Good idea, Dana.")), {"SPEAKER_00": "Dana"}),
        ((("Speaker 1", "Hi, this is Omar."), ("Speaker 2", "Hello.")), {"Speaker 1": "Omar"}),
        ((("Speaker 1", "My name is Dr. Chen."), ("Speaker 2", "Welcome.")), {"Speaker 1": "Chen"}),
        # sentence starters and interjections are not names
        ((("Speaker 1", "So, what next?"), ("Speaker 2", "Well, I'm not sure.")), {}),
        ((("Speaker 1", "Okay, thanks Everyone."), ("Speaker 2", "Sure, Monday works.")), {}),
        # named labels need no inference
        ((("Alex", "Thanks, Maria."), ("Maria", "Sure.")), {}),
        # a name goes to one label only: the strongest claim wins
        (
            (("#Person1#", "I'm Ana."), ("#Person2#", "Thanks, Ana."), ("#Person1#", "Ana, really?")),
            {"#Person1#": "Ana"},
        ),
    ],
)
def test_speaker_names_cues(lines: tuple[tuple[str, str], ...], expected: dict[str, str]) -> None:
    assert speaker_names(transcript(*lines)) == expected


@pytest.mark.parametrize(
    ("label", "generic"),
    [("#Person1#", True), ("Person2", True), ("Speaker 3", True), ("SPEAKER_01", True), ("Alex", False),
     ("Project Manager", False)],
)  # fmt: skip
def test_is_generic_label(label: str, generic: bool) -> None:
    assert is_generic_label(label) is generic


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [("Dr. Laura B (ACME)", "Laura B"), ("Mr Smith", "Smith"), ('"Alex"', "Alex"), ("Laura, PM", "Laura"),
     ("Laura - Sales", "Laura"), ("Prof. María José", "María José")],
)  # fmt: skip
def test_clean_name(raw: str, cleaned: str) -> None:
    assert clean_name(raw) == cleaned


@pytest.mark.parametrize(
    ("label", "shown"),
    [("Laura Bennett (BrightPath)", "Laura"), ("Dr. Priya Nair", "Priya"), ("UX Lead", "UX Lead"),
     ("#Person1#", "#Person1#"), ("Émilie Durand", "Émilie")],
)  # fmt: skip
def test_display_name(label: str, shown: str) -> None:
    assert display_name(label) == shown


ROLE_MEETING = [
    ("Project Manager", "Okay, this is the kick-off. I'm Laura and I'm the project manager."),
    ("Industrial Designer", "Hi, I'm David, industrial designer."),
    ("Marketing Expert", "And I'm Andrew, marketing."),
    ("Project Manager", "Right. David, you'll look at the components for next time."),
    ("Industrial Designer", "Sure."),
]


@pytest.mark.parametrize(
    ("owner", "expected"),
    [
        ("David", "Industrial Designer"),
        ("Laura", "Project Manager"),
        ("Andrew", "Marketing Expert"),
        ("Industrial Designer", "Industrial Designer"),
        ("Craig", None),
    ],
)
def test_names_from_introductions_map_to_role_labels(owner: str, expected: str | None) -> None:
    t = Transcript(turns=[Turn(i, s, x) for i, (s, x) in enumerate(ROLE_MEETING)], format="plain")
    assert normalize_owner(owner, t, 4) == expected


KITCHEN = Transcript(
    turns=(
        Turn(0, "#Person1#", "Marco, the food cost report came back. Avocados nearly doubled."),
        Turn(1, "#Person2#", "I'll cost out a version with less avocado. Felipe (support) can ask Priya."),
        Turn(2, "#Person1#", "Thanks. Shift the order to Tuesday, and loop in Priya."),
    ),
    format="dialogsum",
)
LOWER_ASR = Transcript(
    turns=(Turn(0, "Speaker 1", "ok so priya will send the deck"), Turn(1, "Speaker 2", "sure thing")),
    format="plain",
)


@pytest.mark.parametrize(
    ("transcript", "owner", "expected"),
    [
        (KITCHEN, "Avocados", None),  # "less avocado": a common word that opened a sentence
        (KITCHEN, "Support", None),  # said only in lower case
        (KITCHEN, "Shift", "Shift"),  # capitalised only, never lower case: cannot tell, kept
        (KITCHEN, "Priya", "Priya"),  # a name mentioned, not a participant
        (LOWER_ASR, "Priya", "Priya"),  # lower-case ASR output: no capitals to tell by
    ],
)
def test_common_words_are_not_owners_in_cased_transcripts(
    transcript: Transcript, owner: str, expected: str | None
) -> None:
    assert normalize_owner(owner, transcript, 0) == expected
