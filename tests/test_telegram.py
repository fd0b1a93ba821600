"""End-to-end: the real PTB Application against a fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any, Awaitable, Callable

import pytest

from bot import messages
from bot.telegram_channel import NON_TEXT_OTHER, TelegramChannel, split_message
from tests.fake_telegram import STAFF_CHAT, FakeBotAPI

pytestmark = pytest.mark.telegram

RESIDENT, MERCHANT, WORKER, STRANGER = 111, 222, 9001, 666


def telegram_settings(settings: Any, base_url: str) -> Any:
    tg = {**settings.telegram, "staff_chat_id": STAFF_CHAT, "base_url": base_url, "jobs_interval": 0.2}
    ho = {**settings.handoff, "notify_retry_seconds": 0.2, "notify_max_retry_seconds": 0.5}
    return dataclasses.replace(settings, telegram=tg, handoff=ho)


def run(make_engine: Callable[[], Any], settings: Any, fake: FakeBotAPI,
        scenario: Callable[[Any], Awaitable[None]]) -> None:
    """Start the Application (polling the fake), run the scenario, stop cleanly."""

    async def main() -> None:
        engine = make_engine()
        engine.handoff.add_worker(str(WORKER), "王老师")
        app = TelegramChannel(engine, telegram_settings(settings, fake.base_url)).build("123:TEST")
        await app.initialize()
        if app.post_init is not None:  # what run_polling does after initialize()
            await app.post_init(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=0)
        try:
            await scenario(engine)
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()

    asyncio.run(main())


def texts(fake: FakeBotAPI, chat: int) -> list[str]:
    return [p["text"] for p in fake.sent(chat)]


def last_markup(fake: FakeBotAPI, chat: int) -> dict[str, Any]:
    marked = [p for p in fake.sent(chat) if p.get("reply_markup")]
    return json.loads(marked[-1]["reply_markup"]) if marked else {}


def test_split_message_at_sentence_boundaries():
    text = "第一句。" * 2000
    parts = split_message(text, 4096)
    assert all(len(p) <= 4096 for p in parts) and "".join(parts) == text
    assert all(p.endswith("。") for p in parts)
    assert split_message("短") == ["短"]


def test_resident_tutorial_with_buttons(make_engine, settings):
    with FakeBotAPI() as fake:

        async def scenario(engine: Any) -> None:
            fake.user_text(RESIDENT, "/start")
            await fake.wait_for(lambda: any("隐私提示" in t for t in texts(fake, RESIDENT)))
            fake.user_text(RESIDENT, "孙子不在家，我想在手机上买点菜")
            await fake.wait_for(lambda: any("哪个软件" in t for t in texts(fake, RESIDENT)))
            rows = last_markup(fake, RESIDENT)["keyboard"]
            assert all(len(r) == 1 for r in rows)  # residents: one big button per row
            assert fake.called("sendChatAction")
            fake.user_text(RESIDENT, "多多买菜")
            await fake.wait_for(lambda: any(t.startswith("第1步") for t in texts(fake, RESIDENT)))
            fake.user_text(RESIDENT, "下一步")
            await fake.wait_for(lambda: any(t.startswith("第2步") for t in texts(fake, RESIDENT)))
            fake.user_text(RESIDENT, "/id")
            await fake.wait_for(lambda: any(f"your user id: {RESIDENT}" in t for t in texts(fake, RESIDENT)))
            fake.user_sticker(RESIDENT)
            await fake.wait_for(lambda: NON_TEXT_OTHER in texts(fake, RESIDENT))

        run(make_engine, settings, fake, scenario)


def test_merchant_question(make_engine, settings):
    with FakeBotAPI() as fake:

        async def scenario(engine: Any) -> None:
            fake.user_text(MERCHANT, "预算就几百块怎么推广")
            await fake.wait_for(lambda: any("没什么钱" in t for t in texts(fake, MERCHANT)))
            # The buttons come with the answer's last message, which may still be on its way.
            rows = (await fake.wait_for(lambda: last_markup(fake, MERCHANT).get("keyboard")))
            assert max(len(r) for r in rows) == 2  # merchants: two per row

        run(make_engine, settings, fake, scenario)


def test_handoff_consent_claim_relay_and_close(make_engine, settings):
    with FakeBotAPI(forum=True) as fake:

        async def scenario(engine: Any) -> None:
            fake.user_text(RESIDENT, "/human")
            await fake.wait_for(lambda: messages.CONSENT_ASK in texts(fake, RESIDENT))
            assert fake.sent(STAFF_CHAT) == []  # nothing shared before yes
            fake.user_text(RESIDENT, "可以")
            post = await fake.wait_for(lambda: [p for p in fake.sent(STAFF_CHAT) if "新工单" in p["text"]])
            assert "claim:" in post[0]["reply_markup"]
            # The post is recorded by the fake before the bot hears back; wait for the bot's bookkeeping.
            ticket = await fake.wait_for(lambda: engine.handoff.queue()[0].notified and engine.handoff.queue()[0])
            assert ticket.consent == 1
            posted = {"message_id": ticket.staff_message_id, "date": 0, "text": post[0]["text"],
                      "chat": {"id": STAFF_CHAT, "type": "supergroup", "title": "社工组", "is_forum": True}}
            # Someone who is not a social worker is refused and nothing changes.
            fake.press(STRANGER, f"claim:{ticket.id}", posted)
            await fake.wait_for(lambda: [a for a in fake.called("answerCallbackQuery") if a.get("show_alert")])
            assert engine.handoff.require(ticket.id).status == "waiting"
            fake.press(WORKER, f"claim:{ticket.id}", posted)
            await fake.wait_for(lambda: fake.called("createForumTopic"))
            await fake.wait_for(lambda: any("王老师已经来了" in t for t in texts(fake, RESIDENT)))
            thread = engine.handoff.require(ticket.id).thread_id
            assert thread and fake.called("editMessageText")
            # Person -> social worker, in the ticket's topic.
            fake.user_text(RESIDENT, "王老师好，我眼睛不好")
            relayed = await fake.wait_for(lambda: [p for p in fake.sent(STAFF_CHAT) if "我眼睛不好" in p["text"]])
            assert int(relayed[0]["message_thread_id"]) == thread
            # Social worker -> person, marked as from a social worker.
            fake.staff_text(WORKER, "您好，我来帮您", thread_id=thread)
            await fake.wait_for(lambda: "👩 社工王老师：您好，我来帮您" in texts(fake, RESIDENT))
            # A non-worker writing in the topic is refused.
            fake.staff_text(STRANGER, "我也来说两句", thread_id=thread)
            await fake.wait_for(lambda: messages.STAFF_NOT_WORKER in texts(fake, STAFF_CHAT))
            assert "我也来说两句" not in "".join(texts(fake, RESIDENT))
            fake.staff_text(WORKER, "/close 教会了用长辈模式", thread_id=thread)
            await fake.wait_for(lambda: messages.CLOSED_NOTICE in texts(fake, RESIDENT))
            await fake.wait_for(lambda: fake.called("closeForumTopic"))
            closed = engine.handoff.require(ticket.id)
            assert closed.status == "closed" and closed.close_note == "教会了用长辈模式"
            fake.user_text(RESIDENT, "谢谢")
            await fake.wait_for(lambda: messages.THANKS_REPLY in texts(fake, RESIDENT))  # back with the bot

        run(make_engine, settings, fake, scenario)


def test_reply_thread_mode_and_queue(make_engine, settings):
    with FakeBotAPI(forum=False) as fake:

        async def scenario(engine: Any) -> None:
            fake.user_text(MERCHANT, "找社工")
            fake.user_text(MERCHANT, "可以")
            await fake.wait_for(lambda: engine.handoff.queue() and engine.handoff.queue()[0].notified)
            ticket = engine.handoff.queue()[0]
            fake.staff_text(WORKER, "/queue")
            await fake.wait_for(lambda: any(f"#{ticket.id}" in t and "待处理" in t for t in texts(fake, STAFF_CHAT)))
            posted = {"message_id": ticket.staff_message_id, "date": 0, "text": "x",
                      "chat": {"id": STAFF_CHAT, "type": "supergroup", "title": "社工组"}}
            fake.press(WORKER, f"claim:{ticket.id}", posted)
            await fake.wait_for(lambda: engine.handoff.require(ticket.id).status == "claimed")
            assert not fake.called("createForumTopic")
            fake.staff_text(WORKER, "请问您开的什么店？", reply_to=posted)
            await fake.wait_for(lambda: any("请问您开的什么店" in t for t in texts(fake, MERCHANT)))

        run(make_engine, settings, fake, scenario)


def test_urgent_reaches_staff_at_once_and_repeats_until_claimed(make_engine, settings):
    with FakeBotAPI() as fake:
        s = dataclasses.replace(settings, handoff={**settings.handoff, "urgent_repeat_minutes": 0.005})

        async def scenario(engine: Any) -> None:
            fake.user_text(RESIDENT, "有人打电话让我把钱转到安全账户 我已经转了一万")
            await fake.wait_for(lambda: any("110" in t for t in texts(fake, RESIDENT)))
            await fake.wait_for(lambda: any("紧急工单" in t for t in texts(fake, STAFF_CHAT)))
            await fake.wait_for(lambda: any("还没有人接" in t for t in texts(fake, STAFF_CHAT)))

        run(make_engine, s, fake, scenario)


def test_staff_group_down_then_up_loses_nothing(make_engine, settings):
    with FakeBotAPI() as fake:
        fake.fail_chats.add(STAFF_CHAT)

        async def scenario(engine: Any) -> None:
            fake.user_text(RESIDENT, "我爸有老年痴呆出门到现在没回来")
            await fake.wait_for(lambda: any("110" in t for t in texts(fake, RESIDENT)))
            ticket = await fake.wait_for(lambda: engine.handoff.queue() and engine.handoff.queue()[0])
            await fake.wait_for(lambda: engine.handoff.require(ticket.id).notify_attempts >= 2)
            assert engine.handoff.require(ticket.id).notified == 0
            fake.fail_chats.clear()
            await fake.wait_for(lambda: engine.handoff.require(ticket.id).notified == 1)
            assert any(f"#{ticket.id}" in t for t in texts(fake, STAFF_CHAT))

        run(make_engine, settings, fake, scenario)


def test_restart_in_the_middle_of_an_open_relay(make_engine, settings):
    with FakeBotAPI() as fake:
        box: dict[str, Any] = {}

        async def before(engine: Any) -> None:
            fake.user_text(RESIDENT, "找社工")
            fake.user_text(RESIDENT, "可以")
            ticket = await fake.wait_for(lambda: engine.handoff.queue() and engine.handoff.queue()[0].notified
                                         and engine.handoff.queue()[0])
            posted = {"message_id": ticket.staff_message_id, "date": 0, "text": "x",
                      "chat": {"id": STAFF_CHAT, "type": "supergroup", "title": "社工组", "is_forum": True}}
            fake.press(WORKER, f"claim:{ticket.id}", posted)
            await fake.wait_for(lambda: engine.handoff.require(ticket.id).thread_id)
            box["ticket"] = engine.handoff.require(ticket.id)

        run(make_engine, settings, fake, before)

        async def after(engine: Any) -> None:
            ticket = box["ticket"]
            fake.user_text(RESIDENT, "重启以后还在吗")
            relayed = await fake.wait_for(lambda: [p for p in fake.sent(STAFF_CHAT) if "重启以后还在吗" in p["text"]])
            assert int(relayed[0]["message_thread_id"]) == ticket.thread_id
            fake.staff_text(WORKER, "在的", thread_id=ticket.thread_id)
            await fake.wait_for(lambda: "👩 社工王老师：在的" in texts(fake, RESIDENT))

        run(make_engine, settings, fake, after)


def test_terminal_reply_is_delivered_by_the_job(make_engine, settings):
    with FakeBotAPI() as fake:

        async def scenario(engine: Any) -> None:
            fake.user_text(RESIDENT, "找社工")
            fake.user_text(RESIDENT, "可以")
            ticket = await fake.wait_for(lambda: engine.handoff.queue() and engine.handoff.queue()[0])
            engine.handoff.claim(ticket.id, str(WORKER))
            engine.handoff.add_message(ticket.id, "worker", "我是王老师，从电脑上回复您", delivered=False)
            await fake.wait_for(lambda: any("从电脑上回复您" in t for t in texts(fake, RESIDENT)))
            await fake.wait_for(lambda: engine.handoff.outbox() == [])  # marked delivered once sent

        run(make_engine, settings, fake, scenario)


def test_flood_gets_one_slow_down_note(make_engine, settings):
    with FakeBotAPI() as fake:
        s = dataclasses.replace(settings, telegram={**settings.telegram, "flood_messages": 3, "flood_seconds": 60.0})

        async def scenario(engine: Any) -> None:
            for i in range(8):
                fake.user_text(MERCHANT, f"你好{i}")
            await fake.wait_for(lambda: messages.SLOW_DOWN in texts(fake, MERCHANT))
            await asyncio.sleep(0.5)
            assert texts(fake, MERCHANT).count(messages.SLOW_DOWN) == 1
            rows = list(engine.store.db.query("SELECT text FROM transcript WHERE direction = 'in'"))
            assert len(rows) == 8  # every message kept, even the ones not answered
            fake.user_text(MERCHANT, "我爸摔倒了起不来")  # urgent still gets through
            await fake.wait_for(lambda: any("120" in t for t in texts(fake, MERCHANT)))

        run(make_engine, s, fake, scenario)


def test_run_starts_telegram_only_with_a_token(monkeypatch, capsys):
    from bot import cli

    started = {}
    monkeypatch.setattr("bot.telegram_channel.run_telegram", lambda s, e: started.update(token=s.telegram["token"]))
    monkeypatch.setattr(cli, "_engine", lambda args: object())
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    assert cli.main(["run"]) == 0
    assert started == {"token": "123:abc"}


def test_webhook_mode_needs_a_url(tmp_path, monkeypatch):
    from bot.config import load_config
    from bot.errors import ConfigError
    from tests.factories import CONFIG_TEMPLATE, write_project

    cfg = write_project(tmp_path, CONFIG_TEMPLATE + "channels:\n  telegram:\n    mode: webhook\n")
    with pytest.raises(ConfigError, match="webhook_url' is required in webhook mode"):
        load_config(cfg)
    cfg = write_project(tmp_path, CONFIG_TEMPLATE + "channels:\n  telegram:\n    mode: push\n")
    with pytest.raises(ConfigError, match="must be polling or webhook"):
        load_config(cfg)
    monkeypatch.setenv("TELEGRAM_BASE_URL", "http://127.0.0.1:9")
    cfg = write_project(tmp_path, CONFIG_TEMPLATE + "channels:\n  telegram:\n    staff_chat_id: -100\n")
    s = load_config(cfg)
    assert s.telegram["base_url"] == "http://127.0.0.1:9" and s.telegram["staff_chat_id"] == -100


def test_feedback_question_has_inline_buttons_and_a_tap_is_stored(make_engine, settings):
    with FakeBotAPI() as fake:

        async def scenario(engine: Any) -> None:
            fake.user_text(MERCHANT, "做海报有没有免费的软件")
            asked = await fake.wait_for(lambda: [p for p in fake.sent(MERCHANT) if p["text"] == messages.FEEDBACK_ASK])
            markup = json.loads(asked[0]["reply_markup"])
            assert [b["callback_data"] for b in markup["inline_keyboard"][0]] == ["fb:1", "fb:0"]
            # The answer's own reply keyboard (怎么用 / 收费吗) was sent before and is not replaced.
            answer_keyboards = [json.loads(p["reply_markup"]) for p in fake.sent(MERCHANT)
                                if p.get("reply_markup") and "keyboard" in p["reply_markup"]]
            assert any("收费吗" in json.dumps(k, ensure_ascii=False) for k in answer_keyboards)
            message = {"message_id": 1, "date": 0, "chat": {"id": MERCHANT, "type": "private"},
                       "text": messages.FEEDBACK_ASK, "reply_markup": markup}
            fake.press(MERCHANT, "fb:0", message)
            await fake.wait_for(lambda: messages.FEEDBACK_SORRY in texts(fake, MERCHANT))
            rows = await fake.wait_for(lambda: list(engine.store.db["feedback"].rows))
            assert [(r["kind"], r["helpful"]) for r in rows] == [("tool", 0)]
            assert fake.called("editMessageReplyMarkup")  # the buttons are taken away after the tap
            edits = len(fake.called("editMessageReplyMarkup"))
            # A second tap (the message no longer has buttons) is not counted, and nothing is edited.
            fake.press(MERCHANT, "fb:1", {k: v for k, v in message.items() if k != "reply_markup"})
            await fake.wait_for(lambda: messages.FEEDBACK_ALREADY in texts(fake, MERCHANT))
            assert engine.store.db["feedback"].count == 1
            assert len(fake.called("editMessageReplyMarkup")) == edits

        run(make_engine, settings, fake, scenario)


def test_command_menus_are_set_at_start_for_people_and_the_staff_group(make_engine, settings):
    with FakeBotAPI() as fake:

        async def scenario(engine: Any) -> None:
            calls = await fake.wait_for(lambda: len(fake.called("setMyCommands")) >= 2 and fake.called("setMyCommands"))
            scopes = [json.loads(c["scope"]) if isinstance(c["scope"], str) else c["scope"] for c in calls]
            assert {"type": "all_private_chats"} in scopes
            assert {"type": "chat", "chat_id": STAFF_CHAT} in scopes
            menus = [json.loads(c["commands"]) if isinstance(c["commands"], str) else c["commands"] for c in calls]
            assert any({"command": "human", "description": "找社工"} in m for m in menus)
            assert any(m and m[0]["command"] == "queue" for m in menus)

        run(make_engine, settings, fake, scenario)


def test_without_a_staff_group_the_bot_warns_that_nobody_is_alerted(monkeypatch, caplog, settings, make_engine):
    from bot import telegram_channel

    class App:
        def run_polling(self, **kwargs: Any) -> None:
            pass

    monkeypatch.setattr(telegram_channel.TelegramChannel, "build", lambda self, token: App())
    s = dataclasses.replace(settings, telegram={**settings.telegram, "token": "1:x", "staff_chat_id": 0})
    with caplog.at_level("WARNING"):
        telegram_channel.run_telegram(s, make_engine())
    assert "staff_chat_id is not set" in caplog.text and "linli handoff list" in caplog.text


def _make_due(engine: Any) -> None:
    """Time passes: every reminder still to come is due now (the job sends it within jobs_interval)."""
    engine.store.db.execute("UPDATE reminders SET due_at = '2000-01-01T00:00:00+00:00' WHERE status = 'active'")


def test_reminders_are_sent_by_the_job_queue_and_followups_reach_the_staff_group(make_engine, settings):
    with FakeBotAPI() as fake:

        async def scenario(engine: Any) -> None:
            fake.user_text(RESIDENT, "明天早上8点提醒我去取菜")
            await fake.wait_for(lambda: any("提醒您：去取菜" in t for t in texts(fake, RESIDENT)))
            _make_due(engine)
            sent = await fake.wait_for(lambda: [t for t in texts(fake, RESIDENT) if t.startswith("⏰")])
            assert sent[0].startswith(messages.REMINDER_DUE.format(task="去取菜")) and "晚到了" in sent[0]
            await asyncio.sleep(0.5)  # a few more runs of the job: sent once only
            assert len([t for t in texts(fake, RESIDENT) if t.startswith("⏰")]) == 1
            ticket = engine.handoff.open(str(MERCHANT), "telegram", str(MERCHANT), "normal", "request_human", "找社工")
            fake.staff_text(STRANGER, f"/remind {ticket.id} 明天上午10点 电话回访")
            await fake.wait_for(lambda: messages.STAFF_NOT_WORKER in texts(fake, STAFF_CHAT))
            fake.staff_text(WORKER, f"/remind {ticket.id} 明天上午10点 电话回访")
            await fake.wait_for(lambda: any(f"工单 #{ticket.id} 的回访提醒定在明天" in t for t in texts(fake, STAFF_CHAT)))
            fake.staff_text(WORKER, "/remind")
            await fake.wait_for(lambda: messages.STAFF_REMIND_HOW in texts(fake, STAFF_CHAT))
            _make_due(engine)
            await fake.wait_for(lambda: any(t.startswith(messages.FOLLOWUP_DUE.format(ticket=ticket.id, note="电话回访"))
                                            for t in texts(fake, STAFF_CHAT)))

        run(make_engine, settings, fake, scenario)
