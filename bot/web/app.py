"""The web channel's ASGI app: the chat page, its JSON API, the Rasa REST channel and the console.

One Starlette app, served by uvicorn (``linli serve``). Everything the pages use is served
from ``bot/web/static`` (no CDN, no external fonts or scripts, no third-party cookies), so it
also works in WeChat's in-app browser.

Identity without accounts: the chat page's person is a random id in a first-party HttpOnly
cookie (user id ``web:<id>``); a client of the REST channel names its own ``sender`` (user id
``rest:<sender>``), as with Rasa. The two never share ids, and the page's polling endpoint
reads the cookie only, so nobody can ask for another person's messages by naming them.

Pictures and voice notes (``bot/web/uploads.py``): the page posts the file itself to
``/api/media`` and fetches files through ``/api/media/{id}``, for its own cookie only; the
console through ``/console/api/media/{id}`` with a session. No file is in a static directory.

The engine and the store are synchronous and share one SQLite connection: every call into
them runs on one worker thread (``WebChannel.call``), so they never run at the same time and
the event loop stays free for static files. An open page's poll, nearly always for nothing,
is answered from a second, read-only connection on its own thread (``PollReader``): WAL lets
it read while the engine writes, and only when something is waiting does the poll go to the
engine thread, which alone delivers (so a message is still shown exactly once).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, TypeVar

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse as StarletteJSON
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot import messages
from bot.config import Settings
from bot.engine import Engine, clean_text, safe_handle
from bot.handoff import Handoff, Ticket
from bot.media import MediaReply
from bot.models import IncomingMessage, Reply
from bot.outbox import PUSH_CHANNELS
from bot.reminders import Reminders
from bot.store import TICKET_MESSAGES, TICKETS, TRANSCRIPT, Database
from bot.web import texts

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
CHANNEL = "web"
ID_COOKIE = "linli_id"
NOTICE_COOKIE = "linli_notice"
ID_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_BODY_BYTES = 64 * 1024
MAX_SENDER_CHARS = 128
HISTORY_MESSAGES = 30
COOKIE_DAYS = 180
# Everything comes from Linli itself; inline scripts are refused (the texts travel as JSON data).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
T = TypeVar("T")


class JSONResponse(StarletteJSON):
    """JSON as Starlette writes it, with any lone surrogate (from a "\\ud800" escape) replaced by U+FFFD."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return clean_text(text).encode("utf-8")


class BadRequest(Exception):
    """A request we cannot take; str() is the English reason (a 400 for the client)."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.status = status


def rasa_messages(recipient_id: str, replies: list[Reply]) -> list[dict[str, Any]]:
    """Replies in the shape of Rasa's REST channel: ``recipient_id``, ``text`` and, when there are any, ``buttons``.

    A button's payload is its title: pressing it sends those words, as typing them would.
    """
    out: list[dict[str, Any]] = []
    for r in replies:
        item: dict[str, Any] = {"recipient_id": recipient_id, "text": r.text}
        media_id = getattr(r, "media_id", None)
        if media_id is not None:
            item["image"] = f"/api/media/{media_id}"  # Rasa's key for a picture; the page's own files only
        if r.buttons:
            item["buttons"] = [{"title": b, "payload": b} for b in r.buttons]
        out.append(item)
    return out


def error(reason: str, status: int = 400) -> JSONResponse:
    """An English error for the client's developer, never a traceback."""
    return JSONResponse({"error": reason}, status_code=status)


async def read_json(request: Request) -> Any:
    """The request's JSON body; ``BadRequest`` (400, 413 or 415) says what is wrong with it."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
        raise BadRequest(f"request body too large (at most {MAX_BODY_BYTES} bytes)", 413)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        # Also keeps other sites' plain HTML forms from posting as a person (no CORS here).
        raise BadRequest("expected Content-Type: application/json", 415)
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(f"request body too large (at most {MAX_BODY_BYTES} bytes)", 413)
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("request body is not UTF-8") from None
    except RecursionError:
        raise BadRequest("request body is not valid JSON (nested too deeply)") from None
    except json.JSONDecodeError as exc:
        raise BadRequest(f"request body is not valid JSON ({exc.msg} at position {exc.pos})") from None


def _message_field(body: Any) -> str:
    if not isinstance(body, dict):
        raise BadRequest("expected a JSON object like {\"sender\": \"...\", \"message\": \"...\"}")
    text = body.get("message")
    if not isinstance(text, str):
        got = "missing" if text is None else f"a {type(text).__name__}"
        raise BadRequest(f"'message' must be a string, got {got}")
    return text


def _sender_field(body: dict[str, Any]) -> str:
    sender = body.get("sender")
    if isinstance(sender, bool) or not isinstance(sender, (str, int)):
        got = "missing" if sender is None else f"a {type(sender).__name__}"
        raise BadRequest(f"'sender' must be a string, got {got}")
    sender = clean_text(str(sender))
    if not sender.strip() or len(sender) > MAX_SENDER_CHARS:
        raise BadRequest(f"'sender' must have 1 to {MAX_SENDER_CHARS} characters")
    if any(ord(ch) < 32 for ch in sender):
        raise BadRequest("'sender' must not contain control characters")
    return sender


def _handoff_view(t: Ticket | None) -> dict[str, Any] | None:
    """A person's open ticket as the page shows it: waiting, or which worker is chatting."""
    if t is None:
        return None
    return {"status": t.status, "worker": t.worker_name or "",
            "label": (texts.WORKER_CHATTING.format(name=t.worker_name or "") if t.status == "claimed"
                      else texts.WORKER_WAITING)}


class PollReader:
    """Answers an open page's poll from its own SQLite connection, on its own thread, when nothing waits.

    1,000 open pages polling every 3 s are 330 requests a second, nearly all for nothing; on the
    engine thread each would wait behind people's messages and make them wait. This only reads
    (``PRAGMA query_only``), in one snapshot: the person's open ticket, and whether anything is
    there to deliver (a reminder due, an unsent notice, a social worker's words). When anything
    is, the poll goes to the engine thread, which delivers and marks it sent as before.
    """

    def __init__(self, path: str, engine: Engine) -> None:
        conn = sqlite3.connect(path, timeout=10.0, check_same_thread=False)
        conn.execute("PRAGMA query_only = 1")
        db = Database(conn)
        self.conn = conn
        self.handoff = Handoff(db)
        self.reminders = Reminders(db, engine.reminders.tz, engine.reminders.clock)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="linli-poll")

    @classmethod
    def for_engine(cls, engine: Engine) -> PollReader | None:
        """A reader on the engine's database file; None for an in-memory database (polls use the engine thread)."""
        path = next((row[2] for row in engine.store.db.conn.execute("PRAGMA database_list") if row[1] == "main"), "")
        return cls(path, engine) if path else None

    def look(self, user_id: str) -> tuple[bool, dict[str, Any] | None]:
        """(anything to deliver?, the page's hand-off state), read in one snapshot."""
        self.conn.execute("BEGIN")
        try:
            view = _handoff_view(self.handoff.active(user_id))
            waiting = bool(self.reminders.due(user_id) or self.reminders.out.pending(channel=CHANNEL, chat_id=user_id)
                           or self.handoff.outbox(user_id))
        finally:
            self.conn.execute("COMMIT")
        return waiting, view

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        self.conn.close()


class WebChannel:
    """The web channel's state: the engine, its single database thread, templates and settings."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self.web = settings.web
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="linli-db")
        self.reader = PollReader.for_engine(engine)
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True,
            undefined=jinja2.StrictUndefined,
        )

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the database thread (the engine and store are not thread-safe)."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    async def poll(self, user_id: str) -> tuple[list[Reply], dict[str, Any] | None]:
        """What to show an open page now: the read-only look first, the engine thread only if something waits."""
        if self.reader is not None:
            waiting, view = await asyncio.get_running_loop().run_in_executor(
                self.reader.executor, self.reader.look, user_id)
            if not waiting:
                return [], view
        return await self.call(lambda: (self.deliver(user_id), self.handoff_state(user_id)))

    def close(self) -> None:
        """Stop the database threads (after the last request)."""
        self.executor.shutdown(wait=True)
        if self.reader is not None:
            self.reader.close()

    def render(self, template: str, **context: Any) -> Response:
        """An HTML page from ``templates/`` (autoescaped)."""
        html = self.templates.get_template(template).render(texts=texts, **context)
        return Response(html, media_type="text/html; charset=utf-8")

    # ---- work done on the database thread -------------------------------------------------------

    def answer(self, user_id: str, text: str) -> list[Reply]:
        """The bot's replies to one message (a kind Chinese reply for an empty one)."""
        cap = int(self.web["max_message_chars"])
        if not text.strip():
            return [Reply(messages.EMPTY_MESSAGE)]
        notes = []
        if len(text) > cap:
            text = text[:cap]
            notes.append(Reply(texts.TOO_LONG.format(chars=cap)))
        outcome = safe_handle(self.engine, IncomingMessage(user_id, text, CHANNEL, chat_id=user_id))
        return notes + list(outcome.replies)

    def deliver(self, user_id: str) -> list[Reply]:
        """A social worker's words (and notices) and reminders due, not yet shown to this person; marked delivered.

        The page polls this while it is open, so a reminder shows within ``poll_seconds`` of its time;
        one due while the page was closed is shown, with a note that it is late, when it is opened again.
        """
        self.engine.reminders.fire_due(user_id)
        out = [Reply(text) for text in self.engine.reminders.inbox(CHANNEL, user_id)]
        for m in self.engine.handoff.outbox(user_id):
            if m["channel"] in PUSH_CHANNELS:
                continue  # that channel's own delivery job sends it
            out.append(MediaReply(self.engine.format_outbox(m), media_id=m.get("media_id")))
            self.engine.handoff.mark_delivered(m["id"])
        return out

    def handoff_state(self, user_id: str) -> dict[str, Any] | None:
        """The person's open ticket as the page shows it: waiting, or which worker is chatting."""
        return _handoff_view(self.engine.handoff.active(user_id))

    def history(self, user_id: str) -> list[dict[str, str]]:
        """The last messages of the conversation for a reloaded page: the person's, the bot's, the workers'."""
        db = self.engine.store.db
        rows = list(db.query(
            f"SELECT id, direction, text, created_at FROM {TRANSCRIPT} WHERE user_id = ? ORDER BY id DESC LIMIT ?",
            [user_id, HISTORY_MESSAGES]))[::-1]
        shown = {r["text"] for r in rows if r["direction"] == "out"}
        items = [{"from": "me" if r["direction"] == "in" else "bot", "text": r["text"], "at": r["created_at"]}
                 for r in rows if r["text"]]
        since = rows[0]["created_at"] if len(rows) == HISTORY_MESSAGES else ""
        worker = db.query(
            f"SELECT m.*, t.channel FROM {TICKET_MESSAGES} m JOIN {TICKETS} t ON t.id = m.ticket_id "
            "WHERE t.user_id = ? AND m.delivered = 1 AND m.direction IN ('worker', 'system') AND m.created_at >= ? "
            "ORDER BY m.id", [user_id, since])
        for m in worker:
            text = self.engine.format_outbox(m)
            if m.get("media_id"):  # a social worker's picture
                items.append({"from": "bot", "text": text, "at": m["created_at"],
                              "image": f"/api/media/{m['media_id']}"})
            elif text not in shown:  # shown before an answer, it is in the transcript already
                items.append({"from": "bot", "text": text, "at": m["created_at"]})
        items.sort(key=lambda i: i["at"])  # stable: same-second messages keep their order
        return [{k: i[k] for k in ("from", "text", "image") if k in i} for i in items]


# ---- the chat page and its API -----------------------------------------------------------------

def _page_id(request: Request) -> tuple[str, bool]:
    """The person's random id from the cookie, or a new one (True when new)."""
    value = request.cookies.get(ID_COOKIE, "")
    if ID_RE.match(value):
        return value, False
    return secrets.token_urlsafe(18), True


def _set_cookie(channel: WebChannel, response: Response, name: str, value: str) -> None:
    response.set_cookie(name, value, max_age=COOKIE_DAYS * 86400, httponly=True, samesite="lax",
                        secure=bool(channel.web["secure_cookies"]), path="/")


def _secure_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    return response


def chat_routes(channel: WebChannel) -> list[Route]:
    """The chat page, its JSON API (cookie identity) and the Rasa REST channel."""

    async def page(request: Request) -> Response:
        config = {"pollSeconds": float(channel.web["poll_seconds"]), "maxMediaBytes": channel.engine.media.max_bytes,
                  "texts": {k: getattr(texts, k) for k in (
                      "YOU", "BOT", "SENDING", "NETWORK_ERROR", "BIG_TEXT", "NORMAL_TEXT", "FIND_WORKER_SAYS",
                      "BAD_REQUEST", "PAGE_SUBTITLE", "VOICE_BUTTON", "VOICE_STOP", "VOICE_RECORDING",
                      "VOICE_UNAVAILABLE", "VOICE_DENIED", "UPLOADING", "PHOTO_SENT", "VOICE_SENT")}}
        return _secure_headers(channel.render("chat.html", config=config))

    async def start(request: Request) -> Response:
        """The page opened: who this is (a cookie), the privacy notice once, the conversation so far."""
        pid, new = _page_id(request)
        user_id = f"web:{pid}"
        history, handoff = await channel.call(lambda: (channel.history(user_id), channel.handoff_state(user_id)))
        notice = None
        if new or not request.cookies.get(NOTICE_COOKIE):
            notice = messages.START_TEXT.format(days=channel.settings.retention_days)
        response = JSONResponse({"notice": notice, "history": history, "handoff": handoff,
                                 "poll_seconds": float(channel.web["poll_seconds"])})
        if new:
            _set_cookie(channel, response, ID_COOKIE, pid)
        if notice:
            _set_cookie(channel, response, NOTICE_COOKIE, "1")
        return _secure_headers(response)

    async def chat(request: Request) -> Response:
        """One message from the page: the bot's replies in Rasa's format (and the hand-off state)."""
        try:
            text = _message_field(await read_json(request))
        except BadRequest as exc:
            return _secure_headers(error(str(exc), exc.status))
        pid, new = _page_id(request)
        user_id = f"web:{pid}"
        replies, handoff = await channel.call(lambda: (channel.answer(user_id, text), channel.handoff_state(user_id)))
        response = JSONResponse({"messages": rasa_messages("me", replies), "handoff": handoff})
        if new:
            _set_cookie(channel, response, ID_COOKIE, pid)
        return _secure_headers(response)

    async def poll(request: Request) -> Response:
        """What a social worker said since the last look, for this page's own person only (the cookie)."""
        pid, new = _page_id(request)
        if new:  # no conversation yet: nothing can be waiting
            return _secure_headers(JSONResponse({"messages": [], "handoff": None}))
        replies, handoff = await channel.poll(f"web:{pid}")
        return _secure_headers(JSONResponse({"messages": rasa_messages("me", replies), "handoff": handoff}))

    async def rest_health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def rest_webhook(request: Request) -> Response:
        """Rasa's REST channel: ``{"sender", "message"}`` in, a list of ``{"recipient_id", "text", "buttons"}`` out."""
        try:
            body = await read_json(request)
            text = _message_field(body)
            sender = _sender_field(body)
        except BadRequest as exc:
            return error(str(exc), exc.status)
        user_id = f"rest:{sender}"

        def work() -> list[Reply]:
            # A worker's words waiting for this sender come first, as the engine does before an answer.
            return channel.deliver(user_id) + channel.answer(user_id, text)

        out = rasa_messages(sender, await channel.call(work))
        for item in out:
            item.pop("image", None)  # a worker's picture opens only on the chat page (cookie identity)
        return JSONResponse(out)

    from bot.web.uploads import chat_media_routes

    routes = chat_media_routes(channel) + [
        Route("/", page, methods=["GET"]),
        Route("/api/start", start, methods=["GET"]),
        Route("/api/chat", chat, methods=["POST"]),
        Route("/api/poll", poll, methods=["GET"]),
    ]
    if channel.web["rest_channel"]:
        routes += [Route("/webhooks/rest/", rest_health, methods=["GET"]),
                   Route("/webhooks/rest/webhook", rest_webhook, methods=["POST"])]
    return routes


def create_app(settings: Settings, engine: Engine) -> Starlette:
    """The whole web app on one engine: chat page, API, REST channel, console and static files."""
    from bot.web.console import console_routes

    channel = WebChannel(settings, engine)

    async def not_found(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(("/api/", "/webhooks/", "/console/api/")):
            return error("not found", 404)
        return Response("404", status_code=404, media_type="text/plain")

    async def method_not_allowed(request: Request, exc: Exception) -> Response:
        return error("method not allowed", 405)

    async def server_error(request: Request, exc: Exception) -> Response:
        # Logged first with the traceback for the operator; the client gets no details.
        logger.error("[E400] web request failed path=%s: %s", request.url.path, exc, exc_info=exc)
        return error("internal error", 500)

    routes = chat_routes(channel) + console_routes(channel) + [
        Mount("/static", app=StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: method_not_allowed,
                                                       500: server_error, Exception: server_error})
    app.state.channel = channel
    return app


def serve(settings: Settings, engine: Engine, host: str, port: int) -> None:
    """Run the app with uvicorn until interrupted."""
    import uvicorn

    app = create_app(settings, engine)
    try:  # the console's names for intents and tutorials: read now, not on the engine thread at the first card
        from bot.report import labels_and_flows

        labels_and_flows(settings)
    except Exception as exc:  # the console says so itself when it needs them
        logger.warning("console labels could not be read at start-up: %s", exc)
    logger.info("web chat on http://%s:%d/ and the console on http://%s:%d/console", host, port, host, port)
    try:
        # loop="auto" and http="auto" take uvloop and httptools (dependencies, see pyproject) and fall
        # back to asyncio and h11 where they are missing; no access log (one line per poll).
        uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=True, server_header=False,
                    access_log=False)
    finally:
        app.state.channel.close()
