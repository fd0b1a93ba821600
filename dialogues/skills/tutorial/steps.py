"""Showing tutorial steps and walking them: 下一步 / 上一步 / 再说一遍 / 没看懂 / 菜单 / 退出.

没看懂 gives the step's simpler words first; a second 没看懂 walks its ``substeps`` one per
message (下一步 goes to the next sub-step, then on to the next step); only when there is
nothing finer left is a social worker offered. The state keeps the sub-step in
``substep`` (an index, or absent) and a fix being made in ``fixing`` (see reading.py).
"""

from __future__ import annotations

import re

from dialogues import texts as T
from dialogues.schema import Flow, conditions_hold
from dialogues.skills.base import Button, Context, menu, menu_button, say, worker_button
from dialogues.state import State, pause, persona
from dialogues.turn import Turn

CAPABILITY = "teach"
STEP_NAV = {"下一步": "nav_next", "上一步": "nav_prev", "再说一遍": "nav_repeat", "没看懂": "nav_simpler",
            "菜单": "nav_menu"}
NUMBER_RE = re.compile(r"^第\s*\d+\s*步\s*[：:，,]?\s*")
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"
SUBSTEP = "第{n}步分开来说，一次做一小步（第{k}小步，共{m}小步）：\n{mark} {text}\n做好了就按“下一步”。"
LATER_STEP = "{body}\n（这是后面第{later}步要做的。我们现在还在第{n}步，做好了就按“下一步”。）"


def body(flow: Flow, index: int, simpler: bool = False) -> str:
    """A step's words without its own "第2步：" (the prefix says it with the total)."""
    step = flow.steps[index]
    return NUMBER_RE.sub("", step.simpler if simpler and step.simpler else step.text)


def step_buttons(st: State, flow: Flow, index: int) -> tuple[Button, ...]:
    """The step's own buttons, then the navigation buttons for residents or merchants."""
    step = flow.steps[index]
    custom = tuple(
        (b.label, {"goto": b.goto, "slots": b.set} if b.goto else
         {"slots": b.set, "nav": "nav_next"} if b.set else
         {"intent": b.intent} if b.intent else {"text": b.label})
        for b in step.buttons
    )
    base = T.STEP_BUTTONS_MERCHANT if persona(st) == "merchant" or flow.audience == "merchant" else (
        T.STEP_BUTTONS_RESIDENT
    )
    base_actions = tuple((b, {"nav": STEP_NAV[b]} if b in STEP_NAV else {"intent": "request_human"}) for b in base)
    return custom + base_actions if custom else base_actions


def show_step(turn: Turn, flow: Flow, simpler: bool = False, lead: str = "") -> None:
    """Say the current step ("第2步（共9步）：…"), skipping steps whose conditions do not hold."""
    st = turn.state
    index = max(0, min(int(st.get("step", 0)), len(flow.steps) - 1))
    # Skip steps whose conditions do not hold for this person.
    while index < len(flow.steps) - 1 and not conditions_hold(flow.steps[index].when, st["slots"]):
        index += 1
    st["step"] = index
    st.pop("substep", None)
    turn.events.append({"type": "flow_step", "flow": flow.id, "step": index})
    text = T.STEP_PREFIX.format(n=index + 1, total=len(flow.steps), text=body(flow, index, simpler))
    say(turn, f"{lead}\n{text}" if lead else text, step_buttons(st, flow, index))


def show_substep(turn: Turn, flow: Flow, k: int) -> None:
    """Say sub-step ``k`` of the current step ("第2步分开来说 … ① 先…")."""
    st = turn.state
    index = int(st.get("step", 0))
    subs = flow.steps[index].substeps
    st["substep"] = k
    turn.events.append({"type": "flow_substep", "flow": flow.id, "step": index, "substep": k})
    mark = CIRCLED[k] if k < len(CIRCLED) else f"{k + 1}."
    say(turn, SUBSTEP.format(n=index + 1, k=k + 1, m=len(subs), mark=mark, text=subs[k]),
        step_buttons(st, flow, index))


def answer_in_step(turn: Turn, flow: Flow, index: int, answer: str) -> None:
    """An answer said inside the tutorial: the step stays (or becomes ``index``), with its buttons."""
    st = turn.state
    st["step"] = index
    st.pop("substep", None)
    turn.events.append({"type": "flow_step", "flow": flow.id, "step": index})
    say(turn, answer, step_buttons(st, flow, index))


def tell_later_step(turn: Turn, flow: Flow, later: int) -> None:
    """A question about a step further on: its words now, and the tutorial stays where it is."""
    st = turn.state
    index = int(st.get("step", 0))
    say(turn, LATER_STEP.format(body=body(flow, later), later=later + 1, n=index + 1), step_buttons(st, flow, index))


def go_next(turn: Turn, flow: Flow, lead: str = "") -> None:
    """On to the next step (its ``next`` transitions first), or the end of the tutorial."""
    st = turn.state
    index = int(st.get("step", 0))
    step = flow.steps[index]
    target = next((t.goto for t in step.next if conditions_hold(t.when, st["slots"])), None)
    if target is not None:
        st["step"] = flow.step_index(target)
    elif step.end or index + 1 >= len(flow.steps):
        finish_flow(turn, flow)
        return
    else:
        st["step"] = index + 1
    show_step(turn, flow, lead=lead)


def navigate(ctx: Context, turn: Turn, intent: str) -> None:
    """下一步 / 上一步 / 再说一遍 / 没看懂 / 菜单 / 退出 inside the tutorial."""
    st = turn.state
    if intent.startswith("nav_"):
        turn.capability = CAPABILITY  # 下一步 inside a tutorial is teaching, whatever the NLU calls it
    flow = ctx.flows[st["flow"]]
    index = int(st.get("step", 0))
    subs = flow.steps[index].substeps
    sub = st.get("substep")
    st.pop("fixing", None)
    if intent in ("nav_next", "affirm"):
        if sub is not None and int(sub) + 1 < len(subs):
            show_substep(turn, flow, int(sub) + 1)
        else:
            go_next(turn, flow)
    elif intent == "nav_prev":
        if sub is not None and int(sub) > 0:
            show_substep(turn, flow, int(sub) - 1)
            return
        if index == 0:
            say(turn, T.FIRST_STEP_ALREADY)
        st["step"] = max(0, index - 1)
        show_step(turn, flow)
    elif intent == "nav_repeat":
        if sub is not None:
            show_substep(turn, flow, int(sub))
        else:
            show_step(turn, flow)
    elif intent == "nav_simpler":
        simpler(turn, flow, index)
    elif intent == "nav_menu":
        pause(st, flow.id, index)
        st["flow"] = None
        menu(turn)
    elif intent == "nav_exit":
        st["flow"] = None  # a tutorial paused before this one stays, to be offered later
        say(turn, T.TUTORIAL_EXITED)


def simpler(turn: Turn, flow: Flow, index: int) -> None:
    """没看懂: the simpler words, then the sub-steps one by one, then the offer of a person."""
    st = turn.state
    step = flow.steps[index]
    here = [flow.id, index]
    if st.get("substep") is None and step.simpler and st.get("simpler_shown") != here:
        st["simpler_shown"] = here
        show_step(turn, flow, simpler=True)
    elif st.get("substep") is None and step.substeps:
        st["simpler_shown"] = here
        show_substep(turn, flow, 0)
    else:  # nothing finer left: offer a person
        st["simpler_shown"] = None
        say(turn, T.NO_SIMPLER, ((T.REPEAT, {"nav": "nav_repeat"}), worker_button()))


def finish_flow(turn: Turn, flow: Flow) -> None:
    """The last step is done: the outro, learn again / menu / a social worker, and a rating."""
    st = turn.state
    st["flow"], st["step"] = None, 0
    st.pop("substep", None)
    st.pop("fixing", None)
    say(turn, flow.outro or T.THANKS_REPLY, ((T.LEARN_AGAIN, {"flow": flow.id}), menu_button(), worker_button()))
    turn.events.append({"type": "flow_finished", "flow": flow.id})
    turn.rate = {"kind": "tutorial", "subject": flow.id, "title": flow.title}
