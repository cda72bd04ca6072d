"""Model items -> product items: check the turn, name the owner, date the deadline, attach the
supporting quote, and drop repeats (a read-back at the end of a meeting restates items)."""

from __future__ import annotations

import logging
import re

from extractor.anchoring import anchor_turn, support
from extractor.chunking import SAME_OWNER_SIMILARITY, task_similarity, task_tokens
from extractor.commitments import committed_owner
from extractor.dates import resolve_deadline
from extractor.deadline_spans import find_deadlines, said_in
from extractor.owners import MeetingNames, fold, normalize_owner
from extractor.priority_cues import stated_priority
from extractor.schema import ActionItem, Evidence, ModelItem
from extractor.turns import Transcript, Turn

logger = logging.getLogger(__name__)

MAX_QUOTE_CHARS = 160
# Task words a turn must say to count as saying the task plainly: then it outranks an ungrounded
# item on the same turn, and its committing speaker owns an item the model left unassigned.
TWIN_SUPPORT_WORDS = 2


def finalize(items: list[ModelItem], transcript: Transcript) -> list[ActionItem]:
    """Validated, de-duplicated action items in turn order, each with its evidence."""
    by_index: dict[int, Turn] = {}
    for t in transcript.turns:
        by_index.setdefault(t.index, t)
    index = MeetingNames.build(transcript)
    out: list[ActionItem] = []
    for item in items:
        if item.turn not in by_index:
            logger.debug("dropping item on unknown turn %d: %r", item.turn, item.task)
            continue
        item = item.model_copy(update={"turn": anchor_turn(item.turn, item.task, by_index)})
        turn = by_index[item.turn]
        closed = closed_line(turn, item.task)
        if closed:
            logger.debug("dropping %r: turn %d is %s", item.task, item.turn, closed)
            continue
        deadline = grounded_deadline(clean_deadline(item.deadline), item.turn, by_index)
        owner = normalize_owner(item.owner, transcript, item.turn, index=index)
        if owner is not None or _states_task(item.task, item.turn, by_index):
            # Unassigned by the model, but "I can take the lead on gathering the sales data" says
            # the task and who takes it (or "Sure, I'll get those to you" accepts the request
            # just before it).
            owner = committed_owner(turn, owner, index) or owner
        action = ActionItem(
            owner=owner,
            task=without_self_address(item.task, owner),
            deadline=deadline,
            deadline_date=resolve_deadline(deadline, transcript.meeting_date, transcript.tz),
            priority=item.priority or stated_priority(*_texts(item.turn, item.turn - 1, by_index=by_index)),
            evidence=Evidence(
                turn=turn.index,
                time=turn.timestamp,
                speaker=turn.speaker,
                quote=quote(turn.text, item.task, deadline),
            ),
        )
        _add_unique(out, action)
    out = drop_ungrounded_twins(out, by_index)
    return sorted(out, key=lambda it: it.evidence.turn if it.evidence else 0)


_CHECKED = re.compile(r"^\s*(?:[-*+]\s*)?\[[xX✓✔]\]")
_STRUCK = re.compile(r"~~(.+?)~~")
_LIST_MARK = re.compile(r"^\s*(?:[-*+•]|\d+[.)]|\[[ xX]\])\s")
HEADING_WORDS = 3


def closed_line(turn: Turn, task: str) -> str | None:
    """Why `turn` cannot hold an open item for `task`, or None: a ticked box ("- [x] Grant: final
    icons" is done), a struck-through task ("~~Write customer comms~~" was dropped), or a notes
    heading the task merely repeats ("**Follow-ups**", "misc")."""
    text = turn.text
    if _CHECKED.match(text):
        return "a ticked box (done)"
    struck = " ".join(_STRUCK.findall(text))
    if struck and support(task, struck) >= max(1, support(task, _STRUCK.sub(" ", text))):
        return "struck through"
    if turn.speaker is None and not _LIST_MARK.match(text):
        words = re.sub(r"[#*_:]+", " ", text).split()
        if len(words) <= HEADING_WORDS and task_tokens(task) <= task_tokens(" ".join(words)):
            return "a heading"
    return None


def _states_task(task: str, turn: int, by_index: dict[int, Turn]) -> bool:
    """Whether the turn, or the request just before it, says the task plainly."""
    return any(
        support(task, text) >= TWIN_SUPPORT_WORDS for text in _texts(turn, turn - 1, by_index=by_index)
    )


def without_self_address(task: str, owner: str | None) -> str:
    """`task` without a trailing "to/for <owner>" or an <owner> before the object: nobody sends
    the metrics to themselves, so the model named the wrong person there ("Send the marketing
    metrics to Maria" or "Send Maria the marketing metrics", owner Maria)."""
    if not owner:
        return task
    names = "|".join(re.escape(part) for part in {owner, owner.split()[0]})
    trimmed = re.sub(rf"\s+(?:to|for)\s+(?:{names})\s*[.!]?\s*$", "", task, flags=re.I)
    # "Send Maria the metrics" for Maria: the name between the verb and its object goes.
    trimmed = re.sub(
        rf"^(\w+)\s+(?:{names})\s+(?=(?:the|a|an|our|your|their|this|that|these|those)\b)", r"\1 ", trimmed
    )
    return trimmed if len(trimmed.split()) >= 2 else task


def drop_ungrounded_twins(items: list[ActionItem], by_index: dict[int, Turn]) -> list[ActionItem]:
    """Drop an item whose supporting turn says none of its task words while another item on the
    same turn is said there plainly (at least two of its words): the turn's task is the other one,
    and this one was made up ("Prepare the Q3 financials" next to "Gather the sales data")."""
    said = [
        (it.evidence.turn, support(it.task, by_index[it.evidence.turn].text)) if it.evidence else None
        for it in items
    ]
    plain = {entry[0] for entry in said if entry and entry[1] >= TWIN_SUPPORT_WORDS}
    keep = []
    for it, entry in zip(items, said, strict=True):
        if entry and entry[1] == 0 and entry[0] in plain:
            logger.debug("dropping %r: turn %d supports another item instead", it.task, entry[0])
            continue
        keep.append(it)
    return keep


def _texts(*turns: int, by_index: dict[int, Turn]) -> list[str]:
    return [by_index[k].text for k in turns if k in by_index]


def grounded_deadline(deadline: str | None, turn: int, by_index: dict[int, Turn]) -> str | None:
    """`deadline` when it is said on the supporting turn or next to it; otherwise the one deadline
    phrase the supporting turn says, if it says exactly one (the model copied a neighbour's)."""
    spans = find_deadlines(by_index[turn].text)
    if deadline is None:
        return spans[0] if len(spans) == 1 else None
    near = _texts(turn - 1, turn, turn + 1, by_index=by_index)
    if said_in(deadline, near):
        return deadline
    if len(spans) == 1:
        logger.debug("deadline %r is not said near turn %d; using %r", deadline, turn, spans[0])
        return spans[0]
    return deadline


def clean_deadline(deadline: str | None) -> str | None:
    """The deadline phrase as spoken, without trailing punctuation; None when nothing is left."""
    if deadline is None:
        return None
    return deadline.strip().rstrip(".,;:!?…-–— ").strip() or None


def _add_unique(out: list[ActionItem], action: ActionItem) -> None:
    """Append `action` unless an earlier item has the same owner and nearly the same task; then
    the earlier one stays (it is the assignment) and takes any deadline/priority it lacked."""
    for n, kept in enumerate(out):
        same_owner = fold(kept.owner or "") == fold(action.owner or "")
        if same_owner and task_similarity(kept.task, action.task) >= SAME_OWNER_SIMILARITY:
            logger.debug("dropping repeat of %r: %r", kept.task, action.task)
            if kept.deadline is None and action.deadline is not None:
                kept = kept.model_copy(
                    update={"deadline": action.deadline, "deadline_date": action.deadline_date}
                )
            if kept.priority is None and action.priority is not None:
                kept = kept.model_copy(update={"priority": action.priority})
            out[n] = kept
            return
    out.append(action)


def quote(text: str, task: str, deadline: str | None = None, limit: int = MAX_QUOTE_CHARS) -> str:
    """A verbatim piece of `text` (whitespace collapsed) of at most `limit` characters: all of
    it when short, else the sentence that best matches the task and deadline."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    words = task_tokens(task)
    sentences = [m for m in re.finditer(r"[^.!?]+(?:[.!?]+|$)", text) if m.group().strip()]

    def score(sentence: str) -> int:
        hits = len(words & task_tokens(sentence))
        return hits + (3 if deadline and deadline.casefold() in sentence.casefold() else 0)

    best = max(sentences, key=lambda m: score(m.group()), default=None)
    if best is None:
        return _window(text, 0, limit)
    start, end = best.start() + (len(best.group()) - len(best.group().lstrip())), best.end()
    if end - start <= limit:
        return text[start:end].strip()
    # A long sentence: centre on the deadline, else on the first task word it contains.
    folded = text.casefold()
    anchor = folded.find(deadline.casefold(), start, end) if deadline else -1
    if anchor < 0:
        hits = [
            m.start() for m in re.finditer(r"[^\W_]+", folded[start:end]) if task_tokens(m.group()) & words
        ]
        anchor = start + hits[0] if hits else start
    return _window(text, max(start, anchor - limit // 2), limit, stop=end)


def _window(text: str, begin: int, limit: int, stop: int | None = None) -> str:
    """text[begin:] cut to at most `limit` characters, moved to word boundaries."""
    stop = len(text) if stop is None else stop
    begin = max(0, min(begin, stop - limit))
    if begin > 0 and not text[begin - 1].isspace():
        nxt = text.find(" ", begin)
        begin = nxt + 1 if 0 <= nxt < begin + 20 else begin
    piece = text[begin : min(stop, begin + limit)]
    if begin + limit < stop and " " in piece:
        piece = piece[: piece.rfind(" ")]
    return piece.strip()
