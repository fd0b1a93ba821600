"""Pictures and voice notes (bot/media.py): type by content, storage, speech to text, the entry point."""

from __future__ import annotations

import os
import stat
import time

import pytest

from bot import media
from bot.media import MediaError, MediaStore, SpeechToText, Upload, sniff
from bot.models import IncomingMessage
from bot.store import MEDIA, Store, open_db
from tests.fake_stt import JPEG, PNG, FakeSpeech, voice_note

PERSON = "web:AAAAAAAAAAAAAAAAAAAAAAAA"


@pytest.mark.parametrize("data, mime", [
    (JPEG, "image/jpeg"), (PNG, "image/png"), (b"GIF89a" + b"\0" * 20, "image/gif"),
    (b"RIFF\0\0\0\0WEBPVP8 " + b"\0" * 20, "image/webp"), (b"RIFF\0\0\0\0WAVEfmt " + b"\0" * 20, "audio/wav"),
    (voice_note(), "audio/ogg"), (b"ID3\x04" + b"\0" * 20, "audio/mpeg"), (b"\xff\xfb\x90\x00" + b"\0" * 20, "audio/mpeg"),
    (b"\0\0\0\x20ftypM4A " + b"\0" * 20, "audio/mp4"), (b"\x1a\x45\xdf\xa3" + b"\0" * 20, "audio/webm"),
    (b"#!AMR\n" + b"\0" * 20, "audio/amr"),
])
def test_types_are_read_from_the_content(data, mime):
    assert sniff(data) == mime


@pytest.mark.parametrize("data", [
    b"", b"<html><script>alert(1)</script>", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", b"%PDF-1.7",
    b"MZ\x90\x00", b"PK\x03\x04", b"\xff\xf1\x50\x80" + b"\0" * 8, "你好".encode(),
])
def test_other_content_is_refused_whatever_it_is_called(tmp_path, data):
    store = MediaStore(open_db(None), tmp_path / "m")
    with pytest.raises(MediaError) as exc:
        store.save(PERSON, data)
    assert "not a JPEG" in str(exc.value) and "照片和语音" in exc.value.user_message
    assert not (tmp_path / "m").exists() or not list((tmp_path / "m").iterdir())


def test_saved_with_a_random_name_private_permissions_and_a_row(tmp_path):
    db = open_db(None)
    store = MediaStore(db, tmp_path / "m")
    a = store.save(PERSON, JPEG)
    b = store.save(PERSON, voice_note("你好"))
    assert (a.kind, a.mime, b.kind, b.mime) == ("photo", "image/jpeg", "voice", "audio/ogg")
    names = sorted((a.path, b.path))  # the name only, relative to the media directory
    assert all(len(n.split(".")[0]) == 32 and "/" not in n for n in names) and a.path != b.path
    assert a.file == tmp_path / "m" / a.path and b.file.read_bytes()[:4] == b"OggS"
    assert stat.S_IMODE(os.stat(a.file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "m").st_mode) == 0o700
    assert a.read() == JPEG and a.bytes == len(JPEG)
    assert not list((tmp_path / "m").glob("*.part"))
    assert store.for_user(PERSON, a.id) == a
    assert store.for_user("web:someone-else-entirely", a.id) is None
    assert store.for_user("", a.id) is None


def test_size_cap_and_expected_kind(tmp_path):
    store = MediaStore(open_db(None), tmp_path / "m", max_bytes=100)
    with pytest.raises(MediaError) as exc:
        store.save(PERSON, JPEG + b"\0" * 200)
    assert "over the cap" in str(exc.value) and "太大" in exc.value.user_message
    with pytest.raises(MediaError):
        store.save(PERSON, voice_note(), expected="photo")


def test_default_directory_is_next_to_the_database(tmp_path):
    db = open_db(tmp_path / "data" / "linli.db")
    assert media.default_media_dir(db) == tmp_path / "data" / "linli-media"


def test_deleted_with_the_person_and_listed_by_the_export(tmp_path):
    db = open_db(tmp_path / "linli.db")
    store, s = MediaStore(db, tmp_path / "m"), Store(db, tmp_path / "m")
    mine = store.save(PERSON, JPEG)
    other = store.save("web:BBBBBBBBBBBBBBBBBBBBBBBB", PNG)
    exported = s.export_user(PERSON)["media"]
    assert [(m["id"], m["kind"], m["file"]) for m in exported] == [(mine.id, "photo", str(mine.file))]
    s.delete_user(PERSON)
    assert not os.path.exists(mine.file) and os.path.exists(other.file)
    assert [r["id"] for r in db[MEDIA].rows] == [other.id]


def test_retention_purges_old_files_and_dry_run_counts_them(tmp_path):
    db = open_db(tmp_path / "linli.db")
    store, s = MediaStore(db, tmp_path / "m"), Store(db, tmp_path / "m")
    old, new = store.save(PERSON, JPEG), store.save(PERSON, PNG)
    db[MEDIA].update(old.id, {"created_at": "2020-01-01T00:00:00+00:00"})
    assert s.purge_older_than(30, dry_run=True)["media"] == 1
    assert os.path.exists(old.file) and db[MEDIA].count == 2
    assert s.purge_older_than(30)["media"] == 1
    assert not os.path.exists(old.file) and os.path.exists(new.file)
    assert [r["id"] for r in db[MEDIA].rows] == [new.id]


def test_speech_to_text_server(tmp_path):
    with FakeSpeech() as fake:
        stt = SpeechToText(url=fake.url, timeout=2.0)
        assert stt.transcribe(voice_note("帮我看看这个"), "audio/ogg") == "帮我看看这个"
        req = fake.requests[-1]
        assert req["path"] == "/v1/audio/transcriptions" and req["type"].startswith("multipart/form-data")
        assert b'name="model"' in req["body"] and b'filename="voice.ogg"' in req["body"]
        fake.status = 500
        assert stt.transcribe(voice_note("x"), "audio/ogg") is None
        fake.status, fake.delay = 200, 1.0
        started = time.monotonic()
        assert SpeechToText(url=fake.url, timeout=0.2).transcribe(voice_note("慢"), "audio/ogg") is None
        assert time.monotonic() - started < 0.9
        fake.delay = 0.0
        assert stt.transcribe(voice_note(""), "audio/ogg") is None  # heard nothing
    assert SpeechToText().transcribe(voice_note("x"), "audio/ogg") is None  # none configured
    assert SpeechToText(url="http://127.0.0.1:9", timeout=0.5).transcribe(voice_note("x"), "audio/ogg") is None


def test_funasr_answers_are_read():
    assert media._text_of({"result": [{"text": "你好"}, {"text": "社工"}]}) == "你好社工"
    assert media._text_of({"text": " 你好 "}) == "你好"
    assert SpeechToText(url="http://x:1", kind="funasr").endpoint() == "http://x:1"


def _msg(text: str = "") -> IncomingMessage:
    return IncomingMessage(PERSON, text, "web", PERSON)


def _open_ticket(engine) -> None:
    engine.handle(_msg("找社工"))
    engine.handle(_msg("可以"))
    assert engine.handoff.active(PERSON) is not None


def test_photo_without_a_handoff_is_answered_kindly(make_engine):
    engine = make_engine()
    out = engine.handle_media(_msg(), Upload(JPEG, "photo"))
    assert out.replies[0].text == media.PHOTO_NO_HANDOFF and "找社工" in out.replies[0].buttons
    assert engine.media.of_user(PERSON)[0].kind == "photo"
    last = engine.store.recent_messages(PERSON, 2)
    assert last[0]["text"] == "[图片]" and last[0]["intent"] == "media"


def test_photo_goes_to_the_social_worker(make_engine):
    engine = make_engine()
    _open_ticket(engine)
    out = engine.handle_media(_msg(), Upload(JPEG, "photo"))
    assert out.replies[0].text == media.PHOTO_WAITING
    ticket = engine.handoff.active(PERSON)
    item = engine.media.of_user(PERSON)[0]
    assert item.ticket_id == ticket.id
    msgs = engine.handoff.messages(ticket.id)
    assert msgs[-1]["text"] == "[图片]" and msgs[-1]["media_id"] == item.id
    engine.handoff.add_worker("w1", "王老师")
    engine.handoff.claim(ticket.id, "w1")
    out = engine.handle_media(_msg(), Upload(PNG, "photo"))
    assert out.relay is not None and out.replies[0].text == media.PHOTO_TO_WORKER
    assert engine.handoff.messages(ticket.id)[-1]["media_id"] == engine.media.of_user(PERSON)[-1].id


def test_refused_upload_stores_nothing(make_engine):
    engine = make_engine()
    out = engine.handle_media(_msg(), Upload(b"<html>", "photo"))
    assert out.replies[0].text == media.NOT_SUPPORTED
    assert engine.media.of_user(PERSON) == [] and engine.store.recent_messages(PERSON) == []


def test_voice_without_speech_to_text_is_kept_and_said_so(make_engine):
    engine = make_engine()
    out = engine.handle_media(_msg(), Upload(voice_note("你好"), "voice"), transcript=None)
    assert out.replies[0].text == media.VOICE_KEPT
    assert engine.media.of_user(PERSON)[0].kind == "voice"


def test_voice_not_stored_is_not_said_to_be_kept(make_engine, tmp_path):
    engine = make_engine()
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    engine.media = MediaStore(engine.store.db, blocker / "media")
    out = engine.handle_media(_msg(), Upload(voice_note("你好"), "voice"))
    assert "没有保存" in out.replies[0].text and "社工可以" not in out.replies[0].text
    assert engine.store.db[MEDIA].count == 0


def test_transcribed_voice_is_handled_like_typed_text_urgent_included(make_engine):
    engine = make_engine()
    out = engine.handle_media(_msg(), Upload(voice_note(), "voice"), transcript="有人撬我家门")
    assert out.replies[0].text == "我听到您说：「有人撬我家门」"
    assert out.capability == "urgent"
    ticket = engine.handoff.active(PERSON)
    assert ticket is not None and ticket.priority == "urgent"
    item = engine.media.of_user(PERSON)[0]
    assert item.transcript == "有人撬我家门" and item.ticket_id == ticket.id


def test_settings_name_the_directory_cap_and_speech_server(settings, tmp_path):
    import dataclasses

    s = dataclasses.replace(settings, storage={**settings.storage, "media_dir": "var/media", "max_media_bytes": 500},
                            speech={**settings.speech, "url": "http://127.0.0.1:9000", "timeout_seconds": 3.0})
    store = MediaStore.from_settings(s, open_db(None))
    assert store.dir == settings.base_dir / "var/media" and store.max_bytes == 500
    stt = SpeechToText.from_settings(s)
    assert stt.configured and stt.endpoint() == "http://127.0.0.1:9000/v1/audio/transcriptions" and stt.timeout == 3.0
    assert not SpeechToText.from_settings(settings).configured  # none in the shipped config.yml


@pytest.mark.parametrize("section, key, value, says", [
    ("speech", "kind", "google", "'speech.kind' must be whisper or funasr"),
    ("speech", "url", "ftp://x", "'speech.url' must start with http://"),
    ("speech", "timeout_seconds", 0, "'speech.timeout_seconds' must be more than 0"),
    ("speech", "colour", "red", "unknown key 'speech.colour'"),
    ("storage", "max_media_bytes", 0, "'storage.max_media_bytes' must be 1 or more"),
])
def test_bad_media_settings_are_refused_with_clear_english(tmp_path, section, key, value, says):
    import yaml

    from bot.config import PROJECT_ROOT, load_config
    from bot.errors import ConfigError

    data = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
    data["nlu"]["training_data"] = str(PROJECT_ROOT / "nlu/data")
    data[section][key] = value
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert says in str(exc.value)


def test_reports_count_pictures_in_chinese_and_not_as_a_question(make_engine):
    from bot.report import MIN_GROUP, collect

    engine = make_engine()
    for n in range(MIN_GROUP):
        engine.handle_media(IncomingMessage(f"web:person-number-{n:04d}-xxxxxx", "", "web"), Upload(JPEG, "photo"))
    report = collect(engine.store.db, days=1)
    text = repr(report)
    assert "图片和语音" in text and "'media'" not in text


def test_words_sent_with_a_picture_are_read_like_typed_text(make_engine):
    engine = make_engine()
    out = engine.handle_media(_msg(), Upload(JPEG, "photo", caption="有人打电话说我中奖了，要先交钱"))
    assert out.replies[0].text == media.PHOTO_WITH_WORDS and out.capability == "urgent"
    ticket = engine.handoff.active(PERSON)
    assert ticket is not None and engine.media.of_user(PERSON)[0].ticket_id == ticket.id


def test_rows_name_files_relative_to_the_media_directory_so_the_data_can_move(tmp_path):
    """Issue 15: the whole data directory moved (or restored elsewhere) keeps every picture and voice note."""
    import shutil

    from bot.engine import Engine  # noqa: F401 (the engine reads the same rows)

    first = tmp_path / "old" / "data"
    db = open_db(first / "linli.db")
    store = MediaStore(db, media.default_media_dir(db))
    photo = store.save(PERSON, JPEG)
    assert db.execute(f"SELECT path FROM {MEDIA}").fetchone()[0] == photo.path == photo.file.name
    db.conn.close()
    shutil.move(str(first), str(tmp_path / "new"))
    db = open_db(tmp_path / "new" / "linli.db")
    moved = MediaStore(db, media.default_media_dir(db))
    assert moved.get(photo.id).read() == JPEG
    Store(db).delete_user(PERSON)  # the default directory, next to the moved database
    assert not (tmp_path / "new" / "linli-media" / photo.path).exists()


def test_migration_rewrites_absolute_paths_of_older_databases(tmp_path):
    from bot.store import MIGRATIONS, migrate

    db = open_db(tmp_path / "linli.db")
    store = MediaStore(db, tmp_path / "linli-media")
    a, b = store.save(PERSON, JPEG), store.save(PERSON, PNG)
    # As schema 7 wrote them: absolute paths, here from a directory that has since moved.
    db[MEDIA].update(a.id, {"path": f"/srv/old-place/linli-media/{a.path}"})
    db[MEDIA].update(b.id, {"path": f"C:\\linli\\linli-media\\{b.path}"})
    db.execute("PRAGMA user_version=7")
    assert migrate(db) == len(MIGRATIONS)  # 8 rewrote the paths; later steps run too
    assert [r["path"] for r in db.query(f"SELECT path FROM {MEDIA} ORDER BY id")] == [a.path, b.path]
    assert store.get(a.id).read() == JPEG and store.get(b.id).read() == PNG
