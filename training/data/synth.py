"""Composed meetings from the phrase pools: commitments, assignments, group and unowned tasks,
reassignment, cancellation, deadline changes, and look-alike non-items between chatter."""

from __future__ import annotations

import random

from training.data.context import Ctx, cast, random_weekday
from training.data.doc import Doc, Gold
from training.data.inflect import lower_first
from training.data.pools import Pools, Task
from training.data.slots import pick_priority, priority_cue

# (act, weight): speech acts that leave an item (or deliberately leave none).
ACTS = (
    ("volunteer", 20),
    ("ask", 22),
    ("chair_assign", 8),
    ("need", 8),
    ("group", 6),
    ("unassigned", 5),
    ("multi", 5),
    ("conditional", 4),
    ("reassign", 5),
    ("reassign_self", 3),
    ("cancel", 4),
    ("complete_later", 2),
    ("deadline_change", 4),
    ("negotiate", 4),
    ("delegate", 2),
    ("team", 2),
)
DISTRACTORS = (
    ("past", 6),
    ("question", 5),
    ("opinion", 5),
    ("hypothetical", 5),
    ("rejected", 5),
    ("declined", 4),
    ("parked", 3),
    ("vote", 1),
    ("event", 3),
    ("negation", 4),
    ("meta_request", 2),
)
CHATTER = (
    ("status", 5),
    ("observation", 3),
    ("question_chat", 4),
    ("agree", 2),
    ("disagree", 1),
    ("backchannel", 3),
    ("facts", 4),
    ("mechanics", 1),
    ("transition", 2),
)


def _choose(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([k for k, _ in table], [w for _, w in table])[0]


class Composer:
    """Builds one spoken meeting act by act."""

    def __init__(self, ctx: Ctx):
        self.ctx, self.rng, self.doc = ctx, ctx.rng, ctx.doc
        self.acts = ctx.pools.acts
        self.spoken_tasks: dict[int, Task] = {}  # item id -> the task as said, for recaps

    def other(self, *not_: int) -> int:
        choices = [i for i in range(len(self.doc.speakers)) if i not in not_]
        return self.rng.choice(choices or [0])

    def say(self, who: int, text: str) -> int:
        return self.doc.say(who, text)

    def fresh(self) -> int:
        """Someone other than the last speaker (so turns do not run together)."""
        last = self.doc.lines[-1].speaker if self.doc.lines else None
        return self.other(*(() if last is None else (last,)))

    def item(
        self, owner: int | str | None, task: str | Task, turn: int, dl: str | None, pri: str | None, act: str
    ) -> Gold:
        it = Gold(owner, task if isinstance(task, str) else task.gold, turn, dl, pri)
        if not isinstance(task, str):
            self.spoken_tasks[id(it)] = task
        self.doc.items.append(it)
        self.doc.acts.append(act)
        return it

    def with_priority(self, text: str) -> tuple[str, str | None]:
        level = pick_priority(self.rng)
        if level is None:
            return text, None
        if self.rng.random() < 0.5:
            return f"{priority_cue(self.rng, self.ctx.pools, level, 'pre')} {text}", level
        return f"{text} {priority_cue(self.rng, self.ctx.pools, level, 'post')}", level

    def name(self, who: int) -> str:
        return self.doc.speakers[who].first

    # -- acts that leave items ---------------------------------------------------------------
    def act(self, kind: str, chair: int) -> None:
        getattr(self, f"act_{kind}")(chair)

    def act_volunteer(self, chair: int) -> None:
        ctx, who = self.ctx, self.fresh()
        task, dl = ctx.task(), ctx.deadline()
        text, pri = self.with_priority(
            ctx.line(self.acts, "volunteer", ctx.values(task, dl), dl=bool(dl) or None)
        )
        self.item(who, task, self.say(who, text), dl, pri, "volunteer")

    def ask_accept(self, chair: int, target: int, act: str) -> tuple[Gold, Task]:
        ctx, rng = self.ctx, self.rng
        task, dl = ctx.task(), ctx.deadline()
        ask, pri = self.with_priority(
            ctx.line(self.acts, "ask", ctx.values(task, dl, name=self.name(target)), dl=bool(dl) or None)
        )
        self.say(chair, ask)
        kind = rng.choices(("accept", "accept_dl", "accept_restate"), (5, 2 if not dl else 0, 3))[0]
        if kind == "accept_dl":
            dl = ctx.deadline(rate=1.0)
            reply = ctx.line(self.acts, "accept_dl", ctx.values(task, dl), dl=True)
        elif kind == "accept_restate":
            reply = ctx.line(self.acts, "accept_restate", ctx.values(task, dl), dl=bool(dl) or None)
        else:
            reply = self.doc.fresh_reply(self.acts["accept"], rng)
        return self.item(target, task, self.say(target, reply), dl, pri, act), task

    def act_ask(self, chair: int) -> None:
        self.ask_accept(chair, self.other(chair), "ask")

    def act_chair_assign(self, chair: int) -> None:
        ctx, target = self.ctx, self.other(chair)
        task, dl = ctx.task(), ctx.deadline()
        text, pri = self.with_priority(
            ctx.line(
                self.acts, "chair_assign", ctx.values(task, dl, name=self.name(target)), dl=bool(dl) or None
            )
        )
        turn = self.say(chair, text)
        if self.rng.random() < 0.6:
            turn = self.say(target, self.doc.fresh_reply(self.acts["ack"], self.rng))
        self.item(target, task, turn, dl, pri, "chair_assign")

    def act_need(self, chair: int) -> None:
        ctx, who = self.ctx, self.other(chair)
        task, dl = ctx.task(), ctx.deadline()
        self.say(chair, ctx.line(self.acts, "need", ctx.values(task, dl), dl=bool(dl) or None))
        if not dl and self.rng.random() < 0.3:
            dl = ctx.deadline(rate=1.0)
            reply = ctx.line(self.acts, "volunteer_short_dl", ctx.values(task, dl), dl=True)
        else:
            reply = self.doc.fresh_reply(self.acts["volunteer_short"], self.rng)
        self.item(who, task, self.say(who, reply), dl, None, "need")

    def act_group(self, chair: int) -> None:
        ctx = self.ctx
        task, dl = ctx.task(group=True), ctx.deadline(0.4)
        turn = self.say(chair, ctx.line(self.acts, "group", ctx.values(task, dl), dl=bool(dl) or None))
        if self.rng.random() < 0.5:
            self.say(self.other(chair), self.rng.choice(self.acts["group_confirm"]))
        self.item(None, task, turn, dl, None, "group")

    def act_unassigned(self, chair: int) -> None:
        ctx = self.ctx
        task, dl = ctx.task(), ctx.deadline(0.4)
        turn = self.say(chair, ctx.line(self.acts, "unassigned", ctx.values(task, dl), dl=bool(dl) or None))
        if self.rng.random() < 0.5:
            self.say(
                chair if self.rng.random() < 0.5 else self.other(chair),
                self.rng.choice(self.acts["no_takers"]),
            )
        self.item(None, task, turn, dl, None, "unassigned")

    def act_multi(self, chair: int) -> None:
        ctx, who = self.ctx, self.other()
        t1, t2, dl = ctx.task(), ctx.task(), ctx.deadline(0.5)
        v = ctx.values(t1, dl, task2=lower_first(ctx.rng.choice(t2.spoken)))
        text = ctx.line(self.acts, "multi", v, dl=bool(dl) or None)
        turn = self.say(who, text)
        # A deadline said before the second task belongs to the first only; after it, to both.
        low = text.lower()
        first_only = bool(dl) and low.find(dl.lower()) < low.find(v["task2"].lower())
        self.item(who, t1, turn, dl, None, "multi")
        self.item(who, t2, turn, None if first_only else dl, None, "multi")

    def act_conditional(self, chair: int) -> None:
        ctx, who = self.ctx, self.other()
        task = ctx.task()
        turn = self.say(who, ctx.line(self.acts, "conditional", ctx.values(task, None)))
        self.item(who, task, turn, None, None, "conditional")

    def act_reassign(self, chair: int) -> None:
        first = self.other(chair)
        it, task = self.ask_accept(chair, first, "reassign")
        self.filler()
        new = self.other(chair, first)
        tpls = (
            self.acts["reassign"] if task.noun else tuple(t for t in self.acts["reassign"] if "oun}" not in t)
        )
        v = self.ctx.values(task, None, name=self.name(new), prev=self.name(first))
        self.say(chair, self.ctx.line({"r": tpls}, "r", v))
        it.owner, it.turn = new, self.say(new, self.doc.fresh_reply(self.acts["accept"], self.rng))
        if self.rng.random() < 0.5:
            self.say(first, self.rng.choice(("Thanks.", "Thank you, appreciate it.", "Great, thanks.")))

    def act_reassign_self(self, chair: int) -> None:
        ctx, who = self.ctx, self.other()
        task = ctx.task()
        self.say(who, ctx.line(self.acts, "volunteer", ctx.values(task, None), dl=False))
        self.filler()
        new = self.other(who)
        tpls = (
            self.acts["reassign_self"]
            if task.noun
            else tuple(t for t in self.acts["reassign_self"] if "oun}" not in t)
        )
        self.say(who, ctx.line({"r": tpls}, "r", ctx.values(task, None, name=self.name(new))))
        self.item(
            new,
            task,
            self.say(new, self.doc.fresh_reply(self.acts["accept"], self.rng)),
            None,
            None,
            "reassign_self",
        )

    def act_cancel(self, chair: int) -> None:
        ctx, who = self.ctx, self.other()
        task = ctx.task()
        self.say(who, ctx.line(self.acts, "volunteer", ctx.values(task, None), dl=False))
        self.filler()
        tpls = self.acts["cancel"] if task.noun else tuple(t for t in self.acts["cancel"] if "oun}" not in t)
        self.say(
            chair if chair != who else self.other(who), ctx.line({"c": tpls}, "c", ctx.values(task, None))
        )
        self.say(who, self.rng.choice(self.acts["cancel_ack"]))
        self.doc.acts.append("cancel")

    def act_complete_later(self, chair: int) -> None:
        ctx, who = self.ctx, self.other()
        task = ctx.task()
        self.say(who, ctx.line(self.acts, "volunteer", ctx.values(task, None), dl=False))
        self.filler()
        self.say(who, ctx.line(self.acts, "complete_later", ctx.values(task, None)))
        self.doc.acts.append("complete_later")

    def act_deadline_change(self, chair: int) -> None:
        it, _ = self.ask_accept(chair, self.other(chair), "deadline_change")
        new = self.ctx.deadline(rate=1.0)
        if it.deadline and new.lower() in it.deadline.lower() or (it.deadline or "").lower() in new.lower():
            return
        self.say(chair, self.ctx.line(self.acts, "deadline_change", self.ctx.values(None, new), dl=True))
        owner = it.owner if isinstance(it.owner, int) else 0
        it.turn, it.deadline = (
            self.say(
                owner, self.ctx.line(self.acts, "deadline_change_ok", self.ctx.values(None, new), dl=True)
            ),
            new,
        )

    def act_negotiate(self, chair: int) -> None:
        ctx, target = self.ctx, self.other(chair)
        task, first = ctx.task(), ctx.deadline(rate=1.0)
        self.say(chair, ctx.line(self.acts, "ask", ctx.values(task, first, name=self.name(target)), dl=True))
        final = ctx.deadline(rate=1.0)
        if final.lower() in first.lower() or first.lower() in final.lower():
            final = "next week" if "next week" not in first.lower() else "tomorrow"
        tpl = ctx.rng.choice(self.acts["negotiate"])
        if "{DL2}" in tpl:
            self.say(target, tpl.format_map(ctx.values(task, first, DL2=final)))
        else:
            self.say(target, tpl.format_map(ctx.values(task, final)))
        self.say(chair, ctx.line(self.acts, "negotiate_ok", ctx.values(task, final), dl=True))
        turn = self.say(
            target,
            self.doc.fresh_reply(
                (
                    "Thanks, will do.",
                    "Will do.",
                    "Great, I'll get it done.",
                    "Perfect, that works for me.",
                    "Deal.",
                ),
                self.rng,
            ),
        )
        self.item(target, task, turn, final, None, "negotiate")

    def act_delegate(self, chair: int) -> None:
        ctx, who = self.ctx, self.other()
        task, dl = ctx.task(), ctx.deadline(0.4)
        ext = ctx.ext()
        turn = self.say(
            who, ctx.line(self.acts, "delegate_external", ctx.values(task, dl, ext=ext), dl=bool(dl) or None)
        )
        self.item(who, f"Ask {ext} to {lower_first(task.gold)}", turn, dl, None, "delegate")

    def act_team(self, chair: int) -> None:
        ctx, who = self.ctx, self.other()
        task, dl = ctx.task(), ctx.deadline(0.5)
        turn = self.say(who, ctx.line(self.acts, "team_volunteer", ctx.values(task, dl), dl=bool(dl) or None))
        self.item(who, task, turn, dl, None, "team")

    # -- talk that leaves no item ------------------------------------------------------------
    def multi_turn(self, text: str, first: int, target: int | None = None) -> None:
        parts = [p.strip() for p in text.split("|") if p.strip()]
        b = target if target is not None else self.other(first)
        for k, part in enumerate(parts):
            self.say(first if k % 2 == 0 else b, part)

    def distractor(self, chair: int) -> None:
        ctx, kind = self.ctx, _choose(self.rng, DISTRACTORS)
        who, target = self.fresh(), self.other()
        while target == who and len(self.doc.speakers) > 1:
            target = self.other()
        task = ctx.task()
        v = ctx.values(task, None, name=self.name(target))
        text = ctx.line(ctx.pools.distractors, kind, v, dl=False)
        self.multi_turn(text, who, target)
        self.doc.acts.append(f"non_item:{kind}")

    def filler(self, n: int | None = None) -> None:
        for _ in range(n if n is not None else self.rng.randint(0, 2)):
            kind = _choose(self.rng, CHATTER)
            self.multi_turn(self.ctx.chatter(kind), self.fresh())

    def recap(self, chair: int) -> None:
        owned = [it for it in self.doc.items if isinstance(it.owner, int)]
        if len(owned) < 2:
            return
        self.say(chair, self.rng.choice(self.acts["recap_open"]))
        parts = []
        for it in owned:
            task = self.spoken_tasks.get(id(it))
            if task is None:
                continue
            tpls = tuple(t for t in self.acts["recap_item"] if task.noun or "oun}" not in t)
            parts.append(
                self.ctx.line(
                    {"r": tpls},
                    "r",
                    self.ctx.values(task, it.deadline, name=self.name(it.owner)),
                    dl=bool(it.deadline) or None,
                )
            )
        if parts:
            self.say(chair, ". ".join(p[:1].upper() + p[1:] for p in parts) + ".")
        self.say(chair, self.rng.choice(self.acts["recap_close"]))
        self.doc.acts.append("recap")


def compose(rng: random.Random, pools: Pools, key: str, long: bool = False) -> Doc:
    """A synthetic spoken meeting (long ones run 2,000-9,000 words)."""
    domain = rng.choice(sorted(pools.domains.values(), key=lambda d: d.name))
    n_people = rng.choices((2, 3, 4, 5, 6, 7), (12, 22, 26, 20, 12, 8))[0]
    date = random_weekday(rng)
    doc = Doc(
        f"synthetic:dialog:{key}",
        domain.name,
        cast(rng, pools, n_people),
        date if rng.random() > 0.1 else None,
        title=rng.choice(domain.get("titles") or ("Team meeting",)),
    )
    c = Composer(Ctx(rng, pools, domain, doc, date))
    chair = 0
    n_items = 0 if rng.random() < 0.12 else rng.choices(range(1, 10), (14, 16, 16, 14, 11, 8, 6, 4, 3))[0]
    target_words = rng.randint(2000, 9000) if long else 0
    c.say(chair, c.ctx.chatter("opening"))
    if rng.random() < 0.3:
        c.multi_turn(c.ctx.chatter("smalltalk"), c.other())
    if rng.random() < 0.35:
        for i in rng.sample(range(n_people), min(n_people, 3)):
            org = rng.choice(domain.get("orgs") or ("the team",))
            c.say(
                i,
                rng.choice(
                    (
                        f"Hi, I'm {c.name(i)}.",
                        f"Hi all, {c.name(i)} here, from {org}.",
                        f"I'm {c.name(i)}, I look after {rng.choice(domain.get('topics'))}.",
                    )
                ),
            )
    done, rounds, min_rounds = 0, 0, rng.randint(2, 6)
    while done < n_items or doc.words_said < target_words or rounds < min_rounds:
        rounds += 1
        c.filler(rng.randint(1, 4) if long else None)
        if rng.random() < 0.45:
            c.distractor(chair)
        if done < n_items and (not long or rng.random() < 0.25):
            c.act(_choose(rng, ACTS), chair)
            done += 1
        if doc.words_said > 9000:
            break
    if rng.random() < 0.3:
        c.recap(chair)
    c.say(chair, c.ctx.chatter("closing"))
    return doc
