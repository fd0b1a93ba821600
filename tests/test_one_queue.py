"""One queue across channels (issue 15): a ticket worked in the web console shows in the Telegram staff group.

The console (``linli serve``) and the Telegram bot run here on two engines with two SQLite
connections to one database file, as two processes would: the console writes ``post`` rows to
the durable outbox, and the bot's delivery job edits the ticket's post in the staff group.
"""

from __future__ import annotations

import asyncio
import re
import warnings
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from starlette.testclient import TestClient

from bot import messages
from bot.handoff import Handoff
from bot.outbox import KIND_POST
from bot.store import OUTBOX
from bot.telegram_post import post_view
from bot.web.app import create_app
from bot.web.auth import hash_password
from tests.fake_telegram import STAFF_CHAT, FakeBotAPI
from tests.test_telegram import RESIDENT, WORKER, run, texts

pytestmark = pytest.mark.telegram
PASSWORD = "correct horse 9"


def edits(fake: FakeBotAPI, message_id: int) -> list[dict[str, Any]]:
    return [p for p in fake.called("editMessageText") if int(p.get("message_id") or 0) == message_id]


def console_for(make_engine: Any, settings: Any) -> tuple[TestClient, Any, Any]:
    """The web console on its own engine and connection (another process, in effect), signed in as the worker."""
    engine = make_engine()
    engine.handoff.set_password_hash(str(WORKER), hash_password(PASSWORD, n=2 ** 10))
    app = create_app(settings, engine)
    c = TestClient(app, follow_redirects=False)
    c.__enter__()
    page = c.get("/console/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert c.post("/console/login", data={"worker": str(WORKER), "password": PASSWORD, "csrf": token}).status_code == 303
    return c, app, engine


def act(c: TestClient, ticket: int, action: str, body: dict[str, Any] | None = None) -> Any:
    token = re.search(r'"csrf": ?"([^"]+)"', c.get("/console").text).group(1)
    r = c.post(f"/console/api/tickets/{ticket}/{action}", json=body or {}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200, r.text
    return r.json()


async def posted_ticket(fake: FakeBotAPI, engine: Any) -> Any:
    """The resident asks for a person and says yes; the ticket once it is posted in the staff group."""
    fake.user_text(RESIDENT, "/human")
    await fake.wait_for(lambda: messages.CONSENT_ASK in texts(fake, RESIDENT))
    fake.user_text(RESIDENT, "可以")
    return await fake.wait_for(lambda: engine.handoff.queue() and engine.handoff.queue()[0].notified
                               and engine.handoff.queue()[0])


def test_claim_answer_and_close_in_the_console_show_on_the_telegram_post(make_engine, settings):
    with FakeBotAPI(forum=True) as fake:

        async def scenario(engine: Any) -> None:
            ticket = await posted_ticket(fake, engine)
            post_id = ticket.staff_message_id
            c, app, _ = await asyncio.to_thread(console_for, make_engine, settings)
            try:
                await asyncio.to_thread(act, c, ticket.id, "claim")
                claimed = await fake.wait_for(lambda: edits(fake, post_id))
                assert messages.STAFF_CLAIMED_BY.format(name="王老师") in claimed[-1]["text"]
                assert "claim:" not in str(claimed[-1].get("reply_markup") or "")  # the 接单 button is gone
                await fake.wait_for(lambda: any("王老师已经来了" in t for t in texts(fake, RESIDENT)))
                # A reply from the console reaches the person on Telegram, and the post says it was answered.
                await asyncio.to_thread(act, c, ticket.id, "reply", {"text": "您好，我是王老师"})
                await fake.wait_for(lambda: "👩 社工王老师：您好，我是王老师" in texts(fake, RESIDENT))
                await fake.wait_for(lambda: any(messages.STAFF_POST_ANSWERED in p["text"] for p in edits(fake, post_id)))
                before = len(edits(fake, post_id))
                await asyncio.to_thread(act, c, ticket.id, "reply", {"text": "还有别的事吗"})
                await fake.wait_for(lambda: "👩 社工王老师：还有别的事吗" in texts(fake, RESIDENT))
                await asyncio.sleep(0.5)
                assert len(edits(fake, post_id)) == before  # not one edit per reply: only when the post changes
                # Closed with an outcome: the post shows who closed it and how it ended.
                await asyncio.to_thread(act, c, ticket.id, "close", {"outcome": "解决", "text": "已教会"})
                closed = await fake.wait_for(lambda: [p for p in edits(fake, post_id) if "已结束" in p["text"]
                                                      and "结果：解决" in p["text"]])
                assert messages.STAFF_POST_CLOSED.format(name="王老师") in closed[-1]["text"]
                await fake.wait_for(lambda: messages.CLOSED_NOTICE in texts(fake, RESIDENT))
                # Every row went out (the person's notices and the post's edits alike).
                await fake.wait_for(lambda: not list(engine.store.db.query(
                    f"SELECT * FROM {OUTBOX} WHERE status = 'pending'")))
            finally:
                await asyncio.to_thread(c.__exit__, None, None, None)
                app.state.channel.close()

        run(make_engine, settings, fake, scenario)


def test_a_ticket_claimed_before_it_was_posted_is_posted_claimed(make_engine, settings):
    """The console claims a web person's ticket while the bot is down; the bot then posts it claimed, with no button."""
    first = make_engine()
    first.handoff.add_worker(str(WORKER), "王老师")
    ticket = first.handoff.open("web:abc", "web", "web:abc", "normal", "request_human", "这次说：想学买菜")
    first.handoff.claim(ticket.id, str(WORKER))
    assert not list(first.store.db.query(f"SELECT * FROM {OUTBOX} WHERE kind = ?", [KIND_POST]))  # nothing to edit
    with FakeBotAPI(forum=True) as fake:

        async def scenario(engine: Any) -> None:
            post = await fake.wait_for(lambda: [p for p in fake.sent(STAFF_CHAT) if f"#{ticket.id}" in p["text"]])
            assert messages.STAFF_CLAIMED_BY.format(name="王老师") in post[0]["text"]
            assert not post[0].get("reply_markup")

        run(make_engine, settings, fake, scenario)


def test_refresh_post_only_for_posted_tickets_and_once_while_pending(make_engine):
    engine = make_engine()
    h: Handoff = engine.handoff
    h.add_worker("7", "王老师")
    t = h.open("tg:1", "telegram", "1", "urgent", "urgent_danger", "这次说：有人撬门")
    h.mark_notified(t.id, 4321)

    def rows() -> list[dict[str, Any]]:
        return list(engine.store.db.query(f"SELECT * FROM {OUTBOX} WHERE kind = ? AND status = 'pending'", [KIND_POST]))

    h.claim(t.id, "7")
    h.add_message(t.id, "worker", "您好", delivered=False)
    h.add_message(t.id, "worker", "别着急", delivered=False)
    assert len(rows()) == 1 and rows()[0]["ticket_id"] == t.id and rows()[0]["chat_id"] == "staff"
    text, markup = post_view(h, h.require(t.id))
    assert "🚨" in text and "已由王老师接单" in text and messages.STAFF_POST_ANSWERED in text and markup is None
    h.close(t.id, "7", "")
    h.set_outcome(t.id, "转介")
    text, markup = post_view(h, h.require(t.id))
    assert "已结束（王老师）" in text and "结果：转介" in text and "接单" not in text.split("\n")[-1]
    assert len(rows()) == 1
    waiting = h.open("tg:2", "telegram", "2", "normal", "request_human", "这次说：你好")
    text, markup = post_view(h, waiting)
    assert markup is not None and "claim:" in str(markup.to_dict())


# ---- a worker's words from the console or the CLI, shown in the ticket's Telegram thread ---------------------


def mirrors(fake: FakeBotAPI) -> list[dict[str, Any]]:
    """Staff-group messages that show a worker's words written outside Telegram."""
    return [p for p in fake.sent(STAFF_CHAT) if "（网页工作台）" in p["text"] or "（命令行）" in p["text"]]


def reply_target(params: dict[str, Any]) -> int:
    """The message a sent message answers (PTB sends ``reply_parameters``)."""
    import json

    found = params.get("reply_parameters") or "{}"
    return int((json.loads(found) if isinstance(found, str) else found).get("message_id") or 0)


def pending(engine: Any) -> list[dict[str, Any]]:
    return list(engine.store.db.query(f"SELECT * FROM {OUTBOX} WHERE status = 'pending'"))


def photo_to(c: TestClient, ticket: int, data: bytes) -> None:
    token = re.search(r'"csrf": ?"([^"]+)"', c.get("/console").text).group(1)
    r = c.post(f"/console/api/tickets/{ticket}/photo", content=data,
               headers={"Content-Type": "image/jpeg", "X-CSRF-Token": token})
    assert r.status_code == 200, r.text


def test_console_replies_notes_and_pictures_show_in_the_telegram_thread_once(make_engine, settings):
    from tests.fake_stt import JPEG

    with FakeBotAPI(forum=True) as fake:

        async def scenario(engine: Any) -> None:
            ticket = await posted_ticket(fake, engine)
            c, app, _ = await asyncio.to_thread(console_for, make_engine, settings)
            try:
                await asyncio.to_thread(act, c, ticket.id, "claim")
                await asyncio.to_thread(act, c, ticket.id, "reply", {"text": "您好，我是王老师"})
                await asyncio.to_thread(act, c, ticket.id, "note", {"text": "已打电话给她女儿"})
                await asyncio.to_thread(photo_to, c, ticket.id, JPEG)
                reply = f"#{ticket.id} 王老师（网页工作台）回复：您好，我是王老师"
                note = f"#{ticket.id} 王老师（网页工作台）备注：已打电话给她女儿"
                shown = await fake.wait_for(lambda: len(mirrors(fake)) == 2 and mirrors(fake))
                assert [p["text"] for p in shown] == [reply, note]
                # Claimed in the console, so no topic: the thread is the replies to the ticket's post.
                assert all(reply_target(p) == ticket.staff_message_id for p in shown)
                photos = await fake.wait_for(lambda: [(m, p) for m, p, _ in fake.uploads if m == "sendPhoto"
                                                      and int(p["chat_id"]) == STAFF_CHAT])
                assert photos[0][1]["caption"] == f"#{ticket.id} 王老师（网页工作台）给对方发了一张图片"
                await fake.wait_for(lambda: not pending(engine))
                # The person got the reply and the picture once each, and never the note.
                assert texts(fake, RESIDENT).count("👩 社工王老师：您好，我是王老师") == 1
                assert not any("已打电话给她女儿" in t for t in texts(fake, RESIDENT))
                assert len([1 for m, p, _ in fake.uploads if m == "sendPhoto" and int(p["chat_id"]) == RESIDENT]) == 1
            finally:
                await asyncio.to_thread(c.__exit__, None, None, None)
                app.state.channel.close()

        run(make_engine, settings, fake, scenario)


def test_a_reply_written_in_telegram_is_not_echoed_but_a_console_note_joins_the_topic(make_engine, settings):
    with FakeBotAPI(forum=True) as fake:

        async def scenario(engine: Any) -> None:
            ticket = await posted_ticket(fake, engine)
            post = {"message_id": ticket.staff_message_id, "date": 0, "text": "x",
                    "chat": {"id": STAFF_CHAT, "type": "supergroup", "title": "社工组", "is_forum": True}}
            fake.press(WORKER, f"claim:{ticket.id}", post)
            thread = await fake.wait_for(lambda: engine.handoff.require(ticket.id).thread_id)
            fake.staff_text(WORKER, "我在这里回您", thread_id=thread)
            await fake.wait_for(lambda: "👩 社工王老师：我在这里回您" in texts(fake, RESIDENT))
            await fake.wait_for(lambda: not pending(engine))
            assert not mirrors(fake)
            assert not list(engine.store.db.query(f"SELECT * FROM {OUTBOX} WHERE kind = 'mirror'"))
            c, app, _ = await asyncio.to_thread(console_for, make_engine, settings)
            try:
                await asyncio.to_thread(act, c, ticket.id, "note", {"text": "下午再回访"})
                shown = await fake.wait_for(lambda: mirrors(fake))
                assert shown[0]["text"] == f"#{ticket.id} 王老师（网页工作台）备注：下午再回访"
                assert int(shown[0]["message_thread_id"]) == thread
            finally:
                await asyncio.to_thread(c.__exit__, None, None, None)
                app.state.channel.close()
            assert texts(fake, RESIDENT).count("👩 社工王老师：我在这里回您") == 1

        run(make_engine, settings, fake, scenario)


def test_a_web_persons_reply_is_shown_on_telegram_and_still_reaches_their_page(make_engine, settings):
    first = make_engine()
    ticket = first.handoff.open("web:abc", "web", "web:abc", "normal", "request_human", "这次说：想学买菜")
    with FakeBotAPI(forum=True) as fake:

        async def scenario(engine: Any) -> None:
            await fake.wait_for(lambda: engine.handoff.require(ticket.id).notified)
            c, app, console_engine = await asyncio.to_thread(console_for, make_engine, settings)
            try:
                await asyncio.to_thread(act, c, ticket.id, "claim")
                await asyncio.to_thread(act, c, ticket.id, "reply", {"text": "我教您"})
                shown = await fake.wait_for(lambda: mirrors(fake))
                assert shown[0]["text"] == f"#{ticket.id} 王老师（网页工作台）回复：我教您"
                await fake.wait_for(lambda: not pending(engine))
                # Shown to colleagues, not taken as delivered: the person's page still gets it, once.
                waiting = [m["text"] for m in engine.handoff.outbox("web:abc") if m["direction"] == "worker"]
                assert waiting == ["我教您"]
            finally:
                await asyncio.to_thread(c.__exit__, None, None, None)
                app.state.channel.close()

        run(make_engine, settings, fake, scenario)


def test_mirror_rows_only_for_posted_tickets_and_from_the_cli_too(make_engine, tmp_path, settings):
    from bot.cli import main

    engine = make_engine()
    h: Handoff = engine.handoff
    h.add_worker("7", "王老师")
    h.add_worker("8", "李老师")
    t = h.open("web:x", "web", "web:x", "normal", "request_human", "这次说：你好")
    h.claim(t.id, "7")
    h.add_message(t.id, "worker", "您好", delivered=False, via="web")
    assert h.out.pending(chat_id="staff") == []  # not on Telegram: nothing to show there
    h.mark_notified(t.id, 900)
    h.add_note(t.id, "8", "她女儿的电话已记下", via="web")
    h.add_message(t.id, "worker", "在吗", delivered=False)  # written in Telegram: no via, no mirror
    db = str(tmp_path / "linli.db")
    assert main(["--db", db, "handoff", "reply", str(t.id), "我马上到", "--worker", "7"]) == 0
    assert main(["--db", db, "handoff", "note", str(t.id), "已上门", "--worker", "8"]) == 0
    rows = [(r.kind, r.text) for r in h.out.pending(chat_id="staff")]
    assert rows == [("mirror", f"#{t.id} 李老师（网页工作台）备注：她女儿的电话已记下"),
                    ("mirror", f"#{t.id} 王老师（命令行）回复：我马上到"),
                    ("mirror", f"#{t.id} 李老师（命令行）备注：已上门")]
    assert [m["direction"] for m in h.outbox("web:x")] == ["worker", "worker", "worker"]  # notes never go to the person


# ---- urgent reminders: one 接单 button at a time, and none once the ticket is claimed anywhere -------------------


def buttons_left(fake: FakeBotAPI, ticket_id: int) -> list[int]:
    """Staff-group messages whose latest version still has the ticket's 接单 button."""
    with fake.lock:
        posted, calls = list(fake.posted), list(fake.calls)
    claim = f"claim:{ticket_id}"
    has: dict[int, bool] = {m["message_id"]: True for m in posted
                            if m["chat"]["id"] == STAFF_CHAT and claim in str(m.get("reply_markup") or "")}
    for method, p in calls:
        if method in ("editMessageText", "editMessageReplyMarkup") and int(p.get("message_id") or 0) in has:
            has[int(p["message_id"])] = claim in str(p.get("reply_markup") or "")
    return sorted(k for k, v in has.items() if v)


def reminders(fake: FakeBotAPI, ticket_id: int) -> list[dict[str, Any]]:
    with fake.lock:
        posted = list(fake.posted)
    return [m for m in posted if m.get("text") == messages.STAFF_URGENT_REPEAT.format(ticket=ticket_id)]


def fast_repeats(settings: Any) -> Any:
    import dataclasses

    return dataclasses.replace(settings, handoff={**settings.handoff, "urgent_repeat_minutes": 0.005})


def test_urgent_reminders_keep_one_button_and_lose_it_when_claimed_in_the_console(make_engine, settings):
    s = fast_repeats(settings)
    with FakeBotAPI(forum=True) as fake:

        async def scenario(engine: Any) -> None:
            fake.user_text(RESIDENT, "有人打电话让我把钱转到安全账户 我已经转了一万")
            ticket = await fake.wait_for(lambda: engine.handoff.queue() and engine.handoff.queue()[0].notified
                                         and engine.handoff.queue()[0])
            await fake.wait_for(lambda: len(reminders(fake, ticket.id)) >= 3)
            # The post and the newest reminder have the button; every older reminder lost it.
            left = buttons_left(fake, ticket.id)
            assert ticket.staff_message_id in left and len(left) <= 2
            assert len(fake.called("editMessageReplyMarkup")) >= 2
            c, app, _ = await asyncio.to_thread(console_for, make_engine, s)
            try:
                await asyncio.to_thread(act, c, ticket.id, "claim")
                await fake.wait_for(lambda: not buttons_left(fake, ticket.id) and not pending(engine))
                count = len(reminders(fake, ticket.id))
                await asyncio.sleep(1.0)
                assert len(reminders(fake, ticket.id)) == count  # no more reminders once claimed
                last = reminders(fake, ticket.id)[-1]["message_id"]
                edited = [p for p in edits(fake, last)]
                assert edited and messages.STAFF_CLAIMED_BY.format(name="王老师") in edited[-1]["text"]
                assert engine.handoff.require(ticket.id).alert_message_id is None
            finally:
                await asyncio.to_thread(c.__exit__, None, None, None)
                app.state.channel.close()

        run(make_engine, s, fake, scenario)


def test_pressing_a_reminder_in_telegram_leaves_no_button_either(make_engine, settings):
    s = fast_repeats(settings)
    with FakeBotAPI(forum=True) as fake:

        async def scenario(engine: Any) -> None:
            fake.user_text(RESIDENT, "我爸有老年痴呆出门到现在没回来")
            ticket = await fake.wait_for(lambda: engine.handoff.queue() and engine.handoff.queue()[0].notified
                                         and engine.handoff.queue()[0])
            await fake.wait_for(lambda: len(reminders(fake, ticket.id)) >= 2)
            fake.press(WORKER, f"claim:{ticket.id}", reminders(fake, ticket.id)[0])  # an older one, still pressable
            await fake.wait_for(lambda: engine.handoff.require(ticket.id).status == "claimed")
            await fake.wait_for(lambda: not buttons_left(fake, ticket.id) and not pending(engine))

        run(make_engine, s, fake, scenario)


def test_a_ticket_raised_to_urgent_loses_the_button_of_its_first_post_when_claimed(make_engine, settings):
    with FakeBotAPI(forum=True) as fake:

        async def scenario(engine: Any) -> None:
            ticket = await posted_ticket(fake, engine)
            first = ticket.staff_message_id
            engine.handoff.open(ticket.user_id, "telegram", ticket.chat_id, "urgent", "urgent_danger", "这次说：有人撬门")
            raised = await fake.wait_for(lambda: engine.handoff.require(ticket.id).staff_message_id != first
                                         and engine.handoff.require(ticket.id))
            assert buttons_left(fake, ticket.id) == sorted([first, raised.staff_message_id])
            c, app, _ = await asyncio.to_thread(console_for, make_engine, settings)
            try:
                await asyncio.to_thread(act, c, ticket.id, "claim")
                await fake.wait_for(lambda: not buttons_left(fake, ticket.id) and not pending(engine))
            finally:
                await asyncio.to_thread(c.__exit__, None, None, None)
                app.state.channel.close()

        run(make_engine, settings, fake, scenario)
