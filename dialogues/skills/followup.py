"""When a message is a follow-up on the last answer, shared by the skills that answer inside a topic.

A follow-up leans on the last answer: the NLU has no better reading (fallback, out of scope, the
topic's own intent, a weak guess), or it is said as one (那…, 要是…呢, 这个政策…). A hand-off,
privacy or small-talk message never is, and neither is a new question the NLU is sure of, or one
naming a platform, tool or product the topic does not take.
What the topic then answers is declared by its knowledge entry (``knowledge/topics.py``).
"""

from __future__ import annotations

import re
from typing import Any

from nlu.result import ParseResult

# Said as a follow-up: 那…, 要是…, 如果…, …呢, 这个政策…
FOLLOWUP_FORM_RE = re.compile(r"^\W*[他她我]?(那|要是|如果|假如|万一|可是|但是|这些|这个)|呢\W*$"
                              r"|这个政策|这政策|这条|这个规定|这个法|刚才说的|你说的这")
SHORT = 14  # characters (punctuation and spaces left out): a message this short may lean on the last answer
STRONG = 0.85  # the NLU is this sure of another intent: a new question, not a follow-up
WEAK = 0.6  # below this, another intent's guess does not stop matching the entry's own words
CHAT_INTENTS = {"thank", "goodbye", "greet", "affirm", "deny", "bot_identity", "bot_capabilities"}


def expects(last: dict[str, Any], parse: ParseResult, text: str, slot_types: tuple[str, ...] = (),
            fits: bool = False) -> bool:
    """May this message be a follow-up on ``last`` (the state's topic)? ``slot_types``: the entity types
    the topic takes; a message naming something else (a platform, a product) while the NLU reads it
    as another question is about that instead (美团外卖那边还要准备啥, 我在成都 想学手机买菜).
    ``fits``: the message gives the topic's details and asks what the topic answers (我52岁了 没办过
    失业登记 够条件不 after the loan), which outweighs the NLU's other reading."""
    if parse.capability in ("urgent", "handoff", "privacy") or parse.intent in CHAT_INTENTS:
        return False
    if parse.is_fallback or parse.capability == "out_of_scope" or parse.intent == last.get("intent"):
        return True
    said_so = fits or bool(FOLLOWUP_FORM_RE.search(text))  # 那…, 要是…呢, 这个政策…: leaning on the last answer
    if parse.confidence >= STRONG:
        return said_so
    if parse.confidence >= WEAK and any(e.entity not in slot_types for e in parse.entities):
        return said_so
    return True


def weak(last: dict[str, Any], parse: ParseResult) -> bool:
    """True when the NLU has no better reading than the last topic (the entry's own words may answer)."""
    return (parse.is_fallback or parse.capability == "out_of_scope" or parse.intent == last.get("intent")
            or parse.confidence < WEAK)
