"""Registered social workers in chat: the queue, the next ticket, a summary, how to close.

A worker registered with ``linli workers add`` who writes 现在几个人在排队 / 接下一个 /
看3号单的摘要 / 怎么结单 is answered from the ticket queue itself, through ``ctx.desk``: the
engine injects it (``bot.desk.Desk``), and it calls the same ``Handoff`` functions as
``linli handoff`` and the Telegram staff commands (queue, claim, the summary, close). The
engine also tells the state who is registered (``state["worker"]``), fresh every message, so
a worker removed from the list loses these answers at once. Someone who only says 我是社工
gets no staff powers: they are told kindly how to be registered.

What a worker may ask is data (``dialogues/expectations/staff.yml``); this module only reads it.
A worker looking a hotline up for a resident (老人走丢了 先打哪个电话) gets the hotline and no
urgent ticket of their own (``referral``).
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from dialogues import texts as T
from dialogues.skills import urgent
from dialogues.skills.base import Context, cues, expectations, serve, say
from dialogues.state import State, pause, persona
from dialogues.turn import Turn
from dialogues.understand import SOCIAL_WORKER_SELF_RE, persona_of_intro, plain
from nlu.result import ParseResult

CAPABILITY = "staff"
CN_NUMBERS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
MAX_LISTED = 8  # tickets listed in one reply; the rest are counted


class Desk(Protocol):
    """The ticket queue as a social worker works it (``bot.desk.Desk`` is the real one)."""

    def queue(self) -> list[dict[str, Any]]:
        """Open tickets, urgent first: id, priority, status, worker, asked."""

    def claim_next(self, worker_id: str) -> dict[str, Any] | None:
        """Claim the first waiting ticket for this worker (the person is told); None when none waits."""

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


def which_op(st: State, text: str) -> tuple[str, int | None] | None:
    """The staff op the message asks for and the ticket number it names, or None."""
    data = expectations("staff")
    number = _ticket_number(text, data["ticket_number"])
    last = st.get("staff_last") or {}
    follow = re.search(data["ticket_followup"], text)
    if follow and last.get("ticket"):
        return str(last["op"]), int(follow.group(3))  # 那1号呢: the same question about another ticket
    for op, takes_ticket, pattern, unless in _ops():
        if pattern.search(text) and not (unless and unless.search(text)):
            return op, number if takes_ticket else None
    return None


def _ticket_number(text: str, pattern: str) -> int | None:
    m = re.search(pattern + r"(?=单|的|摘要|$|\W)", text)
    if m:
        return int(m.group(1))
    m = re.search(r"([一二三四五六七八九十])号单?", text)
    return CN_NUMBERS[m.group(1)] if m else None


def expected(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> bool:
    """A registered worker's operational question (or a would-be worker's): answered here, first."""
    st = turn.state
    asked = which_op(st, text)
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
    respond_op(ctx, turn, *asked)
    return True


def respond(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> None:
    """A staff question routed here directly: answered when it is one, else the queue."""
    if not expected(ctx, turn, parse, text):
        respond_op(ctx, turn, "queue", None)


def respond_op(ctx: Context, turn: Turn, op: str, number: int | None) -> None:
    """Do one staff op for the registered worker and say the result."""
    st = turn.state
    serve(turn, CAPABILITY, "staff")
    me = worker(st) or {}
    if st.get("flow"):
        pause(st, st["flow"], st.get("step", 0))  # a tutorial the worker was reading waits
        st["flow"] = None
    st["staff_last"] = {"op": op, "ticket": op == "summary"}
    desk: Desk | None = ctx.desk
    static = {"register": T.DESK_REGISTERED.format(name=me.get("name", "")), "close_how": T.DESK_CLOSE_HOW, "reply_how": T.DESK_REPLY_HOW, "takeover_how": T.DESK_TAKEOVER_HOW,
              "downgrade_how": T.DESK_DOWNGRADE_HOW}
    if op in static:
        say(turn, static[op])
        if op == "close_how" and desk is not None:
            mine = desk.mine(str(me["id"]))
            if mine:
                say(turn, T.DESK_CLOSE_YOURS.format(tickets="、".join(f"{t['id']}号" for t in mine)))
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
        claim_next(turn, desk, str(me["id"]))
    elif op == "summary":
        say_summary(turn, desk, number, str(me["id"]))
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


def claim_next(turn: Turn, desk: Desk, worker_id: str) -> None:
    """接下一个: the first waiting ticket (urgent first) becomes the worker's; its summary follows."""
    queue = desk.queue()
    if not any(t["status"] == "waiting" for t in queue):
        say(turn, T.DESK_CLAIM_NONE)
        return
    ticket = desk.claim_next(worker_id)
    if ticket is None:
        say(turn, T.DESK_CLAIM_FAILED)
        return
    turn.state["staff_ticket"] = ticket["id"]
    say(turn, T.DESK_CLAIMED.format(ticket=ticket["id"], kind=_kind(ticket)) + "\n" + str(ticket.get("summary", "")))
    say(turn, T.DESK_REPLY_HOW)


def say_summary(turn: Turn, desk: Desk, number: int | None, worker_id: str) -> None:
    """A ticket's summary: the one named, else the one this worker took last."""
    st = turn.state
    if number is None:
        number = st.get("staff_ticket")
        mine = desk.mine(worker_id)
        if mine and number not in [t["id"] for t in mine]:
            number = mine[-1]["id"]
    if number is None:
        say(turn, T.DESK_SUMMARY_WHICH)
        return
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
    say(turn, "\n".join(lines))


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
