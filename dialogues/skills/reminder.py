"""Reminders: 明天早上8点提醒我去取菜, 每周六提醒我买药, 我的提醒, 取消提醒.

The skill reads the request (the time with ``nlu.timeexpr``, what to be reminded of) and asks
for the time when none was said. Storing is the engine's (``bot/reminders.py``): the skill
emits an event, and the engine, once the reminder is stored, calls back ``confirm_set`` so
the person is told only what was really kept. Listing and cancelling work the same way: the
engine reads the person's reminders and calls ``show_list`` / ``ask_cancel``.

Cancelling needs an explicit yes: the question's own button, or 确定/取消吧… typed while it
is pending, or the button naming that reminder.
"""

from __future__ import annotations

from typing import Any

from dialogues import texts as T
from dialogues.skills.base import Context, answer_buttons, drop_question, say
from dialogues.state import answered, ask
from dialogues.turn import Turn
from dialogues.understand import clear_yes, yes_or_no
from nlu.result import ParseResult
from nlu.timeexpr import describe, find_time, task_of

CAPABILITY = "reminder"
PENDING_TIME = "reminder_time"
PENDING_CANCEL = "reminder_cancel"
CANCEL_YES = frozenset({"确定", "确认", "是", "是的", "对", "取消", "取消吧", "确定取消", "不要了", "可以", "1"})


def respond(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> None:
    """Set, list or cancel reminders."""
    if parse.intent == "reminder_list":
        turn.events.append({"type": "reminder_list"})
    elif parse.intent == "reminder_cancel":
        turn.events.append({"type": "reminder_cancel"})
    else:
        request(ctx, turn, parse.text or text, "")


def request(ctx: Context, turn: Turn, text: str, task: str) -> None:
    """A reminder asked for: stored by the engine when the time is clear, else the time is asked."""
    now = ctx.clock()
    when, rest = find_time(text, now)
    task = task or task_of(rest)
    if when is None:
        ask(turn.state, PENDING_TIME, task=task)
        say(turn, T.REMINDER_ASK_TIME)
    elif when.past:
        ask(turn.state, PENDING_TIME, task=task)
        say(turn, T.REMINDER_PAST.format(words=when.words))
    else:
        answered(turn.state)
        turn.events.append({"type": "reminder_add", "task": task, "due": when.due.isoformat(),
                            "repeat": when.repeat})


def answer_time(ctx: Context, turn: Turn, pending: dict[str, Any], parse: ParseResult, text: str) -> bool:
    """The answer to 您想让我什么时候提醒您: a time, a no, or something else (the question is dropped)."""
    when, _ = find_time(text, ctx.clock())
    _, no = yes_or_no(parse, text)
    if when is not None:
        turn.intent, turn.capability = "reminder_set", CAPABILITY
        request(ctx, turn, text, str(pending.get("task") or ""))
        return True
    if no:
        answered(turn.state)
        say(turn, T.REMINDER_NOT_SET)
        return True
    drop_question(ctx, turn, parse, text, T.REMINDER_NOT_SET, (PENDING_TIME,))
    return True


# ---- called back by the engine ---------------------------------------------------------------

def confirm_set(turn: Turn, when: str, task: str) -> None:
    """The reminder is stored: say when, and what."""
    say(turn, T.REMINDER_SET.format(when=when, task=task or T.REMINDER_NO_TASK))


def refuse_set(turn: Turn, limit: int) -> None:
    """Too many reminders already: nothing stored."""
    say(turn, T.REMINDER_TOO_MANY.format(limit=limit))


def show_list(turn: Turn, items: list[tuple[int, str]]) -> None:
    """我的提醒: ``items`` are (id, "明天（12月7日）早上8:00 去取菜"), soonest first."""
    if not items:
        say(turn, T.REMINDER_NONE)
        return
    lines = "\n".join(f"{n}. {label}" for n, (_, label) in enumerate(items, start=1))
    say(turn, T.REMINDER_LIST.format(lines=lines), ((T.REMINDER_CANCEL_BUTTON, {"intent": "reminder_cancel"}),))


def ask_cancel(turn: Turn, items: list[tuple[int, str]]) -> None:
    """取消提醒: one reminder is asked about by name; several are offered as buttons, one per reminder."""
    if not items:
        say(turn, T.REMINDER_NONE)
        return
    if len(items) == 1:
        rid, label = items[0]
        ask(turn.state, PENDING_CANCEL, id=rid)
        say(turn, T.REMINDER_CANCEL_ONE.format(label=label), answer_buttons(PENDING_CANCEL, T.REMINDER_CANCEL_YES_NO))
        return
    lines = "\n".join(f"{n}. {label}" for n, (_, label) in enumerate(items, start=1))
    buttons = tuple((T.REMINDER_CANCEL_NUMBER.format(n=n), {"reminder_cancel": rid})
                    for n, (rid, _) in enumerate(items, start=1))
    say(turn, T.REMINDER_CANCEL_WHICH.format(lines=lines), buttons)


def answer_cancel(ctx: Context, turn: Turn, pending: dict[str, Any], parse: ParseResult, text: str,
                  pressed: str | None) -> bool:
    """要取消这个提醒吗: only its own yes button or a clear typed yes cancels."""
    vague, no = yes_or_no(parse, text)
    if pressed == "yes" or (pressed is None and clear_yes(text, CANCEL_YES)):
        answered(turn.state)
        turn.intent, turn.capability = "reminder_cancel", CAPABILITY
        turn.events.append({"type": "reminder_cancel", "id": pending.get("id")})
        return True
    if pressed == "no" or no:
        answered(turn.state)
        say(turn, T.REMINDER_KEPT)
        return True
    if vague and not pending.get("reasked"):  # 好 / 嗯: not clear enough to cancel; asked once more
        ask(turn.state, PENDING_CANCEL, id=pending.get("id"), reasked=True)
        say(turn, T.REMINDER_CANCEL_HOW, answer_buttons(PENDING_CANCEL, T.REMINDER_CANCEL_YES_NO))
        return True
    drop_question(ctx, turn, parse, text, T.REMINDER_KEPT, (PENDING_CANCEL,))
    return True


def cancel_pressed(turn: Turn, reminder_id: int) -> None:
    """The button naming one reminder was pressed: cancel that one."""
    turn.intent, turn.capability = "reminder_cancel", CAPABILITY
    turn.events.append({"type": "reminder_cancel", "id": int(reminder_id)})


def confirm_cancel(turn: Turn, label: str | None) -> None:
    """Cancelled (``label``), or it was already gone (None)."""
    say(turn, T.REMINDER_CANCELLED.format(label=label) if label else T.REMINDER_GONE)


def label(due: Any, now: Any, repeat: dict[str, int] | None, task: str) -> str:
    """How one reminder is listed: 明天（12月7日）早上8:00 去取菜."""
    return f"{describe(due, now, repeat)} {task or T.REMINDER_NO_TASK}"
