"""Owners as the model writes them -> the name the meeting uses for that person, or None.
Speaker labels give the names; generic labels (#Person1#, Speaker 2) get theirs from
self-introductions and vocatives in the dialogue. A name found nowhere is never returned."""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass

from extractor.turns import Transcript

logger = logging.getLogger(__name__)

TITLES = frozenset({"dr", "mr", "mrs", "ms", "miss", "mx", "prof", "professor", "sir", "madam", "dame"})
GROUP_WORDS = frozenset(
    "everyone everybody team we us all group both someone somebody anyone anybody nobody they them "
    "folks y'all you guys whoever unassigned tbd n/a na none null unknown you he she him her".split()
)
ME_WORDS = frozenset({"i", "me", "myself", "i'll", "i will"})
ROLE_WORDS = frozenset(
    "manager designer lead engineer interface marketing expert developer analyst director officer "
    "chair moderator host interviewer interviewee customer agent representative rep owner "
    "scrum master pm facilitator presenter coordinator ux ui qa ceo cto cfo coo vp head".split()
)
# Capitalised words that start sentences or address no one in particular; never read as names.
NOT_NAMES = (
    frozenset(
        "so well okay ok yes yeah yep yup no nope sure right alright great good thanks thank hi hello hey "
        "now then and but or also actually basically honestly look listen see sorry please fine perfect "
        "cool nice wow oh ah um uh hmm first second third finally anyway anyways plus however otherwise "
        "meanwhile guys everyone everybody team folks all friends dear mom dad mum doctor boss honey "
        "darling man dude buddy kids ladies gentlemen today tomorrow again exactly absolutely agreed "
        "indeed true correct definitely totally seriously really maybe perhaps personally unfortunately "
        "luckily hopefully ideally obviously i glad happy afraid here just still very not going done "
        "ready back busy free available late working looking trying thinking calling speaking sorry "
        "excuse pardon welcome morning afternoon evening night bye goodbye cheers congratulations "
        "monday tuesday wednesday thursday friday saturday sunday what why how who where when which "
        "you we they he she it this that there these those let lets let's can could would should will".split()
    )
    | TITLES
)
_GENERIC_LABEL = re.compile(
    r"^#?\s*(?:person|speaker|spk|participant|guest|user)[\s_#-]*(\w{1,3})\s*#?$", re.I
)
_WORD = r"[^\W\d_]+(?:-[^\W\d_]+)*"
_TITLE = rf"(?:(?:{'|'.join(TITLES)})\.?\s+)?"
_SELF_INTRO = re.compile(rf"\b(?:i'm|i am|my name is|my name's)\s+{_TITLE}(?P<name>{_WORD})", re.I)
_WEAK_INTRO = re.compile(
    rf"\b(?:this is|it's)\s+{_TITLE}(?P<name>{_WORD})\s*[.,!]|^(?P<name2>{_WORD})\s+(?:here|speaking)\b", re.I
)
_LEADING_VOCATIVE = re.compile(
    rf"^(?:(?:hi|hey|hello|ok|okay|so|and|now|right),?\s+)?{_TITLE}(?P<name>{_WORD})\s*,", re.I
)
_THANKS_VOCATIVE = re.compile(
    rf"\b(?:thanks|thank you|cheers|good point),?\s+{_TITLE}(?P<name>{_WORD})\b", re.I
)
_TRAILING_VOCATIVE = re.compile(rf",\s*{_TITLE}(?P<name>{_WORD})\s*(?P<end>[.?!]+)?\s*$", re.I)


@functools.lru_cache(maxsize=8192)  # pure and called per word of the meeting; words repeat a lot
def fold(text: str) -> str:
    """Case- and accent-insensitive key ("José" -> "jose")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def clean_name(text: str) -> str:
    """Drop quotes, parenthesised/after-comma suffixes and leading titles: "Dr. Laura B (ACME)" -> "Laura B"."""
    text = re.sub(r"\(.*?\)|\[.*?\]", " ", text)
    text = re.split(r",|\s[-–—|]\s", text)[0]
    words = text.strip(" \t\"'`.:;").split()
    while len(words) > 1 and fold(words[0]).rstrip(".") in TITLES:
        words = words[1:]
    return " ".join(words).strip(" \"'`.:;")


def is_generic_label(label: str) -> bool:
    """True for labels that carry no name: "#Person1#", "Speaker 2", "SPEAKER_01"."""
    return bool(_GENERIC_LABEL.match(label.strip()))


def is_role_label(label: str) -> bool:
    """True for role labels ("Project Manager", "UX Lead") that are kept whole."""
    return any(fold(w) in ROLE_WORDS for w in re.findall(r"\w+", label))


def _is_name(word: str) -> bool:
    return word[:1].isupper() and fold(word).strip("'’") not in NOT_NAMES and len(word) > 1


def speaker_names(transcript: Transcript) -> dict[str, str]:
    """Names of generic and role speakers (label -> name) from "I'm Alex", "Alex, can you…?"
    (the next speaker) and "Thanks, Alex" (the previous speaker). A role label keeps its role as
    the owner's name; its spoken name only lets "Laura" find "Project Manager"."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    turns = [t for t in transcript.turns if t.speaker]
    if not any(_nameless(s) for s in transcript.speakers):
        return {}
    speakers = [t.speaker for t in turns]
    prevs = _other_speakers(speakers)
    nexts = _other_speakers(speakers[::-1])[::-1]
    for turn, prev, nxt in zip(turns, prevs, nexts, strict=True):
        # Drop the title's dot so "Dr. Chen" does not end a sentence.
        text = re.sub(r"\b(dr|mr|mrs|ms|mx|prof)\.(?=\s)", r"\1", turn.text.strip(), flags=re.I)
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            for label, name, weight in _cues(sentence, turn.speaker, prev, nxt):
                if label and _nameless(label) and _is_name(name):
                    votes[label][name] += weight
    # One name per label and one label per name: the strongest claims win.
    claims = sorted(
        ((n, lab, name) for lab, c in votes.items() for name, n in c.items()), key=lambda x: -x[0]
    )
    out: dict[str, str] = {}
    taken: set[str] = set()
    for _, label, name in claims:
        if label not in out and fold(name) not in taken:
            out[label] = name
            taken.add(fold(name))
    return out


def _nameless(label: str | None) -> bool:
    """A speaker label that is not a person's name (#Person1#, Speaker 2, Project Manager)."""
    return label is not None and bool(label) and (is_generic_label(label) or is_role_label(label))


def _other_speakers(speakers: list[str | None]) -> list[str | None]:
    """For each position, the closest earlier speaker who is not the one speaking there."""
    out: list[str | None] = []
    last: str | None = None
    before_last: str | None = None  # the latest speaker other than `last`
    for speaker in speakers:
        out.append(before_last if speaker == last else last)
        if speaker != last:
            before_last, last = last, speaker
    return out


def _first_name(pattern: re.Pattern[str], sentence: str, anchored: bool = False) -> re.Match[str] | None:
    """The first match of `pattern` whose name group really looks like a name."""
    matches = [pattern.match(sentence)] if anchored else pattern.finditer(sentence)
    return next((m for m in matches if m and _is_name(m["name"] or m.groupdict().get("name2") or "")), None)


def _cues(
    sentence: str, me: str | None, prev: str | None, nxt: str | None
) -> list[tuple[str | None, str, int]]:
    """(label, name, weight) guesses from one sentence."""
    found: list[tuple[str | None, str, int]] = []
    if m := _first_name(_SELF_INTRO, sentence):
        found.append((me, m["name"], 3))
    elif m := _first_name(_WEAK_INTRO, sentence):  # "This is Alex." on a call; also "This is Project X."
        found.append((me, m["name"] or m["name2"], 1))
    if m := _first_name(_THANKS_VOCATIVE, sentence):
        found.append((prev, m["name"], 1))
    elif m := _first_name(_LEADING_VOCATIVE, sentence, anchored=True):
        found.append((nxt, m["name"], 1))
    elif m := _first_name(_TRAILING_VOCATIVE, sentence):
        # "What do you think, Alex?" asks the next speaker; "Good idea, Alex." answers the last one.
        found.append((nxt if (m["end"] or "").startswith("?") else prev, m["name"], 1))
    return found


def display_name(label: str, names: dict[str, str] | None = None) -> str:
    """How an owner is written for a speaker label: its inferred name, the whole role, or the first name."""
    if names and label in names and not is_role_label(label):
        return names[label]
    if is_generic_label(label) or is_role_label(label):
        return label.strip()
    cleaned = clean_name(label)
    return cleaned.split()[0] if cleaned else label.strip()


@dataclass(frozen=True)
class MeetingNames:
    """What owner matching needs from one transcript, computed once."""

    names: dict[str, str]  # generic label -> inferred name (speaker_names)
    words: dict[str, str]  # folded word -> its spelling in the transcript (capitalised if ever)
    lowercase: frozenset[str] = frozenset()  # folded words also said in lower case
    cased: bool = False  # the transcript capitalises (not lower-case ASR output)

    @classmethod
    def build(cls, transcript: Transcript) -> MeetingNames:
        """Index `transcript`'s inferred speaker names and the words it says."""
        words: dict[str, str] = {}
        lowercase: set[str] = set()
        capitalised = 0
        for turn in transcript.turns:
            capitalised += any(c.isupper() for c in turn.text)
            for word in re.findall(_WORD, turn.text):
                key = fold(word)
                if word.islower():
                    lowercase.add(key)
                if key not in words or (word[:1].isupper() and not words[key][:1].isupper()):
                    words[key] = word
        cased = capitalised > len(transcript.turns) / 2
        return cls(speaker_names(transcript), words, frozenset(lowercase), cased)


def normalize_owner(
    owner: str | None,
    transcript: Transcript,
    turn_index: int | None = None,
    *,
    index: MeetingNames | None = None,
) -> str | None:
    """The meeting's name for `owner` (first name, whole role, or speaker label), or None when
    it is a group, an unknown pronoun or a name that appears nowhere in the meeting. Pass
    `index` (MeetingNames.build) when normalising many owners of one transcript."""
    if owner is None or not owner.strip():
        return None
    index = MeetingNames.build(transcript) if index is None else index
    names = index.names
    raw = fold(owner.strip(" \"'`.:;"))
    if raw in ME_WORDS:
        speaker = _speaker_of(transcript, turn_index)
        return display_name(speaker, names) if speaker else None
    cleaned = re.sub(r"^(?:the|our|my)\s+", "", clean_name(owner), flags=re.I)
    key = fold(cleaned)
    if not key or key in GROUP_WORDS or re.search(r"\b(?:and|&)\b|[/+&]", key):
        return None
    labels = list(dict.fromkeys([*transcript.speakers, *transcript.participants]))
    if (found := _match_label(cleaned, labels, names)) is not None:
        return found
    if re.search(r"\b(?:team|group|everyone|all of us|squad|crew|department|dept|committee)\b", key):
        return None
    return _mentioned(cleaned, index)


def _speaker_of(transcript: Transcript, turn_index: int | None) -> str | None:
    if turn_index is None:
        return None
    return next((t.speaker for t in transcript.turns if t.index == turn_index), None)


def _match_label(cleaned: str, labels: list[str], names: dict[str, str]) -> str | None:
    key = fold(cleaned)
    generic = _GENERIC_LABEL.match(cleaned)
    for label in labels:
        if generic and is_generic_label(label):
            theirs = _GENERIC_LABEL.match(label.strip())
            if theirs and fold(theirs[1]) == fold(generic[1]) and _kind(label) == _kind(cleaned):
                return display_name(label, names)
    for label, name in names.items():
        if fold(name) == key or fold(name) == key.split()[0]:
            return display_name(label, names)
    for label in labels:
        if is_generic_label(label):
            continue
        full = fold(clean_name(label))
        words = full.split()
        if not words:
            continue
        if is_role_label(label):
            initials = "".join(w[0] for w in words)
            if key in (full, initials) or key.replace(" ", "") == initials:
                return display_name(label, names)
            continue
        if key == full or key.split()[0] == words[0] or (len(words) > 1 and key == words[-1]):
            return display_name(label, names)
    # "Marketing" for "Marketing Expert": a part of exactly one role label.
    roles = [lab for lab in labels if is_role_label(lab) and set(key.split()) <= set(fold(lab).split())]
    return display_name(roles[0], names) if len(roles) == 1 else None


def _kind(label: str) -> str:
    return re.sub(r"[^a-z]", "", fold(label))[:3]


def _mentioned(cleaned: str, index: MeetingNames) -> str | None:
    """The first name as the transcript spells it (a capitalised mention preferred), or None
    when the transcript never says it: the model made it up."""
    first = cleaned.split()[0]
    spelled = index.words.get(fold(first))
    if spelled is None:
        logger.debug("owner %r is not in the meeting; dropped", cleaned)
        return None
    if index.cased and _common_word(fold(first), spelled, index.lowercase):
        # "Avocados nearly doubled" beside "less avocado", or "Felipe (support)": a common word
        # (capitalised only to open a sentence, if at all), not a name. A lower-case ASR
        # transcript has no capitals to tell by, and keeps the word.
        logger.debug("owner %r is a common word in this meeting; dropped", cleaned)
        return None
    return spelled if spelled[:1].isupper() else first


def _common_word(key: str, spelled: str, lowercase: frozenset[str]) -> bool:
    """Whether the transcript says `key` only in lower case, or also in lower case (singular or
    plural)."""
    if not spelled[:1].isupper():
        return True
    return bool({key, key + "s", key.removesuffix("s")} & lowercase)
