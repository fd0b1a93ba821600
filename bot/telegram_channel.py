"""The Telegram channel (python-telegram-bot v22): people in private chats, social workers in a staff group.

Only translation lives here: Telegram updates become ``IncomingMessage`` for the engine,
``Reply`` objects become messages with reply keyboards, and tickets become posts with a
接单 button in the staff group. Every ticket, relay and outbox message is in SQLite, and a
repeating job re-sends whatever did not get through (with backoff), so nothing is lost when
Telegram is down or the bot restarts.
"""

from __future__ import annotations

import logging
import re
import time
from collections import defaultdict, deque
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ChatAction, ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import messages
from bot.config import Settings
from bot.engine import Engine, safe_handle
from bot.errors import ChatbotError, HandoffError
from bot.handoff import Ticket
from bot.models import IncomingMessage, Reply
from bot.privacy import mask

logger = logging.getLogger(__name__)
MAX_MESSAGE = 4096
CLAIM_PREFIX = "claim:"
FEEDBACK_PREFIX = "fb:"


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


class TelegramChannel:
    """Handlers and jobs for one bot; holds the engine and the staff-group settings."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.handoff = engine.handoff
        self.staff_chat_id = int(settings.telegram["staff_chat_id"])
        self.h = settings.handoff
        self.t = settings.telegram
        self.retention_days = settings.retention_days
        self.flood_limit = int(self.t["flood_messages"])
        self.flood_window = float(self.t["flood_seconds"])
        self._recent: dict[str, deque[float]] = defaultdict(deque)
        self._warned: set[str] = set()

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
        builder = ApplicationBuilder().token(token)
        base = self.t.get("base_url") or ""
        if base:
            base = base.rstrip("/")
            builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
        try:
            from telegram.ext import AIORateLimiter

            # Respect Telegram's limits (30 msg/s overall, 20/min per group) when many write at once.
            builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
        except RuntimeError:  # the rate-limiter extra is missing
            logger.warning("python-telegram-bot[rate-limiter] is not installed; sending without a rate limiter")
        app = builder.build()
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
        app.add_handler(CallbackQueryHandler(self.claim, pattern=f"^{CLAIM_PREFIX}"))
        app.add_handler(CallbackQueryHandler(self.rate, pattern=f"^{FEEDBACK_PREFIX}[01]$"))
        app.add_handler(MessageHandler(staff & filters.TEXT & ~filters.COMMAND, self.on_staff_message))
        app.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, self.on_text))
        app.add_handler(MessageHandler(private & ~filters.TEXT & ~filters.COMMAND, self.on_other))
        app.add_error_handler(self.on_error)
        if app.job_queue is not None:
            app.job_queue.run_repeating(self.deliver, interval=float(self.t["jobs_interval"]), first=0.5,
                                        name="deliver")
        return app

    # ---- people ------------------------------------------------------------------------------

    def _resident_layout(self, key: str) -> bool:
        state = self.engine.store.load_state(key) or {}
        return (state.get("slots") or {}).get("persona") != "merchant"

    async def _send(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, replies: list[Reply], key: str) -> None:
        one_per_row = self._resident_layout(key)
        for reply in replies:
            if reply.kind == "feedback":
                # Inline buttons under the question, so the reply keyboard of the answer stays usable.
                await context.bot.send_message(chat_id, reply.text, reply_markup=feedback_keyboard())
                continue
            parts = split_message(reply.text)
            for i, part in enumerate(parts):
                markup = keyboard(reply.buttons, one_per_row) if i == len(parts) - 1 else None
                await context.bot.send_message(chat_id, part, reply_markup=markup)

    async def _handle(self, update: Update, context: ContextTypes.DEFAULT_TYPE, text: str,
                      intent: str | None = None) -> None:
        chat = update.effective_chat
        user = update.effective_user
        if chat is None or user is None:
            return
        key = user_key(user.id)
        msg = IncomingMessage(user_id=key, text=text, channel="telegram", chat_id=str(chat.id))
        if self._flooding(key) and self.engine.pipeline.parse(text).capability != "urgent":
            # One polite slow-down message, not twenty replies; the words are still kept.
            self.engine.store.save_turn(key, "telegram", self.engine.store.load_state(key) or {},
                                        {"text": mask(text), "intent": "flood"}, [])
            if key not in self._warned:
                self._warned.add(key)
                await context.bot.send_message(chat.id, messages.SLOW_DOWN)
            return
        await context.bot.send_chat_action(chat.id, ChatAction.TYPING)
        outcome = safe_handle(self.engine, msg, intent)
        await self._send(context, chat.id, outcome.replies, key)
        if outcome.relay is not None:
            await self._relay_to_staff(context, outcome.relay, mask(text), outcome.relay_message_id)
        if outcome.new_ticket is not None:
            await self._notify(context, outcome.new_ticket)

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start: a short welcome, what Linli can do, and a one-line privacy notice."""
        if update.effective_chat is None or update.effective_user is None:
            return
        await context.bot.send_message(update.effective_chat.id, messages.START_TEXT.format(days=self.retention_days))
        await self._handle(update, context, "/start", "greet")

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/help: what Linli can do and the commands."""
        await self._handle(update, context, "/help", "bot_capabilities")
        if update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, messages.HELP_COMMANDS)

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

    async def rate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """👍 / 👎 under "这个回答有帮助吗？": handled like the typed button, then the buttons go away."""
        query = update.callback_query
        if query is None or query.data is None:
            return
        label = messages.FEEDBACK_YES if query.data.endswith("1") else messages.FEEDBACK_NO
        await query.answer()
        try:
            await query.edit_message_reply_markup(reply_markup=None)
        except TelegramError as exc:
            logger.warning("could not remove the rating buttons (%s)", exc)
        await self._handle(update, context, label)

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, photos, voice, locations, files: say kindly what Linli can read today."""
        if update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, messages.NON_TEXT_MESSAGE)

    # ---- staff group -------------------------------------------------------------------------

    def _ticket_text(self, ticket: Ticket) -> str:
        head = messages.STAFF_URGENT if ticket.priority == "urgent" else messages.STAFF_NORMAL
        return head.format(ticket=ticket.id) + "\n" + ticket.summary

    async def _notify(self, context: ContextTypes.DEFAULT_TYPE, ticket: Ticket) -> None:
        """Post a ticket to the staff group; on failure it stays unnotified and the job retries."""
        if not self.staff_chat_id:
            logger.warning("ticket %d: channels.telegram.staff_chat_id is not set; nobody is told", ticket.id)
            return
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("接单", callback_data=f"{CLAIM_PREFIX}{ticket.id}")]])
        try:
            sent = await context.bot.send_message(self.staff_chat_id, self._ticket_text(ticket), reply_markup=markup)
        except TelegramError as exc:
            delay = self.handoff.mark_notify_failed(ticket.id, self.h["notify_retry_seconds"],
                                                    self.h["notify_max_retry_seconds"])
            logger.error("ticket %d: posting to the staff group failed (%s); retry in %.0f s", ticket.id, exc, delay)
            return
        self.handoff.mark_notified(ticket.id, sent.message_id)

    async def _relay_to_staff(self, context: ContextTypes.DEFAULT_TYPE, ticket: Ticket, text: str,
                              message_id: int | None) -> None:
        body = messages.STAFF_RELAY.format(ticket=ticket.id, text=text)
        try:
            if ticket.thread_id:
                sent = await context.bot.send_message(self.staff_chat_id, body, message_thread_id=ticket.thread_id)
            else:
                sent = await context.bot.send_message(self.staff_chat_id, body,
                                                      reply_to_message_id=ticket.staff_message_id)
        except TelegramError as exc:
            # Stored already: the worker sees it with /close-less `linli handoff show` or on the next relay.
            logger.error("ticket %d: relaying to the staff group failed (%s)", ticket.id, exc)
            return
        if message_id is not None:
            self.handoff.set_staff_message(message_id, sent.message_id)

    async def claim(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The 接单 button: an authorised social worker takes the ticket and a thread opens."""
        query = update.callback_query
        if query is None or query.data is None:
            return
        worker_id = str(query.from_user.id)
        ticket_id = int(query.data[len(CLAIM_PREFIX):])
        try:
            ticket = self.handoff.claim(ticket_id, worker_id)
        except HandoffError as exc:
            logger.warning("claim refused: ticket %d by telegram user %s: %s", ticket_id, worker_id, exc)
            refusal = messages.STAFF_NOT_WORKER if "not an authorised" in str(exc) else messages.STAFF_TAKEN
            await query.answer(refusal, show_alert=True)
            return
        await query.answer(messages.STAFF_CLAIMED_SHORT)
        chat = query.message.chat if query.message is not None else None
        thread_id = None
        if chat is not None and getattr(chat, "is_forum", False):
            try:
                topic = await context.bot.create_forum_topic(self.staff_chat_id, f"#{ticket.id} {ticket.persona or '求助'}")
                thread_id = topic.message_thread_id
            except TelegramError as exc:
                logger.error("ticket %d: could not create a forum topic (%s); using a reply thread", ticket.id, exc)
        self.handoff.set_thread(ticket.id, thread_id)
        ticket = self.handoff.require(ticket.id)
        history = "\n".join(f"{'人' if m['direction'] == 'user' else '社工'}：{m['text']}"
                            for m in self.handoff.messages(ticket.id))
        intro = messages.STAFF_THREAD_OPENED.format(ticket=ticket.id, name=ticket.worker_name) + "\n" + ticket.summary
        if history:
            intro += "\n" + messages.STAFF_HISTORY + "\n" + history
        for part in split_message(intro):
            if thread_id:
                await context.bot.send_message(self.staff_chat_id, part, message_thread_id=thread_id)
            else:
                await context.bot.send_message(self.staff_chat_id, part, reply_to_message_id=ticket.staff_message_id)
        if query.message is not None:
            try:
                await query.edit_message_text(self._ticket_text(ticket) + "\n" +
                                              messages.STAFF_CLAIMED_BY.format(name=ticket.worker_name))
            except TelegramError as exc:
                logger.warning("ticket %d: could not mark the post as claimed (%s)", ticket.id, exc)
        await self._to_person(context, ticket, messages.CLAIMED_NOTICE.format(name=ticket.worker_name or ""))

    async def _to_person(self, context: ContextTypes.DEFAULT_TYPE, ticket: Ticket, text: str,
                         direction: str = "system") -> None:
        """Send to the person; if Telegram fails, keep it in the outbox for the delivery job."""
        try:
            await context.bot.send_message(int(ticket.chat_id), text)
            self.handoff.add_message(ticket.id, direction, text)
        except (TelegramError, ValueError) as exc:
            logger.error("ticket %d: message to the person failed (%s); queued", ticket.id, exc)
            self.handoff.add_message(ticket.id, direction, text, delivered=False)

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

    async def on_staff_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A social worker writes in a ticket's thread: it reaches the person, marked as from a worker."""
        msg = update.effective_message
        ticket = self._ticket_of(update)
        if msg is None or ticket is None or msg.text is None or update.effective_user is None:
            return  # staff talking among themselves
        worker_id = str(update.effective_user.id)
        if self.handoff.worker(worker_id) is None:
            logger.warning("ticket %d: reply from telegram user %s refused (not a social worker)", ticket.id, worker_id)
            await msg.reply_text(messages.STAFF_NOT_WORKER)
            return
        if ticket.status != "claimed":
            await msg.reply_text(messages.STAFF_CLAIM_FIRST)
            return
        name = self.handoff.worker(worker_id)["name"]
        await self._to_person(context, ticket, messages.WORKER_PREFIX.format(name=name) + msg.text, "worker")

    async def close(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/close 备注 in a ticket's thread: end it, tell the person, store the note."""
        msg = update.effective_message
        ticket = self._ticket_of(update)
        if msg is None or update.effective_user is None:
            return
        if ticket is None:
            await msg.reply_text(messages.STAFF_CLOSE_WHERE)
            return
        note = " ".join(context.args or [])
        try:
            ticket = self.handoff.close(ticket.id, str(update.effective_user.id), note)
        except HandoffError as exc:
            logger.warning("close refused: ticket %d by telegram user %s: %s", ticket.id, update.effective_user.id, exc)
            await msg.reply_text(messages.STAFF_NOT_WORKER if "not an authorised" in str(exc) else str(exc))
            return
        await self._to_person(context, ticket, messages.CLOSED_NOTICE)
        await msg.reply_text(messages.STAFF_CLOSED.format(ticket=ticket.id))
        if ticket.thread_id:
            try:
                await context.bot.close_forum_topic(self.staff_chat_id, ticket.thread_id)
            except TelegramError as exc:
                logger.warning("ticket %d: could not close the forum topic (%s)", ticket.id, exc)

    async def ids(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/id: this chat's id and your user id (for staff_chat_id and `linli workers add`)."""
        msg = update.effective_message
        if msg is not None and update.effective_chat is not None and update.effective_user is not None:
            await msg.reply_text(messages.IDS.format(chat=update.effective_chat.id, user=update.effective_user.id))

    async def queue(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/queue: the open tickets, urgent first."""
        msg = update.effective_message
        if msg is None:
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
        await msg.reply_text("\n".join(lines))

    # ---- the delivery job: nothing is lost ---------------------------------------------------

    async def deliver(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Post unnotified tickets, repeat urgent ones until claimed, deliver queued replies."""
        for ticket in self.handoff.due_notifications():
            await self._notify(context, ticket)
        for ticket in self.handoff.urgent_unclaimed(self.h["urgent_repeat_minutes"] * 60):
            markup = InlineKeyboardMarkup([[InlineKeyboardButton("接单", callback_data=f"{CLAIM_PREFIX}{ticket.id}")]])
            try:
                await context.bot.send_message(self.staff_chat_id, messages.STAFF_URGENT_REPEAT.format(ticket=ticket.id),
                                               reply_markup=markup, reply_to_message_id=ticket.staff_message_id)
                self.handoff.mark_alerted(ticket.id)
            except TelegramError as exc:
                logger.error("ticket %d: urgent reminder failed (%s)", ticket.id, exc)
        for m in self.handoff.outbox():
            if m["channel"] != "telegram":
                continue
            try:
                await context.bot.send_message(int(m["chat_id"]), self.engine.format_outbox(m))
            except (TelegramError, ValueError) as exc:
                logger.error("ticket %d: queued message %d not delivered yet (%s)", m["ticket_id"], m["id"], exc)
                continue
            self.handoff.mark_delivered(m["id"])

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log first, then tell the person kindly; never crash."""
        exc = context.error
        code = exc.code if isinstance(exc, ChatbotError) else "E000"
        chat_id = update.effective_chat.id if isinstance(update, Update) and update.effective_chat else None
        logger.error("[%s] %s chat=%s", code, exc, chat_id, exc_info=exc)
        if isinstance(update, Update) and update.effective_chat and update.effective_chat.type == ChatType.PRIVATE:
            try:
                await context.bot.send_message(update.effective_chat.id, messages.SORRY_GENERIC)
            except TelegramError:
                pass


def run_telegram(settings: Settings, engine: Engine) -> None:
    """Run the bot until stopped: long polling, or a webhook when configured."""
    token = settings.telegram["token"]
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
