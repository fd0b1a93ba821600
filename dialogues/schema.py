"""Flow and Step: the declarative dialogue flows read from ``dialogues/flows/*.yml``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KNOWN_SLOTS = ("platform", "persona", "budget", "region", "product", "tool", "need")
FLOW_KINDS = ("tutorial", "flow")
AUDIENCES = ("resident", "merchant", "social_worker", "any")
PERSONAS = ("resident", "merchant", "social_worker")


@dataclass(frozen=True)
class Button:
    """A quick reply: its label, and what tapping it does (go to a step, set slots, start an intent)."""

    label: str
    goto: str | None = None
    intent: str | None = None
    set: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Transition:
    """``next:`` entry: go to ``goto`` when every slot in ``when`` has the given value."""

    goto: str
    when: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepQuestion:
    """A question people ask at a step, and its answer.

    ``match`` lists the ways of asking: each entry is a set of words that must all appear
    (written ``点了+两下``); the question matches when any entry does.
    """

    match: tuple[tuple[str, ...], ...]
    answer: str


@dataclass(frozen=True)
class Step:
    """One message of a flow, optionally asking for a slot and branching on it."""

    id: str
    text: str
    simpler: str = ""
    buttons: tuple[Button, ...] = ()
    ask: str | None = None  # slot filled by the user's answer (entity or button)
    next: tuple[Transition, ...] = ()  # empty: the following step in the file
    when: dict[str, Any] = field(default_factory=dict)  # skip the step unless these hold
    end: bool = False
    line: int = 0
    # Following the person (dialogues/skills/tutorial/reading.py):
    cues: tuple[str, ...] = ()  # words that name this step: 装/下载, 登录, 地址 … (progress, questions, fixes)
    questions: tuple[StepQuestion, ...] = ()  # this step's own questions and answers
    substeps: tuple[str, ...] = ()  # a finer breakdown, one per message after a second 没看懂
    fix: str = ""  # how to put this step right later (上一步我弄错了 能改吗)
    kit: str = ""  # the shared step kit it took: the same kind of step in another flow


@dataclass(frozen=True)
class Flow:
    """A dialogue flow: a tutorial walked step by step, or a small branching flow."""

    id: str
    kind: str
    title: str
    steps: tuple[Step, ...]
    audience: str = "any"
    intents: tuple[str, ...] = ()
    when: dict[str, Any] = field(default_factory=dict)
    intro: str = ""
    outro: str = ""
    entry: dict[str, str] = field(default_factory=dict)  # intent -> the step to start at
    intro_named: str = ""  # intro when the person named an app with no tutorial of its own ({platform})
    names: tuple[str, ...] = ()  # words that name this tutorial itself (当团长): a how-to naming it starts it
    # Words that say the person is past another tutorial's start (昨天帮俺下的单 今天找不着了): a message
    # that would start a tutorial of ``takes_over`` intents and says one of ``said`` starts this one.
    takes_over: tuple[str, ...] = ()
    said: tuple[tuple[str, ...], ...] = ()  # each entry: words that must all appear ("订单+找不")
    source: str = ""
    reviewed: str = ""
    path: str = ""

    def step_index(self, step_id: str) -> int:
        """Position of a step by id (-1 if absent)."""
        for i, s in enumerate(self.steps):
            if s.id == step_id:
                return i
        return -1

    def matches(self, slots: dict[str, Any]) -> bool:
        """True when every condition in ``when`` holds for these slots."""
        return conditions_hold(self.when, slots)


def conditions_hold(when: dict[str, Any], slots: dict[str, Any]) -> bool:
    """Each key must equal the slot's value (a list means any of them)."""
    for key, expected in when.items():
        value = slots.get(key)
        if isinstance(expected, list):
            if value not in expected:
                return False
        elif value != expected:
            return False
    return True
