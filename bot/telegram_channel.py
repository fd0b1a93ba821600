"""The Telegram channel (python-telegram-bot v22): people in private chats, social workers in a staff group.

Only translation lives here: Telegram updates become ``IncomingMessage`` for the engine,
``Reply`` objects become messages with reply keyboards, and tickets become posts with a
接单 button in the staff group. Every ticket, relay and outbox message is in SQLite, and a
repeating job re-sends whatever did not get through (with backoff), so nothing is lost when
Telegram is down or the bot restarts.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from collections import defaultdict, deque
from typing import Any, Awaitable

from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ChatAction, ChatType
from telegram.error import RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import messages
from bot.config import Settings
from bot.engine import Engine, clean_text, safe_handle
from bot.errors import ChatbotError, HandoffError
from bot.handoff import Ticket
from bot.models import IncomingMessage, Reply
from bot.outbox import (
    KIND_MIRROR,
    KIND_POST,
    KIND_RELAY,
    KIND_REPLY,
    KIND_STAFF,
    KIND_WORKER,
    PRIORITY_REPLY,
    PRIORITY_STAFF,
    PRIORITY_URGENT_REPLY,
    STAFF_CHAT,
    Outbox,
    OutboxItem,
)
from bot.privacy import mask
from bot.reminders import set_followup
from bot.telegram_media import NON_TEXT_OTHER, TelegramMedia
from bot.telegram_post import edit_post, post_view, repeat_urgent
from nlu.timeexpr import describe

# PTB 22 is moving durations (RetryAfter.retry_after) to datetime.timedelta and warns on the old
# form; opt in now (the outbox reads either form), before any RetryAfter is built.
os.environ.setdefault("PTB_TIMEDELTA", "1")

logger = logging.getLogger(__name__)
MAX_MESSAGE = 4096
FEEDBACK_PREFIX = "fb:"
CLAIM_RE = re.compile(r"^claim:([0-9]{1,12})$")
FEEDBACK_RE = re.compile(r"^fb:[01]$")
CHANNEL = "telegram"


def user_key(user_id: int) -> str:
    """The engine's user id for a Telegram user."""
    return f"tg:{user_id}"


def split_message(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Split a long text at sentence or line boundaries so each part fits Telegram's limit."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for piece in re.split(r"(?<=[。！？!?\n])", text):
        while len(piece) > limit:  # one enormous sentence: cut it hard
            if current:
                parts.append(current)
                current = ""
            parts.append(piece[:limit])
            piece = piece[limit:]
        if len(current) + len(piece) > limit:
            parts.append(current)
            current = piece
        else:
            current += piece
    if current:
        parts.append(current)
    return [p for p in parts if p.strip()]


def feedback_keyboard() -> InlineKeyboardMarkup:
    """👍 / 👎 as inline buttons; a tap arrives as a callback query (``fb:1`` / ``fb:0``)."""
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(messages.FEEDBACK_YES, callback_data=f"{FEEDBACK_PREFIX}1"),
        InlineKeyboardButton(messages.FEEDBACK_NO, callback_data=f"{FEEDBACK_PREFIX}0"),
    ]])


def keyboard(buttons: tuple[str, ...], one_per_row: bool) -> ReplyKeyboardMarkup | None:
    """A one-shot reply keyboard: one big button per row for residents, two per row otherwise."""
    if not buttons:
        return None
    per_row = 1 if one_per_row else 2
    rows = [[KeyboardButton(b) for b in buttons[i : i + per_row]] for i in range(0, len(buttons), per_row)]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates are handled concurrently, but one chat's updates still one after another.

    One person's slow moment (a rate limit, a slow network) must never hold up another
    person's answer, so updates are not handled one at a time; yet a person's second
    message must not overtake the first. asyncio locks are first-come first-served, and PTB
    starts the tasks in arrival order, so each chat keeps its order.
    """

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[Any, asyncio.Lock] = {}
        self._waiting: dict[Any, int] = defaultdict(int)

    @staticmethod
    def chat_key(update: object) -> Any:
        """The chat an update belongs to (updates without one share a single key)."""
        if isinstance(update, Update) and update.effective_chat is not None:
            return update.effective_chat.id
        if isinstance(update, Update) and update.effective_user is not None:
            return ("user", update.effective_user.id)
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the chat's earlier updates, then handle this one."""
        key = self.chat_key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] += 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # forget idle chats so the dict does not grow forever
                self._waiting.pop(key, None)
                self._locks.pop(key, None)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""


def markup_to_dict(markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None) -> dict[str, Any] | None:
    """A keyboard as JSON-able data, for the outbox row."""
    return markup.to_dict() if markup is not None else None


def markup_from_dict(data: dict[str, Any] | None) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    """The keyboard an outbox row carries."""
    if not data:
        return None
    if "inline_keyboard" in data:
        return InlineKeyboardMarkup.de_json(data, None)
    return ReplyKeyboardMarkup.de_json(data, None)


class TelegramChannel(TelegramMedia):
    """Handlers and jobs for one bot; holds the engine and the staff-group settings.

    Nothing is sent straight from a handler: each message becomes a row of the durable
    outbox first (``bot/outbox.py``), then the chat's rows are sent in order. The person's
    own answer is sent by the handler at once; everything for the staff group is sent by a
    separate task, so a slow or rate-limited staff chat never delays a person's answer.
    Whatever fails stays in the outbox and the delivery job retries it.
    """

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.handoff = engine.handoff
        self.staff_chat_id = int(settings.telegram["staff_chat_id"])
        self.h = settings.handoff
        self.t = settings.telegram
        self.retention_days = settings.retention_days
        self.flood_limit = int(self.t["flood_messages"])
        self.flood_window = float(self.t["flood_seconds"])
        self.outbox = Outbox(engine.store.db, float(self.h["notify_retry_seconds"]),
                             float(self.h["notify_max_retry_seconds"]))
        self._recent: dict[str, deque[float]] = defaultdict(deque)
        self._warned: set[str] = set()
        self._send_locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._staff_task: asyncio.Task[Any] | None = None
        self._staff_again = False
        self._flushing: set[str] = set()

    def _flooding(self, key: str) -> bool:
        """More than ``flood_messages`` in ``flood_seconds`` from one person."""
        now = time.monotonic()
        q = self._recent[key]
        q.append(now)
        while q and now - q[0] > self.flood_window:
            q.popleft()
        if len(q) <= self.flood_limit:
            self._warned.discard(key)
            return False
        return True

    # ---- building ----------------------------------------------------------------------------

    def build(self, token: str) -> Application:
        """The PTB Application with every handler and the delivery job."""
        timeout = float(self.t["timeout_seconds"])
        builder = (ApplicationBuilder().token(token).concurrent_updates(PerChatUpdateProcessor())
                   .connect_timeout(timeout).read_timeout(timeout).write_timeout(timeout).pool_timeout(timeout))
        base = self.t.get("base_url") or ""
        if base:
            base = base.rstrip("/")
            builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
        try:
            from telegram.ext import AIORateLimiter

            # Respect Telegram's limits (30 msg/s overall, 20/min per group) when many write at once.
            # No retries inside the limiter: its retry pauses every request of the bot. A 429 raises
            # RetryAfter here instead, and the outbox row waits retry_after while others go on.
            builder = builder.rate_limiter(AIORateLimiter(max_retries=0))
            # The outbox logs each 429 with its retry time; the limiter's own traceback would be noise.
            logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
        except RuntimeError:  # the rate-limiter extra is missing
            logger.warning("python-telegram-bot[rate-limiter] is not installed; sending without a rate limiter")
        app = builder.post_init(self.set_commands).build()
        staff = filters.Chat(self.staff_chat_id) if self.staff_chat_id else filters.UpdateType.MESSAGE & ~filters.ALL
        private = filters.ChatType.PRIVATE
        app.add_handler(CommandHandler("start", self.start, filters=private))
        app.add_handler(CommandHandler("help", self.help, filters=private))
        app.add_handler(CommandHandler("menu", self.command_intent("nav_menu"), filters=private))
        app.add_handler(CommandHandler("human", self.command_intent("request_human"), filters=private))
        app.add_handler(CommandHandler("delete_my_data", self.command_intent("privacy_delete"), filters=private))
        app.add_handler(CommandHandler("id", self.ids))
        app.add_handler(CommandHandler("queue", self.queue, filters=staff))
        app.add_handler(CommandHandler("close", self.close, filters=staff))
        app.add_handler(CommandHandler("takeover", self.take_over, filters=staff))
        app.add_handler(CommandHandler("remind", self.remind, filters=staff))
        app.add_handler(CallbackQueryHandler(self.claim, pattern=CLAIM_RE))
        app.add_handler(CallbackQueryHandler(self.rate, pattern=FEEDBACK_RE))
        app.add_handler(CallbackQueryHandler(self.stale_button))  # anything else: answered, never ignored
        app.add_handler(MessageHandler(staff & filters.TEXT & ~filters.COMMAND, self.on_staff_message))
        app.add_handler(MessageHandler(staff & filters.PHOTO, self.on_staff_photo))
        app.add_handler(MessageHandler(private & (filters.PHOTO | filters.VOICE | filters.AUDIO), self.on_media))
        app.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, self.on_text))
        app.add_handler(MessageHandler(private & filters.COMMAND, self.unknown_command))
        app.add_handler(MessageHandler(private & ~filters.TEXT & ~filters.COMMAND, self.on_other))
        app.add_error_handler(self.on_error)
        if app.job_queue is not None:
            app.job_queue.run_repeating(self.deliver, interval=float(self.t["jobs_interval"]), first=0.5,
                                        name="deliver")
        return app

    async def set_commands(self, app: Application) -> None:
        """The command menus in Chinese: one for people's private chats, one for the staff group.

        Set at every start, so nobody has to keep BotFather's /setcommands in step by hand. A
        failure is logged and the bot starts anyway (the commands still work when typed).
        """
        try:
            await app.bot.set_my_commands([BotCommand(c, d) for c, d in messages.USER_COMMANDS],
                                          scope=BotCommandScopeAllPrivateChats())
            if self.staff_chat_id:
                await app.bot.set_my_commands([BotCommand(c, d) for c, d in messages.STAFF_COMMANDS],
                                              scope=BotCommandScopeChat(self.staff_chat_id))
        except TelegramError as exc:
            logger.warning("could not set the command menus (%s); commands still work when typed", exc)

    # ---- the outbox: write first, then send in order -----------------------------------------

    def _enqueue(self, chat_id: int | str, text: str, markup: Any = None, *, key: str = "",
                 kind: str = KIND_REPLY, priority: int = PRIORITY_REPLY, ticket_id: int | None = None) -> None:
        """One message to a person (split at Telegram's limit), stored before any sending."""
        parts = split_message(text)
        for i, part in enumerate(parts):
            self.outbox.enqueue(CHANNEL, chat_id, kind, part, user_id=key, priority=priority, ticket_id=ticket_id,
                                markup=markup_to_dict(markup) if i == len(parts) - 1 else None)

    def _enqueue_replies(self, chat_id: int, key: str, replies: list[Reply], urgent: bool) -> None:
        """The engine's replies, in order, each with its keyboard."""
        one_per_row = self._resident_layout(key)
        priority = PRIORITY_URGENT_REPLY if urgent else PRIORITY_REPLY
        for reply in replies:
            # 👍/👎 as inline buttons under the question, so the answer's reply keyboard stays usable.
            markup = feedback_keyboard() if reply.kind == "feedback" else keyboard(reply.buttons, one_per_row)
            self._enqueue(chat_id, reply.text, markup, key=key, priority=priority)

    def _enqueue_staff(self, text: str, ticket_id: int | None, kind: str = KIND_STAFF) -> None:
        """A note for the staff group (in the ticket's topic or reply thread when it has one)."""
        for part in split_message(text):
            self.outbox.enqueue(CHANNEL, STAFF_CHAT, kind, part, ticket_id=ticket_id, priority=PRIORITY_STAFF)

    def _item_text(self, item: OutboxItem) -> str:
        if item.kind == KIND_RELAY:
            return messages.STAFF_RELAY.format(ticket=item.ticket_id, text=item.text)
        if item.kind == KIND_WORKER:
            ticket = self.handoff.get(item.ticket_id) if item.ticket_id else None
            return messages.WORKER_PREFIX.format(name=(ticket.worker_name if ticket else "") or "") + item.text
        return item.text

    async def _send_item(self, bot: Any, item: OutboxItem) -> None:
        """Send one outbox row; raises TelegramError when it did not get through."""
        if item.kind == KIND_POST:  # the ticket changed (maybe in the console): its post shows it now
            await edit_post(bot, self.staff_chat_id, self.handoff, item.ticket_id)
            return
        text = self._item_text(item)
        markup = markup_from_dict(item.markup)
        media = self._item_media(item) if item.ticket_message_id is not None else None
        if item.chat_id != STAFF_CHAT:
            await self._send(bot, int(item.chat_id), text, media, reply_markup=markup)
            if item.ticket_message_id is not None:
                self.handoff.mark_delivered(item.ticket_message_id)
            return
        ticket = self.handoff.get(item.ticket_id) if item.ticket_id else None
        if ticket is not None and ticket.thread_id:
            sent = await self._send(bot, self.staff_chat_id, text, media, message_thread_id=ticket.thread_id,
                                    reply_markup=markup)
        elif ticket is not None and ticket.staff_message_id:
            sent = await self._send(bot, self.staff_chat_id, text, media,
                                    reply_to_message_id=ticket.staff_message_id, reply_markup=markup)
        else:
            sent = await self._send(bot, self.staff_chat_id, text, media, reply_markup=markup)
        if item.kind in (KIND_RELAY, KIND_MIRROR) and item.ticket_message_id is not None:
            # A reply to this copy (in a group without topics) finds the ticket. A mirror is never marked
            # delivered here: the person's own copy is another row (or the web page's poll).
            self.handoff.set_staff_message(item.ticket_message_id, sent.message_id)

    async def _flush(self, bot: Any, chat_id: int | str) -> bool:
        """Send a chat's due outbox rows in order; stop at the first failure. True when all went."""
        chat = str(chat_id)
        if chat == STAFF_CHAT and not self.staff_chat_id:
            return False
        async with self._send_locks[chat]:
            now = time.time()
            for item in self.outbox.pending(CHANNEL, chat):
                if item.next_attempt_at > now:
                    return False  # an earlier row is waiting for its retry: later ones keep their place
                try:
                    await self._send_item(bot, item)
                except (TelegramError, ValueError) as exc:
                    retry_after = exc.retry_after if isinstance(exc, RetryAfter) else None
                    wait = retry_after.total_seconds() if hasattr(retry_after, "total_seconds") else retry_after
                    delay = self.outbox.mark_failed(item.id, f"{type(exc).__name__}: {exc}", wait)
                    logger.error("outbox %d (%s to %s, ticket %s) not sent (%s); retry in %.1f s",
                                 item.id, item.kind, "staff" if chat == STAFF_CHAT else "chat " + chat,
                                 item.ticket_id, exc, delay)
                    return False
                self.outbox.mark_sent(item.id)
        return True

    def _kick_staff(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Deliver to the staff group in the background: never on the person's path."""
        self._staff_again = True
        if not context.application.running:
            return  # shutting down: the outbox and unnotified tickets wait for the next start
        if self._staff_task is None or self._staff_task.done():
            self._staff_task = context.application.create_task(self._staff_loop(context.bot), name="staff-delivery")

    async def _staff_loop(self, bot: Any) -> None:
        while self._staff_again:
            self._staff_again = False
            try:
                await self._deliver_staff(bot)
            except Exception as exc:  # the delivery job tries again; never let this task die loudly
                logger.error("[E400] staff delivery failed: %s", exc, exc_info=exc)

    async def _deliver_staff(self, bot: Any) -> None:
        """Post unnotified tickets (urgent first), repeat urgent ones until claimed, then relays."""
        if not self.staff_chat_id:
            for ticket in self.handoff.due_notifications():
                logger.warning("ticket %d: channels.telegram.staff_chat_id is not set; nobody is told", ticket.id)
                self.handoff.mark_notify_failed(ticket.id, self.h["notify_max_retry_seconds"],
                                                self.h["notify_max_retry_seconds"])
            return
        async with self._send_locks[STAFF_CHAT]:
            for ticket in self.handoff.due_notifications():
                if not await self._notify(bot, ticket):
                    break  # the staff chat is failing: keep the order, the job tries again
            for ticket in self.handoff.urgent_unclaimed(self.h["urgent_repeat_minutes"] * 60):
                try:
                    await repeat_urgent(bot, self.staff_chat_id, self.handoff, ticket)
                except TelegramError as exc:
                    logger.error("ticket %d: urgent reminder failed (%s)", ticket.id, exc)
                    break
        await self._flush(bot, STAFF_CHAT)

    async def _notify(self, bot: Any, ticket: Ticket) -> bool:
        """Post a ticket to the staff group; on failure it stays unnotified and is retried."""
        text, markup = post_view(self.handoff, ticket)  # claimed or answered already: no 接单 button
        try:
            sent = await bot.send_message(self.staff_chat_id, text, reply_markup=markup)
        except TelegramError as exc:
            retry_after = exc.retry_after if isinstance(exc, RetryAfter) else None
            delay = self.handoff.mark_notify_failed(ticket.id, self.h["notify_retry_seconds"],
                                                    self.h["notify_max_retry_seconds"])
            logger.error("ticket %d: posting to the staff group failed (%s); retry in %.0f s", ticket.id, exc,
                         delay if retry_after is None else retry_after)
            return False
        self.handoff.mark_notified(ticket.id, sent.message_id)
        now = self.handoff.get(ticket.id)
        if now is not None and post_view(self.handoff, now)[0] != text:
            self.handoff.refresh_post(ticket.id)  # changed elsewhere (the console) while it was being posted
        return True

    # ---- people ------------------------------------------------------------------------------

    def _resident_layout(self, key: str) -> bool:
        state = self.engine.store.load_state(key) or {}
        return (state.get("slots") or {}).get("persona") != "merchant"

    async def _typing(self, bot: Any, chat_id: int) -> None:
        """Cosmetic: "typing…". Best effort; its failure never touches the message."""
        try:
            await bot.send_chat_action(chat_id, ChatAction.TYPING)
        except Exception as exc:
            logger.debug("typing indicator failed for chat %s (%s)", chat_id, exc)

    async def _say(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, text: str, key: str = "") -> None:
        """A channel sentence for a person (welcome, help, slow down): through the outbox too."""
        self._enqueue(chat_id, text, key=key)
        await self._flush(context.bot, chat_id)

    async def _handle(self, update: Update, context: ContextTypes.DEFAULT_TYPE, text: str,
                      intent: str | None = None) -> None:
        chat = update.effective_chat
        user = update.effective_user
        if chat is None or user is None:
            return
        key = user_key(user.id)
        text = clean_text(text)  # lone surrogates from a broken client: the flood path stores it too
        msg = IncomingMessage(user_id=key, text=text, channel=CHANNEL, chat_id=str(chat.id))
        context.application.create_task(self._typing(context.bot, chat.id), name="typing")
        if self._flooding(key) and self.engine.pipeline.parse(text).capability != "urgent":
            # One polite slow-down message, not twenty replies; the words are still kept.
            self.engine.store.save_turn(key, CHANNEL, self.engine.store.load_state(key) or {},
                                        {"text": mask(text), "intent": "flood"}, [])
            if key not in self._warned:
                self._warned.add(key)
                await self._say(context, chat.id, messages.SLOW_DOWN, key)
            return
        # Stored and handled first (the engine writes the message, tickets and relays to SQLite) ...
        outcome = safe_handle(self.engine, msg, intent)
        # ... then the answer is an outbox row before any network call, and goes out at once.
        self._enqueue_replies(chat.id, key, outcome.replies, urgent=outcome.capability == "urgent")
        await self._flush(context.bot, chat.id)
        if outcome.relay is not None or outcome.new_ticket is not None or outcome.capability == "urgent":
            self._kick_staff(context)

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start: a short welcome, what Linli can do, and a one-line privacy notice."""
        if update.effective_chat is None or update.effective_user is None:
            return
        self._enqueue(update.effective_chat.id, messages.START_TEXT.format(days=self.retention_days),
                      key=user_key(update.effective_user.id))
        await self._handle(update, context, "/start", "greet")

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/help: what Linli can do and the commands."""
        await self._handle(update, context, "/help", "bot_capabilities")
        if update.effective_chat is not None:
            await self._say(context, update.effective_chat.id, messages.HELP_COMMANDS)

    def command_intent(self, intent: str) -> Any:
        """A command that means an intent (/menu, /human, /delete_my_data)."""

        async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            text = update.effective_message.text if update.effective_message else f"/{intent}"
            await self._handle(update, context, text or intent, intent)

        return handler

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A text message from a person."""
        if update.effective_message is None or update.effective_message.text is None:
            return
        await self._handle(update, context, update.effective_message.text)

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/close, /queue, /export … from a person: a short kind answer with the commands there are."""
        if update.effective_chat is not None:
            await self._say(context, update.effective_chat.id, messages.UNKNOWN_COMMAND)

    async def rate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """👍 / 👎 under "这个回答有帮助吗？": handled like the typed button, then the buttons go away."""
        query = update.callback_query
        if query is None or query.data is None:
            return
        chat = query.message.chat if query.message is not None else None
        if chat is None or chat.type != ChatType.PRIVATE or chat.id != query.from_user.id:
            # A rating only means something in the person's own chat with the bot.
            logger.warning("rating button refused: telegram user %s in chat %s", query.from_user.id,
                           chat.id if chat else None)
            await query.answer(messages.BUTTON_STALE)
            return
        label = messages.FEEDBACK_YES if query.data.endswith("1") else messages.FEEDBACK_NO
        await query.answer()
        message = query.message
        if getattr(message, "reply_markup", None) is not None:  # a second press: the buttons are gone already
            try:
                await query.edit_message_reply_markup(reply_markup=None)
            except TelegramError as exc:
                logger.warning("could not remove the rating buttons (%s)", exc)
        await self._handle(update, context, label)

    async def stale_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A press whose data we did not make (old, forged or malformed): answered, nothing done."""
        query = update.callback_query
        if query is None:
            return
        logger.warning("unknown button data %r from telegram user %s", (query.data or "")[:64], query.from_user.id)
        try:
            await query.answer(messages.BUTTON_STALE)
        except TelegramError as exc:
            logger.warning("could not answer a button press (%s)", exc)

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, locations, files, videos: say kindly what Linli can take (words, photos, voice)."""
        if update.effective_chat is not None:
            await self._say(context, update.effective_chat.id, NON_TEXT_OTHER)

    # ---- staff group -------------------------------------------------------------------------

    async def _to_person(self, context: ContextTypes.DEFAULT_TYPE, ticket: Ticket, text: str,
                         direction: str = "system") -> None:
        """A message for the person: stored in the outbox with the ticket, then sent (or retried)."""
        self.handoff.add_message(ticket.id, direction, text, delivered=False)
        if ticket.chat_id:
            await self._flush(context.bot, ticket.chat_id)

    async def claim(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The 接单 button: an authorised social worker takes the ticket and a thread opens."""
        query = update.callback_query
        if query is None or query.data is None:
            return
        worker_id = str(query.from_user.id)
        match = CLAIM_RE.match(query.data)
        chat = query.message.chat if query.message is not None else None
        if match is None or chat is None or chat.id != self.staff_chat_id or not self.staff_chat_id:
            # Only a press on the ticket's own post in the staff group can claim it.
            logger.warning("claim refused: data %r from telegram user %s in chat %s (not the staff group)",
                           query.data[:64], worker_id, chat.id if chat else None)
            await query.answer(messages.BUTTON_STALE, show_alert=True)
            return
        ticket_id = int(match.group(1))
        try:
            ticket = self.handoff.claim(ticket_id, worker_id)
        except HandoffError as exc:
            logger.warning("claim refused: ticket %d by telegram user %s: %s", ticket_id, worker_id, exc)
            refusal = messages.STAFF_NOT_WORKER if "not an authorised" in str(exc) else messages.STAFF_TAKEN
            await query.answer(refusal, show_alert=True)
            return
        await query.answer(messages.STAFF_CLAIMED_SHORT)
        thread_id = None
        if getattr(chat, "is_forum", False):
            try:
                topic = await context.bot.create_forum_topic(self.staff_chat_id, f"#{ticket.id} {ticket.persona or '求助'}")
                thread_id = topic.message_thread_id
            except TelegramError as exc:
                logger.error("ticket %d: could not create a forum topic (%s); using a reply thread", ticket.id, exc)
        self.handoff.set_thread(ticket.id, thread_id)
        ticket = self.handoff.require(ticket.id)
        history = "\n".join(f"{messages.STAFF_HISTORY_WHO.get(m['direction'], '社工')}：{m['text']}"
                            for m in self.handoff.messages(ticket.id))
        intro = messages.STAFF_THREAD_OPENED.format(ticket=ticket.id, name=ticket.worker_name) + "\n" + ticket.summary
        if history:
            intro += "\n" + messages.STAFF_HISTORY + "\n" + history
        self._enqueue_staff(intro, ticket.id)
        for m in self.handoff.messages(ticket.id):  # pictures and voice notes sent while it waited
            if m.get("media_id") and m["direction"] == "user":
                self.outbox.enqueue(CHANNEL, STAFF_CHAT, KIND_RELAY, m["text"], ticket_id=ticket.id,
                                    ticket_message_id=m["id"], priority=PRIORITY_STAFF)
        self._kick_staff(context)
        if query.message is not None:  # the post pressed (or an urgent reminder): claimed, no button
            try:
                await edit_post(context.bot, self.staff_chat_id, self.handoff, ticket.id, query.message.message_id)
            except TelegramError as exc:
                logger.warning("ticket %d: could not mark the post as claimed (%s)", ticket.id, exc)
        await self._to_person(context, ticket, messages.CLAIMED_NOTICE.format(name=ticket.worker_name or ""))

    def _ticket_of(self, update: Update) -> Ticket | None:
        msg = update.effective_message
        if msg is None:
            return None
        if msg.is_topic_message and msg.message_thread_id:
            t = self.handoff.ticket_for_thread(msg.message_thread_id)
            if t is not None:
                return t
        if msg.reply_to_message is not None:
            return self.handoff.ticket_for_staff_message(msg.reply_to_message.message_id)
        return None

    async def _may_answer(self, msg: Any, ticket: Ticket, worker_id: str, what: str) -> bool:
        """A registered worker writing in a ticket they claimed; anyone else is told why not (and it is logged)."""
        if self.handoff.worker(worker_id) is None:
            logger.warning("ticket %d: %s from telegram user %s refused (not a social worker)", ticket.id, what, worker_id)
            await msg.reply_text(messages.STAFF_NOT_WORKER)
            return False
        if ticket.status != "claimed":
            await msg.reply_text(messages.STAFF_CLAIM_FIRST)
            return False
        if ticket.worker_id and ticket.worker_id != worker_id:
            logger.warning("ticket %d: %s from worker %s refused (claimed by worker %s)", ticket.id, what, worker_id,
                           ticket.worker_id)
            await msg.reply_text(messages.STAFF_NOT_YOURS.format(name=ticket.worker_name or ""))
            return False
        return True

    async def on_staff_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A social worker writes in a ticket's thread: it reaches the person, marked as from a worker."""
        msg = update.effective_message
        ticket = self._ticket_of(update)
        if msg is None or ticket is None or msg.text is None or update.effective_user is None:
            return  # staff talking among themselves
        worker_id = str(update.effective_user.id)
        if not await self._may_answer(msg, ticket, worker_id, "reply"):
            return
        await self._to_person(context, ticket, msg.text, "worker")

    async def take_over(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/takeover in a ticket's thread: this worker answers from now on, and the person is told."""
        msg = update.effective_message
        ticket = self._ticket_of(update)
        if msg is None or update.effective_user is None:
            return
        if ticket is None:
            await msg.reply_text(messages.STAFF_CLOSE_WHERE)
            return
        try:
            ticket = self.handoff.check_owner(ticket.id, str(update.effective_user.id), take_over=True)
        except HandoffError as exc:
            logger.warning("take-over refused: ticket %d by telegram user %s: %s", ticket.id, update.effective_user.id,
                           exc)
            await msg.reply_text(messages.STAFF_NOT_WORKER if "not an authorised" in str(exc) else messages.STAFF_TAKEN)
            return
        if ticket.status != "claimed":
            await msg.reply_text(messages.STAFF_CLAIM_FIRST)
            return
        if ticket.took_over:
            await self._to_person(context, ticket, messages.TAKEN_OVER_NOTICE.format(name=ticket.worker_name or ""))
        await msg.reply_text(messages.STAFF_TOOK_OVER.format(ticket=ticket.id, name=ticket.worker_name or ""))

    async def close(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/close 备注 in a ticket's thread: end it, tell the person, store the note."""
        msg = update.effective_message
        ticket = self._ticket_of(update)
        if msg is None or update.effective_user is None:
            return
        worker_id = str(update.effective_user.id)
        if self.handoff.worker(worker_id) is None:
            logger.warning("close refused: telegram user %s is not a social worker", worker_id)
            await msg.reply_text(messages.STAFF_NOT_WORKER)
            return
        if ticket is None:
            await msg.reply_text(messages.STAFF_CLOSE_WHERE)
            return
        note = " ".join(context.args or [])
        try:
            ticket = self.handoff.close(ticket.id, worker_id, note)
        except HandoffError as exc:
            logger.warning("close refused: ticket %d by telegram user %s: %s", ticket.id, worker_id, exc)
            if "claimed by worker" in str(exc):
                await msg.reply_text(messages.STAFF_NOT_YOURS.format(name=ticket.worker_name or ""))
            else:
                await msg.reply_text(messages.STAFF_TAKEN)
            return
        await self._to_person(context, ticket, messages.CLOSED_NOTICE)
        await msg.reply_text(messages.STAFF_CLOSED.format(ticket=ticket.id))
        self._kick_staff(context)  # the ticket's post shows it closed
        if ticket.thread_id:
            try:
                await context.bot.close_forum_topic(self.staff_chat_id, ticket.thread_id)
            except TelegramError as exc:
                logger.warning("ticket %d: could not close the forum topic (%s)", ticket.id, exc)

    async def remind(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/remind 明天上午10点 电话回访 in a ticket's thread (or /remind 12 明天上午10点 …): a 回访 reminder."""
        msg = update.effective_message
        if msg is None or update.effective_user is None:
            return
        worker_id = str(update.effective_user.id)
        if self.handoff.worker(worker_id) is None:
            await msg.reply_text(messages.STAFF_NOT_WORKER)
            return
        words = list(context.args or [])
        ticket = self._ticket_of(update)
        if words and words[0].lstrip("#").isdigit():
            ticket = self.handoff.get(int(words.pop(0).lstrip("#")))
        if ticket is None or not words:
            await msg.reply_text(messages.STAFF_REMIND_HOW)
            return
        try:
            r = set_followup(self.engine.reminders, self.handoff, ticket.id, worker_id, words[0], " ".join(words[1:]))
        except (ValueError, HandoffError) as exc:
            logger.warning("remind refused: ticket %d by telegram user %s: %s", ticket.id, worker_id, exc)
            await msg.reply_text(messages.STAFF_REMIND_HOW)
            return
        now = self.engine.reminders.now()
        await msg.reply_text(messages.STAFF_REMIND_SET.format(ticket=ticket.id, when=describe(r.due, now)))

    async def ids(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/id: this chat's id and your user id (for staff_chat_id and `linli workers add`)."""
        msg = update.effective_message
        if msg is not None and update.effective_chat is not None and update.effective_user is not None:
            await msg.reply_text(messages.IDS.format(chat=update.effective_chat.id, user=update.effective_user.id))

    async def queue(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/queue: the open tickets, urgent first (registered social workers only)."""
        msg = update.effective_message
        if msg is None or update.effective_user is None:
            return
        if self.handoff.worker(str(update.effective_user.id)) is None:
            logger.warning("/queue refused: telegram user %s is not a social worker", update.effective_user.id)
            await msg.reply_text(messages.STAFF_NOT_WORKER)
            return
        tickets = self.handoff.queue()
        if not tickets:
            await msg.reply_text(messages.STAFF_QUEUE_EMPTY)
            return
        lines = [messages.STAFF_QUEUE_HEAD]
        for t in tickets:
            who = f"（{t.worker_name}）" if t.worker_name else ""
            first = t.summary.splitlines()[1] if "\n" in t.summary else t.summary
            lines.append(f"#{t.id} {'🚨' if t.priority == 'urgent' else '·'} {t.status}{who} {first[:40]}")
        for part in split_message("\n".join(lines)):
            await msg.reply_text(part)

    # ---- the delivery job: nothing is lost ---------------------------------------------------

    async def deliver(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Send reminders whose time has come, and retry what did not get through: people's messages first,
        then the staff group (in the background)."""
        try:
            self.engine.reminders.fire_due()  # each becomes an outbox row, sent below
        except Exception as exc:  # logged; the next run tries again and nothing is lost
            logger.error("[E402] reading due reminders from the database failed: %s", exc, exc_info=exc)
        self._kick_staff(context)
        for chat in self.outbox.chats_due(CHANNEL):
            if not context.application.running:
                return  # shutting down: what is left stays in the outbox for the next start
            if chat == STAFF_CHAT or chat in self._flushing:
                continue  # staff: its own background task; a chat already being retried keeps its task
            # One task per chat, so the job returns at once and a slow chat holds up no other.
            self._flushing.add(chat)
            context.application.create_task(self._retry_chat(context.bot, chat), name=f"retry-{chat}")

    async def _retry_chat(self, bot: Any, chat: str) -> None:
        try:
            await self._flush(bot, chat)
        except Exception as exc:  # logged; the next run of the job tries again
            logger.error("[E400] retrying the outbox for chat %s failed: %s", chat, exc, exc_info=exc)
        finally:
            self._flushing.discard(chat)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log first, then tell the person kindly; never crash."""
        exc = context.error
        code = exc.code if isinstance(exc, ChatbotError) else "E000"
        chat_id = update.effective_chat.id if isinstance(update, Update) and update.effective_chat else None
        logger.error("[%s] %s chat=%s", code, exc, chat_id, exc_info=exc)
        if isinstance(update, Update) and update.effective_chat and update.effective_chat.type == ChatType.PRIVATE:
            try:
                # Whether the words were stored is unknown here: never claim they were.
                await context.bot.send_message(update.effective_chat.id, messages.SORRY_TRY_AGAIN)
            except TelegramError:
                pass


def run_telegram(settings: Settings, engine: Engine) -> None:
    """Run the bot until stopped: long polling, or a webhook when configured."""
    token = settings.telegram["token"]
    if not settings.telegram["staff_chat_id"]:
        # Still started, so /id in the staff group can tell the operator its id; tickets are real
        # (the console queue has them) but nobody is alerted on Telegram until the id is set.
        logger.warning(
            "channels.telegram.staff_chat_id is not set in %s: tickets wait in the console queue only "
            "(`linli handoff list`) and nobody is alerted on Telegram. Add the bot to the social workers' "
            "group, send /id there and put that chat id under channels.telegram.staff_chat_id", settings.path)
    channel = TelegramChannel(engine, settings)
    app = channel.build(token)
    t = settings.telegram
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if t["mode"] == "webhook":
        app.run_webhook(
            listen=t["webhook_listen"], port=t["webhook_port"], url_path="telegram",
            webhook_url=t["webhook_url"], secret_token=t["webhook_secret"] or None,
        )
    else:
        app.run_polling(poll_interval=t["poll_interval"], allowed_updates=Update.ALL_TYPES)
