"""Pictures and voice notes (issue 15): checked by content, stored outside the web root, transcribed.

- ``sniff(data)`` names the type from the file's first bytes (magic numbers), never from what
  the client says: JPEG, PNG, GIF and WebP pictures; Ogg/Opus, MP3, M4A/MP4, WAV, WebM and AMR
  voice notes. Anything else is refused.
- ``MediaStore`` writes accepted files under ``storage.media_dir`` (default: a ``<db>-media``
  directory next to the database) with random names and owner-only permissions, and keeps one
  row per file in the ``media`` table. Files go with the person's data (``Store.delete_user``)
  and with retention (``Store.purge_older_than``).
- ``SpeechToText`` posts a voice note to the speech-to-text server named in ``speech:`` (an
  OpenAI-compatible ``/v1/audio/transcriptions`` endpoint, as self-hosted whisper servers
  serve it, or FunASR's HTTP server), with a timeout. No server, or a failure, gives ``None``.
- ``handle_media(engine, msg, upload, transcript)`` is the one entry point for a media message
  (``Engine.handle_media``): a transcribed voice note is handled as typed text (urgent words
  included); a picture goes to the social worker when a hand-off is waiting or claimed;
  otherwise the person is told kindly what Linli can read, and offered 找社工.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

from bot.errors import ChatbotError
from bot.models import IncomingMessage, Reply, utcnow
from bot.store import MEDIA, OUTBOX, TICKET_MESSAGES

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.engine import Engine, Outcome

logger = logging.getLogger(__name__)

PHOTO = "photo"
VOICE = "voice"
KINDS = (PHOTO, VOICE)
# What stands for a picture or a voice note in the transcript and the ticket's messages.
PHOTO_MARK = "[图片]"
VOICE_MARK = "[语音]"
FIND_WORKER = "找社工"

# The person's side (kind Chinese, one thing per message).
TOO_BIG = "这个文件太大了，发不过来。请发一张小一点的照片，或者短一点的语音（{mb} MB 以内）。"
NOT_SUPPORTED = "这个文件我打不开。我只能收照片和语音，您可以再试一次，或者直接打字告诉我。"
NOT_STORED = "对不起，系统出了点问题，刚才的{what}没有保存下来。请稍后再发一次，或者打字告诉我。"
PHOTO_TO_WORKER = "图片已经发给社工了。"
PHOTO_WAITING = "图片已经收到，社工接单后就能看到。"
PHOTO_NO_HANDOFF = ("图片收到了，谢谢您。我现在还看不懂图片，只能看懂文字。"
                    "您可以用几句话告诉我图片里是什么事。要让社工帮您看图片，请点「找社工」。")
VOICE_HEARD = "我听到您说：「{text}」"
PHOTO_WITH_WORDS = "图片收到了。我还看不懂图片，先回答您写的话。"
VOICE_TO_WORKER = "语音已经发给社工了。"
VOICE_WAITING = "语音已经收到，社工接单后就能听到。"
VOICE_KEPT = ("语音收到了，已经保存下来，社工可以听。我现在还听不懂语音。"
              "您也可以用手机键盘上的话筒说话，它会变成文字，我就能看懂了。要找社工，请点「找社工」。")
VOICE_NOT_UNDERSTOOD = "语音收到了，可是我没听清楚。您可以再说一次，或者打字告诉我。"
WORD = {PHOTO: "图片", VOICE: "语音"}

# (type, extension, kind) by their first bytes; checked in order.
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
AUDIO_TYPES = ("audio/ogg", "audio/mpeg", "audio/mp4", "audio/wav", "audio/webm", "audio/amr")
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
              "audio/ogg": ".ogg", "audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/wav": ".wav",
              "audio/webm": ".webm", "audio/amr": ".amr"}


class MediaError(ChatbotError):
    """An upload we do not take: English ``str()`` for the log, a kind Chinese ``user_message``."""

    code = "E600"

    def __init__(self, reason: str, user_message: str) -> None:
        super().__init__(reason)
        self.user_message = user_message


def sniff(data: bytes) -> str | None:
    """The MIME type of ``data`` read from its first bytes, or None when it is not a type we take."""
    head = data[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"ID3"):
        return "audio/mpeg"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and (head[1] >> 1) & 3 != 0:
        return "audio/mpeg"  # an MPEG audio frame (layer bits 00 would be AAC's ADTS, not taken)
    if head[4:8] == b"ftyp":
        return "audio/mp4"  # M4A (iPhone voice notes, Safari's recorder)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "audio/webm"  # Chrome's and Firefox's recorder
    if head.startswith(b"#!AMR"):
        return "audio/amr"
    return None


def kind_of(mime: str) -> str:
    """``photo`` for a picture type, ``voice`` for an audio type."""
    return PHOTO if mime.startswith("image/") else VOICE


@dataclass(frozen=True)
class Upload:
    """What a channel received: the bytes, and the kind it expected (``photo``/``voice``, or '')."""

    data: bytes
    expected: str = ""
    filename: str = ""
    caption: str = ""  # words sent with it (a Telegram photo's caption): handled like typed text


@dataclass(frozen=True)
class MediaItem:
    """One stored file's row."""

    id: int
    user_id: str
    kind: str
    mime: str
    path: str
    bytes: int
    created_at: str
    ticket_id: int | None = None
    transcript: str | None = None
    sender: str = "person"
    directory: str = ""  # storage.media_dir: ``path`` is relative to it

    @classmethod
    def from_row(cls, row: dict[str, Any], directory: str | Path = "") -> MediaItem:
        """Build from a ``media`` row; ``directory`` is the media directory its path is relative to."""
        return cls(id=int(row["id"]), user_id=row["user_id"] or "", kind=row["kind"], mime=row["mime"],
                   path=row["path"], bytes=int(row["bytes"] or 0), created_at=row["created_at"] or "",
                   ticket_id=row.get("ticket_id"), transcript=row.get("transcript"),
                   sender=row.get("sender") or "person", directory=str(directory))

    @property
    def file(self) -> Path:
        """Where the file is now: its name in the media directory."""
        return media_file(self.directory, self.path)

    def read(self) -> bytes:
        """The file's bytes (``OSError`` when it is gone)."""
        return self.file.read_bytes()


def media_file(directory: str | Path, path: str) -> Path:
    """A ``media`` row's file in the media directory.

    Rows name the file relative to ``storage.media_dir`` (schema 8), so moving the data
    directory keeps every file; files are written flat in that directory, so only the name
    counts (an older absolute path, or anything with a directory part, cannot point elsewhere).
    """
    return Path(directory) / re.split(r"[\\/]", path)[-1]


def default_media_dir(db: sqlite_utils.Database) -> Path:
    """``<db stem>-media`` next to the database file; a private temporary directory for an in-memory one."""
    row = db.execute("PRAGMA database_list").fetchone()
    file = row[2] if row else ""
    if file:
        p = Path(file)
        return p.parent / f"{p.stem}-media"
    # Created only when a first file is saved.
    return Path(tempfile.gettempdir()) / f"linli-media-{os.getpid()}-{secrets.token_hex(4)}"


class MediaStore:
    """Files under one directory, one ``media`` row each; the type checked by content, the size capped."""

    def __init__(self, db: sqlite_utils.Database, directory: str | Path, max_bytes: int = 10 * 1024 * 1024) -> None:
        self.db = db
        self.dir = Path(directory)
        self.max_bytes = int(max_bytes)

    @classmethod
    def from_settings(cls, settings: Settings, db: sqlite_utils.Database) -> MediaStore:
        """The store ``storage.media_dir`` names (default: next to the database)."""
        storage = getattr(settings, "storage", {}) or {}
        given = str(storage.get("media_dir") or "")
        directory = settings.resolve(given) if given else default_media_dir(db)
        return cls(db, directory, int(storage.get("max_media_bytes") or 10 * 1024 * 1024))

    def check(self, data: bytes, expected: str = "") -> str:
        """The content's MIME type; ``MediaError`` when it is too big, empty or not a picture/voice note."""
        if len(data) > self.max_bytes:
            raise MediaError(f"upload of {len(data)} bytes is over the cap of {self.max_bytes} bytes "
                             "(storage.max_media_bytes)", TOO_BIG.format(mb=max(1, self.max_bytes // 1_000_000)))
        mime = sniff(data)
        if not data or mime is None:
            raise MediaError(f"upload of {len(data)} bytes is not a JPEG, PNG, GIF or WebP picture nor an Ogg, MP3, "
                             f"M4A, WAV, WebM or AMR voice note (first bytes {data[:8].hex() or 'none'})",
                             NOT_SUPPORTED)
        if expected and kind_of(mime) != expected:
            raise MediaError(f"expected a {expected}, got {mime}", NOT_SUPPORTED)
        return mime

    def save(self, user_id: str, data: bytes, *, expected: str = "", ticket_id: int | None = None,
             sender: str = "person") -> MediaItem:
        """Check and store one file; returns its row. ``MediaError`` for a refused upload, ``OSError`` on disk."""
        mime = self.check(data, expected)
        self.dir.mkdir(parents=True, exist_ok=True)
        try:
            os.chmod(self.dir, 0o700)
        except OSError:
            pass
        path = self.dir / f"{secrets.token_hex(16)}{EXTENSIONS[mime]}"
        tmp = path.with_suffix(path.suffix + ".part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        try:
            table = self.db[MEDIA]
            table.insert({"user_id": user_id, "ticket_id": ticket_id, "kind": kind_of(mime), "mime": mime,
                          "path": path.name, "bytes": len(data), "created_at": utcnow(),
                          "transcript": None, "sender": sender})
            media_id = int(table.last_pk)
        except Exception:
            path.unlink(missing_ok=True)  # no row, no file
            raise
        logger.info("media %d stored: %s, %d bytes, user %s", media_id, mime, len(data), user_id)
        return self.get(media_id)  # type: ignore[return-value]

    def get(self, media_id: int) -> MediaItem | None:
        """One row by id."""
        rows = list(self.db.query(f"SELECT * FROM {MEDIA} WHERE id = ?", [media_id]))
        return MediaItem.from_row(rows[0], self.dir) if rows else None

    def for_user(self, user_id: str, media_id: int) -> MediaItem | None:
        """The file only when it belongs to ``user_id`` (a person may never fetch another's)."""
        item = self.get(media_id)
        return item if item is not None and user_id and item.user_id == user_id else None

    def of_user(self, user_id: str) -> list[MediaItem]:
        """A person's files, oldest first."""
        return [MediaItem.from_row(r, self.dir) for r in
                self.db.query(f"SELECT * FROM {MEDIA} WHERE user_id = ? ORDER BY id", [user_id])]

    def set_transcript(self, media_id: int, text: str) -> None:
        """What the speech-to-text server heard."""
        self.db[MEDIA].update(media_id, {"transcript": text})

    def attach(self, media_id: int, ticket_id: int, ticket_message_id: int) -> None:
        """Link a file to a ticket and its message (and that message's outbox rows, to send the file)."""
        with self.db.atomic():
            self.db[MEDIA].update(media_id, {"ticket_id": ticket_id})
            self.db[TICKET_MESSAGES].update(ticket_message_id, {"media_id": media_id})
            self.db.execute(f"UPDATE {OUTBOX} SET media_id = ? WHERE ticket_message_id = ?",
                            [media_id, ticket_message_id])

    def of_ticket_message(self, ticket_message_id: int | None) -> MediaItem | None:
        """The file a ticket message carries, if any."""
        if ticket_message_id is None:
            return None
        row = self.db.execute(f"SELECT media_id FROM {TICKET_MESSAGES} WHERE id = ?", [ticket_message_id]).fetchone()
        return self.get(int(row[0])) if row and row[0] else None


# ---- speech to text --------------------------------------------------------------------------

SPEECH_KINDS = ("whisper", "funasr")


@dataclass
class SpeechToText:
    """A speech-to-text HTTP server: ``whisper`` (OpenAI-compatible multipart POST) or ``funasr``.

    ``transcribe`` never raises: no server, a timeout, a bad answer or an empty text give None
    (logged in English for the operator), and the voice note is kept for the social worker.
    """

    url: str = ""
    kind: str = "whisper"
    timeout: float = 15.0
    model: str = "whisper-1"
    language: str = "zh"
    calls: list[str] = field(default_factory=list)

    @classmethod
    def from_settings(cls, settings: Settings) -> SpeechToText:
        """The server named by ``speech:`` in config.yml."""
        s = getattr(settings, "speech", {}) or {}
        return cls(url=str(s.get("url") or "").rstrip("/"), kind=str(s.get("kind") or "whisper"),
                   timeout=float(s.get("timeout_seconds") or 15.0), model=str(s.get("model") or "whisper-1"),
                   language=str(s.get("language") or "zh"))

    @property
    def configured(self) -> bool:
        """True when a server is named."""
        return bool(self.url)

    def endpoint(self) -> str:
        """The URL posted to: the base URL with the backend's usual path, unless a full path is given."""
        if self.kind == "whisper" and not self.url.endswith("/transcriptions"):
            return self.url + "/v1/audio/transcriptions"
        return self.url

    def transcribe(self, data: bytes, mime: str) -> str | None:
        """The words of a voice note, or None when there is no server or it failed."""
        if not self.url:
            return None
        import httpx

        name = "voice" + EXTENSIONS.get(mime, ".bin")
        try:
            if self.kind == "funasr":
                files = {"file": (name, data, mime)}
                response = httpx.post(self.endpoint(), files=files, timeout=self.timeout)
            else:
                files = {"file": (name, data, mime)}
                form = {"model": self.model, "language": self.language, "response_format": "json"}
                response = httpx.post(self.endpoint(), data=form, files=files, timeout=self.timeout)
            response.raise_for_status()
            body = response.json()
        except Exception as exc:  # a timeout, a refused connection, an HTTP error or not JSON
            logger.error("[E601] speech to text at %s failed (%s: %s); the voice note is kept for a social worker",
                         self.endpoint(), type(exc).__name__, exc)
            return None
        text = _text_of(body)
        if not text:
            logger.warning("speech to text at %s returned no text", self.endpoint())
        return text or None


def _text_of(body: Any) -> str:
    """The text in a whisper answer (``{"text"}``) or a FunASR one (``{"result"}``, or a list of them)."""
    if isinstance(body, dict):
        for key in ("text", "result", "transcript"):
            value = body.get(key)
            if isinstance(value, str):
                return value.strip()
            if isinstance(value, list):
                return "".join(_text_of(v) if not isinstance(v, str) else v for v in value).strip()
    if isinstance(body, list):
        return "".join(_text_of(v) for v in body).strip()
    return ""


# ---- the entry point ---------------------------------------------------------------------------

@dataclass(frozen=True)
class MediaReply(Reply):
    """A reply that shows a file (a social worker's picture on the web page)."""

    media_id: int | None = None


def handle_media(engine: Engine, msg: IncomingMessage, upload: Upload, transcript: str | None = None) -> Outcome:
    """A picture or voice note from a person: checked, stored, then answered (see the module docstring).

    ``transcript`` is what the speech-to-text server heard, found by the channel beforehand
    (off the database thread); None when there is none or it failed.
    """
    from bot.engine import Outcome, safe_handle
    from nlu.result import ParseResult

    store: MediaStore = engine.media
    parse = ParseResult("", "media", "media", 1.0)
    try:
        item = store.save(msg.user_id, upload.data, expected=upload.expected)
    except MediaError as exc:
        logger.warning("[%s] media from %s refused: %s", exc.code, msg.user_id, exc)
        return Outcome([Reply(exc.user_message)], parse, "media", "media")
    except OSError as exc:
        logger.error("[E602] media from %s could not be written to %s: %s", msg.user_id, store.dir, exc)
        what = WORD.get(upload.expected, "文件")
        return Outcome([Reply(NOT_STORED.format(what=what))], parse, "media", "media")
    words = (transcript if item.kind == VOICE else "") or upload.caption.strip()
    if words:
        # What was said (or written with a picture) is handled like typed text, urgent words included.
        if item.kind == VOICE and transcript:
            store.set_transcript(item.id, transcript)
        before = engine.handoff.active(msg.user_id)
        outcome = safe_handle(engine, IncomingMessage(msg.user_id, words, msg.channel, msg.chat_id))
        ticket = engine.handoff.active(msg.user_id)
        if ticket is not None:
            _attach_last(engine, ticket.id, item)  # the social worker sees or hears it with the words
        if item.kind == VOICE and transcript:
            outcome.replies.insert(0, Reply(VOICE_HEARD.format(text=transcript)))
        elif before is None:
            outcome.replies.insert(0, Reply(PHOTO_WITH_WORDS if item.kind == PHOTO else VOICE_KEPT))
        elif before.status == "waiting":
            outcome.replies.insert(0, Reply(PHOTO_WAITING if item.kind == PHOTO else VOICE_WAITING))
        return outcome
    mark = PHOTO_MARK if item.kind == PHOTO else VOICE_MARK
    ticket = engine.handoff.active(msg.user_id)
    replies: list[Reply]
    relay = None
    relay_id = None
    if ticket is not None:
        with engine.store.db.atomic():  # the file is linked before any channel can send its message
            if ticket.status == "claimed":
                relay_id = engine.handoff.relay(ticket, mark)
                relay = ticket
                replies = [] if msg.channel == "telegram" else [
                    Reply(PHOTO_TO_WORKER if item.kind == PHOTO else VOICE_TO_WORKER)]
            else:
                relay_id = engine.handoff.add_message(ticket.id, "user", mark)
                replies = [Reply(PHOTO_WAITING if item.kind == PHOTO else VOICE_WAITING)]
            store.attach(item.id, ticket.id, relay_id)
    elif item.kind == PHOTO:
        replies = [Reply(PHOTO_NO_HANDOFF, (FIND_WORKER,))]
    else:
        replies = [Reply(VOICE_KEPT, (FIND_WORKER,))]
    state = engine.store.load_state(msg.user_id) or {}
    engine.store.save_turn(msg.user_id, msg.channel, state, {"text": mark, "intent": "media", "capability": "media",
                                                             "confidence": 1.0},
                           [r.text for r in replies], persona=str((state.get("slots") or {}).get("persona") or ""))
    return Outcome(replies, parse, "media", "media", ticket.as_json() if ticket else None, relay=relay,
                   relay_message_id=relay_id)


def _attach_last(engine: Engine, ticket_id: int, item: MediaItem) -> None:
    """Link a transcribed voice note to the ticket message its words became (so the worker can listen)."""
    row = engine.store.db.execute(
        f"SELECT id FROM {TICKET_MESSAGES} WHERE ticket_id = ? AND direction = 'user' ORDER BY id DESC LIMIT 1",
        [ticket_id]).fetchone()
    if row is not None:
        engine.media.attach(item.id, ticket_id, int(row[0]))
    else:
        engine.store.db[MEDIA].update(item.id, {"ticket_id": ticket_id})


def worker_photo(engine: Engine, ticket_id: int, data: bytes, caption: str = "", via: str = "") -> MediaItem:
    """A social worker's picture for the person of a ticket: stored, then queued like their words.

    ``MediaError`` when it is not a picture or too big. The caller checks the worker may reply.
    ``via`` ("web"): sent from outside Telegram, so the picture is also shown in the ticket's staff thread.
    """
    ticket = engine.handoff.require(ticket_id)
    item = engine.media.save(ticket.user_id, data, expected=PHOTO, ticket_id=ticket.id, sender="worker")
    with engine.store.db.atomic():  # the file is linked before any channel can send the message
        mid = engine.handoff.add_message(ticket.id, "worker", caption.strip() or PHOTO_MARK, delivered=False,
                                         via=via)
        engine.media.attach(item.id, ticket.id, mid)
    return item
