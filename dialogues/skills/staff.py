"""Registered social workers in chat: the queue, taking a ticket, its summary, closing, handing back.

A worker registered with ``linli workers add`` who writes 现在几个人在排队 / 接下一个 /
看3号单的摘要 / 结了吧 / 退回队列, in these or any words, is answered from the ticket queue
itself, through ``ctx.desk``: the engine injects it (``bot.desk.Desk``), and it calls the same
``Handoff`` functions as ``linli handoff`` and the Telegram staff commands (queue, claim, the
summary, close, release). The op is read from the cues of the expectations file first, then
from the NLU's staff intents (``nlu/data/staff_handoff.yml``), which count only for a registered
worker (``for_role``): the role comes first (``first``: before a classifier-only urgent guess). The
engine also tells the state who is registered (``state["worker"]``), fresh every message, so
a worker removed from the list loses these answers at once. Someone who only says 我是社工
gets no staff powers: they are told kindly how to be registered.

What a worker may ask is data (``dialogues/expectations/staff.yml``); this module only reads it.
A worker looking a hotline up for a resident (老人走丢了 先打哪个电话) gets the hotline and no
urgent ticket of their own (``referral``).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Protocol

from dialogues import texts as T
from dialogues.skills import answers, urgent
from dialogues.skills.base import Context, cues, expectations, serve, say
from dialogues.state import State, pause, persona
from dialogues.turn import Turn
from dialogues.understand import SOCIAL_WORKER_SELF_RE, persona_of_intro, plain, synthetic
from nlu.fallback import FALLBACK_INTENT
from nlu.result import ParseResult

CAPABILITY = "staff"
CN_NUMBERS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
MAX_LISTED = 8  # tickets listed in one reply; the rest are counted
RUNNER_UP = 0.3  # a staff intent this strong behind a classifier-only urgent guess names the op
# Re-reading a staff parse for someone who is no worker: the NLU's fallback threshold and margin (config.yml).
REREAD_THRESHOLD, REREAD_MARGIN = 0.4, 0.05


class Desk(Protocol):
    """The ticket queue as a social worker works it (``bot.desk.Desk`` is the real one)."""

    def queue(self) -> list[dict[str, Any]]:
        """Open tickets, urgent first: id, priority, status, worker, asked."""

    def claim(self, ticket_id: int, worker_id: str) -> dict[str, Any] | None:
        """Claim this waiting ticket for the worker (the person is told); None when it no longer waits."""

    def close(self, ticket_id: int, worker_id: str) -> dict[str, Any] | None:
        """Close the worker's own ticket (the person is told); None when refused."""

    def release(self, ticket_id: int, worker_id: str) -> dict[str, Any] | None:
        """Give the worker's own ticket back to the queue (the person is told); None when refused."""

    def summary(self, ticket_id: int) -> dict[str, Any] | None:
        """A ticket's summary and the messages since (id, priority, status, worker, summary, since)."""

    def mine(self, worker_id: str) -> list[dict[str, Any]]:
        """The open tickets this worker has claimed."""

    def counts(self, days: int) -> dict[str, int]:
        """Tickets opened in the last ``days`` days: tickets, urgent."""


def _ops() -> list[tuple[str, bool, re.Pattern[str], re.Pattern[str] | None]]:
    ops = []
    for op in expectations("staff")["ops"]:
        unless = cues(op["unless"]) if op.get("unless") else None
        ops.append((str(op["op"]), bool(op.get("ticket")), cues(op["cues"]), unless))
    return ops


def worker(st: State) -> dict[str, Any] | None:
    """The registered social worker writing, as the engine found them this message, else None."""
    found = st.get("worker")
    return found if isinstance(found, dict) and found.get("id") else None


def which_op(st: State, text: str, parse: ParseResult | None = None) -> tuple[str, int | None] | None:
    """The staff op the message asks for and the ticket number it names, or None.

    The cues of ``staff.yml`` first, then the NLU's staff intent; a close or a hand-back asked as
    a question (咋把这单关掉) is how it is done (``close_how``, ``handback_how``).
    """
    data = expectations("staff")
    number = _ticket_number(text, data["ticket_number"])
    last = st.get("staff_last") or {}
    follow = re.search(data["ticket_followup"], text)
    if follow and last.get("ticket"):
        return str(last["op"]), int(follow.group(3))  # 那1号呢: the same question about another ticket
    found: tuple[str, bool] | None = None
    for op, takes_ticket, pattern, unless in _ops():
        if pattern.search(text) and not (unless and unless.search(text)):
            found = op, takes_ticket
            break
    if found is None and parse is not None and parse.intent in data["intents"]:
        found = str(data["intents"][parse.intent]), True
    if found is None:
        return None
    op, takes_ticket = found
    if op in ("close", "handback") and cues(data["asks_how"]).search(text):
        op += "_how"
    return op, number if takes_ticket else None


def _ticket_number(text: str, pattern: str) -> int | None:
    m = re.search(pattern + r"(?=单|的|摘要|$|\W)", text)
    if m:
        return int(m.group(1))
    m = re.search(r"([一二三四五六七八九十])号单?", text)
    return CN_NUMBERS[m.group(1)] if m else None


def expected(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> bool:
    """A registered worker's operational question (or a would-be worker's): answered here, first."""
    st = turn.state
    asked = which_op(st, text, parse)
    if asked is not None and st.get("flow") in ctx.flows and parse.intent.startswith("nav_"):
        asked = None  # 下一个 inside a tutorial is its next step, even from a worker
    if asked is None:
        if worker(st) and SOCIAL_WORKER_SELF_RE.search(plain(text)):
            st["slots"]["persona"] = "social_worker"
            serve(turn, CAPABILITY, "staff")
            say(turn, T.DESK_HELLO.format(name=worker(st)["name"]))  # type: ignore[index]
            return True
        return False
    if worker(st) is None:
        if persona_of_intro(text) == "social_worker":
            st["slots"]["persona"] = "social_worker"  # 我是社工 接第一个: said in the same breath
        if persona(st) != "social_worker":
            return False  # a resident asking 几个人在排队 is asking about their own wait (the hand-off skill)
        serve(turn, CAPABILITY, "staff")
        say(turn, T.DESK_NOT_REGISTERED)
        return True
    respond_op(ctx, turn, *asked, text=text)
    return True


def respond(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> None:
    """A staff question routed here directly: answered for a worker; from anyone else it was not understood."""
    if expected(ctx, turn, parse, text):
        return
    if worker(turn.state):
        respond_op(ctx, turn, "queue", None)
        return
    turn.capability = "out_of_scope"  # 排第几 from someone with no ticket and no staff role: not a staff question
    answers.fallback(ctx, turn, synthetic("nlu_fallback", text, "out_of_scope"), text)


def respond_op(ctx: Context, turn: Turn, op: str, number: int | None, text: str = "") -> None:
    """Do one staff op for the registered worker and say the result."""
    st = turn.state
    serve(turn, CAPABILITY, "staff")
    me = worker(st) or {}
    if st.get("flow"):
        pause(st, st["flow"], st.get("step", 0))  # a tutorial the worker was reading waits
        st["flow"] = None
    st["staff_last"] = {"op": op, "ticket": op == "summary"}
    desk: Desk | None = ctx.desk
    static = {"register": T.DESK_REGISTERED.format(name=me.get("name", "")), "close_how": T.DESK_CLOSE_HOW,
              "reply_how": T.DESK_REPLY_HOW, "takeover_how": T.DESK_TAKEOVER_HOW, "downgrade_how": T.DESK_DOWNGRADE_HOW,
              "handback_how": T.DESK_HANDBACK_HOW}
    if op in static:
        say(turn, static[op])
        if op in ("close_how", "handback_how") and desk is not None:
            mine = desk.mine(str(me["id"]))
            if mine:
                say(turn, (T.DESK_CLOSE_YOURS if op == "close_how" else T.DESK_HANDBACK_YOURS).format(
                    tickets="、".join(f"{t['id']}号" for t in mine)))
        return
    if desk is None:
        say(turn, T.DESK_NO_DESK)
        return
    if op == "queue":
        say_queue(turn, desk.queue())
    elif op == "urgent":
        urgent = [t for t in desk.queue() if t["priority"] == "urgent" and t["status"] == "waiting"]
        if urgent:
            say(turn, "\n".join([T.DESK_URGENT_HEAD.format(n=len(urgent)), *(_line(t) for t in urgent[:MAX_LISTED])]))
        else:
            say(turn, T.DESK_URGENT_NONE)
    elif op == "mine":
        mine = desk.mine(str(me["id"]))
        if mine:
            say(turn, "\n".join([T.DESK_MINE_HEAD.format(n=len(mine)), *(_line(t) for t in mine[:MAX_LISTED])]))
        else:
            say(turn, T.DESK_MINE_NONE)
    elif op == "claim":
        claim(turn, desk, str(me["id"]), number, text)
    elif op == "summary":
        say_summary(turn, desk, number, str(me["id"]), text)
    elif op in ("close", "handback"):
        finish(turn, desk, op, number, str(me["id"]))
    elif op == "report":
        counts = desk.counts(30)
        say(turn, T.DESK_REPORT.format(tickets=counts.get("tickets", 0), urgent=counts.get("urgent", 0)))


def _kind(t: dict[str, Any]) -> str:
    return "紧急" if t.get("priority") == "urgent" else "普通"


def _line(t: dict[str, Any]) -> str:
    status = "等人接" if t.get("status") == "waiting" else "已接"
    who = f"（{t['worker']}）" if t.get("worker") else ""
    mark = "🚨紧急" if t.get("priority") == "urgent" else "普通"
    return T.DESK_QUEUE_LINE.format(id=t["id"], mark=mark, status=status, who=who, asked=str(t.get("asked", ""))[:40])


def say_queue(turn: Turn, tickets: list[dict[str, Any]]) -> None:
    """How many wait (urgent first), and one line per ticket."""
    if not tickets:
        say(turn, T.DESK_QUEUE_EMPTY)
        return
    waiting = [t for t in tickets if t["status"] == "waiting"]
    head = T.DESK_QUEUE_HEAD.format(waiting=len(waiting), urgent=sum(t["priority"] == "urgent" for t in waiting),
                                     claimed=len(tickets) - len(waiting))
    lines = [head, *(_line(t) for t in tickets[:MAX_LISTED])]
    if waiting:
        lines.append(T.DESK_QUEUE_TAIL)
    say(turn, "\n".join(lines))


def waiting_one(st: State, desk: Desk, text: str) -> dict[str, Any] | None:
    """The waiting ticket a summary or a claim means: the one just shown (就接它), the one waiting
    longest (等得最早那个), else the head of the queue (urgent first); None when none waits."""
    data = expectations("staff")
    waiting = [t for t in desk.queue() if t["status"] == "waiting"]
    if not waiting:
        return None
    shown = [t for t in waiting if t["id"] == st.get("staff_shown")]
    if shown and cues(data["shown"]).search(text) and not cues(data["head"]).search(text):
        return shown[0]
    if cues(data["oldest"]).search(text):
        return min(waiting, key=lambda t: int(t["id"]))
    return waiting[0]


def claim(turn: Turn, desk: Desk, worker_id: str, number: int | None, text: str) -> None:
    """接下一个 / 把等得最早那个给我 / 就接它: that waiting ticket becomes the worker's; its summary follows."""
    target = desk.summary(number) if number is not None else waiting_one(turn.state, desk, text)
    if target is None or target.get("status") != "waiting":
        say(turn, T.DESK_CLAIM_NONE if number is None else T.DESK_CLAIM_FAILED)
        return
    ticket = desk.claim(int(target["id"]), worker_id)
    if ticket is None:
        say(turn, T.DESK_CLAIM_FAILED)
        return
    turn.state["staff_ticket"] = ticket["id"]
    turn.state.pop("staff_shown", None)
    say(turn, T.DESK_CLAIMED.format(ticket=ticket["id"], kind=_kind(ticket)) + "\n" + str(ticket.get("summary", "")))
    say(turn, T.DESK_REPLY_HOW)


def my_ticket(st: State, desk: Desk, worker_id: str, number: int | None) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The worker's ticket a close or a hand-back means (the one named, the one taken here, the only
    one), and all of theirs."""
    mine = desk.mine(worker_id)
    wanted = number if number is not None else st.get("staff_ticket")
    found = [t for t in mine if t["id"] == wanted]
    if found:
        return found[0], mine
    return (mine[0] if len(mine) == 1 and number is None else None), mine


def finish(turn: Turn, desk: Desk, op: str, number: int | None, worker_id: str) -> None:
    """结了吧 / 退回队列: the worker's ticket is closed, or waits in the queue again; the person is told."""
    ticket, mine = my_ticket(turn.state, desk, worker_id, number)
    if ticket is None:
        if mine:
            say(turn, T.DESK_WHICH_OF_MINE.format(tickets="、".join(f"{t['id']}号" for t in mine)))
        else:
            say(turn, T.DESK_MINE_NONE_TO.format(what="结" if op == "close" else "退回"))
        return
    done = desk.close(int(ticket["id"]), worker_id) if op == "close" else desk.release(int(ticket["id"]), worker_id)
    if done is None:
        say(turn, T.DESK_FINISH_FAILED.format(ticket=ticket["id"]))
        return
    turn.state.pop("staff_ticket", None)
    say(turn, (T.DESK_CLOSED if op == "close" else T.DESK_HANDED_BACK).format(ticket=ticket["id"]))


def say_summary(turn: Turn, desk: Desk, number: int | None, worker_id: str, text: str = "") -> None:
    """A ticket's summary: the one named, else the one this worker took, else the waiting one meant
    (头一个是啥事 / 哪个等得最久), which a claim may then take (就接它)."""
    st = turn.state
    data = expectations("staff")
    if number is None and not cues(data["head"]).search(text) and not cues(data["oldest"]).search(text):
        mine = desk.mine(worker_id)
        number = st.get("staff_ticket")
        if mine and number not in [t["id"] for t in mine]:
            number = mine[-1]["id"]
        if not mine:
            number = None
    if number is None:
        head = waiting_one(st, desk, text)
        if head is None:
            say(turn, T.DESK_SUMMARY_NONE_WAITING)
            return
        number = int(head["id"])
    found = desk.summary(int(number))
    if found is None:
        say(turn, T.DESK_SUMMARY_NONE.format(ticket=number))
        return
    status = {"waiting": "等人接", "claimed": "已接", "closed": "已结束"}.get(str(found["status"]), str(found["status"]))
    who = f"，{found['worker']}" if found.get("worker") else ""
    lines = [T.DESK_SUMMARY.format(ticket=found["id"], kind=_kind(found), status=status, who=who),
             str(found.get("summary", ""))]
    since = found.get("since") or []
    if since:
        lines += [T.DESK_SUMMARY_SINCE, *(f"  {m}" for m in since[-5:])]
    if found["status"] == "waiting":
        st["staff_shown"] = found["id"]
        lines.append(T.DESK_SUMMARY_TAKE)
    say(turn, "\n".join(lines))


# ---- the role first ------------------------------------------------------------------------

def for_role(st: State, parse: ParseResult) -> ParseResult:
    """The parse as the writer's role reads it: the staff intents are only a registered worker's.

    For anyone else (unless they wait in the queue, whose queue words are about their own place,
    or say they are a social worker, who are told how to be registered) the staff intents are
    taken out of the ranking and the rest renormalised, as if the classifier had never had them:
    a resident's 这单我不要了 退了吧 is about their order again, not a ticket hand-back.
    """
    staff_read = parse.capability == CAPABILITY or (parse.ranking and parse.ranking[0][2] == CAPABILITY)
    if not staff_read or worker(st) or persona(st) == "social_worker" or st.get("handoff"):
        return parse
    rest = [(i, c, cap) for i, c, cap in parse.ranking if cap != CAPABILITY]
    total = sum(c for _, c, _ in rest)
    ranking = tuple((i, c / total, cap) for i, c, cap in rest) if total > 0 else ()
    if parse.capability != CAPABILITY:  # a weak guess: only the ranking ("您是不是想问") loses the staff intents
        return dataclasses.replace(parse, ranking=ranking)
    second = ranking[1][1] if len(ranking) > 1 else 0.0
    if ranking and ranking[0][1] >= REREAD_THRESHOLD and ranking[0][1] - second >= REREAD_MARGIN:
        intent, confidence, cap = ranking[0]
        return dataclasses.replace(parse, intent=intent, capability=cap, confidence=confidence, ranking=ranking)
    return dataclasses.replace(parse, intent=FALLBACK_INTENT, capability="out_of_scope",
                               confidence=ranking[0][1] if ranking else 0.0, ranking=ranking)


# ---- the role first, before an urgent guess --------------------------------------------------

def first(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> bool:
    """A registered worker's message read as urgent: a look-up for someone else (``referral``), or
    queue words the classifier alone took for an alarm (这单办好了 关了吧). An urgent rule always wins."""
    if referral(ctx, turn, parse, text):
        return True
    st = turn.state
    if worker(st) is None or parse.capability != "urgent" or urgent.check.rule_fired(parse, text):
        return False
    runner_up = next((i for i, c, _ in parse.ranking if i != parse.intent and c >= RUNNER_UP), "")
    asked = which_op(st, text, dataclasses.replace(parse, intent=runner_up))
    if asked is None:
        return False
    turn.intent, turn.capability = runner_up or parse.intent, CAPABILITY
    respond_op(ctx, turn, *asked, text=text)
    return True


# ---- a worker looking a hotline up for someone else -----------------------------------------

def referral(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> bool:
    """老人走丢了 家属问我先打哪个电话 from a registered worker: the hotline, and no urgent ticket.

    Only for registered workers, and only when the message names someone else and asks for a
    number (or is a short 的呢 right after such a look-up); anything else urgent stays urgent.
    """
    st = turn.state
    if worker(st) is None or parse.capability != "urgent":
        return False
    data = expectations("staff")["referral"]
    again = (st.get("staff_last") or {}).get("op") == "referral" and cues(data["followup"]).search(text)
    if not again and not (cues(data["someone_else"]).search(text) and cues(data["lookup"]).search(text)):
        return False
    serve(turn, "policy", "staff")
    st["staff_last"] = {"op": "referral", "ticket": False}
    say(turn, T.DESK_REFERRAL + "\n" + urgent.urgent_text(parse.intent))
    return True
