"""Pictures and voice notes on the web (issue 15): the page's uploads, who may fetch a file, the console."""

from __future__ import annotations

import re

import pytest

from bot import media
from bot.media import SpeechToText
from bot.store import MEDIA
from tests.fake_stt import JPEG, PNG, FakeSpeech, voice_note
from tests.test_console import act, app, browser, csrf, engine, person_asks_for_help, sign_in  # noqa: F401


def upload(c, data: bytes, kind: str = "photo", ctype: str = "image/jpeg"):
    return c.post(f"/api/media?kind={kind}", content=data, headers={"Content-Type": ctype})


def texts_of(r) -> list[str]:
    return [m["text"] for m in r.json()["messages"]]


def test_photo_without_a_handoff_is_answered_kindly_and_stored_outside_the_web_root(app, engine):
    p = browser(app)
    p.get("/api/start")
    r = upload(p, JPEG)
    assert r.status_code == 200, r.text
    assert texts_of(r) == [media.PHOTO_NO_HANDOFF]
    assert r.json()["messages"][0]["buttons"][0]["title"] == "找社工"
    item = engine.media.of_user("web:" + p.cookies["linli_id"])[0]
    assert "static" not in str(item.file) and "/bot/web" not in str(item.file)
    assert p.get(f"/static/{item.path}").status_code == 404
    got = p.get(f"/api/media/{item.id}")
    assert got.status_code == 200 and got.content == JPEG
    assert got.headers["content-type"] == "image/jpeg" and got.headers["x-content-type-options"] == "nosniff"


def test_type_is_checked_by_content_not_by_the_clients_word(app, engine):
    p = browser(app)
    r = upload(p, b"<html><script>alert(1)</script></html>", ctype="image/jpeg")
    assert r.status_code == 200 and texts_of(r) == [media.NOT_SUPPORTED]
    assert engine.store.db[MEDIA].count == 0
    r = upload(p, JPEG, ctype="application/octet-stream")  # a real JPEG whatever it is called
    assert texts_of(r) == [media.PHOTO_NO_HANDOFF]


def test_forms_and_text_bodies_are_refused(app):
    p = browser(app)
    for ctype in ("multipart/form-data; boundary=x", "text/plain", "application/x-www-form-urlencoded"):
        r = upload(p, JPEG, ctype=ctype)
        assert r.status_code == 415 and "Content-Type" in r.json()["error"]


def test_size_cap(app, engine):
    engine.media.max_bytes = 1000
    p = browser(app)
    r = upload(p, JPEG + b"\0" * 2000)
    assert r.status_code == 200 and "太大" in texts_of(r)[0]
    assert engine.store.db[MEDIA].count == 0


def test_one_person_can_never_fetch_anothers_media(app, engine):
    a, b = browser(app), browser(app)
    a.get("/api/start")
    b.get("/api/start")
    upload(a, JPEG)
    item = engine.media.of_user("web:" + a.cookies["linli_id"])[0]
    assert a.get(f"/api/media/{item.id}").status_code == 200
    assert b.get(f"/api/media/{item.id}").status_code == 404
    stranger = browser(app)  # no cookie at all
    assert stranger.get(f"/api/media/{item.id}").status_code == 404
    assert b.get(f"/api/media/{item.id + 1000}").status_code == 404
    # Nor through the console's route without a worker's session.
    assert b.get(f"/console/api/media/{item.id}").status_code == 401


def test_voice_note_transcribed_and_handled_like_text(app, engine):
    with FakeSpeech() as stt:
        engine.speech = SpeechToText(url=stt.url, timeout=5.0)
        p = browser(app)
        p.get("/api/start")
        r = upload(p, voice_note("有人撬我家门"), "voice", "audio/ogg")
        assert r.status_code == 200, r.text
        said = texts_of(r)
        assert said[0] == "我听到您说：「有人撬我家门」" and r.json()["transcript"] == "有人撬我家门"
        assert r.json()["handoff"]["status"] == "waiting"  # an urgent ticket, as typed words would open
        assert any("110" in t for t in said)
        user = "web:" + p.cookies["linli_id"]
        assert engine.handoff.active(user).priority == "urgent"


def test_voice_note_kept_when_speech_to_text_fails(app, engine):
    with FakeSpeech() as stt:
        stt.status = 500
        engine.speech = SpeechToText(url=stt.url, timeout=5.0)
        p = browser(app)
        r = upload(p, voice_note("你好"), "voice", "audio/webm;codecs=opus")
        assert texts_of(r) == [media.VOICE_KEPT]
        assert engine.store.db[MEDIA].count == 1


def test_photo_reaches_the_worker_and_the_workers_photo_reaches_the_person(app, engine):
    p, ticket = person_asks_for_help(app)
    r = upload(p, JPEG)
    assert texts_of(r) == [media.PHOTO_WAITING]
    w = browser(app)
    sign_in(w)
    token = csrf(w)
    assert act(w, ticket, "claim", token=token).status_code == 200
    r = upload(p, PNG)
    assert texts_of(r) == [media.PHOTO_TO_WORKER]
    card = w.get(f"/console/api/tickets/{ticket}").json()
    shown = [m["media"] for m in card["messages"] if m.get("media")]
    assert [m["kind"] for m in shown] == ["photo", "photo"]
    assert len(card["media"]) == 2
    got = w.get(shown[0]["url"])
    assert got.status_code == 200 and got.content == JPEG
    # The worker replies with a picture; the person's page gets it with its next poll.
    r = w.post(f"/console/api/tickets/{ticket}/photo", content=PNG,
               headers={"Content-Type": "image/png", "X-CSRF-Token": token})
    assert r.status_code == 200, r.text
    polled = p.get("/api/poll").json()["messages"]
    images = [m for m in polled if m.get("image")]
    assert len(images) == 1 and "社工" in images[0]["text"]
    assert p.get(images[0]["image"]).content == PNG
    # The reloaded page shows it too.
    assert any(m.get("image") for m in p.get("/api/start").json()["history"])
    actions = [a["action"] for a in engine.handoff.actions(ticket)]
    assert "reply_photo" in actions and "view_media" in actions


def test_worker_photo_needs_csrf_a_claim_and_a_picture(app, engine):
    p, ticket = person_asks_for_help(app)
    w = browser(app)
    sign_in(w)
    token = csrf(w)
    send = lambda data, tok=token: w.post(f"/console/api/tickets/{ticket}/photo", content=data,  # noqa: E731
                                          headers={"Content-Type": "image/jpeg", "X-CSRF-Token": tok})
    assert send(JPEG, "wrong").status_code == 403
    assert send(JPEG).status_code == 409  # claim first
    act(w, ticket, "claim", token=token)
    assert send(voice_note("x")).status_code == 415
    assert send(b"<svg/>").status_code == 415
    assert send(JPEG).status_code == 200
    other = browser(app)
    sign_in(other, "8")
    assert other.post(f"/console/api/tickets/{ticket}/photo", content=JPEG,
                      headers={"Content-Type": "image/jpeg", "X-CSRF-Token": csrf(other)}).status_code == 409


def test_chat_page_has_photo_and_voice_controls(app):
    page = browser(app).get("/").text
    assert re.search(r'<input id="photo" type="file" accept="image/\*"', page)
    assert 'id="voice"' in page


def test_the_card_says_what_they_asked_not_that_they_sent_a_picture(app, engine):
    p = browser(app)
    p.get("/api/start")
    p.post("/api/chat", json={"message": "我想学用手机买菜"})
    upload(p, JPEG)
    p.post("/api/chat", json={"message": "找社工"})
    out = p.post("/api/chat", json={"message": "可以"}).json()
    ticket = int(re.search(r"编号 (\d+)", " ".join(m["text"] for m in out["messages"])).group(1))
    w = browser(app)
    sign_in(w)
    card = w.get(f"/console/api/tickets/{ticket}").json()
    assert card["asked_full"] == "我想学用手机买菜"
    assert [m["kind"] for m in card["media"]] == ["photo"]
