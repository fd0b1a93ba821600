"""Small talk and the person: greetings, thanks, who Linli is, who the person is, ratings.

我是开小卖部的 / 我是退休老人 remembers the persona and offers what fits (no tutorial is
started); a policy question from someone unknown gets one light persona question. After a
tutorial, a policy or a tool answer comes one 👍/👎 question, never twice in a row.
"""

from __future__ import annotations

import re

from dialogues import texts as T
from dialogues.skills import handoff, tutorial
from dialogues.skills.base import Button, Context, cues, expectations, menu, menu_button, say, worker_button
from dialogues.state import answered
from dialogues.turn import Turn
from dialogues.understand import (
    ASKING_RE, MERCHANT_SELF_RE, QUESTION_RE, RESIDENT_SELF_RE, SOCIAL_WORKER_SELF_RE, persona_of_intro,
)
from nlu.result import ParseResult

CAPABILITY = "smalltalk"
# What rates the last answer: the two buttons, or the thumbs alone typed or sent as an emoji.
FEEDBACK_WORDS = {T.FEEDBACK_YES: 1, T.FEEDBACK_NO: 0, "👍": 1, "👎": 0, "👍🏻": 1, "👎🏻": 0}


def respond(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> None:
    """Greet, thank, goodbye, what Linli is and can do, a self-introduction."""
    intent = parse.intent
    if intent == "greet":
        menu(turn, T.WELCOME)
    elif intent == "bot_capabilities" and about_capability(parse.text or text):
        ctx.answer_topic(turn, about_capability(parse.text or text), text)  # 生意上的事你有啥建议没: the tips
    elif intent == "bot_capabilities":
        menu(turn, T.CAPABILITIES)
    elif intent == "bot_identity":
        say(turn, T.IDENTITY)
    elif intent == "thank":
        say(turn, T.THANKS_REPLY)
    elif intent == "goodbye":
        say(turn, T.BYE_REPLY)
    elif intent == "deny":
        say(turn, T.DENY_REPLY)
    elif intent == "self_intro":
        said = parse.text or ""
        if says_who_they_are(turn, parse, said):
            return
        persona = persona_of_intro(said)  # "我是开小饭馆的 美团……": a merchant, whatever follows
        if persona:
            turn.state["slots"]["persona"] = persona
        named = parse.entity_values("platform")
        if not (named and tutorial.howto_platform(ctx, turn, named, said)):  # 我是老人家 咋用盒马
            menu(turn, T.SELF_OTHER)
    else:
        say(turn, T.OK_REPLY)


def about_capability(text: str) -> str | None:
    """The intent a "what can you do about …" question names (expectations/smalltalk.yml), or None."""
    for intent, patterns in (expectations("smalltalk").get("capability_topics") or {}).items():
        if cues(patterns).search(text):
            return str(intent)
    return None


SIGN_OFF_INTENTS = {"affirm", "thank", "goodbye", "out_of_scope", "nlu_fallback"}


def signs_off(turn: Turn, parse: ParseResult, text: str, buttons: tuple[Button, ...] = ()) -> bool:
    """行 我回去改改 / 好的我去试试: a short goodbye-for-now (expectations/smalltalk.yml); ``buttons``: the
    tutorial step's, when one is open (it stays on that step)."""
    data = expectations("smalltalk")
    asks = re.search(ASKING_RE.pattern.replace("|想|要", ""), text)  # 好的 去哪办 asks; 行 我回去改改 does not
    if parse.intent not in SIGN_OFF_INTENTS or asks or not cues(data["signs_off"]).search(text.strip()):
        return False
    turn.capability = CAPABILITY
    say(turn, str(data["SIGN_OFF_REPLY"]), buttons)
    return True


def out_of_scope(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> None:
    """Something Linli does not do: say what it does (a social worker is offered at the limit)."""
    if handoff.missed(ctx, turn, T.OUT_OF_SCOPE):
        return
    menu(turn, T.OUT_OF_SCOPE)


def says_who_they_are(turn: Turn, parse: ParseResult, text: str) -> bool:
    """"我是开小卖部的" / "我是退休老人": remember who is asking and offer what fits, start nothing."""
    t = re.sub(r"[\s，。！,.!~]+", "", text)
    if parse.capability in ("urgent", "handoff", "privacy") or len(t) > 14 or QUESTION_RE.search(t):
        return False
    if MERCHANT_SELF_RE.search(t):
        persona, reply, labels = "merchant", T.SELF_MERCHANT, T.SELF_MERCHANT_BUTTONS
        actions = ({"intent": "open_shop"}, {"intent": "mk_low_budget"}, {"intent": "mk_repeat_customers"},
                   {"policy_menu": True}, {"intent": "tool_recommend"})
    elif SOCIAL_WORKER_SELF_RE.search(t):
        # A registered worker is greeted by the staff skill first; this is someone not (yet) registered.
        reply = T.SELF_SOCIAL_WORKER + ("" if turn.state.get("worker") else "\n" + T.DESK_NOT_REGISTERED_NOTE)
        persona, labels = "social_worker", T.MENU_BUTTONS
        actions = ({"intent": "grocery_order"}, {"intent": "mk_strategy"}, {"policy_menu": True},
                   {"intent": "tool_recommend"}, {"intent": "request_human"})
    elif RESIDENT_SELF_RE.search(t):
        persona, reply, labels = "resident", T.SELF_RESIDENT, T.SELF_RESIDENT_BUTTONS
        actions = ({"intent": "grocery_order"}, {"intent": "elderly_mode"}, {"intent": "scam_prevention"},
                   {"policy_menu": True}, {"intent": "request_human"})
    else:
        return False
    turn.state["slots"]["persona"] = persona
    say(turn, reply, tuple(zip(labels, actions)))
    return True


def set_persona(turn: Turn, persona: str) -> None:
    """A persona button (我开店 / 我买东西 / 我是社工) was pressed."""
    turn.state["slots"]["persona"] = persona
    answered(turn.state)
    say(turn, T.PERSONA_SET)


def maybe_ask_persona(turn: Turn, capability: str) -> None:
    """After a policy answer, when we cannot tell who is asking: once, lightly."""
    st = turn.state
    if st["slots"].get("persona") or st.get("persona_asked") or capability != "policy" or st.get("pending"):
        return
    st["persona_asked"] = True
    say(turn, T.PERSONA_ASK, tuple((label, {"persona": p}) for label, p in T.PERSONA_BUTTONS))


# ---- answer ratings -----------------------------------------------------------------------

def rating(text: str) -> int | None:
    """1 or 0 when the message rates the last answer (👍 有帮助 / 👎 没帮助, or the thumbs alone)."""
    return FEEDBACK_WORDS.get(text.strip())


def maybe_ask_feedback(turn: Turn) -> None:
    """After a tutorial, a policy or a tool answer: one light question, never twice in a row."""
    st = turn.state
    if turn.rate is None or not turn.replies:
        return
    if st.get("feedback_turn") == st["turns"] - 1 or st.get("pending"):
        return  # asked last turn, or another question is waiting for an answer
    if any(e["type"] == "help_request" for e in turn.events) or turn.capability == "urgent":
        return
    key = f"{turn.rate['kind']}:{turn.rate['subject']}"
    if key in (st.get("rated") or []):
        return
    st["feedback"], st["feedback_turn"] = dict(turn.rate), st["turns"]
    say(turn, T.FEEDBACK_ASK, ((T.FEEDBACK_YES, {"feedback": 1}), (T.FEEDBACK_NO, {"feedback": 0})), kind="feedback")


def rate(turn: Turn, helpful: int) -> None:
    """👍 / 👎: stored once for the answer last asked about, then a short thank-you."""
    st = turn.state
    turn.intent, turn.capability = "feedback", "smalltalk"
    asked = st.get("feedback")
    if not asked:
        say(turn, T.FEEDBACK_ALREADY)
        return
    st["feedback"] = None
    st["rated"] = ([*(st.get("rated") or []), f"{asked['kind']}:{asked['subject']}"])[-20:]
    turn.events.append({"type": "feedback", **asked, "helpful": helpful})
    if helpful:
        say(turn, T.FEEDBACK_THANKS)
    else:
        say(turn, T.FEEDBACK_SORRY, (worker_button(), menu_button()))
