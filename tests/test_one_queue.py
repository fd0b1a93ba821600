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


def test_claim_answer_and_close_in_the_console_show_on_the_telegram_post(make_engine, settings):
    with FakeBotAPI(forum=True) as fake:

        async def scenario(engine: Any) -> None:
            fake.user_text(RESIDENT, "/human")
            await fake.wait_for(lambda: messages.CONSENT_ASK in texts(fake, RESIDENT))
            fake.user_text(RESIDENT, "可以")
            ticket = await fake.wait_for(lambda: engine.handoff.queue() and engine.handoff.queue()[0].notified
                                         and engine.handoff.queue()[0])
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
