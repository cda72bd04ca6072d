"""Verb forms for the first word of a task phrase ("send the deck" -> "sending/sent the deck")."""

from __future__ import annotations

# Irregular (past, past participle); the gerund of these is regular.
_IRREGULAR = {
    "be": ("was", "been"),
    "bring": ("brought", "brought"),
    "build": ("built", "built"),
    "buy": ("bought", "bought"),
    "catch": ("caught", "caught"),
    "come": ("came", "come"),
    "cut": ("cut", "cut"),
    "do": ("did", "done"),
    "draw": ("drew", "drawn"),
    "find": ("found", "found"),
    "get": ("got", "gotten"),
    "give": ("gave", "given"),
    "go": ("went", "gone"),
    "have": ("had", "had"),
    "hang": ("hung", "hung"),
    "hold": ("held", "held"),
    "keep": ("kept", "kept"),
    "lead": ("led", "led"),
    "leave": ("left", "left"),
    "lend": ("lent", "lent"),
    "let": ("let", "let"),
    "make": ("made", "made"),
    "meet": ("met", "met"),
    "pay": ("paid", "paid"),
    "put": ("put", "put"),
    "read": ("read", "read"),
    "rerun": ("reran", "rerun"),
    "rewrite": ("rewrote", "rewritten"),
    "ring": ("rang", "rung"),
    "run": ("ran", "run"),
    "say": ("said", "said"),
    "see": ("saw", "seen"),
    "sell": ("sold", "sold"),
    "send": ("sent", "sent"),
    "set": ("set", "set"),
    "show": ("showed", "shown"),
    "shut": ("shut", "shut"),
    "sit": ("sat", "sat"),
    "speak": ("spoke", "spoken"),
    "spin": ("spun", "spun"),
    "take": ("took", "taken"),
    "teach": ("taught", "taught"),
    "tell": ("told", "told"),
    "think": ("thought", "thought"),
    "upset": ("upset", "upset"),
    "write": ("wrote", "written"),
    "redo": ("redid", "redone"),
    "undo": ("undid", "undone"),
    "deal": ("dealt", "dealt"),
    "sweep": ("swept", "swept"),
    "fight": ("fought", "fought"),
    "rebuild": ("rebuilt", "rebuilt"),
    "resend": ("resent", "resent"),
    "reset": ("reset", "reset"),
    "broadcast": ("broadcast", "broadcast"),
    "forecast": ("forecast", "forecast"),
    "input": ("input", "input"),
    "sign": ("signed", "signed"),
    "lay": ("laid", "laid"),
}
# One-syllable (or final-stressed) verbs that double their last consonant: plan -> planning.
_DOUBLE = {
    "ship",
    "stop",
    "drop",
    "plan",
    "chat",
    "map",
    "log",
    "pin",
    "scan",
    "shop",
    "swap",
    "prep",
    "flag",
    "tag",
    "trim",
    "jot",
    "spin",
    "sit",
    "cut",
    "run",
    "put",
    "get",
    "set",
    "let",
    "rerun",
    "reset",
    "upset",
    "admit",
    "submit",
    "commit",
    "permit",
    "refer",
    "prefer",
    "rob",
    "grab",
    "nab",
    "bat",
    "pat",
    "pet",
    "hug",
    "dig",
    "rig",
    "zip",
    "skip",
    "slip",
    "strip",
    "wrap",
    "clip",
    "step",
    "stab",
    "dim",
    "hem",
    "jam",
    "ban",
    "fan",
    "tap",
    "top",
    "mop",
    "chop",
    "tip",
    "rip",
    "sip",
    "bet",
    "vet",
}


def _split(phrase: str) -> tuple[str, str]:
    head, _, rest = phrase.partition(" ")
    return head, (" " + rest if rest else "")


def gerund_word(verb: str) -> str:
    """'send' -> 'sending', 'write' -> 'writing', 'plan' -> 'planning', 'tie' -> 'tying'."""
    v = verb.lower()
    if v in ("be", "see", "flee", "agree", "free", "guarantee"):
        out = v + "ing"
    elif v.endswith("ie"):
        out = v[:-2] + "ying"
    elif v.endswith("e") and not v.endswith(("ee", "ye", "oe")):
        out = v[:-1] + "ing"
    elif v in _DOUBLE:
        out = v + v[-1] + "ing"
    else:
        out = v + "ing"
    return _match_case(verb, out)


def past_word(verb: str, participle: bool = False) -> str:
    """Simple past ('sent') or past participle ('written') of one verb."""
    v = verb.lower()
    if v in _IRREGULAR:
        out = _IRREGULAR[v][1 if participle else 0]
    elif v.endswith("e"):
        out = v + "d"
    elif v.endswith("y") and len(v) > 1 and v[-2] not in "aeiou":
        out = v[:-1] + "ied"
    elif v in _DOUBLE:
        out = v + v[-1] + "ed"
    else:
        out = v + "ed"
    return _match_case(verb, out)


def _match_case(src: str, out: str) -> str:
    return out[:1].upper() + out[1:] if src[:1].isupper() else out


def gerund(phrase: str) -> str:
    """The phrase with its first word as a gerund."""
    head, rest = _split(phrase)
    return gerund_word(head) + rest


def past(phrase: str) -> str:
    """The phrase with its first word in the simple past."""
    head, rest = _split(phrase)
    return past_word(head) + rest


def participle(phrase: str) -> str:
    """The phrase with its first word as a past participle."""
    head, rest = _split(phrase)
    return past_word(head, participle=True) + rest


def lower_first(text: str) -> str:
    """Lower-case the first letter unless the first word looks like an acronym or a name."""
    head = text.split(" ", 1)[0]
    if len(head) > 1 and (head.isupper() or any(c.isupper() for c in head[1:])):
        return text
    return text[:1].lower() + text[1:]


def upper_first(text: str) -> str:
    """Upper-case the first letter."""
    return text[:1].upper() + text[1:]
