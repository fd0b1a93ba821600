"""What every skill shares: the ``Context`` it answers from, and how it says things.

A skill is a module with ``respond(ctx, turn, parse, text) -> None``: it adds replies and
events to ``turn`` and changes ``turn.state``. ``parse.text`` is the text the NLU read;
``text`` is the same words as stored (masked), which buttons and synthetic parses carry on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

import yaml

from dialogues import texts as T
from dialogues.schema import Flow
from dialogues.state import answered, offer_buttons
from dialogues.turn import Reply, Turn
from dialogues.understand import only_words  # noqa: F401 (skills read it from here)
from nlu.result import ParseResult

BUTTON_CHARS = 16  # longer labels are shortened at a natural break (button_label)
STRONG_BREAKS = "（(〔：:/｜|"
WEAK_BREAKS = "、，, "
BREAK_TRIM = STRONG_BREAKS + WEAK_BREAKS
MIN_LABEL = 4  # a shorter piece says too little: cut with an ellipsis instead

Button = Any  # a label (pressed as if typed) or a (label, action) pair
Respond = Callable[["Context", Turn, ParseResult, str], None]


def local_now() -> datetime:
    """The time now where Linli's people live (the engine sets the configured timezone and, in tests, a fake clock)."""
    return datetime.now(ZoneInfo("Asia/Shanghai"))


def _no_policy(*args: Any) -> None:
    raise RuntimeError("this Context has no policy: make it with dialogues.policy.make_context")


@dataclass
class Context:
    """What skills answer from: the tutorials, the knowledge base and the settings.

    ``route`` and ``answer_topic`` are the policy's (``dialogues.policy.make_context`` sets
    them): a skill hands a message back with ``route`` when the person moved on from its
    question, and answers the last topic again with new details with ``answer_topic``.
    ``desk`` is the ticket queue as social workers work it (``dialogues.skills.staff.Desk``),
    injected by the engine; None where there is no queue (the staff skill then says so).
    """

    flows: dict[str, Flow]
    kb: Any
    fallbacks_before_handoff: int = 2
    # Dialogue settings from config.yml (urgent_episode_turns, urgent_episode_minutes, urgent_check_below).
    settings: dict[str, Any] = field(default_factory=dict)
    desk: Any = None
    route: Callable[[Turn, ParseResult, str], None] = field(default=_no_policy, repr=False)
    answer_topic: Callable[..., None] = field(default=_no_policy, repr=False)
    clock: Callable[[], datetime] = field(default=local_now, repr=False)  # timezone-aware (reminders)


def serve(turn: Turn, capability: str, skill: str) -> None:
    """This skill served the turn: ``chat --jsonl`` reports its capability and name (issue 13)."""
    turn.capability, turn.skill = capability, skill


@lru_cache(maxsize=None)
def expectations(name: str) -> dict[str, Any]:
    """``dialogues/expectations/<name>.yml``: what a skill expects to hear, as data (read once)."""
    path = Path(__file__).resolve().parent.parent / "expectations" / f"{name}.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top")
    return data


def cues(patterns: list[str] | str) -> re.Pattern[str]:
    """One regular expression matching any of the cue patterns of an expectations file."""
    items = [patterns] if isinstance(patterns, str) else list(patterns)
    return re.compile("|".join(f"(?:{p})" for p in items))


def say(turn: Turn, text: str, buttons: tuple[Button, ...] = (), kind: str = "") -> None:
    """Add a reply; buttons are labels or (label, action) pairs remembered for the next turn."""
    labelled: list[tuple[str, Any]] = []
    labels: list[str] = []
    for b in buttons:
        full, action = (b, {"text": b}) if isinstance(b, str) else b
        label = button_label(full)
        if label in labels:  # two titles that shorten alike keep more of their text
            label = full[: BUTTON_CHARS - 1] + "…" if len(full) > BUTTON_CHARS else full
        if label in labels:
            label = full
        labels.append(label)
        labelled.append((label, action))
    offer_buttons(turn.state, labelled)
    turn.replies.append(Reply(text, tuple(labels), kind))


def menu(turn: Turn, text: str = T.MENU_TEXT) -> None:
    """The main menu: tutorials, shop tips, policies, tools, a social worker."""
    actions = dict(zip(T.MENU_BUTTONS, (
        {"intent": "grocery_order"}, {"intent": "mk_strategy"}, {"policy_menu": True},
        {"intent": "tool_recommend"}, {"intent": "request_human"},
    )))
    say(turn, text, tuple(actions.items()))


def worker_button() -> tuple[str, dict[str, Any]]:
    """找社工: ask for a social worker (consent is asked first)."""
    return (T.HUMAN, {"intent": "request_human"})


def menu_button() -> tuple[str, dict[str, Any]]:
    """菜单: the main menu."""
    return (T.MENU, {"nav": "nav_menu"})


def answer_buttons(question: str, labels: tuple[str, ...]) -> tuple[Button, ...]:
    """Yes and no buttons that answer only ``question``: another question's button never counts as its yes."""
    yes, no = labels
    return ((yes, {"answer": "yes", "question": question}), (no, {"answer": "no", "question": question}))


def button_label(text: str, limit: int = BUTTON_CHARS) -> str:
    """A button label of at most ``limit`` characters, cut where a reader expects a break.

    网上开店入门（抖店、快手小店…） -> 网上开店入门; 12388 纪检监察举报电话（只用于…） ->
    12388 纪检监察举报电话; with no break in reach the cut is marked with an ellipsis.
    """
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    # A strong break (（：/) may leave a short name; a weak one (、，space) must keep half the label.
    for breaks, shortest in ((STRONG_BREAKS, MIN_LABEL), (WEAK_BREAKS, limit // 2)):
        cuts = [i for i, ch in enumerate(text[: limit + 1]) if ch in breaks and i >= shortest]
        if cuts:
            return text[: cuts[-1]].rstrip(BREAK_TRIM)
    return text[: limit - 1] + "…"


def drop_question(ctx: Context, turn: Turn, parse: ParseResult, text: str, sentence: str,
                  kinds: tuple[str, ...]) -> None:
    """The person went on to something else: the question is dropped, they are told, and the message handled."""
    st = turn.state
    answered(st)
    first = len(turn.replies)
    ctx.route(turn, parse, text)
    if (st.get("pending") or {}).get("type") not in kinds:  # not when the same question is asked anew
        turn.replies.insert(first, Reply(sentence))
