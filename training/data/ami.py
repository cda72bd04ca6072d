"""Long design-team meetings in the AMI scenario style: four role-labelled people (Project
Manager, Marketing Expert, Industrial Designer, User Interface Designer), presentations and
discussion, and one to five tasks handed out near the end ("for next meeting, the industrial
designer will work on...")."""

from __future__ import annotations

import random

from training.data.context import random_weekday
from training.data.doc import Doc, Gold, Speaker
from training.data.pools import Pools, Task
from training.data.slots import fill

ROLES = ("Project Manager", "Marketing Expert", "Industrial Designer", "User Interface Designer")
PM, ME, ID, UI = range(4)
SHORT = {
    ME: ("Marketing", "Marketing Expert"),
    ID: ("Industrial Designer", "Industrial"),
    UI: ("User Interface", "User Interface Designer", "Interface Designer"),
    PM: ("Project Manager",),
}
BACKCHANNEL = (
    "Mm-hmm.",
    "Yeah.",
    "Okay.",
    "Right.",
    "Yeah, yeah.",
    "Uh-huh.",
    "Mm.",
    "Sure.",
    "Yep.",
    "Okay, yeah.",
)
ASSIGN = (
    "{who}, could you {task}?",
    "And, um, {who}, {task}, if you can.",
    "So {who}, you'll {task}.",
    "{who}, can you {task}?",
    "Um, {who}, for you, {task}.",
    "The {low} will {task}.",
    "And {who}, um, {task}. Is that okay?",
)
ACCEPT = (
    "Yep. Sure.",
    "Okay, yeah.",
    "Yeah, I can do that.",
    "Sure.",
    "Okay.",
    "Yeah, I'll {task}.",
    "Yep, I'll {task}.",
    "Okay. I'll {task}.",
    "Mm-hmm, yeah, will do.",
)
LEADS_DL = ("for the next meeting", "for next time", "before the next meeting")


def _role_tasks(pools: Pools, phase: str) -> list[tuple[int, Task]]:
    out = []
    for line in pools.ami["role_tasks"]:
        ph, role, rest = (p.strip() for p in line.split("|", 2))
        if ph in (phase, "any"):
            out.append((ROLES.index(role), Task.parse(rest)))
    return out


def compose_ami(rng: random.Random, pools: Pools, key: str) -> Doc:
    """One AMI-style meeting of 1,500-7,000 words with 0-5 items, mostly at the end."""
    a = pools.ami
    phase = rng.choice(a["phases"])
    doc = Doc(
        f"synthetic:ami:{key}",
        "product design (remote control)",
        [Speaker(r) for r in ROLES],
        random_weekday(rng) if rng.random() < 0.6 else None,
        kind="ami",
        title=f"{phase} design meeting",
    )
    values = {
        "feature": rng.choice(a["features"]),
        "feature2": rng.choice(a["features"]),
        "material": rng.choice(a["materials"]),
        "colour": rng.choice(a["colours"]),
        "colour2": rng.choice(a["colours"]),
    }

    def vals() -> dict[str, str]:
        values.update(
            feature=rng.choice(a["features"]),
            feature2=rng.choice(a["features"]),
            material=rng.choice(a["materials"]),
            colour=rng.choice(a["colours"]),
            colour2=rng.choice(a["colours"]),
            role=rng.choice(ROLES),
            area=rng.choice(a["area"]),
        )
        return values

    doc.say(PM, rng.choice(a[f"pm_open_{phase}"]))
    if phase == "kickoff":
        for r in rng.sample(range(4), 4):
            doc.say(r, fill(rng.choice(a["intro"]), {**vals(), "role": ROLES[r]}))
        for line in rng.sample(a["brief"], rng.randint(2, 5)):
            doc.say(PM, line)
            _chatter(doc, rng, 0.5)
        if rng.random() < 0.6:
            for line in rng.sample(a["tool_tangent"], rng.randint(2, 5)):
                doc.say(rng.randrange(4), line)
    target = rng.randint(1500, 7000)
    pres = [("marketing_pres", ME), ("industrial_pres", ID), ("ui_pres", UI)]
    rng.shuffle(pres)
    tasks = _role_tasks(pools, phase)
    rng.shuffle(tasks)
    n_items = rng.choices((0, 1, 2, 3, 4, 5), (6, 14, 22, 26, 20, 12))[0]
    mid = [t for t in tasks[:n_items] if rng.random() < 0.2]
    for section, role in pres:
        for line in rng.sample(a[section], rng.randint(3, min(8, len(a[section])))):
            doc.say(role, line)
            _chatter(doc, rng, 0.4)
        if mid and rng.random() < 0.5:
            r, task = mid.pop()
            tasks.remove((r, task))
            n_items -= 1
            doc.items.append(
                Gold(r, task.gold, doc.say(r, f"I'll {rng.choice(task.spoken)}, um, after this."), None)
            )
    while doc.words_said < target:
        doc.say(rng.randrange(4), fill(rng.choice(a["discussion"]), vals()))
        _chatter(doc, rng, 0.5)
        if phase == "detailed" and rng.random() < 0.1:
            doc.say(rng.randrange(4), rng.choice(a["evaluation"]))
    _close(doc, rng, pools, tasks[:n_items])
    doc.acts.append(f"ami:{phase}")
    return doc


def _chatter(doc: Doc, rng: random.Random, rate: float) -> None:
    last = doc.lines[-1].speaker if doc.lines else None
    while rng.random() < rate:
        who = rng.choice([r for r in range(4) if r != last])
        doc.say(who, rng.choice(BACKCHANNEL))
        last = who
        rate *= 0.5


def _close(doc: Doc, rng: random.Random, pools: Pools, tasks: list[tuple[int, Task]]) -> None:
    a = pools.ami
    lead = rng.choice(a["pm_close_lead"])
    dl = None
    if tasks and rng.random() < 0.25:
        dl = rng.choice(LEADS_DL)
        lead = f"{lead} So {dl}."
    doc.say(PM, lead)
    for r, task in tasks:
        spoken = rng.choice(task.spoken)
        if r == PM:
            doc.items.append(Gold(PM, task.gold, doc.say(PM, f"And I'll {spoken}."), dl))
            continue
        who = rng.choice(SHORT[r])
        doc.say(PM, rng.choice(ASSIGN).format(who=who, low=ROLES[r].lower(), task=spoken))
        reply = doc.fresh_reply([x.format(task=spoken) for x in ACCEPT], rng)
        doc.items.append(Gold(r, task.gold, doc.say(r, reply), dl))
    if rng.random() < 0.4 and tasks:
        group = Task.parse(rng.choice(a["ami_group_tasks"]))
        doc.items.append(
            Gold(
                None, group.gold, doc.say(PM, f"And, um, everybody, please {rng.choice(group.spoken)}."), None
            )
        )
        doc.say(rng.choice((ME, ID, UI)), rng.choice(BACKCHANNEL))
    doc.say(PM, rng.choice(a["pm_close_event"]))
    doc.say(rng.choice((ME, ID, UI)), rng.choice(("Okay.", "Thanks.", "Cool.", "See you.", "Alright.")))
