"""Registered social workers in chat (issue 13): the queue, claiming, summaries, closing, look-ups.

The answers come from the same ``Handoff`` functions as ``linli handoff`` and the staff group's
commands, through ``bot.handoff.Desk``; only registered workers on a channel that vouches for
its ids get them.
"""

from __future__ import annotations

from bot.desk import Desk
from bot.models import IncomingMessage
from dialogues import texts as T

WORKER = "42"


def say(engine, user, text, channel="terminal"):
    return engine.handle(IncomingMessage(user_id=user, text=text, channel=channel))


def joined(out):
    return "\n".join(r.text for r in out.replies)


def queued(engine, user, text="我要找社工"):
    """A person asks for a social worker and consents: their ticket waits in the queue."""
    say(engine, user, text)
    return say(engine, user, "可以").new_ticket


def test_registered_worker_sees_an_empty_queue(make_engine):
    engine = make_engine()
    engine.handoff.add_worker(WORKER, "王老师")
    out = say(engine, WORKER, "我是社工 现在有几个人在排队")
    assert out.capability == "staff" and out.skill == "staff"
    assert joined(out) == T.DESK_QUEUE_EMPTY
    assert engine.handoff.active(WORKER) is None  # asking about the queue opens nothing


def test_queue_claim_next_takes_the_urgent_one_first_and_tells_the_person(make_engine):
    engine = make_engine()
    engine.handoff.add_worker(WORKER, "王老师")
    normal = queued(engine, "a")
    urgent = say(engine, "b", "有人让我把钱转到安全账户").new_ticket
    assert urgent is not None and urgent.priority == "urgent"
    out = say(engine, WORKER, "现在排队的情况呢")
    text = joined(out)
    assert "2 个单子在排队" in text and "紧急的 1 个" in text
    assert text.index(f"#{urgent.id}") < text.index(f"#{normal.id}")
    out = say(engine, WORKER, "接下一个")
    assert out.capability == "staff"
    assert T.DESK_CLAIMED.format(ticket=urgent.id, kind="紧急") in joined(out)
    ticket = engine.handoff.get(urgent.id)
    assert ticket.status == "claimed" and ticket.worker_id == WORKER
    notices = [m["text"] for m in engine.handoff.outbox("b")]
    assert any("王老师" in n for n in notices)  # the person is told, as `linli handoff claim` does
    out = say(engine, WORKER, "给我看下这个单子的摘要")
    assert f"{urgent.id}号单" in joined(out) and "安全账户" in joined(out)
    out = say(engine, WORKER, f"那{normal.id}号呢")
    assert f"{normal.id}号单" in joined(out) and "我要找社工" in joined(out)
    out = say(engine, WORKER, "那99号呢")
    assert joined(out) == T.DESK_SUMMARY_NONE.format(ticket=99)
    out = say(engine, WORKER, "我手上现在有几个单子")
    assert T.DESK_MINE_HEAD.format(n=1) in joined(out)
    out = say(engine, WORKER, "怎么结单")
    assert "/close" in joined(out) and f"{urgent.id}号" in joined(out)


def test_claim_next_with_nobody_waiting(make_engine):
    engine = make_engine()
    engine.handoff.add_worker(WORKER, "王老师")
    assert joined(say(engine, WORKER, "接第一个")) == T.DESK_CLAIM_NONE
    assert Desk(engine.handoff).claim_next(WORKER) is None


def test_unregistered_person_saying_they_are_a_worker_gets_no_staff_powers(make_engine):
    engine = make_engine()
    queued(engine, "a")
    out = say(engine, "stranger", "我是社工 接第一个")
    assert joined(out) == T.DESK_NOT_REGISTERED
    assert engine.handoff.active("a").status == "waiting"  # nothing was claimed
    out = say(engine, "stranger2", "我是社工")
    assert T.DESK_NOT_REGISTERED_NOTE in joined(out)


def test_worker_ids_are_recognised_only_where_the_channel_vouches_for_them(make_engine):
    engine = make_engine()
    engine.handoff.add_worker(WORKER, "王老师")
    queued(engine, "a")
    out = say(engine, WORKER, "接第一个", channel="web")  # a web sender id is the client's choice
    assert out.capability != "staff"
    assert engine.handoff.active("a").status == "waiting"
    out = say(engine, f"tg:{WORKER}", "现在有几个人在排队", channel="telegram")
    assert out.capability == "staff" and "1 个单子在排队" in joined(out)


def test_a_removed_worker_loses_the_staff_answers_at_once(make_engine):
    engine = make_engine()
    engine.handoff.add_worker(WORKER, "王老师")
    say(engine, WORKER, "我是社工")
    assert say(engine, WORKER, "现在有几个人在排队").capability == "staff"
    engine.handoff.remove_worker(WORKER)
    assert joined(say(engine, WORKER, "现在有几个人在排队")) == T.DESK_NOT_REGISTERED
    assert joined(say(engine, WORKER, "接下一个")) == T.DESK_NOT_REGISTERED


def test_a_worker_looking_up_a_hotline_for_a_resident_opens_no_urgent_ticket(make_engine):
    engine = make_engine()
    engine.handoff.add_worker(WORKER, "王老师")
    out = say(engine, WORKER, "有个居民家老人走丢了 家属来社区问我 先打哪个电话")
    assert "110" in joined(out) and engine.handoff.active(WORKER) is None
    out = say(engine, WORKER, "妇女被家暴的呢")
    assert "12338" in joined(out) and engine.handoff.active(WORKER) is None
    # The same words from anyone else are an emergency, as always.
    out = say(engine, "resident", "有个居民家老人走丢了 家属来社区问我 先打哪个电话")
    assert "110" in joined(out) and engine.handoff.active("resident").priority == "urgent"


def test_a_worker_reporting_their_own_emergency_is_still_urgent(make_engine):
    engine = make_engine()
    engine.handoff.add_worker(WORKER, "王老师")
    out = say(engine, WORKER, "有人让我把钱转到安全账户")
    assert out.capability == "urgent" and engine.handoff.active(WORKER).priority == "urgent"


def test_how_to_questions_name_the_staff_commands(make_engine):
    engine = make_engine()
    engine.handoff.add_worker(WORKER, "王老师")
    assert "/takeover" in joined(say(engine, WORKER, "别人接的单子我能直接回吗"))
    assert joined(say(engine, WORKER, "有个单子是误报 怎么把紧急改成普通的")) == T.DESK_DOWNGRADE_HOW
    assert "回复" in joined(say(engine, WORKER, "怎么给居民回消息"))
    out = say(engine, WORKER, "这个月找社工的多不多 有统计吗")
    assert out.capability == "staff" and "linli report" in joined(out)
