"""The ONLY prompt builder. Training renders its examples with these functions, so the
prompt a model is trained on is byte-for-byte the prompt it is served."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from extractor.schema import ModelItem, render_target
from extractor.turns import Turn

INSTRUCTION = (
    "List every action item agreed in this meeting as JSON. An action item is a future task "
    "someone commits to, accepts or is assigned, or a task the group agrees must happen. "
    "Skip past or finished work, questions, opinions, hypotheticals, rejected and cancelled tasks. "
    "If a task is reassigned, give only the final owner. "
    'Fields: "turn" = number of the supporting line; "owner" = the person doing it, named as in the speaker labels '
    "(a name from the dialogue when labels are generic like #Person2#; null for group or unassigned tasks); "
    '"task" = short imperative; "deadline" = time phrase as spoken, or null; '
    '"priority" = high/medium/low only if stated, else null.'
)

# A tiny worked example for un-tuned base models (few-shot mode); adapters are trained without it.
_SHOT_TURNS = (
    Turn(0, "Dana", "Can someone update the onboarding doc before the new hires start?"),
    Turn(1, "Lee", "I'll do it by Thursday."),
    Turn(2, "Dana", "Thanks Lee. Omar, the budget sheet is urgent, can you send it today?"),
    Turn(3, "Omar", "Sure. We already fixed the login bug last week."),
)
_SHOT_ITEMS = [
    ModelItem(turn=1, owner="Lee", task="Update the onboarding doc", deadline="by Thursday"),
    ModelItem(turn=3, owner="Omar", task="Send the budget sheet", deadline="today", priority="high"),
]


def render_turns(turns: Sequence[Turn]) -> str:
    """One line per turn: `[index] Speaker: text` (`[index] text` when there is no speaker)."""
    lines = []
    for t in turns:
        text = " ".join(t.text.split())
        lines.append(f"[{t.index}] {t.speaker}: {text}" if t.speaker else f"[{t.index}] {text}")
    return "\n".join(lines)


def _user_content(turns: Sequence[Turn], meeting_date: dt.date | None) -> str:
    head = [INSTRUCTION]
    if meeting_date is not None:
        head.append(f"Meeting date: {meeting_date.isoformat()} ({meeting_date.strftime('%A')})")
    return "\n".join(head) + "\n\nTranscript:\n" + render_turns(turns)


def build_messages(
    turns: Sequence[Turn], meeting_date: dt.date | None = None, *, few_shot: bool = False
) -> list[dict[str, str]]:
    """Chat messages asking the model for the action items of `turns`."""
    messages: list[dict[str, str]] = []
    if few_shot:
        messages.append({"role": "user", "content": _user_content(_SHOT_TURNS, dt.date(2025, 3, 4))})
        messages.append({"role": "assistant", "content": render_target(_SHOT_ITEMS)})
    messages.append({"role": "user", "content": _user_content(turns, meeting_date)})
    return messages


def render_prompt(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    """The prompt string up to where the model starts writing (generation prompt included)."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    # Base models without a chat template get a plain, stable layout.
    parts = [f"### {m['role']}\n{m['content']}\n" for m in messages]
    return "".join(parts) + "### assistant\n"


def render_training_text(tokenizer: Any, messages: list[dict[str, str]], target: str) -> tuple[str, str]:
    """(prompt, completion) for supervised training; loss goes on the completion only."""
    eos = tokenizer.eos_token or ""
    return render_prompt(tokenizer, messages), target + eos
