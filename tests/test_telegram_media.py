"""Pictures and voice notes on Telegram (issue 15), end to end against the fake Bot API server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot import media, messages
from bot.media import SpeechToText
from bot.store import MEDIA
from bot.telegram_channel import NON_TEXT_OTHER
from tests.fake_stt import JPEG, PNG, FakeSpeech, voice_note
from tests.fake_telegram import STAFF_CHAT, FakeBotAPI
from tests.test_telegram import RESIDENT, WORKER, run, texts

pytestmark = pytest.mark.telegram


def uploads(fake: FakeBotAPI, method: str, chat: int) -> list[tuple[dict[str, Any], bytes]]:
    return [(p, data) for m, p, data in list(fake.uploads) if m == method and int(p["chat_id"]) == chat]


async def claimed_ticket(fake: FakeBotAPI, engine: Any) -> Any:
    """The resident asks for a social worker, consents, and the worker claims in the staff group."""
    fake.user_text(RESIDENT, "/human")
    await fake.wait_for(lambda: messages.CONSENT_ASK in texts(fake, RESIDENT))
    fake.user_text(RESIDENT, "可以")
    post = await fake.wait_for(lambda: [p for p in fake.sent(STAFF_CHAT) if "新工单" in p["text"]])
    ticket = await fake.wait_for(lambda: engine.handoff.queue() and engine.handoff.queue()[0].notified
                                 and engine.handoff.queue()[0])
    # A photo while it waits: kept with the ticket, shown in the topic once claimed.
    fake.user_photo(RESIDENT, JPEG)
    await fake.wait_for(lambda: media.PHOTO_WAITING in texts(fake, RESIDENT))
    posted = {"message_id": ticket.staff_message_id, "date": 0, "text": post[0]["text"],
              "chat": {"id": STAFF_CHAT, "type": "supergroup", "title": "社工组", "is_forum": True}}
    fake.press(WORKER, f"claim:{ticket.id}", posted)
    await fake.wait_for(lambda: any("王老师已经来了" in t for t in texts(fake, RESIDENT)))
    return engine.handoff.require(ticket.id)


def test_photos_both_ways_through_the_staff_topic(make_engine, settings):
    with FakeBotAPI(forum=True) as fake:

        async def scenario(engine: Any) -> None:
            ticket = await claimed_ticket(fake, engine)
            # The photo sent while waiting reaches the topic after the claim.
            first = await fake.wait_for(lambda: uploads(fake, "sendPhoto", STAFF_CHAT))
            assert first[0][1] == JPEG and int(first[0][0]["message_thread_id"]) == ticket.thread_id
            # A photo now goes straight to the topic, with no reply to the person (the worker answers).
            before = len(texts(fake, RESIDENT))
            fake.user_photo(RESIDENT, PNG)
            sent = await fake.wait_for(lambda: [u for u in uploads(fake, "sendPhoto", STAFF_CHAT) if u[1] == PNG])
            assert f"#{ticket.id}" in sent[0][0]["caption"]
            assert len(texts(fake, RESIDENT)) == before
            # The worker's photo in the topic reaches the person, marked as from the worker.
            fake.staff_photo(WORKER, JPEG, ticket.thread_id, caption="这样点")
            got = await fake.wait_for(lambda: uploads(fake, "sendPhoto", RESIDENT))
            assert got[0][1] == JPEG and got[0][0]["caption"] == "👩 社工王老师：这样点"
            rows = list(engine.store.db[MEDIA].rows)
            assert [r["sender"] for r in rows] == ["person", "person", "worker"]
            assert all(r["ticket_id"] == ticket.id for r in rows)
            await fake.wait_for(lambda: not engine.handoff.outbox())  # everything delivered (marked after the send)

        run(make_engine, settings, fake, scenario)


def test_voice_with_speech_to_text_is_handled_as_words_and_reaches_the_topic(make_engine, settings):
    with FakeBotAPI(forum=True) as fake, FakeSpeech() as stt:

        def build() -> Any:
            engine = make_engine()
            engine.speech = SpeechToText(url=stt.url, timeout=5.0)
            return engine

        async def scenario(engine: Any) -> None:
            fake.user_voice(RESIDENT, voice_note("有人撬我家门"))
            await fake.wait_for(lambda: "我听到您说：「有人撬我家门」" in texts(fake, RESIDENT))
            await fake.wait_for(lambda: any("110" in t for t in texts(fake, RESIDENT)))
            ticket = engine.handoff.active("tg:%d" % RESIDENT)
            assert ticket is not None and ticket.priority == "urgent"
            assert stt.requests and fake.called("download")

        run(build, settings, fake, scenario)


def test_voice_without_speech_to_text_is_kept_and_sent_to_the_worker(make_engine, settings):
    with FakeBotAPI(forum=True) as fake:

        async def scenario(engine: Any) -> None:
            fake.user_voice(RESIDENT, voice_note("你好"))
            await fake.wait_for(lambda: media.VOICE_KEPT in texts(fake, RESIDENT))
            assert engine.store.db[MEDIA].count == 1
            ticket = await claimed_ticket(fake, engine)
            fake.user_voice(RESIDENT, voice_note("王老师"))
            got = await fake.wait_for(lambda: uploads(fake, "sendVoice", STAFF_CHAT))
            assert int(got[0][0]["message_thread_id"]) == ticket.thread_id and b"OggS" in got[0][1]

        run(make_engine, settings, fake, scenario)


def test_too_big_or_not_a_picture(make_engine, settings):
    with FakeBotAPI(forum=True) as fake:

        async def scenario(engine: Any) -> None:
            fake.user_voice(RESIDENT, voice_note("x"), size=50_000_000)
            await fake.wait_for(lambda: any("太大" in t for t in texts(fake, RESIDENT)))
            assert not fake.called("getFile")
            fake.user_photo(RESIDENT, b"<html>not a photo</html>")
            await fake.wait_for(lambda: media.NOT_SUPPORTED in texts(fake, RESIDENT))
            fake.user_sticker(RESIDENT)  # still answered kindly, as before
            await fake.wait_for(lambda: NON_TEXT_OTHER in texts(fake, RESIDENT))
            assert engine.store.db[MEDIA].count == 0

        run(make_engine, settings, fake, scenario)


def test_a_photos_caption_is_read_like_typed_words(make_engine, settings):
    with FakeBotAPI(forum=True) as fake:

        async def scenario(engine: Any) -> None:
            fake.user_photo(RESIDENT, JPEG, caption="我要找社工")
            await fake.wait_for(lambda: media.PHOTO_WITH_WORDS in texts(fake, RESIDENT))
            await fake.wait_for(lambda: messages.CONSENT_ASK in texts(fake, RESIDENT))
            assert engine.store.db[MEDIA].count == 1

        run(make_engine, settings, fake, scenario)


# ---- the same rate limiting as text (issue 15) ----------------------------------------------------

def test_photos_and_voice_go_through_the_bots_rate_limiter(make_engine, settings, monkeypatch):
    """Every sendPhoto/sendVoice passes PTB's AIORateLimiter (Telegram's 30/s and 20/min per group), like text."""
    from telegram.ext import AIORateLimiter

    seen: list[tuple[str, int]] = []
    original = AIORateLimiter.process_request

    async def recording(self: Any, callback: Any, args: Any, kwargs: Any, endpoint: str, data: Any,
                        rate_limit_args: Any) -> Any:
        seen.append((endpoint, int(data.get("chat_id") or 0)))
        return await original(self, callback, args, kwargs, endpoint, data, rate_limit_args)

    monkeypatch.setattr(AIORateLimiter, "process_request", recording)
    with FakeBotAPI(forum=True) as fake:

        async def scenario(engine: Any) -> None:
            ticket = await claimed_ticket(fake, engine)
            await fake.wait_for(lambda: uploads(fake, "sendPhoto", STAFF_CHAT))
            fake.user_voice(RESIDENT, voice_note("王老师"))
            await fake.wait_for(lambda: uploads(fake, "sendVoice", STAFF_CHAT))
            fake.staff_photo(WORKER, PNG, ticket.thread_id)
            await fake.wait_for(lambda: uploads(fake, "sendPhoto", RESIDENT))

        run(make_engine, settings, fake, scenario)
    assert ("sendPhoto", STAFF_CHAT) in seen and ("sendVoice", STAFF_CHAT) in seen and ("sendPhoto", RESIDENT) in seen
    assert ("sendMessage", RESIDENT) in seen  # text goes the same way


def test_a_429_on_a_photo_waits_retry_after_and_sends_it_once_each_way(make_engine, settings):
    with FakeBotAPI(forum=True) as fake:

        async def scenario(engine: Any) -> None:
            ticket = await claimed_ticket(fake, engine)
            await fake.wait_for(lambda: uploads(fake, "sendPhoto", STAFF_CHAT))
            # The staff group is rate-limited: the person's photo waits in the outbox for retry_after ...
            fake.rate_limit(STAFF_CHAT, 2)
            fake.user_photo(RESIDENT, PNG)
            waiting = await fake.wait_for(lambda: [i for i in engine.handoff.out.pending(ticket_id=ticket.id)
                                                   if i.attempts and i.chat_id == "staff"])
            assert "RetryAfter" in (waiting[0].last_error or "")
            # ... while the person's own chat is not held up.
            fake.user_text(RESIDENT, "王老师 您看到了吗")
            await fake.wait_for(lambda: engine.handoff.out.pending(ticket_id=ticket.id) and
                                any("您看到了吗" in m["text"] for m in engine.handoff.messages(ticket.id)))
            await fake.wait_for(lambda: [u for u in uploads(fake, "sendPhoto", STAFF_CHAT) if u[1] == PNG], timeout=20)
            # A worker's photo to a rate-limited person waits too, then arrives once.
            fake.rate_limit(RESIDENT, 2)
            fake.staff_photo(WORKER, JPEG, ticket.thread_id, caption="看这里")
            await fake.wait_for(lambda: uploads(fake, "sendPhoto", RESIDENT), timeout=20)
            await fake.wait_for(lambda: not engine.handoff.out.pending(ticket_id=ticket.id), timeout=20)
            assert len([u for u in uploads(fake, "sendPhoto", STAFF_CHAT) if u[1] == PNG]) == 1
            assert len(uploads(fake, "sendPhoto", RESIDENT)) == 1

        run(make_engine, settings, fake, scenario)


def test_a_flood_of_photos_gets_one_slow_down_note_but_never_a_hand_offs(make_engine, settings):
    import dataclasses

    s = dataclasses.replace(settings, telegram={**settings.telegram, "flood_messages": 3, "flood_seconds": 60.0})
    with FakeBotAPI(forum=True) as fake:

        async def scenario(engine: Any) -> None:
            for _ in range(7):
                fake.user_photo(RESIDENT, JPEG)
            await fake.wait_for(lambda: messages.SLOW_DOWN in texts(fake, RESIDENT))
            await asyncio.sleep(0.8)
            assert texts(fake, RESIDENT).count(messages.SLOW_DOWN) == 1
            assert texts(fake, RESIDENT).count(media.PHOTO_NO_HANDOFF) <= 3
            kept = list(engine.store.db.query("SELECT text, intent FROM transcript WHERE direction = 'in'"))
            assert len(kept) == 7 and all(r["text"] == media.PHOTO_MARK for r in kept)  # every one recorded
            assert engine.store.db[MEDIA].count <= 3  # the flood's files were not downloaded
            fake.user_photo(RESIDENT, JPEG, caption="我爸摔倒了起不来")  # urgent words still get through
            await fake.wait_for(lambda: any("120" in t for t in texts(fake, RESIDENT)))
            assert engine.handoff.active(f"tg:{RESIDENT}") is not None
            before = engine.store.db[MEDIA].count
            for _ in range(3):  # still flooding, but now for the social worker: every one is kept
                fake.user_photo(RESIDENT, PNG)
            await fake.wait_for(lambda: engine.store.db[MEDIA].count == before + 3)

        run(make_engine, s, fake, scenario)
