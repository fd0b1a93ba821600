"""The conversation state: what Linli remembers about one person between two messages.

A plain JSON-able dict, saved by the engine (``bot/store.py``) after every message, so a
restart resumes every conversation where it was. ``new_state()`` makes it; ``restore()``
reads a saved one (states saved by older versions lack newer keys: the defaults fill them).
Skills change it through the helpers below where there is one, and read the keys directly.

Keys (all in ``new_state()`` but the two marked optional):

``flow``, ``step``
    The tutorial being walked (a flow id, or None) and the index of its current step.
``paused``, ``paused_stack``
    A tutorial left half-way ``{"flow", "step", "offers"?}``, offered back after the answer
    that interrupted it (at most twice); the ones paused before it wait in the stack, next
    first, at most ``MAX_PAUSED``.
``pending``
    The question the bot asked and waits for, ``{"type": kind, ...}`` or None. Kinds:
    ``resume`` (go on with the paused tutorial?), ``choose_platform`` (+ ``intent``: which
    app?), ``confirm_delete`` (+ ``left``: yeses still needed, ``reasked``), ``handoff_consent``
    and ``handoff_offer`` (+ ``reason``, ``reasked``: may the conversation go to a social worker?).
``slots``
    What the person told: ``persona`` (resident, merchant, social_worker), ``platform``,
    ``region``, ``product``, ``tool``, ``budget`` (yuan), ``need`` (a tool need), and the slots
    tutorial buttons set.
``topic``
    What the last answer was about, for follow-ups: ``{"intent", "entry"?, "flow"?, "more"?}``.
``tool``, ``tools``
    The tool named last (这个收费吗 refers to it) and the tools just recommended (ids).
``fallbacks``
    Misunderstandings in a row; at the configured limit a social worker is offered.
``persona_asked``
    The light "are you a merchant or a resident?" question was asked already (once only).
``buttons``, ``button_labels``
    The last turn's buttons: label -> action, and the labels in the order they are numbered.
``last``
    The texts of the last answer (再说一遍 outside a tutorial says them again).
``turns``
    Messages handled so far.
``feedback``, ``feedback_turn``, ``rated``
    The answer last asked about (👍/👎) and on which turn; answers already rated (``kind:subject``).
``urgent_turn`` (optional)
    The turn of the last alarm: a correction (没事, 我说错了) right after it is a false alarm.
``episode`` (optional)
    The urgent episode an alarm opened (``dialogues/episodes.yml``): ``{"kind", "opened_turn",
    "until_turn", "until", "over_turn", "after_until"}``. Open while ``over_turn`` is None and
    neither ``until_turn`` (a turn number) nor ``until`` (epoch seconds) has passed; each message
    that says something about it moves both on. Once over (the person said so, 车到了 / 找到了),
    prevention questions and follow-ups are read in its light up to turn ``after_until``.
``safety_check`` (optional)
    The short safety question asked instead of an alarm a calm conversation does not support:
    ``{"kind", "intent", "turn", "answer"?}``; the next message is read as its answer first.
``wellbeing`` (optional)
    ``{"mood", "turn"}``: loneliness or worry was answered on that turn (follow-ups such as
    社区有啥活动 are read in its light for a few turns).
``simpler_shown`` (optional)
    ``[flow, step]`` whose simpler words were shown: a second 没看懂 there offers a person.
"""

from __future__ import annotations

import re
import time
import unicodedata
from typing import Any

State = dict[str, Any]

MAX_PAUSED = 3  # tutorials remembered behind the paused one


def new_state() -> State:
    """The state of someone Linli has not talked to yet."""
    return {
        "flow": None, "step": 0, "paused": None, "paused_stack": [], "pending": None, "slots": {}, "topic": None,
        "tool": None, "tools": [], "fallbacks": 0, "persona_asked": False, "buttons": {}, "button_labels": [], "last": [],
        "turns": 0,
        "feedback": None, "feedback_turn": -1, "rated": [],
    }


def restore(saved: State | None) -> State:
    """A saved state (or None for a new person) with every key ``new_state()`` has."""
    return new_state() if saved is None else {**new_state(), **saved}


# ---- who is asking ------------------------------------------------------------------------

def persona(st: State) -> str:
    """resident, merchant, social_worker, or '' when not known yet."""
    return str(st["slots"].get("persona") or "")


# ---- tutorials left half-way --------------------------------------------------------------

def pause(st: State, flow_id: str, step: int) -> None:
    """Remember a tutorial to come back to; one paused earlier waits behind it (at most 3)."""
    earlier = st.get("paused")
    stack = [p for p in st.get("paused_stack") or [] if p.get("flow") != flow_id]
    if earlier and earlier.get("flow") != flow_id:
        stack = [{"flow": earlier["flow"], "step": earlier.get("step", 0)}, *stack][:MAX_PAUSED]
    st["paused"], st["paused_stack"] = {"flow": flow_id, "step": step}, stack


def unpause(st: State) -> None:
    """Done with the paused tutorial (resumed, declined or left): the one paused before it is next."""
    stack = list(st.get("paused_stack") or [])
    st["paused"] = stack.pop(0) if stack else None
    st["paused_stack"] = stack


# ---- the question waiting for an answer ---------------------------------------------------

def ask(st: State, kind: str, **details: Any) -> None:
    """The bot asked a question of this kind; the next message is read as its answer first."""
    st["pending"] = {"type": kind, **details}


def answered(st: State) -> None:
    """No question waits any more (answered, or dropped because the person moved on)."""
    st["pending"] = None


# ---- urgent alarms ------------------------------------------------------------------------

def mark_alarm(st: State) -> None:
    """An alarm was raised on this turn."""
    st["urgent_turn"] = st["turns"]


def right_after_alarm(st: State) -> bool:
    """True when the previous message raised an alarm."""
    return bool(st.get("urgent_turn") == st["turns"] - 1)


def open_episode(st: State, kind: str, turns: int, minutes: float, now: float) -> None:
    """An alarm of this kind opened an episode; it lasts ``turns`` messages or ``minutes`` without news."""
    st["episode"] = {"kind": kind, "opened_turn": st["turns"], "over_turn": None, "after_until": None}
    refresh_episode(st, turns, minutes, now)


def refresh_episode(st: State, turns: int, minutes: float, now: float) -> None:
    """The message said something about the open episode: its limits start again from here."""
    ep = st.get("episode") or {}
    ep["until_turn"], ep["until"] = st["turns"] + turns, now + minutes * 60


def episode_kind(st: State | None, now: float) -> str | None:
    """The kind of the open urgent episode, or None (none opened, over, or its time has passed)."""
    ep = (st or {}).get("episode")
    if not ep or ep.get("over_turn") is not None:
        return None
    if (st or {}).get("turns", 0) > ep.get("until_turn", 0) or now > ep.get("until", 0):
        return None
    return str(ep["kind"])


def end_episode(st: State, turns: int) -> None:
    """The person said it is over: prevention and follow-ups are still read in its light for ``turns`` messages."""
    ep = st.get("episode")
    if ep:
        ep["over_turn"], ep["after_until"] = st["turns"], st["turns"] + turns


def episode_after(st: State | None) -> str | None:
    """The kind of an episode that is over but recent (its follow-ups are still expected), else None."""
    ep = (st or {}).get("episode")
    if not ep or ep.get("over_turn") is None or (st or {}).get("turns", 0) > (ep.get("after_until") or 0):
        return None
    return str(ep["kind"])


def in_episode(st: State | None, now: float | None = None) -> bool:
    """True while an urgent episode is open or just over: its messages are the dialogue's to read."""
    when = time.time() if now is None else now
    # The engine asks before the turn is counted: the next message is turn + 1.
    ahead = {**st, "turns": st.get("turns", 0) + 1} if st else None
    return episode_kind(ahead, when) is not None or episode_after(ahead) is not None


# ---- buttons ------------------------------------------------------------------------------

def take_buttons(st: State) -> tuple[dict[str, Any], list[str]]:
    """The last turn's buttons (label -> action) and their labels in number order; the state forgets them."""
    buttons = st.get("buttons") or {}
    labels = st.get("button_labels") or list(buttons)
    st["buttons"], st["button_labels"] = {}, []
    return buttons, labels


def offer_buttons(st: State, labelled: list[tuple[str, Any]]) -> None:
    """Remember this reply's buttons; numbers run on across the turn's replies ([1]-[4], then [5]-[7])."""
    for label, action in labelled:
        st["buttons"][label] = action
    st.setdefault("button_labels", []).extend(label for label, _ in labelled)


def typed_number(text: str) -> int | None:
    """A number typed as a button press: 1 to 3 ASCII digits after NFKC (５ and ① count, ٣ and 5,000 digits do not).

    ``isdigit()`` is true for ①, ² and ٣, which ``int()`` cannot read or reads in another script, and
    ``int()`` refuses more than 4,300 digits; so only short runs of 0-9 are numbers here.
    """
    t = unicodedata.normalize("NFKC", text).strip()
    return int(t) if re.fullmatch(r"[0-9]{1,3}", t) else None


def pressed_label(state: State | None, text: str) -> str | None:
    """The label of the button a typed number stands for ("7" -> 其他/不知道), else None."""
    number = typed_number(text)
    if not state or number is None:
        return None
    labels = state.get("button_labels") or list(state.get("buttons") or {})
    idx = number - 1
    return labels[idx] if 0 <= idx < len(labels) else None


def button_action(buttons: dict[str, Any], labels: list[str], text: str) -> dict[str, Any] | None:
    """The action of the button pressed (its label, or its number), else None."""
    t = text.strip()
    if t in buttons:
        return buttons[t]  # type: ignore[no-any-return]
    label = pressed_label({"buttons": buttons, "button_labels": labels}, t)
    return buttons.get(label) if label is not None else None
