"""Fault injection: 500s, timeouts and 429s from the fake Bot API, and forged or stray input.

Every urgent message is stored, alerted and answered once the network is back; no relayed
message is lost or doubled; one chat's rate limit does not hold up another person's answer;
staff commands and buttons check who pressed them and where.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest

from bot import messages
from tests.fake_telegram import STAFF_CHAT, FakeBotAPI
from tests.test_telegram import MERCHANT, RESIDENT, STRANGER, WORKER, run, texts

pytestmark = pytest.mark.telegram

WORKER_B = 9002
FALL = "我妈摔倒了起不来 头在流血"
FIRE = "楼道里着火了 好大的烟"


def fast(settings: Any, **telegram: Any) -> Any:
    """Short timeouts so a slow fake server fails quickly."""
    return dataclasses.replace(settings, telegram={**settings.telegram, "timeout_seconds": 1.0, **telegram})


def stored_in(engine: Any, user: int) -> list[str]:
    return [r["text"] for r in engine.store.db.query(
        "SELECT text FROM transcript WHERE user_id = ? AND direction = 'in' ORDER BY id", [f"tg:{user}"])]


async def claimed_ticket(fake: FakeBotAPI, engine: Any, user: int, worker: int = WORKER) -> Any:
    """The person asks for a social worker, says yes, and ``worker`` claims the ticket."""
    fake.user_text(user, "找社工")
    fake.user_text(user, "可以")
    ticket = await fake.wait_for(lambda: [t for t in engine.handoff.queue() if t.user_id == f"tg:{user}"
                                          and t.notified] and engine.handoff.active(f"tg:{user}"))
    posted = {"message_id": ticket.staff_message_id, "date": 0, "text": "x",
              "chat": {"id": STAFF_CHAT, "type": "supergroup", "title": "社工组", "is_forum": True}}
    fake.press(worker, f"claim:{ticket.id}", posted)
    await fake.wait_for(lambda: engine.handoff.require(ticket.id).thread_id)
    return engine.handoff.require(ticket.id)


def test_failed_typing_call_never_drops_an_urgent_message(make_engine, settings):
    with FakeBotAPI() as fake:
        fake.fail_methods["sendChatAction"] = 500

        async def scenario(engine: Any) -> None:
            fake.user_text(RESIDENT, FALL)
            await fake.wait_for(lambda: any("120" in t for t in fake.delivered(RESIDENT)))
            assert stored_in(engine, RESIDENT) == [FALL]
            ticket = engine.handoff.active(f"tg:{RESIDENT}")
            assert ticket is not None and ticket.priority == "urgent"
            await fake.wait_for(lambda: any(f"紧急工单 #{ticket.id}" in t for t in fake.delivered(STAFF_CHAT)))
            assert messages.SORRY_GENERIC not in fake.delivered(RESIDENT)

        run(make_engine, settings, fake, scenario)


def test_urgent_answer_is_retried_until_the_person_gets_it_once(make_engine, settings):
    with FakeBotAPI() as fake:
        fake.slow_chats[RESIDENT] = 1.5  # every call for the person times out ...

        async def scenario(engine: Any) -> None:
            fake.user_text(RESIDENT, FALL)
            # ... yet the message is stored, the ticket opened and the staff group alerted.
            ticket = await fake.wait_for(lambda: engine.handoff.active(f"tg:{RESIDENT}"))
            await fake.wait_for(lambda: any(f"紧急工单 #{ticket.id}" in t for t in fake.delivered(STAFF_CHAT)))
            assert stored_in(engine, RESIDENT) == [FALL]
            pending = await fake.wait_for(lambda: [i for i in engine.handoff.out.pending(chat_id=RESIDENT)
                                                   if i.attempts >= 1])
            assert pending[0].last_error  # visible in `linli handoff outbox` / `show`
            fake.slow_chats.clear()  # the network is back
            await fake.wait_for(lambda: any("120" in t for t in fake.delivered(RESIDENT)))
            await fake.wait_for(lambda: not engine.handoff.out.pending(chat_id=RESIDENT))
            answers = [t for t in fake.delivered(RESIDENT) if "120" in t]
            assert len(answers) == 1

        run(make_engine, fast(settings), fake, scenario)


def test_one_chats_rate_limit_does_not_hold_up_another_persons_urgent_answer(make_engine, settings):
    with FakeBotAPI() as fake:

        async def scenario(engine: Any) -> None:
            ticket = await claimed_ticket(fake, engine, MERCHANT)
            fake.rate_limit(STAFF_CHAT, 15)  # the staff chat answers 429 retry_after=15 from now
            fake.user_text(MERCHANT, "王老师 我还有个问题")  # a relay that hits the 429
            await fake.wait_for(lambda: [i for i in engine.handoff.out.pending(ticket_id=ticket.id) if i.attempts])
            fake.user_text(RESIDENT, FIRE)
            await fake.wait_for(lambda: any("119" in t for t in fake.delivered(RESIDENT)))
            # The person's answer went out while the staff chat was still rate-limited.
            assert time.monotonic() < fake.rate_limited_until[STAFF_CHAT]
            fake.rate_limited_until.clear()
            urgent = engine.handoff.active(f"tg:{RESIDENT}")
            assert urgent is not None and urgent.priority == "urgent"

        run(make_engine, settings, fake, scenario)


def test_relayed_messages_survive_a_staff_outage_once_each_in_order(make_engine, settings):
    with FakeBotAPI() as fake:

        async def scenario(engine: Any) -> None:
            ticket = await claimed_ticket(fake, engine, RESIDENT)
            fake.fail_chats.add(STAFF_CHAT)
            words = ["第一句 我找不到自提点", "第二句 地址写错了", "第三句 能帮我看看吗"]
            for w in words:
                fake.user_text(RESIDENT, w)
            await fake.wait_for(lambda: len(stored_in(engine, RESIDENT)) >= 5)
            await fake.wait_for(lambda: any(i.attempts >= 2 for i in engine.handoff.out.pending(ticket_id=ticket.id)))
            fake.fail_chats.clear()
            await fake.wait_for(lambda: all(any(w in t for t in fake.delivered(STAFF_CHAT)) for w in words))
            await fake.wait_for(lambda: not engine.handoff.out.pending(ticket_id=ticket.id))
            relayed = [t for t in fake.delivered(STAFF_CHAT) if "居民说" in t]
            assert [w for t in relayed for w in words if w in t] == words  # once each, in order
            assert all(m["staff_message_id"] for m in engine.handoff.messages(ticket.id)
                       if m["direction"] == "user" and m["text"] in words)

        run(make_engine, settings, fake, scenario)


def test_ticket_is_posted_once_even_when_the_staff_chat_is_slow(make_engine, settings):
    with FakeBotAPI() as fake:
        fake.slow_chats[STAFF_CHAT] = 0.6  # handler kick and delivery job overlap
        s = dataclasses.replace(settings, telegram={**settings.telegram, "jobs_interval": 0.1})

        async def scenario(engine: Any) -> None:
            fake.user_text(RESIDENT, "有人让我把钱转到安全账户")
            ticket = await fake.wait_for(lambda: engine.handoff.active(f"tg:{RESIDENT}"))
            await fake.wait_for(lambda: engine.handoff.require(ticket.id).notified)
            time.sleep(0)  # let a racing job run
            import asyncio

            await asyncio.sleep(1.5)
            posts = [t for t in fake.delivered(STAFF_CHAT) if f"紧急工单 #{ticket.id}" in t]
            assert len(posts) == 1

        run(make_engine, s, fake, scenario)


def test_staff_commands_and_buttons_check_who_and_where(make_engine, settings):
    with FakeBotAPI() as fake:

        async def scenario(engine: Any) -> None:
            fake.user_text(MERCHANT, "找社工")
            fake.user_text(MERCHANT, "可以")
            ticket = await fake.wait_for(lambda: engine.handoff.queue() and engine.handoff.queue()[0].notified
                                         and engine.handoff.queue()[0])
            # /queue from someone in the staff group who is not a registered worker: no excerpts.
            fake.staff_text(STRANGER, "/queue")
            await fake.wait_for(lambda: messages.STAFF_NOT_WORKER in fake.delivered(STAFF_CHAT))
            assert not any("待处理工单" in t for t in fake.delivered(STAFF_CHAT))
            staff_post = {"message_id": ticket.staff_message_id, "date": 0, "text": "x",
                          "chat": {"id": STAFF_CHAT, "type": "supergroup", "title": "社工组", "is_forum": True}}
            before = len(fake.delivered(STAFF_CHAT))
            answered = len(fake.called("answerCallbackQuery"))
            # A forged rating pressed in the staff group: answered, nothing posted, nothing stored.
            fake.press(STRANGER, "fb:1", staff_post)
            await fake.wait_for(lambda: len(fake.called("answerCallbackQuery")) > answered)
            # A worker's claim forged from a private chat: refused, the ticket still waits.
            private = {"message_id": 5, "date": 0, "text": "x", "chat": {"id": WORKER, "type": "private"}}
            fake.press(WORKER, f"claim:{ticket.id}", private)
            await fake.wait_for(lambda: len(fake.called("answerCallbackQuery")) > answered + 1)
            # Malformed data: every press is answered, no traceback.
            for data in ("claim:abc", "claim:", "claim:1:2", "fb:7", "zzz", "claim:" + "9" * 40):
                fake.press(WORKER, data, staff_post)
            await fake.wait_for(lambda: len(fake.called("answerCallbackQuery")) >= answered + 8)
            assert engine.handoff.require(ticket.id).status == "waiting"
            assert len(fake.delivered(STAFF_CHAT)) == before
            assert engine.store.db["feedback"].count == 0
            # A registered worker sees the queue.
            fake.staff_text(WORKER, "/queue")
            await fake.wait_for(lambda: any("待处理工单" in t for t in fake.delivered(STAFF_CHAT)))

        run(make_engine, settings, fake, scenario)


def test_a_worker_answers_only_their_own_ticket_unless_taking_over(make_engine, settings):
    with FakeBotAPI() as fake:

        async def scenario(engine: Any) -> None:
            engine.handoff.add_worker(str(WORKER_B), "李老师")
            ticket = await claimed_ticket(fake, engine, RESIDENT)
            fake.staff_text(WORKER_B, "我是李老师 我来说", thread_id=ticket.thread_id)
            await fake.wait_for(lambda: messages.STAFF_NOT_YOURS.format(name="王老师") in fake.delivered(STAFF_CHAT))
            fake.staff_text(WORKER_B, "/close 我来关", thread_id=ticket.thread_id)
            await fake.wait_for(lambda: fake.delivered(STAFF_CHAT).count(
                messages.STAFF_NOT_YOURS.format(name="王老师")) == 2)
            assert engine.handoff.require(ticket.id).status == "claimed"
            assert not any("李老师" in t for t in fake.delivered(RESIDENT))
            fake.staff_text(WORKER_B, "/takeover", thread_id=ticket.thread_id)
            await fake.wait_for(lambda: messages.TAKEN_OVER_NOTICE.format(name="李老师") in fake.delivered(RESIDENT))
            assert engine.handoff.require(ticket.id).worker_id == str(WORKER_B)
            fake.staff_text(WORKER_B, "阿姨好 我接着帮您", thread_id=ticket.thread_id)
            await fake.wait_for(lambda: "👩 社工李老师：阿姨好 我接着帮您" in fake.delivered(RESIDENT))

        run(make_engine, settings, fake, scenario)


def test_residents_stray_commands_get_a_kind_reply(make_engine, settings):
    with FakeBotAPI() as fake:

        async def scenario(engine: Any) -> None:
            for command in ("/close", "/queue", "/export", "/takeover 1"):
                fake.user_text(RESIDENT, command)
            await fake.wait_for(lambda: fake.delivered(RESIDENT).count(messages.UNKNOWN_COMMAND) == 4)
            assert not fake.delivered(STAFF_CHAT)

        run(make_engine, settings, fake, scenario)
