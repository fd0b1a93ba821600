"""Reminders (issue 16): Chinese times, confirmation in words, storage, delivery, restarts, cancelling.

A fake clock drives everything: the engine, the dialogue and the reminder store read it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import messages as M
from bot.models import IncomingMessage
from bot.outbox import Outbox
from bot.reminders import KIND_FOLLOWUP, Reminders
from bot.store import open_db
from dialogues import texts as T
from nlu.timeexpr import describe, find_time, task_of

TZ = ZoneInfo("Asia/Shanghai")
MONDAY_9PM = datetime(2026, 12, 7, 21, 0, tzinfo=TZ)  # a Monday evening


class Clock:
    """A clock that only moves when told."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


# ---- reading the time ------------------------------------------------------------------------

@pytest.mark.parametrize("text, due, repeat", [
    ("明天早上8点提醒我去取菜", datetime(2026, 12, 8, 8, 0), None),
    ("周六提醒我买药", datetime(2026, 12, 12, 9, 0), None),  # a whole day: 9:00
    ("半小时后提醒我关火", datetime(2026, 12, 7, 21, 30), None),
    ("二十分钟以后叫我", datetime(2026, 12, 7, 21, 20), None),
    ("后天下午提醒我给孙子打电话", datetime(2026, 12, 9, 13, 0), None),
    ("早上7点提醒我", datetime(2026, 12, 8, 7, 0), None),  # already past today: tomorrow's
    ("周一上午十点提醒我", datetime(2026, 12, 14, 10, 0), None),  # today was Monday morning: next week's
    ("每周三提醒我", datetime(2026, 12, 9, 9, 0), {"day": 7}),
    ("每天晚上八点提醒我吃药", datetime(2026, 12, 8, 20, 0), {"day": 1}),  # 20:00 today is gone
    ("每个月1号提醒我交房租", datetime(2027, 1, 1, 9, 0), {"month": 1}),
])
def test_chinese_times_are_read_as_the_next_such_moment(text, due, repeat):
    when, _ = find_time(text, MONDAY_9PM)
    assert when is not None and not when.past
    assert when.due == due.replace(tzinfo=TZ) and when.repeat == repeat


def test_a_time_today_that_has_gone_is_past_not_moved():
    when, _ = find_time("今天下午3点提醒我", MONDAY_9PM)
    assert when is not None and when.past


@pytest.mark.parametrize("text", ["提醒我吃药", "帮我定个提醒", "你好"])
def test_no_time_is_none(text):
    assert find_time(text, MONDAY_9PM)[0] is None


@pytest.mark.parametrize("text, task", [
    ("明天早上8点提醒我去取菜", "去取菜"),
    ("每周六提醒我买药", "买药"),
    ("麻烦你后天下午提醒我一下 给孙子打电话", "给孙子打电话"),
    ("明天早上8点提醒我", ""),
])
def test_the_task_is_what_is_left(text, task):
    _, rest = find_time(text, MONDAY_9PM)
    assert task_of(rest) == task


def test_times_are_said_in_words():
    assert describe(datetime(2026, 12, 8, 8, 0, tzinfo=TZ), MONDAY_9PM) == "明天（12月8日）早上8:00"
    assert describe(datetime(2026, 12, 7, 21, 30, tzinfo=TZ), MONDAY_9PM) == "今天（12月7日）晚上9:30"
    assert describe(datetime(2026, 12, 12, 15, 0, tzinfo=TZ), MONDAY_9PM) == "12月12日（周六）下午3:00"
    assert describe(datetime(2026, 12, 9, 9, 0, tzinfo=TZ), MONDAY_9PM, {"day": 7}) == "每周三上午9:00"
    assert describe(datetime(2027, 1, 4, 12, 5, tzinfo=TZ), MONDAY_9PM) == "2027年1月4日（周一）中午12:05"


# ---- through the whole bot -------------------------------------------------------------------

@pytest.fixture
def clock():
    return Clock(MONDAY_9PM)


@pytest.fixture
def make_engine(settings, pipeline, tmp_path, clock):
    from bot.engine import Engine

    def build():
        return Engine.from_settings(settings, db=open_db(tmp_path / "linli.db"), pipeline=pipeline, clock=clock)

    return build


def say(engine, text, user="u", channel="terminal"):
    return engine.handle(IncomingMessage(user_id=user, text=text, channel=channel, chat_id=user))


def texts(out):
    return [r.text for r in out.replies]


def test_a_reminder_is_confirmed_in_words_and_stored(make_engine):
    engine = make_engine()
    out = say(engine, "明天早上8点提醒我去取菜")
    assert out.capability == "reminder"
    assert "明天（12月8日）早上8:00 提醒您：去取菜" in texts(out)[0]
    [r] = engine.reminders.active("u")
    assert r.task == "去取菜" and r.due == datetime(2026, 12, 8, 8, 0, tzinfo=TZ) and r.channel == "terminal"


def test_no_time_asks_for_one_and_the_answer_sets_it(make_engine):
    engine = make_engine()
    out = say(engine, "提醒我吃药")
    assert texts(out) == [T.REMINDER_ASK_TIME] and engine.reminders.active("u") == []
    out = say(engine, "每天早上7点")
    [r] = engine.reminders.active("u")
    assert r.task == "吃药" and r.repeat == {"day": 1} and "每天早上7:00 提醒您：吃药" in texts(out)[0]


def test_a_past_time_is_said_and_nothing_is_stored(make_engine):
    engine = make_engine()
    out = say(engine, "今天下午3点提醒我去取菜")
    assert "已经过了" in texts(out)[0] and engine.reminders.active("u") == []
    say(engine, "明天下午3点")
    assert [r.task for r in engine.reminders.active("u")] == ["去取菜"]


def test_a_due_reminder_comes_with_the_next_answer_once(make_engine, clock):
    engine = make_engine()
    say(engine, "半小时后提醒我关火")
    clock.advance(minutes=31)
    out = say(engine, "你好")
    assert texts(out)[0] == M.REMINDER_DUE.format(task="关火")  # on time: no late note
    assert engine.reminders.active("u") == []
    assert M.REMINDER_DUE.format(task="关火") not in texts(say(engine, "你好"))


def test_a_reminder_missed_while_stopped_is_sent_late_with_a_note_after_a_restart(make_engine, clock):
    say(make_engine(), "明天早上8点提醒我去取菜")
    clock.advance(days=2)  # the bot was off
    out = say(make_engine(), "在吗")  # a new engine on the same file
    first = texts(out)[0]
    assert first.startswith(M.REMINDER_DUE.format(task="去取菜"))
    assert "本来是12月8日（周二）早上8:00的，晚到了" in first


def test_a_repeating_reminder_moves_on_and_a_missed_week_is_sent_once(make_engine, clock):
    engine = make_engine()
    say(engine, "每周三提醒我买药")
    clock.now = datetime(2026, 12, 9, 9, 0, 30, tzinfo=TZ)
    assert engine.reminders.fire_due() != []
    [r] = engine.reminders.active("u")
    assert r.due == datetime(2026, 12, 16, 9, 0, tzinfo=TZ)
    clock.now = datetime(2026, 12, 31, 12, 0, tzinfo=TZ)  # two Wednesdays missed
    assert len(engine.reminders.fire_due()) == 1
    [r] = engine.reminders.active("u")
    assert r.due == datetime(2027, 1, 6, 9, 0, tzinfo=TZ)


def test_telegram_reminders_go_to_the_durable_outbox(make_engine, clock):
    engine = make_engine()
    say(engine, "半小时后提醒我关火", user="42", channel="telegram")
    clock.advance(hours=1)
    [item_id] = engine.reminders.fire_due()
    item = Outbox(engine.store.db).get(item_id)
    assert item.channel == "telegram" and item.chat_id == "42"
    assert item.text.startswith(M.REMINDER_DUE.format(task="关火")) and "晚到了" in item.text
    assert engine.reminders.fire_due() == []  # sent once


def test_the_web_page_gets_its_reminder_when_it_polls(settings, make_engine, clock):
    from bot.web.app import WebChannel

    engine = make_engine()
    channel = WebChannel(settings, engine)
    try:
        channel.answer("web-1", "十分钟后提醒我关火")
        assert channel.deliver("web-1") == []
        clock.advance(minutes=10)
        assert [r.text for r in channel.deliver("web-1")] == [M.REMINDER_DUE.format(task="关火")]
        assert channel.deliver("web-1") == []
    finally:
        channel.close()


def test_the_open_page_polling_over_http_gets_a_reminder_once(settings, make_engine, clock):
    """The poll's read-only look sees the reminder due and hands the delivery to the engine thread."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*httpx2.*")  # as in tests/test_web.py
        from starlette.testclient import TestClient
    from bot.web.app import create_app

    engine = make_engine()
    app = create_app(settings, engine)
    try:
        with TestClient(app) as page:
            page.post("/api/chat", json={"message": "十分钟后提醒我关火"})
            assert page.get("/api/poll").json()["messages"] == []
            clock.advance(minutes=10)
            assert [m["text"] for m in page.get("/api/poll").json()["messages"]] == [
                M.REMINDER_DUE.format(task="关火")]
            assert page.get("/api/poll").json()["messages"] == []
    finally:
        app.state.channel.close()


def test_list_and_cancel_need_the_exact_yes(make_engine):
    engine = make_engine()
    say(engine, "明天早上8点提醒我去取菜")
    out = say(engine, "我的提醒")
    assert "1. 明天（12月8日）早上8:00 去取菜" in texts(out)[0]
    out = say(engine, "取消提醒")
    assert out.replies[-1].buttons == T.REMINDER_CANCEL_YES_NO
    out = say(engine, "好")  # vague: asked again, nothing cancelled
    assert texts(out) == [T.REMINDER_CANCEL_HOW] and len(engine.reminders.active("u")) == 1
    out = say(engine, "确定取消")
    assert engine.reminders.active("u") == [] and "取消了" in texts(out)[0]


def test_several_reminders_are_cancelled_by_their_own_button(make_engine):
    engine = make_engine()
    say(engine, "明天早上8点提醒我去取菜")
    say(engine, "每周六提醒我买药")
    out = say(engine, "取消提醒")
    assert out.replies[-1].buttons == ("取消第1个", "取消第2个")
    say(engine, "2")
    assert [r.task for r in engine.reminders.active("u")] == ["去取菜"]


def test_no_one_cancels_another_persons_reminder(make_engine):
    engine = make_engine()
    say(engine, "明天早上8点提醒我去取菜", user="a")
    [r] = engine.reminders.active("a")
    assert engine.reminders.cancel(r.id, user_id="b") is None
    assert len(engine.reminders.active("a")) == 1


def test_a_phone_number_in_a_reminder_is_masked(make_engine):
    engine = make_engine()
    say(engine, "明天上午10点提醒我给13800001234回电话")
    [r] = engine.reminders.active("u")
    assert "13800001234" not in r.task


def test_deleting_a_persons_data_deletes_their_reminders_and_export_lists_them(make_engine):
    engine = make_engine()
    say(engine, "明天早上8点提醒我去取菜")
    assert engine.store.export_user("u")["reminders"][0]["task"] == "去取菜"
    engine.store.delete_user("u")
    assert engine.reminders.active("u") == []


# ---- a social worker's follow-up ---------------------------------------------------------------

def test_a_followup_goes_to_the_staff_group_when_due(tmp_path, clock):
    db = open_db(tmp_path / "f.db")
    reminders = Reminders(db, TZ, clock)
    reminders.add_followup(7, "w1", "电话回访王阿姨", datetime(2026, 12, 8, 10, 0, tzinfo=TZ))
    assert reminders.fire_due() == []
    clock.now = datetime(2026, 12, 8, 10, 0, tzinfo=TZ)
    [item_id] = reminders.fire_due()
    item = Outbox(db).get(item_id)
    assert item.chat_id == "staff" and item.kind == "staff"
    assert item.text == M.FOLLOWUP_DUE.format(ticket=7, note="电话回访王阿姨")
    assert [f.kind for f in reminders.followups(include_done=True)] == [KIND_FOLLOWUP]


def test_the_confirmation_comes_before_the_offer_to_go_back_to_a_tutorial(make_engine):
    engine = make_engine()
    for text in ("我想学用手机买菜", "多多买菜", "我在长沙"):
        say(engine, text)
    out = say(engine, "明天早上8点提醒我去取菜")
    assert "提醒您：去取菜" in texts(out)[0] and texts(out)[-1].startswith("要继续刚才的")
    assert say(engine, "1").replies[-1].text.startswith("第1步")  # the offer's first button still means 继续
