"""Meeting minutes and checklists (the `notes` format) written from a spoken Doc's gold items:
`AI: Bob to…`, `TODO(maria):`, `- [ ] Priya: …`, with done (`[x]`) and struck (`~~`) lines."""

from __future__ import annotations

import random
import re

from training.data.doc import Doc, Gold, Speaker
from training.data.inflect import lower_first, past
from training.data.pools import Pools

_COMMIT = re.compile(
    r"\b(i'll|i will|can you|could you|will you|would you|let's|let me|i can|we need|someone)\b", re.I
)
_OWNED = (
    "AI: {who} to {task}{dl}{pri}",
    "TODO({low}): {task}{dl}{pri}",
    "- [ ] {who}: {Task}{dlp}{pri}",
    "- {who} will {task}{dl}{pri}",
    "ACTION: {who} - {Task}{dlc}{pri}",
    "* {Task} ({who}){dlc}{pri}",
    "{n}. {who} to {task}{dl}{pri}",
    "- [ ] @{low} {task}{dl}{pri}",
)
_UNOWNED = (
    "AI: {task}{dl} (owner TBD){pri}",
    "TODO: {task}{dl}{pri}",
    "- [ ] {Task}{dlp} - unassigned{pri}",
    "- Everyone to {task}{dl}{pri}",
    "ACTION (all): {Task}{dlc}{pri}",
)


def _first_sentence(text: str) -> str:
    m = re.match(r"(.+?[.!?])(\s|$)", text)
    return (m.group(1) if m else text).strip()


def _who(sp: Speaker) -> str:
    return sp.label if sp.is_role else sp.first


def minutes(doc: Doc, rng: random.Random, pools: Pools) -> Doc:
    """A notes Doc: header, discussion bullets, action items (gold kept), done and cut items."""
    out = Doc(doc.source, doc.domain, doc.speakers, doc.meeting_date, kind="notes", title=doc.title)
    out.acts = [*doc.acts, "notes"]
    title = (doc.title or "Meeting")[:1].upper() + (doc.title or "Meeting")[1:]
    out.say(None, rng.choice((f"# {title}", f"{title} notes", f"## {title} - minutes", f"**{title}**")))
    if doc.meeting_date and rng.random() < 0.8:
        out.say(
            None, f"Date: {doc.meeting_date.strftime(rng.choice(('%Y-%m-%d', '%B %d, %Y', '%a %d %b %Y')))}"
        )
    if rng.random() < 0.8:
        out.say(None, "Attendees: " + ", ".join(sp.label for sp in doc.speakers))
    item_turns = {it.turn for it in doc.items}
    talk = [
        _first_sentence(ln.text)
        for i, ln in enumerate(doc.lines)
        if i not in item_turns and ln.speaker is not None
    ]
    # Keep bullets that cannot be read as a task: no commitments, questions or names (recaps).
    firsts = [re.escape(sp.first) for sp in doc.speakers if sp.first]
    names = re.compile(r"\b(" + "|".join(firsts) + r")\b") if firsts else None
    talk = [
        s
        for s in talk
        if 5 <= len(s.split()) <= 22
        and not _COMMIT.search(s)
        and "?" not in s
        and not (names and names.search(s))
    ]
    if talk:
        out.say(None, rng.choice(("## Discussion", "Discussion:", "**Notes**", "Notes")))
        for s in rng.sample(talk, min(len(talk), rng.randint(2, 7))):
            out.say(None, f"- {s}")
    done = _done_lines(doc, rng, pools)
    out.say(
        None,
        rng.choice(("## Action items", "Action items:", "**Action Items**", "Next steps", "## Follow-ups")),
    )
    lines: list[tuple[str, Gold | None]] = [(d, None) for d in done]
    for it in doc.items:
        lines.append((_item_line(doc, it, rng, pools), it))
    rng.shuffle(lines)
    for n, (text, it) in enumerate(lines, 1):
        k = out.say(None, text.replace("{n}", str(n)))
        if it is not None:
            owner = _who(doc.speakers[it.owner]) if isinstance(it.owner, int) else it.owner
            out.items.append(Gold(owner, it.task, k, it.deadline, it.priority))
    return out


def _item_line(doc: Doc, it: Gold, rng: random.Random, pools: Pools) -> str:
    dl = it.deadline
    pri = ""
    if it.priority:
        pri = " " + rng.choice(pools.priority[f"{it.priority}_tag"])
    values = {
        "task": lower_first(it.task),
        "Task": it.task,
        "pri": pri,
        "dl": f" {dl}" if dl else "",
        "dlp": f" ({dl})" if dl else "",
        "dlc": f", {dl}" if dl else "",
    }
    if it.owner is None:
        return rng.choice(_UNOWNED).format(**values)
    who = _who(doc.speakers[it.owner]) if isinstance(it.owner, int) else it.owner
    templates = _OWNED if " " not in who else _OWNED[:1] + _OWNED[2:6]
    return rng.choice(templates).format(who=who, low=who.lower(), n="{n}", **values)


def _done_lines(doc: Doc, rng: random.Random, pools: Pools) -> list[str]:
    """Finished or struck tasks: they look like items but are not."""
    people = [_who(sp) for sp in doc.speakers]
    domain = rng.choice(list(pools.domains.values()))
    out = []
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        task = rng.choice(domain.tasks)
        if "{" in task.gold:
            continue
        who = rng.choice(people)
        out.append(
            rng.choice(
                (
                    f"- [x] {who}: {task.gold}",
                    f"- ~~{who} to {lower_first(task.gold)}~~ (dropped)",
                    f"- Done: {who} {past(lower_first(task.gold))}",
                    f"- [x] {task.gold} ({who})",
                )
            )
        )
    return out
