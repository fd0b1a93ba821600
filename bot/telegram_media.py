"""Pictures and voice notes on Telegram (issue 15): the handlers and the sending, as a mixin of ``TelegramChannel``.

A person's photo or voice message is downloaded (not when Telegram says it is over
``storage.max_media_bytes``), transcribed by the same speech-to-text server as the web's, and
handed to ``Engine.handle_media``; whatever it produces goes through the durable outbox like
text. An outbox row carries a file through its ticket message (``ticket_messages.media_id``),
so a photo for the staff topic or for the person is sent with ``send_photo``/``send_voice``,
retried like any row. A social worker's photo in a ticket's topic reaches the person.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import messages
from bot.media import PHOTO, PHOTO_MARK, TOO_BIG, VOICE, VOICE_MARK, MediaError, MediaItem, Upload, sniff, worker_photo
from bot.models import IncomingMessage
from bot.outbox import OutboxItem

if TYPE_CHECKING:
    from bot.engine import Engine
    from bot.handoff import Handoff, Ticket

logger = logging.getLogger(__name__)

CHANNEL = "telegram"

# Photos and voice messages are taken now (on_media); the dialogue's NON_TEXT_MESSAGE says they are not.
NON_TEXT_OTHER = ("我能看懂文字，也能收照片和语音，可是看不懂表情、位置和文件。\n"
                  "请您用文字把问题打出来，或者发语音，我来帮您；要找社工，可以输入“找社工”。")
MEDIA_NOT_RECEIVED = "对不起，刚才的{what}没有收到。请再发一次，或者打字告诉我。"
STAFF_PHOTO_FAILED = "这张图片没能转给对方（只能转 JPG、PNG、GIF、WebP 图片，而且不能太大），请再试一次。"


def messages_too_big(cap: int) -> str:
    """The kind sentence for a file over the cap."""
    return TOO_BIG.format(mb=max(1, cap // 1_000_000))


class TelegramMedia:
    """Media handlers and sending for ``TelegramChannel`` (which provides the attributes below)."""

    engine: Engine
    handoff: Handoff

    if TYPE_CHECKING:
        def _say(self, context: Any, chat_id: int, text: str, key: str = "") -> Any: ...
        def _typing(self, bot: Any, chat_id: int) -> Any: ...
        def _flooding(self, key: str) -> bool: ...
        _warned: set[str]
        def _enqueue_replies(self, chat_id: int, key: str, replies: list[Any], urgent: bool) -> None: ...
        def _flush(self, bot: Any, chat_id: int | str) -> Any: ...
        def _kick_staff(self, context: Any) -> None: ...
        def _ticket_of(self, update: Update) -> Ticket | None: ...
        async def _may_answer(self, msg: Any, ticket: Ticket, worker_id: str, what: str) -> bool: ...

    def _item_media(self, item: OutboxItem) -> tuple[MediaItem, bytes] | None:
        """The picture or voice note an outbox row carries (through its ticket message), with its bytes."""
        found = self.engine.media.of_ticket_message(item.ticket_message_id)
        if found is None:
            return None
        try:
            return found, found.read()
        except OSError as exc:  # deleted meanwhile: the words still go
            logger.error("[E602] outbox %d: media %d file is gone (%s); sending the words only", item.id, found.id, exc)
            return None

    async def _send(self, bot: Any, chat_id: int, text: str, media: tuple[MediaItem, bytes] | None,
                    **kwargs: Any) -> Any:
        """``send_message``, or ``send_photo``/``send_voice`` with the words as the caption."""
        if media is None:
            return await bot.send_message(chat_id, text, **kwargs)
        found, data = media
        caption = " ".join(text.replace(PHOTO_MARK, "").replace(VOICE_MARK, "").split())[:1000] or None
        kwargs.pop("reply_markup", None)
        if found.kind == PHOTO:
            return await bot.send_photo(chat_id, data, caption=caption, **kwargs)
        if found.mime in ("audio/ogg", "audio/mpeg", "audio/mp4"):  # what Telegram plays as a voice message
            return await bot.send_voice(chat_id, data, caption=caption, **kwargs)
        return await bot.send_document(chat_id, (data, "voice" + (found.path[found.path.rfind("."):])),
                                       caption=caption, **kwargs)

    async def _download(self, context: ContextTypes.DEFAULT_TYPE, file_id: str, size: int | None) -> bytes | None:
        """A file's bytes from Telegram; None (logged) when it is over the cap or the download failed."""
        cap = self.engine.media.max_bytes
        if size is not None and size > cap:
            raise MediaError(f"telegram file of {size} bytes is over the cap of {cap} bytes (storage.max_media_bytes)",
                             messages_too_big(cap))
        try:
            tg_file = await context.bot.get_file(file_id)
            return bytes(await tg_file.download_as_bytearray())
        except TelegramError as exc:
            logger.error("[E603] telegram file %s could not be downloaded: %s", file_id[:40], exc)
            return None

    async def on_media(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A person's photo or voice note: downloaded, checked, stored, transcribed, then like a message."""
        msg, chat, user = update.effective_message, update.effective_chat, update.effective_user
        if msg is None or chat is None or user is None:
            return
        from bot.telegram_channel import user_key  # the channel's own id scheme (tg:NUMBER)

        key = user_key(user.id)
        if msg.photo:
            expected, file_id, size = PHOTO, msg.photo[-1].file_id, msg.photo[-1].file_size
        else:
            voice = msg.voice or msg.audio
            if voice is None:
                return
            expected, file_id, size = VOICE, voice.file_id, voice.file_size
        what = "图片" if expected == PHOTO else "语音"
        if await self._photo_flood(context, chat.id, key, expected, msg.caption or ""):
            return
        try:
            data = await self._download(context, file_id, size)
        except MediaError as exc:
            logger.warning("[%s] media from %s refused: %s", exc.code, key, exc)
            await self._say(context, chat.id, exc.user_message, key)
            return
        if data is None:
            await self._say(context, chat.id, MEDIA_NOT_RECEIVED.format(what=what), key)
            return
        mime = sniff(data)
        transcript = None
        if expected == VOICE and mime and mime.startswith("audio/") and self.engine.speech.configured:
            await self._typing(context.bot, chat.id)
            transcript = await asyncio.to_thread(self.engine.speech.transcribe, data, mime)
        incoming = IncomingMessage(user_id=key, text="", channel=CHANNEL, chat_id=str(chat.id))
        try:
            outcome = self.engine.handle_media(incoming, Upload(data, expected, caption=msg.caption or ""), transcript)
        except Exception as exc:  # the person must always get an answer
            logger.error("[E600] media from %s failed: %s", key, exc, exc_info=exc)
            await self._say(context, chat.id, messages.SORRY_GENERIC, key)
            return
        self._enqueue_replies(chat.id, key, outcome.replies, urgent=outcome.capability == "urgent")
        await self._flush(context.bot, chat.id)
        if outcome.relay is not None or outcome.new_ticket is not None or outcome.capability == "urgent":
            self._kick_staff(context)

    async def _photo_flood(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, key: str, expected: str,
                           caption: str) -> bool:
        """Photos count in the person's flood window like text; True when this one is not answered (one note).

        As for text, a flood gets one slow-down note instead of an answer to each, and is
        recorded (the mark, not the file). Never held back: a photo for a hand-off (it is for the
        social worker), one whose caption is urgent, or a voice note (it may be urgent, which
        only speech to text can tell).
        """
        if not self._flooding(key) or expected != PHOTO or self.handoff.active(key) is not None:
            return False
        if caption and self.engine.pipeline.parse(caption).capability == "urgent":
            return False
        store = self.engine.store
        store.save_turn(key, CHANNEL, store.load_state(key) or {}, {"text": PHOTO_MARK, "intent": "flood"}, [])
        if key not in self._warned:
            self._warned.add(key)
            await self._say(context, chat_id, messages.SLOW_DOWN, key)
        return True

    async def on_staff_photo(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A social worker's photo in a ticket's thread: stored, then sent to the person (any channel)."""
        msg = update.effective_message
        ticket = self._ticket_of(update)
        if msg is None or ticket is None or not msg.photo or update.effective_user is None:
            return  # staff sharing pictures among themselves
        worker_id = str(update.effective_user.id)
        if not await self._may_answer(msg, ticket, worker_id, "photo"):
            return
        try:
            data = await self._download(context, msg.photo[-1].file_id, msg.photo[-1].file_size)
            if data is None:
                await msg.reply_text(STAFF_PHOTO_FAILED)
                return
            worker_photo(self.engine, ticket.id, data, caption=msg.caption or "")
        except MediaError as exc:
            logger.warning("ticket %d: worker %s photo refused: %s", ticket.id, worker_id, exc)
            await msg.reply_text(STAFF_PHOTO_FAILED)
            return
        self.handoff.log_action(worker_id, "reply_photo", ticket.id)
        if ticket.chat_id and ticket.channel == CHANNEL:
            await self._flush(context.bot, ticket.chat_id)
