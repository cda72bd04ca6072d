"""Who takes a task on in a turn: "I'll send it", "Sure, I can do that", "On it" make the speaker
the owner. The model sometimes names the person who asked instead; a first-person commitment on
the supporting turn is the stronger evidence, unless the model's owner is named in that turn."""

from __future__ import annotations

import re

from extractor.owners import MeetingNames, display_name, fold, is_generic_label
from extractor.turns import Turn

# "I'll", "I will", "I can", "let me", ... but not "I can't", "I will not", "I can ask Tom".
_NOT = r"(?!\s*(?:not|never|n't|'t|’t)\b)(?!n't|’t|'t)"
_SELF = (
    rf"\b(?:i'll|i’ll|i will{_NOT}|i can{_NOT}|i could{_NOT}|i'm going to|i’m going to|i am going to|"
    r"i'm gonna|i’m gonna|let me|i'll take|i’ll take|i've got (?:it|this|that)|i got (?:it|this|that))\b"
)
_ACCEPT = (
    r"^(?:(?:yes|yeah|yep|yup|sure|ok|okay|absolutely|definitely|of course|no problem|sounds good)"
    r"[\s,.!-]*)*(?:on it|will do|can do|i'm on it|i’m on it|that's mine|that’s mine|leave it with me|"
    r"i'll do it|i’ll do it|mine)\b"
)
_SELF_RE = re.compile(_SELF, re.I)
_ACCEPT_RE = re.compile(_ACCEPT, re.I)
# Handing it on: "I'll ask Priya to", "let me get Tom to", "I'll put Chris down for" (a name follows).
_DELEGATE_RE = re.compile(_SELF + r"\s+(?:ask|have|get|put)\s+(?P<who>[^\W\d_]+)", re.I)
_QUESTION_RE = re.compile(r"^(?:can|could|should|shall|would|will|do|may)\s+i\b", re.I)


def commits(text: str) -> bool:
    """True when `text` takes a task on in the first person (and does not hand it to someone else)."""
    text = " ".join(text.split())
    if _QUESTION_RE.match(text):
        return False
    if any(m["who"][:1].isupper() and m["who"] != "I" for m in _DELEGATE_RE.finditer(text)):
        return False
    return bool(_SELF_RE.search(text) or _ACCEPT_RE.match(text))


def committed_owner(turn: Turn, model_owner: str | None, names: MeetingNames) -> str | None:
    """The speaker's name when `turn` is their own commitment and the model's owner is not named
    in it ("I'll draft it and Maria will review" keeps Maria); None to keep the model's owner."""
    if not turn.speaker or not commits(turn.text):
        return None
    if is_generic_label(turn.speaker) and turn.speaker not in names.names:
        return None  # "#Person2#" with no name said anywhere: the model's owner is all we have
    speaker = display_name(turn.speaker, names.names)
    if model_owner is not None and fold(model_owner) != fold(speaker):
        said = set(re.findall(r"[^\W\d_]+", fold(turn.text)))
        if set(fold(model_owner).split()) & said:
            return None
    return speaker
