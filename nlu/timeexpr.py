"""Times in Chinese for reminders: 明天早上8点, 后天下午, 周六, 半小时后, 每周三, 每天晚上八点.

JioNLP (``jionlp.ner.extract_time``) finds and reads the time expression; this module turns
its answer into one reminder time:

- a whole day (明天, 周六, 12月10号) is 9:00 that day (``DEFAULT_HOUR``); a part of the day
  (后天下午) is its start, and a clock time (8点, 九点半) is that minute;
- a weekday or a clock time already past this week or today (周三 on a Saturday, 早上7点 at
  night) is the next one, unless the words say today (今天下午3点 at 22:00 is ``past``);
- 每天 / 每周X / 每月X号 repeat; the first time is the next one from now.

The time base is the caller's clock (``now``, timezone-aware), so tests use a fake clock.
JioNLP prints a banner on import; it is imported once, lazily, with stdout captured.
"""

from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

DEFAULT_HOUR = 9  # a reminder for a whole day (明天提醒我…) comes at 9:00
TODAY_RE = re.compile(r"今天|今早|今晚|今儿|今日|今个")
WEEKDAY_RE = re.compile(r"(周|星期|礼拜)[一二三四五六日天1-7]")
REMIND_RE = re.compile(
    r"(请|麻烦|帮我|你|到时候|到点|记得|定个|设个|设置|一下|个)*(提醒|叫|喊|通知)(一下)?(我|俺|咱)?(一下|一声)?"
)
FILLER_RE = re.compile(
    r"^\s*(请你|请|麻烦你|麻烦|帮我|帮忙|你|到时候|到时|到点|记得|一下|让我|定个提醒|设个提醒|提醒)+"
    r"|(别让我忘了|别忘了|好吗|行吗|可以吗|谢谢|一下)+\s*$"
)
AFTER_RE = re.compile(r"(?<=[钟时天周月])(以后|之后)")
TASK_TRIM = "，,。.！!？?、 ~～…的了吧啊呀哈嘛"

_jio: Any = None


def _jionlp() -> Any:
    global _jio
    if _jio is None:
        with contextlib.redirect_stdout(io.StringIO()):  # it prints its banner on import
            import jionlp

        _jio = jionlp
    return _jio


@dataclass(frozen=True)
class When:
    """A reminder time read from a message."""

    due: datetime  # the first time, in the timezone of ``now``
    repeat: dict[str, int] | None  # {"day": 1}, {"day": 7} or {"month": 1}; None for once
    words: str  # the time expression as written (明天早上8点)
    past: bool = False  # the words name a time already gone (今天下午3点 said at 22:00)


def find_time(text: str, now: datetime) -> tuple[When | None, str]:
    """The reminder time in ``text`` and the text without it; (None, text) when there is none.

    ``now`` is timezone-aware; the time is read in that timezone and returned in it.
    """
    base = now.replace(tzinfo=None)
    text = AFTER_RE.sub("后", text)  # 十分钟以后 / 两天之后: JioNLP reads 后
    try:
        found = _jionlp().ner.extract_time(text, time_base=base.timestamp(), with_parsing=True)
    except Exception:  # noqa: BLE001 - a library failure on odd words means no time, never a crash
        return None, text
    for item in found:
        when = _read(item, base, now)
        if when is not None:
            start, end = item["offset"]
            return when, text[:start] + " " + text[end:]
    return None, text


def task_of(rest: str) -> str:
    """What to be reminded of: 明天早上8点提醒我去取菜 -> 取菜 (the time already taken out)."""
    task = REMIND_RE.sub(" ", rest)
    for _ in range(3):  # 麻烦你 … / … 别让我忘了: polite words around the task, wherever the time was
        task = FILLER_RE.sub(" ", task.strip(TASK_TRIM + " "))
    task = re.sub(r"\s+", " ", task).strip(TASK_TRIM + " ")
    return task[:60]


def next_time(due: datetime, repeat: dict[str, int], after: datetime) -> datetime:
    """The first time of a repeating reminder later than ``after``."""
    t = due
    while t <= after:
        t = _add(t, repeat)
    return t


def _add(t: datetime, repeat: dict[str, int]) -> datetime:
    if repeat.get("month"):
        month = t.month - 1 + int(repeat["month"])
        year, month = t.year + month // 12, month % 12 + 1
        day = min(t.day, _days_in(year, month))
        return t.replace(year=year, month=month, day=day)
    return t + timedelta(days=int(repeat.get("day", 1)))


def _days_in(year: int, month: int) -> int:
    nxt = datetime(year + (month == 12), month % 12 + 1, 1)
    return (nxt - timedelta(days=1)).day


def _read(item: dict[str, Any], base: datetime, now: datetime) -> When | None:
    detail = item.get("detail") or {}
    words = str(item.get("text", ""))
    kind = detail.get("type")
    if kind == "time_point":
        span = detail.get("time")
        repeat = None
    elif kind == "time_period":
        period = detail.get("time") or {}
        delta = period.get("delta") or {}
        span = (period.get("point") or {}).get("time")
        repeat = _repeat(delta)
        if repeat is None:
            return None
    else:
        return None  # a span (这周) or a duration (三天) is no moment to remind at
    if not isinstance(span, list) or len(span) != 2:
        return None
    try:
        start, end = (datetime.strptime(s, "%Y-%m-%d %H:%M:%S") for s in span)
    except (TypeError, ValueError):
        return None
    due = start.replace(hour=DEFAULT_HOUR) if end - start >= timedelta(hours=23) else start
    due = due.replace(second=0, microsecond=0)
    past = False
    if repeat is not None:
        due = next_time(due, repeat, base)
    elif due <= base:
        if TODAY_RE.search(words) or not (WEEKDAY_RE.search(words) or _clock_only(words)):
            past = True
        else:
            due = next_time(due, {"day": 7 if WEEKDAY_RE.search(words) else 1}, base)
    return When(due.replace(tzinfo=now.tzinfo), repeat, words, past)


def _clock_only(words: str) -> bool:
    """早上7点 / 八点半: a time of day with no day named (the next one is meant)."""
    return not re.search(r"天|日|号|月|年|周|星期|礼拜|今|明|后|昨|前|下|上个|这个", re.sub(r"上午|下午|晚上|早上|中午|傍晚|凌晨|夜里|白天", "", words))


def _repeat(delta: dict[str, Any]) -> dict[str, int] | None:
    """每天 {"day": 1}, 每周 {"day": 7}, 每月 {"month": 1}; anything else (每小时, 每年) is not offered."""
    keys = {k: int(v) for k, v in delta.items() if v}
    if keys == {"day": 1}:
        return {"day": 1}
    if keys in ({"day": 7}, {"week": 1}):
        return {"day": 7}
    if keys == {"month": 1}:
        return {"month": 1}
    return None


WEEKDAYS = "一二三四五六日"


def describe(due: datetime, now: datetime, repeat: dict[str, int] | None = None) -> str:
    """明天（12月7日）早上8:00 / 每周六 上午9:00 / 12月10日（周四）上午9:00: how a time is said to a person."""
    due = due.astimezone(now.tzinfo)
    clock = f"{_part_of_day(due.hour)}{(due.hour - 1) % 12 + 1}:{due.minute:02d}"
    if repeat == {"day": 1}:
        return f"每天{clock}"
    if repeat == {"day": 7}:
        return f"每周{WEEKDAYS[due.weekday()]}{clock}"
    if repeat == {"month": 1}:
        return f"每月{due.day}号{clock}"
    days = (due.date() - now.date()).days
    date = f"{due.month}月{due.day}日"
    name = {0: "今天", 1: "明天", 2: "后天"}.get(days)
    if name:
        return f"{name}（{date}）{clock}"
    if due.year != now.year:
        date = f"{due.year}年{date}"
    return f"{date}（周{WEEKDAYS[due.weekday()]}）{clock}"


def _part_of_day(hour: int) -> str:
    if hour < 5:
        return "凌晨"
    if hour < 9:
        return "早上"
    if hour < 12:
        return "上午"
    if hour < 13:
        return "中午"
    if hour < 18:
        return "下午"
    return "晚上"
