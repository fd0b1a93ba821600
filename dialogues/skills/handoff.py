"""Help from a person: consent first, then a help request the engine turns into a ticket.

找社工 asks whether the conversation may go to a social worker; a complaint (你说的都没用)
offers it; two misunderstandings in a row offer it too. Only the question's own button or a
clear yes shares anything (issue 12): in dialect or with the hand-off said back too (中 你帮俺找一个吧,
不要钱就中 喊吧; ``understand.explicit_yes``); 好 / 嗯 get one plain reminder of how to answer, and a
question about the hand-off (社工是干啥的 要钱不) is answered while the question waits on.

Every way of asking for a person is a hand-off (issue 13): 你是机器人吗 我想找真人, 算了 叫个人来
after a complaint; the words are data (``dialogues/expectations/handoff.yml``). While a
ticket waits, the engine tells the state where it is (``state["handoff"]``), and questions
about the wait (还要等多久, 俺前头还有几个人, 下一步 outside a tutorial) get the place in the queue,
and stepping away (先去烧壶水 回来还排着不) is told the place is kept.
"""

from __future__ import annotations

from typing import Any

from dialogues import texts as T
from dialogues.skills.base import (
    Context, answer_buttons, cues, drop_question, expectations, only_words, say, serve,
)
from dialogues.state import ask, answered
from dialogues.turn import Turn
from dialogues.understand import ASKING_RE, CLAUSE_RE, REFUSE_RE, VAGUE_YES, clear_yes, explicit_yes, plain
from nlu.result import ParseResult

CAPABILITY = "handoff"
CONSENT_KINDS = ("handoff_offer", "handoff_consent")
CONSENT_YES = frozenset({
    "可以", "可以的", "同意", "是的", "是", "对", "对的", "确定", "好的", "好啊", "好呀", "好吧", "行", "行的", "行吧",
    "行啊", "要", "要的", "需要", "麻烦你了", "麻烦您了", "麻烦了", "发吧", "可以发", "发给社工吧", "请社工帮我",
    "好的谢谢", "可以谢谢", "谢谢可以", "要得", "要得嘛", "可以嘛", "可以的呀", "中", "中啊", "成", "得行", "没问题",
    # "then you ask them for me": a yes to the offer of a social worker (行 那你帮我问问)
    "帮我问问", "你帮我问问", "那你帮我问问", "那帮我问问", "帮我问问吧", "帮我联系", "你帮我联系", "那你帮我联系",
    "帮我联系吧", "麻烦你帮我问问", "麻烦您帮我问问",
    # in dialect: 好额 / 好个 (Shanghainese, 好额呀), 好嘅 / 得嘅 (Cantonese)
    "好额", "好个", "可以额", "行额", "好嘅", "得嘅", "可以嘅",
})
# Words that move on from the question to another matter (算了不说了 店里还剩些货 咋处理掉好).
MOVED_ON = ("handoff", "smalltalk", "out_of_scope", "privacy", "urgent")


def respond(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> None:
    """找社工 or a complaint: ask for consent (nothing is shared without a yes; urgent is the exception)."""
    st = turn.state
    serve(turn, CAPABILITY, "handoff")
    if waiting(st):
        say_place(turn, already=True)  # 再给我找一次社工: one ticket is enough
        return
    if st.get("flow") in ctx.flows:
        turn.events.append({"type": "same_flow"})  # the tutorial stays where it is: 下一步 goes on from there
    if parse.intent == "complain_bot" and not wants_person(text):
        ask(st, "handoff_offer", reason="complaint")
        say(turn, T.COMPLAINT_REPLY, answer_buttons("handoff_offer", T.CONSENT_BUTTONS))
        return
    if parse.intent == "bot_identity":
        say(turn, T.IDENTITY_SHORT)  # 你是机器人吗 我想找真人: both questions are answered
    ask(st, "handoff_consent", reason="asked")
    say(turn, T.CONSENT_ASK, answer_buttons("handoff_consent", T.CONSENT_BUTTONS))


def wants_person(text: str) -> bool:
    """我想找真人 / 叫个人来 / 转人工: a request for a person in any words; 不找社工 never is."""
    data = expectations("handoff")
    return (bool(cues(data["wants_person"]).search(text)) and not cues(data["refuses_person"]).search(text)
            and not cues(data["not_request"]).search(text))


def waiting(st: dict[str, Any]) -> dict[str, Any] | None:
    """The person's ticket while it waits in the queue (the engine fills ``state["handoff"]``), else None."""
    ticket = st.get("handoff")
    return ticket if isinstance(ticket, dict) and ticket.get("status") == "waiting" else None


def asks_about_wait(st: dict[str, Any], parse: ParseResult, text: str) -> bool:
    """While a ticket waits: 还要等多久 / 咋还没人理我 / 再找一次社工 (other skills leave these to the queue)."""
    if not waiting(st):
        return False
    data = expectations("handoff")
    return bool(cues(data["wait"]).search(text) or cues(data["hours"]).search(text)
                or parse.intent == "request_human" or wants_person(text)
                or parse.capability == "staff")  # 排着队的有多少 from the one waiting: their own place


def asks_wait(st: dict[str, Any], text: str) -> bool:
    """While a ticket waits, the words ask about the wait or the hours (社工还要等多长时间), whatever else they say."""
    data = expectations("handoff")
    return (bool(waiting(st)) and bool(cues(data["wait"]).search(text) or cues(data["hours"]).search(text))
            and not cues(data["other_wait"]).search(text))


def expected(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> bool:
    """What an open hand-off expects first: questions about the wait; and a person asked for in any words."""
    st = turn.state
    data = expectations("handoff")
    if waiting(st):
        if cues(data["keep_place"]).search(text):
            serve(turn, CAPABILITY, "handoff")  # 先去烧壶水 回来还排着不: the place is kept
            say(turn, T.WAIT_KEPT)
            say_place(turn)
            return True
        if cues(data["hours"]).search(text):
            serve(turn, CAPABILITY, "handoff")
            say_hours(turn)  # 社工晚上也上班吗 / 我明天早上还在这等回复行吗
            return True
        if clear_yes(text, CONSENT_YES) or only_words(text, CONSENT_YES):
            serve(turn, CAPABILITY, "handoff")  # 可以 / 好的 right after the ticket: noted, nothing more to agree to
            say(turn, T.WAIT_NOTED.format(ticket=st["handoff"].get("ticket", "")))
            return True
        about_wait = asks_about_wait(st, parse, text)
        what_now = st.get("flow") not in ctx.flows and cues(data["wait_next"]).search(text)
        if about_wait or what_now:
            serve(turn, CAPABILITY, "handoff")
            say_place(turn, already=bool(parse.intent == "request_human" or wants_person(text)))
            return True
        return False
    if st.get("episode"):
        return False  # an open urgent episode reads its own messages (asking for company there is its hand-off)
    if parse.capability not in ("handoff", "urgent") and wants_person(text):
        respond(ctx, turn, parse, text)
        return True
    return False


def say_place(turn: Turn, already: bool = False) -> None:
    """Where the person's ticket is in the queue, and what they can do meanwhile."""
    ticket = waiting(turn.state) or {}
    if ticket.get("priority") == "urgent":
        place = T.WAIT_URGENT
    elif int(ticket.get("ahead") or 0) > 0:
        place = T.WAIT_AHEAD.format(ahead=int(ticket["ahead"]))
    else:
        place = T.WAIT_FIRST
    lines = [T.WAIT_ALREADY] if already else []
    lines.append(T.WAIT_PLACE.format(ticket=ticket.get("ticket", ""), place=place))
    if ticket.get("office_open") is False and ticket.get("next_open"):
        lines.append(T.WAIT_CLOSED.format(when=ticket["next_open"]))
    lines.append(T.WAIT_URGENT_LINE if ticket.get("priority") == "urgent" else T.WAIT_MEANWHILE)
    say(turn, "\n".join(lines))


def say_hours(turn: Turn) -> None:
    """When social workers answer (the office hours the engine passed on; never guessed), and the place."""
    ticket = waiting(turn.state) or {}
    hours = ticket.get("office_hours") or {}
    days = [int(d) for d in hours.get("days") or [] if 1 <= int(d) <= 7]
    if days and hours.get("start") and hours.get("end"):
        lines = [T.WAIT_HOURS.format(days=days_text(days), start=hours["start"], end=hours["end"])]
    else:
        lines = [T.WAIT_HOURS_UNKNOWN]
    if ticket.get("office_open") is False and ticket.get("next_open"):
        lines.append(T.WAIT_CLOSED.format(when=ticket["next_open"]))
    lines.append(T.WAIT_STAY)
    if ticket.get("priority") == "urgent":
        lines.append(T.WAIT_URGENT_LINE)
    say(turn, "\n".join(lines))


def days_text(days: list[int]) -> str:
    """[1, 2, 3, 4, 5] -> 周一到周五; [1, 3] -> 周一、周三; all seven -> 每天."""
    days = sorted(set(days))
    if len(days) == 7:
        return "每天"
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return f"{T.WEEKDAY_NAMES[days[0]]}到{T.WEEKDAY_NAMES[days[-1]]}"
    return "、".join(T.WEEKDAY_NAMES[d] for d in days)


def consent(ctx: Context, turn: Turn, pending: dict[str, Any], parse: ParseResult, text: str,
            pressed: str | None) -> bool:
    """May I share the conversation with a social worker? Only its own button or a clear yes shares it.

    ``pressed`` is "yes" or "no" when the question's own button was pressed.
    """
    st = turn.state
    kind = str(pending.get("type"))
    serve(turn, CAPABILITY, "handoff")
    # "不找社工了" names a social worker too: a refusal is never read as consent.
    # "要" is a yes even when read as deny; 可以 麻烦你了 is yes words only, so a yes too.
    # 中 你帮俺找一个吧 / 不要钱就中 喊吧 / 可以 麻烦你们了: a yes in dialect or with the hand-off said back.
    data = expectations("handoff")
    typed_yes = pressed is None and (clear_yes(text, CONSENT_YES) or only_words(text, CONSENT_YES)
                                     or explicit_yes(text, CONSENT_YES, cues(data["consent_action"])))
    person = pressed is None and wants_person(text)  # 算了 叫个人来: 算了 is no refusal of a person
    no = pressed == "no" or (pressed is None and not typed_yes and not person and (
        parse.intent in ("deny", "nav_exit") or bool(REFUSE_RE.search(text))))
    # 社工来了能帮俺干点啥 / 排第几个, even when read as a request, ask about the hand-off: no yes.
    asked = bool(cues(data["consent_question"]).search(text) or cues(data["wait"]).search(text))
    plain_request = parse.intent == "request_human" and not REFUSE_RE.search(text) and not asked
    yes = not no and (pressed == "yes" or typed_yes or (pressed is None and plain_request))
    if person and not yes and not no:
        # Asked for a person in words that also wave something off: the consent question, plainly.
        ask(st, "handoff_consent", reason=pending.get("reason", "asked"))
        say(turn, T.CONSENT_ASK, answer_buttons("handoff_consent", T.CONSENT_BUTTONS))
    elif yes:
        answered(st)
        request_help(turn, pending.get("reason", "fallbacks"), text)
    elif no and moves_on(parse, text):
        st["fallbacks"] = 0  # 算了不说了 店里还剩些货 咋处理掉好: no person, and the question is answered
        turn.skill = ""
        turn.capability = parse.capability
        drop_question(ctx, turn, parse, text, T.CONSENT_NOT_SHARED, CONSENT_KINDS)
    elif no:
        answered(st)
        st["fallbacks"] = 0
        say(turn, T.HELP_DECLINED)
    elif cues(data["wait"]).search(text):
        st["pending"] = pending  # 阿拉排第几个 before any yes: not queued yet; the question waits on
        say(turn, str(data["consent_not_queued"]), answer_buttons(kind, T.CONSENT_BUTTONS))
    elif cues(data["consent_question"]).search(text):
        st["pending"] = pending  # 社工是干啥的 要钱不: answered, and the question waits on
        say(turn, T.CONSENT_FAQ)
        say(turn, T.CONSENT_STILL, answer_buttons(kind, T.CONSENT_BUTTONS))
    elif (parse.intent == "affirm" or plain(text) in VAGUE_YES) and not pending.get("reasked"):
        st["pending"] = {**pending, "reasked": True}
        say(turn, T.CONSENT_HOW, answer_buttons(kind, T.CONSENT_BUTTONS))
    else:
        turn.skill = ""  # the message is about something else: whoever answers it serves the turn
        turn.capability = parse.capability
        drop_question(ctx, turn, parse, text, T.CONSENT_NOT_SHARED, CONSENT_KINDS)
    return True


def moves_on(parse: ParseResult, text: str) -> bool:
    """A refusal that goes on to ask something else (算了不说了 店里还剩些货 咋处理掉好): the NLU read
    the message as another matter, and a clause after the first asks it."""
    rest = [c for c in CLAUSE_RE.split(text.strip()) if c][1:]
    return (parse.capability not in MOVED_ON and not parse.is_fallback
            and any(ASKING_RE.search(c) for c in rest))


def request_help(turn: Turn, reason: str, text: str) -> None:
    """The person said yes to sharing the conversation: the engine opens the ticket and says so."""
    turn.state["fallbacks"] = 0
    turn.events.append({"type": "help_request", "priority": "normal", "reason": reason, "consent": True})


def missed(ctx: Context, turn: Turn, first: str = "") -> bool:
    """Count a misunderstanding; at the limit, offer a social worker (True when offered)."""
    st = turn.state
    st["fallbacks"] = int(st.get("fallbacks", 0)) + 1
    if st["fallbacks"] < ctx.fallbacks_before_handoff or waiting(st) or st.get("worker"):
        return False  # not yet; or a social worker is already on the way (or is the one writing)
    ask(st, "handoff_offer", reason="fallbacks")
    if first:
        say(turn, first)
    say(turn, T.OFFER_HUMAN, answer_buttons("handoff_offer", T.OFFER_HUMAN_BUTTONS))
    return True

