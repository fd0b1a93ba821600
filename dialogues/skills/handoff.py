"""Help from a person: consent first, then a help request the engine turns into a ticket.

找社工 asks whether the conversation may go to a social worker; a complaint (你说的都没用)
offers it; two misunderstandings in a row offer it too. Only the question's own button or a
clear yes shares anything (issue 12); 好 / 嗯 get one plain reminder of how to answer.
"""

from __future__ import annotations

from typing import Any

from dialogues import texts as T
from dialogues.skills.base import Context, answer_buttons, drop_question, say
from dialogues.state import ask, answered
from dialogues.turn import Turn
from dialogues.understand import REFUSE_RE, VAGUE_YES, clear_yes, plain
from nlu.result import ParseResult

CAPABILITY = "handoff"
CONSENT_KINDS = ("handoff_offer", "handoff_consent")
CONSENT_YES = frozenset({
    "可以", "可以的", "同意", "是的", "是", "对", "对的", "确定", "好的", "好啊", "好呀", "好吧", "行", "行的", "行吧",
    "行啊", "要", "要的", "需要", "麻烦你了", "麻烦您了", "麻烦了", "发吧", "可以发", "发给社工吧", "请社工帮我",
    "好的谢谢", "可以谢谢", "谢谢可以",
})


def respond(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> None:
    """找社工 or a complaint: ask for consent (nothing is shared without a yes; urgent is the exception)."""
    if parse.intent == "complain_bot":
        ask(turn.state, "handoff_offer", reason="complaint")
        say(turn, T.COMPLAINT_REPLY, answer_buttons("handoff_offer", T.CONSENT_BUTTONS))
        return
    ask(turn.state, "handoff_consent", reason="asked")
    say(turn, T.CONSENT_ASK, answer_buttons("handoff_consent", T.CONSENT_BUTTONS))


def consent(ctx: Context, turn: Turn, pending: dict[str, Any], parse: ParseResult, text: str,
            pressed: str | None) -> bool:
    """May I share the conversation with a social worker? Only its own button or a clear yes shares it.

    ``pressed`` is "yes" or "no" when the question's own button was pressed.
    """
    st = turn.state
    kind = str(pending.get("type"))
    # "不找社工了" names a social worker too: a refusal is never read as consent.
    typed_yes = pressed is None and clear_yes(text, CONSENT_YES)  # "要" is a yes even when read as deny
    no = pressed == "no" or (pressed is None and not typed_yes and (
        parse.intent in ("deny", "nav_exit") or bool(REFUSE_RE.search(text))))
    yes = not no and (pressed == "yes" or typed_yes or (pressed is None and parse.intent == "request_human"))
    if yes:
        answered(st)
        request_help(turn, pending.get("reason", "fallbacks"), text)
    elif no:
        answered(st)
        st["fallbacks"] = 0
        say(turn, T.HELP_DECLINED)
    elif (parse.intent == "affirm" or plain(text) in VAGUE_YES) and not pending.get("reasked"):
        st["pending"] = {**pending, "reasked": True}
        say(turn, T.CONSENT_HOW, answer_buttons(kind, T.CONSENT_BUTTONS))
    else:
        drop_question(ctx, turn, parse, text, T.CONSENT_NOT_SHARED, CONSENT_KINDS)
    return True


def request_help(turn: Turn, reason: str, text: str) -> None:
    """The person said yes to sharing the conversation: the engine opens the ticket and says so."""
    turn.state["fallbacks"] = 0
    turn.events.append({"type": "help_request", "priority": "normal", "reason": reason, "consent": True})


def missed(ctx: Context, turn: Turn, first: str = "") -> bool:
    """Count a misunderstanding; at the limit, offer a social worker (True when offered)."""
    st = turn.state
    st["fallbacks"] = int(st.get("fallbacks", 0)) + 1
    if st["fallbacks"] < ctx.fallbacks_before_handoff:
        return False
    ask(st, "handoff_offer", reason="fallbacks")
    if first:
        say(turn, first)
    say(turn, T.OFFER_HUMAN, answer_buttons("handoff_offer", T.OFFER_HUMAN_BUTTONS))
    return True

