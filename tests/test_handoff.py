"""Handoff tickets without Telegram: consent, queue, claim, relay, close, workers, office hours, CLI."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot import messages
from bot.cli import main
from bot.errors import ConfigError, HandoffError
from bot.handoff import OfficeHours
from bot.models import IncomingMessage


def say(engine, user, text, channel="terminal"):
    return engine.handle(IncomingMessage(user_id=user, text=text, channel=channel))


def claimed_ticket(engine, user, worker="42", name="王老师"):
    """A person asks for a social worker, consents, and the worker claims the ticket."""
    say(engine, user, "我要找社工")
    ticket = say(engine, user, "可以").new_ticket
    engine.handoff.add_worker(worker, name)
    return engine.handoff.claim(ticket.id, worker)


def test_consent_then_ticket_then_relay_then_close(make_engine):
    engine = make_engine()
    out = say(engine, "u1", "我要找社工")
    assert out.handoff is None and engine.handoff.active("u1") is None  # nothing shared without yes
    out = say(engine, "u1", "可以")
    ticket = out.new_ticket
    assert ticket is not None and ticket.consent == 1 and ticket.priority == "normal"
    assert f"编号 {ticket.id}" in out.replies[-1].text
    assert "我要找社工" in ticket.summary.splitlines()[1]
    # While waiting, the bot keeps answering and the worker will see the messages.
    out = say(engine, "u1", "怎么退款")
    assert out.handoff == {"ticket": ticket.id, "priority": "normal", "status": "waiting"}
    assert out.replies and out.relay is None
    engine.handoff.add_worker("42", "王老师")
    engine.handoff.claim(ticket.id, "42")
    out = say(engine, "u1", "王老师好", channel="telegram")
    assert out.relay is not None and out.replies == []
    assert [m["text"] for m in engine.handoff.messages(ticket.id)][-2:] == ["怎么退款", "王老师好"]
    engine.handoff.add_message(ticket.id, "worker", "您好，我来教您", delivered=False)
    out = say(engine, "u1", "好的")
    assert out.replies[0].text == messages.WORKER_PREFIX.format(name="王老师") + "您好，我来教您"
    engine.handoff.close(ticket.id, "42", "教会了退款")
    out = say(engine, "u1", "谢谢")
    assert out.relay is None and engine.handoff.active("u1") is None
    assert engine.handoff.get(ticket.id).close_note == "教会了退款"


def test_urgent_opens_at_once_and_jumps_the_queue(make_engine):
    engine = make_engine()
    say(engine, "a", "找社工")
    normal = say(engine, "a", "可以").new_ticket
    out = say(engine, "b", "有人让我把钱转到安全账户")
    urgent = out.new_ticket
    assert urgent.priority == "urgent" and "110" in out.replies[0].text
    assert [t.id for t in engine.handoff.queue()] == [urgent.id, normal.id]
    assert engine.handoff.position(normal) == 1


def test_urgent_during_relay_still_gets_hotline_and_raises_priority(make_engine):
    engine = make_engine()
    t = claimed_ticket(engine, "c", worker="7", name="李")
    out = say(engine, "c", "我不想活了", channel="telegram")
    assert "12356" in out.replies[0].text
    assert engine.handoff.get(t.id).priority == "urgent"


def test_only_workers_can_claim_and_close(make_engine):
    engine = make_engine()
    say(engine, "d", "找社工")
    t = say(engine, "d", "可以").new_ticket
    with pytest.raises(HandoffError, match="not an authorised social worker"):
        engine.handoff.claim(t.id, "999")
    engine.handoff.add_worker("1", "张")
    engine.handoff.claim(t.id, "1")
    with pytest.raises(HandoffError, match="is claimed, not waiting"):
        engine.handoff.claim(t.id, "1")
    with pytest.raises(HandoffError, match="not an authorised"):
        engine.handoff.close(t.id, "999")


def test_notification_backoff(make_engine):
    engine = make_engine()
    t = say(engine, "e", "我爸走丢了找不到了").new_ticket
    assert [x.id for x in engine.handoff.due_notifications()] == [t.id]
    assert engine.handoff.mark_notify_failed(t.id) == 5.0
    assert engine.handoff.mark_notify_failed(t.id) == 10.0
    assert engine.handoff.due_notifications() == []  # waits for the retry time
    engine.handoff.mark_notified(t.id, 555)
    assert engine.handoff.ticket_for_staff_message(555).id == t.id


def test_office_hours():
    hours = OfficeHours.from_config("09:00-18:00", [1, 2, 3, 4, 5], "Asia/Shanghai")
    monday_10 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.timezone.utc)  # 10:00 in Shanghai
    sunday = dt.datetime(2026, 11, 22, 4, 0, tzinfo=dt.timezone.utc)
    assert hours.is_open(monday_10) and not hours.is_open(sunday)
    assert hours.next_open(sunday).isoformat().startswith("2026-11-23T09:00")
    with pytest.raises(ConfigError, match="handoff.office_hours"):
        OfficeHours.from_config("9-6", [1], "Asia/Shanghai")
    with pytest.raises(ConfigError, match="handoff.timezone"):
        OfficeHours.from_config("09:00-18:00", [1], "Mars/Base")


def test_delete_my_data_removes_ticket_texts(make_engine):
    engine = make_engine()
    say(engine, "f", "找社工")
    t = say(engine, "f", "可以").new_ticket
    say(engine, "f", "删除我的信息")
    say(engine, "f", "确定删除")
    gone = engine.handoff.get(t.id)
    assert gone.user_id == "" and gone.summary == "" and engine.handoff.messages(t.id) == []
    assert engine.store.load_state("f") is None


def test_terminal_staff_side(make_engine, tmp_path, capsys, settings):
    engine = make_engine()
    say(engine, "g", "找社工")
    t = say(engine, "g", "可以").new_ticket
    db = str(tmp_path / "linli.db")
    assert main(["--db", db, "workers", "add", "77", "--name", "陈"]) == 0
    assert main(["--db", db, "workers", "list"]) == 0
    assert main(["--db", db, "handoff", "list"]) == 0
    assert f"#{t.id}" in capsys.readouterr().out
    assert main(["--db", db, "handoff", "claim", str(t.id), "--worker", "88"]) == 1
    assert "not an authorised social worker" in capsys.readouterr().err
    assert main(["--db", db, "handoff", "claim", str(t.id), "--worker", "77"]) == 0
    assert main(["--db", db, "handoff", "reply", str(t.id), "您好", "--worker", "77"]) == 0
    out = say(engine, "g", "在吗")
    assert [r.text for r in out.replies][:2] == [messages.CLAIMED_NOTICE.format(name="陈"), "👩 社工陈：您好"]
    assert main(["--db", db, "handoff", "close", str(t.id), "好了", "--worker", "77"]) == 0
    assert main(["--db", db, "handoff", "show", str(t.id)]) == 0
    shown = capsys.readouterr().out
    assert "closing note: 好了" in shown and "在吗" in shown
    assert main(["--db", db, "workers", "remove", "77"]) == 0
    assert main(["--db", db, "workers", "remove", "77"]) == 1


def test_jsonl_reports_ticket_status(make_engine):
    import io

    from bot import cli

    lines = [{"user": "h", "text": "找社工"}, {"user": "h", "text": "可以"}, {"user": "h", "text": "还在吗"}]
    out = io.StringIO()
    cli.chat_jsonl(make_engine(), io.StringIO("\n".join(json.dumps(x, ensure_ascii=False) for x in lines)), out)
    rows = [json.loads(x) for x in out.getvalue().splitlines()]
    assert rows[0]["handoff"] is None
    assert rows[1]["handoff"]["status"] == "waiting" and rows[2]["handoff"]["status"] == "waiting"


def test_asking_again_while_waiting_says_where_they_are(make_engine):
    engine = make_engine()
    say(engine, "u1", "我要找社工")
    ticket = say(engine, "u1", "可以").new_ticket
    out = say(engine, "u1", "社工怎么还不来啊")
    assert f"编号 {ticket.id}" in out.replies[-1].text and "已经在等社工" in out.replies[-1].text
    assert out.new_ticket is None and engine.handoff.active("u1").id == ticket.id
    assert "社工怎么还不来啊" in [m["text"] for m in engine.handoff.messages(ticket.id)]


def test_the_person_can_end_a_claimed_conversation_and_is_told_about_privacy(make_engine):
    engine = make_engine()
    ticket = claimed_ticket(engine, "u1")
    out = say(engine, "u1", "删除我的信息")
    assert out.relay is not None and "结束对话" in out.replies[-1].text  # not silently forwarded only
    out = say(engine, "u1", "我要结束对话")
    assert out.relay is not None  # the worker sees the words
    assert "对话结束了" in out.replies[-1].text
    assert engine.handoff.active("u1") is None and engine.handoff.get(ticket.id).status == "closed"
    out = say(engine, "u1", "删除我的信息")
    assert out.relay is None and out.replies  # back with the bot, which asks to confirm


def test_close_note_may_come_after_the_worker_option(make_engine, tmp_path):
    engine = make_engine()
    ticket = claimed_ticket(engine, "u1")
    db = str(tmp_path / "linli.db")  # the file make_engine uses
    assert main(["--db", db, "handoff", "close", str(ticket.id), "--worker", "42", "已教会"]) == 0
    assert engine.handoff.get(ticket.id).close_note == "已教会"
    with pytest.raises(SystemExit):
        main(["--db", db, "handoff", "close", str(ticket.id), "--worker", "42", "a", "b"])


def test_a_false_alarm_said_at_once_makes_the_ticket_normal_but_keeps_it(make_engine):
    engine = make_engine()
    out = say(engine, "u1", "有人撬我家门")
    ticket = out.new_ticket
    assert ticket.priority == "urgent"
    out = say(engine, "u1", "不是 我说错了 是我家孩子回来了")
    assert "没事就好" in out.replies[0].text
    t = engine.handoff.get(ticket.id)
    assert (t.priority, t.status) == ("normal", "waiting")  # a social worker still looks
    # Only right after the alarm: later words do not change a ticket.
    out = say(engine, "u2", "我妈晕倒了 叫不醒")
    other = out.new_ticket
    say(engine, "u2", "怎么办")
    say(engine, "u2", "没事")
    assert engine.handoff.get(other.id).priority == "urgent"


def test_cli_worker_works_only_their_own_ticket_unless_taking_over(make_engine, tmp_path, capsys):
    engine = make_engine()
    say(engine, "h", "找社工")
    t = say(engine, "h", "可以").new_ticket
    db = str(tmp_path / "linli.db")
    for wid, name in (("77", "陈"), ("78", "林")):
        assert main(["--db", db, "workers", "add", wid, "--name", name]) == 0
    assert main(["--db", db, "handoff", "claim", str(t.id), "--worker", "77"]) == 0
    capsys.readouterr()
    # Worker 78 may neither answer nor close 77's ticket ...
    assert main(["--db", db, "handoff", "reply", str(t.id), "我是林", "--worker", "78"]) == 1
    err = capsys.readouterr().err
    assert "claimed by worker 77" in err and "--take-over" in err
    assert main(["--db", db, "handoff", "close", str(t.id), "--worker", "78"]) == 1
    assert engine.handoff.require(t.id).status == "claimed"
    assert all("我是林" not in m["text"] for m in engine.handoff.messages(t.id))
    # ... unless taking over: logged, and the person is told who answers now, with the right name.
    assert main(["--db", db, "handoff", "reply", str(t.id), "我接着帮您", "--worker", "78", "--take-over"]) == 0
    assert "taken over by 林" in capsys.readouterr().out
    out = say(engine, "h", "好的")
    texts = [r.text for r in out.replies]
    assert messages.TAKEN_OVER_NOTICE.format(name="林") in texts and "👩 社工林：我接着帮您" in texts
    assert not any("👩 社工陈：我接着帮您" in x for x in texts)
    # Now 77 is the one who needs --take-over.
    assert main(["--db", db, "handoff", "close", str(t.id), "--worker", "77"]) == 1
    assert main(["--db", db, "handoff", "close", str(t.id), "--worker", "78"]) == 0


def test_outbox_rows_back_off_keep_order_and_hold_no_words_once_sent(make_engine):
    from bot.outbox import Outbox

    engine = make_engine()
    box = Outbox(engine.store.db, base_seconds=2.0, max_seconds=5.0)
    first = box.enqueue("telegram", 5, "reply", "第一条", user_id="tg:5")
    second = box.enqueue("telegram", 5, "reply", "第二条", user_id="tg:5", priority=0)
    box.enqueue("telegram", 6, "reply", "别人的", user_id="tg:6")
    assert [i.id for i in box.pending(chat_id=5)] == [first, second]
    assert box.chats_due("telegram") == ["5", "6"]  # the chat with an urgent row first
    assert box.mark_failed(first, "TimedOut") == 2.0 and box.mark_failed(first, "TimedOut") == 4.0
    assert box.mark_failed(first, "TimedOut") == 5.0  # capped
    assert box.mark_failed(first, "RetryAfter", retry_after=15) == 15
    assert box.chats_due("telegram") == ["6"]  # chat 5 waits for its first row
    box.mark_sent(first)
    sent = box.get(first)
    assert sent.status == "sent" and sent.text == "" and sent.sent_at
    engine.store.delete_user("tg:5")
    assert box.pending(chat_id=5) == [] and len(box.pending(chat_id=6)) == 1


def test_a_web_persons_words_reach_the_staff_group_when_the_ticket_was_posted_there(make_engine):
    engine = make_engine()
    ticket = claimed_ticket(engine, "web:abc")
    say(engine, "web:abc", "老师我还在", channel="web")
    assert engine.handoff.out.pending(chat_id="staff") == []  # never posted to Telegram: nothing to relay to
    engine.handoff.mark_notified(ticket.id, 777)  # the Telegram bot posted it; a worker claimed it there
    say(engine, "web:abc", "老师您看到了吗", channel="web")
    rows = engine.handoff.out.pending(chat_id="staff")
    assert [(r.channel, r.kind, r.ticket_id, r.text) for r in rows] == [("telegram", "relay", ticket.id, "老师您看到了吗")]


def test_the_ticket_card_has_chinese_labels_and_no_ids(make_engine):
    import re as _re

    from bot.engine import cut_at_sentence

    engine = make_engine()
    say(engine, "card", "我是开水果店的")
    say(engine, "card", "在抖音上怎么开店")
    say(engine, "card", "找社工")
    ticket = say(engine, "card", "可以").new_ticket
    card = ticket.summary
    assert card.splitlines()[0].startswith("身份：商户") and "想办的事：" in card and "之前问过：" in card
    assert not _re.search(r"[a-z]+_[a-z_]+", card), card  # no intent, flow or slot ids
    assert "意图" not in card and "teach" not in card
    long = "第一句话说完了。第二句也说完了！" + "这是一句特别长特别长的话" * 10
    assert cut_at_sentence(long, 40) == "第一句话说完了。第二句也说完了！…"
    assert cut_at_sentence("短句", 40) == "短句"
    assert cut_at_sentence("没有句号" * 30, 20) == ("没有句号" * 30)[:19] + "…"
