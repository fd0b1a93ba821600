"""Urgent messages: what to do now and the right hotline, before anything else, and a help request.

Scam in progress, medical emergency, self-harm, abuse, a missing person, danger now (fire,
a break-in): 110, 119, 120, 96110, 12356, 12338 (facts.md §2). A tutorial in progress is
paused, not lost. 不是 我说的是… right after an alarm is a false alarm: said so, and the
ticket becomes a normal one.
"""

from __future__ import annotations

import re

from dialogues import texts as T
from dialogues.skills.base import Context, menu, say
from dialogues.state import State, answered, mark_alarm, pause, right_after_alarm
from dialogues.turn import Turn
from nlu.result import ParseResult

CAPABILITY = "urgent"
URGENT_TEXT = {
    "urgent_scam": T.URGENT_SCAM,
    "urgent_medical": T.URGENT_MEDICAL,
    "urgent_self_harm": T.URGENT_SELF_HARM,
    "urgent_abuse": T.URGENT_ABUSE,
    "urgent_missing": T.URGENT_MISSING,
    "urgent_danger": T.URGENT_DANGER,
}
FALSE_ALARM_RE = re.compile(
    r"没事|没危险|不危险|不是(那个|这个)?意思|说错了|误会|开玩笑|不是紧急|不紧急|不是说|我说的是|搞错了|打错了|不是真的|虚惊"
)


def respond(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> None:
    """Safety first: the hotline for this kind, and an urgent help request (no consent question)."""
    st = turn.state
    if st.get("flow"):
        pause(st, st["flow"], st.get("step", 0))
        st["flow"] = None
    answered(st)
    say(turn, urgent_text(parse.intent))
    turn.events.append({"type": "help_request", "priority": "urgent", "reason": parse.intent})
    mark_alarm(st)


def urgent_text(intent: str) -> str:
    """The first words for an urgent message: what to do now and the hotline."""
    return URGENT_TEXT.get(intent, T.URGENT_SCAM)


def corrects_alarm(st: State, text: str) -> bool:
    """"不是 我说的是清仓打折" right after an alarm."""
    return right_after_alarm(st) and bool(FALSE_ALARM_RE.search(text))


def false_alarm(ctx: Context, turn: Turn) -> None:
    """Say so; the engine turns the urgent ticket into a normal one."""
    turn.events.append({"type": "not_urgent"})
    menu(turn, T.FALSE_ALARM_OK)
