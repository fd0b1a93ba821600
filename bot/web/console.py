"""The social workers' console at /console: sign in, the queue, ticket cards, claim, reply, notes, close.

It works the same tickets as Telegram's staff group and ``linli handoff`` (``bot.handoff.Handoff``
on the same database): one queue, whichever channel a worker uses. Every page and API call
needs a session (an HttpOnly, SameSite=Strict cookie); every change also needs the session's
CSRF token; sign-in is rate limited per worker and per address; every action is logged with the
worker's id (the ``worker_actions`` table and the log).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import secrets
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot import messages
from bot.errors import HandoffError
from bot.handoff import Handoff, Ticket
from bot.store import TRANSCRIPT
from bot.web import texts
from bot.web.auth import LoginLimiter, Session, Sessions, csrf_ok, verify_password
from bot.web.library import library_routes
from bot.web.uploads import console_media_routes, media_json

if TYPE_CHECKING:
    from bot.web.app import WebChannel

logger = logging.getLogger(__name__)

SESSION_COOKIE = "linli_console"
LOGIN_COOKIE = "linli_login"
PATH = "/console"
MEDIA_PATH = f"{PATH}/api/media"
MAX_TEXT = 4000
# A hash to check against when the worker is unknown, so a wrong name costs the same time as a wrong password.
_DUMMY_HASH = "scrypt$16384$8$1$" + "00" * 16 + "$" + "00" * 32
ASKED_RE = re.compile(r"^这次说：(.*)$", re.M)


def _json(data: Any, status: int = 200) -> Response:
    from bot.web.app import JSONResponse, _secure_headers

    return _secure_headers(JSONResponse(data, status_code=status))


def _since(iso: str | None, now: dt.datetime | None = None) -> str:
    """How long ago, in Chinese minutes and hours."""
    if not iso:
        return ""
    try:
        then = dt.datetime.fromisoformat(iso)
    except ValueError:
        return ""
    if then.tzinfo is None:
        then = then.replace(tzinfo=dt.timezone.utc)
    minutes = int(((now or dt.datetime.now(dt.timezone.utc)) - then).total_seconds() // 60)
    if minutes < 1:
        return texts.JUST_NOW
    if minutes < 60:
        return texts.MINUTES.format(n=minutes)
    return texts.HOURS.format(h=minutes // 60, m=minutes % 60)


class Console:
    """The console's work on the database thread: queue rows, ticket cards, and the actions."""

    def __init__(self, channel: WebChannel) -> None:
        self.channel = channel
        self.engine = channel.engine
        self.handoff: Handoff = channel.engine.handoff
        self.sessions = Sessions(self.engine.store.db, float(channel.web["session_hours"]))
        self.limiter = LoginLimiter(int(channel.web["login_attempts"]), float(channel.web["login_window_seconds"]))
        self.tz = channel.settings.handoff["timezone"]
        self._labels: tuple[dict[str, str], dict[str, tuple[str, list[str]]]] | None = None

    def labels(self) -> tuple[dict[str, str], dict[str, tuple[str, list[str]]]]:
        """Chinese names of intents and tutorials (loaded once, on the first ticket card)."""
        if self._labels is None:
            try:
                from bot.report import labels_and_flows

                self._labels = labels_and_flows(self.channel.settings)
            except Exception as exc:  # the card still shows without names for what the bot tried
                logger.error("[E400] console: intent and tutorial names could not be loaded: %s", exc)
                self._labels = ({}, {})
        return self._labels

    def _local(self, iso: str | None) -> str:
        if not iso:
            return ""
        from zoneinfo import ZoneInfo

        try:
            when = dt.datetime.fromisoformat(iso)
        except ValueError:
            return iso
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        return when.astimezone(ZoneInfo(self.tz)).strftime("%m-%d %H:%M")

    # ---- what the pages show ---------------------------------------------------------------------

    def asked(self, t: Ticket) -> str:
        """What the person asked, in their own (masked) words: their last real question before the ticket.

        "找社工" and "可以" are how they asked for a person, not what they need; the summary's
        line is the fallback (a person whose messages were purged).
        """
        if t.user_id:
            for r in self.engine.store.db.query(
                    f"SELECT text, capability FROM {TRANSCRIPT} WHERE user_id = ? AND direction = 'in' "
                    "AND created_at <= ? ORDER BY id DESC LIMIT 10", [t.user_id, t.created_at]):
                if r["capability"] not in ("smalltalk", "handoff", "privacy", "media") and r["text"]:
                    return str(r["text"])
        m = ASKED_RE.search(t.summary or "")
        return m.group(1).strip() if m else ""

    def row(self, t: Ticket, worker_id: str) -> dict[str, Any]:
        """One line of the queue."""
        return {
            "id": t.id, "urgent": t.priority == "urgent", "status": t.status,
            "status_label": texts.STATUS.get(t.status, t.status),
            "priority_label": texts.URGENT if t.priority == "urgent" else texts.NORMAL,
            "channel": texts.CHANNELS.get(t.channel or "", t.channel or ""),
            "persona": texts.PERSONAS.get(t.persona or "", texts.PERSONAS[""]),
            "asked": self.asked(t)[:60],
            "waited": texts.WAITED.format(time=_since(t.created_at)) if t.status == "waiting" else "",
            "opened": self._local(t.created_at),
            "worker": t.worker_name or "", "mine": t.worker_id == worker_id,
            "outcome": self.handoff.outcome(t.id) if t.status == "closed" else "",
        }

    def queue(self, worker_id: str) -> dict[str, Any]:
        """Open tickets (urgent first, then by waiting time) and the ten closed most recently."""
        open_ = [self.row(t, worker_id) for t in self.handoff.queue()]
        closed = [self.row(t, worker_id) for t in self.handoff.all("closed")[:10]]
        urgent = sum(1 for r in open_ if r["urgent"] and r["status"] == "waiting")
        return {"open": open_, "closed": closed, "urgent_waiting": urgent}

    def tried(self, t: Ticket) -> list[str]:
        """What the bot already did for the person before the ticket, in Chinese (no intent ids)."""
        labels, flows = self.labels()
        rows = list(self.engine.store.db.query(
            f"SELECT intent, capability, flow, step FROM {TRANSCRIPT} WHERE user_id = ? AND direction = 'in' "
            "AND created_at <= ? ORDER BY id DESC LIMIT 30", [t.user_id, t.created_at]))[::-1]
        out: list[str] = []
        tutorials: dict[str, int] = {}
        for r in rows:
            if r["flow"] and r["flow"] in flows:
                step = int(r["step"]) + 1 if str(r["step"] or "").isdigit() else 1
                tutorials[r["flow"]] = max(tutorials.get(r["flow"], 0), step)
        out += [texts.TRIED_TUTORIAL.format(title=flows[f][0], step=s) for f, s in tutorials.items()]
        topics = [labels[r["intent"]] for r in rows
                  if r["intent"] in labels and labels[r["intent"]] != r["intent"] and r["intent"] != "nlu_fallback"
                  and r["capability"] not in ("smalltalk", "handoff")]
        if topics:
            out.append(texts.TRIED_TOPICS.format(topics="、".join(dict.fromkeys(topics[-6:]))))
        misses = sum(1 for r in rows if r["intent"] == "nlu_fallback")
        if misses:
            out.append(texts.TRIED_NOT_UNDERSTOOD.format(n=misses))
        return out or [texts.TRIED_NOTHING]

    def region(self, t: Ticket) -> str:
        row = self.engine.store.db.execute(
            f"SELECT region FROM {TRANSCRIPT} WHERE user_id = ? AND region != '' ORDER BY id DESC LIMIT 1",
            [t.user_id]).fetchone()
        return str(row[0]) if row else ""

    def card(self, ticket_id: int, worker_id: str) -> dict[str, Any] | None:
        """A ticket card in Chinese: who, what they asked, what the bot tried, the messages, the notes."""
        t = self.handoff.get(ticket_id)
        if t is None:
            return None
        who = {"from": texts.FROM_PERSON, "kind": "person"}
        thread: list[dict[str, str]] = []
        if t.user_id:
            before = list(self.engine.store.db.query(
                f"SELECT direction, text, created_at FROM {TRANSCRIPT} WHERE user_id = ? AND created_at <= ? "
                "ORDER BY id DESC LIMIT 8", [t.user_id, t.created_at]))[::-1]
            thread += [{**(who if m["direction"] == "in" else {"from": texts.FROM_BOT, "kind": "bot"}),
                        "text": m["text"], "at": self._local(m["created_at"])} for m in before]
        kinds = {"user": (texts.FROM_PERSON, "person"), "worker": (texts.FROM_WORKER, "worker"),
                 "system": (texts.FROM_SYSTEM, "system"), "note": (texts.FROM_NOTE, "note")}
        notes = []
        for m in self.handoff.messages(t.id):
            label, kind = kinds.get(m["direction"], (texts.FROM_SYSTEM, "system"))
            text = m["text"]
            item = {"from": label, "kind": kind, "text": text, "at": self._local(m["created_at"]), "id": m["id"]}
            if m.get("media_id"):
                item["media"] = media_json(self.engine.media.get(int(m["media_id"])), MEDIA_PATH)
            (notes if kind == "note" else thread).append(item)
        return {
            **self.row(t, worker_id),
            "deleted": not t.user_id,
            "region": self.region(t) if t.user_id else "",
            "asked_full": self.asked(t),
            "tried": self.tried(t) if t.user_id else [],
            "messages": thread,
            "notes": notes,
            # Every picture and voice note of the person (also those sent before the ticket), newest first.
            "media": [media_json(i, MEDIA_PATH) for i in self.engine.media.of_user(t.user_id)][::-1]
            if t.user_id else [],
            "close_note": t.close_note if t.close_note and t.close_note != "ended by the person" else "",
            "can_reply": t.status == "claimed" and t.worker_id == worker_id,
            "last_id": max([m.get("id", 0) for m in thread + notes if isinstance(m.get("id"), int)] or [0]),
        }

    # ---- actions (each logged with the worker's id) ---------------------------------------------

    def act(self, worker_id: str, ticket_id: int, action: str, body: dict[str, Any]) -> str:
        """Do one action on a ticket; returns '' or the key of ``texts.WHY`` saying why not."""
        h = self.handoff
        t = h.get(ticket_id)
        if t is None:
            return "missing"
        text = str(body.get("text") or "").strip()[:MAX_TEXT]
        try:
            if action == "claim":
                if t.status != "waiting":
                    return "not_waiting"
                t = h.claim(ticket_id, worker_id)
                h.add_message(t.id, "system", messages.CLAIMED_NOTICE.format(name=t.worker_name or ""),
                              delivered=False)
            elif action == "take_over":
                if t.status != "claimed":
                    return "not_waiting"
                t = h.check_owner(ticket_id, worker_id, take_over=True)
                if t.took_over:
                    h.add_message(t.id, "system", messages.TAKEN_OVER_NOTICE.format(name=t.worker_name or ""),
                                  delivered=False)
            elif action == "reply":
                if not text:
                    return "empty"
                if t.status != "claimed":
                    return "claim_first" if t.status == "waiting" else "closed"
                if t.worker_id != worker_id:
                    return "not_yours"
                h.add_message(t.id, "worker", text, delivered=False, via="web")  # also shown on Telegram
            elif action == "note":
                if not text:
                    return "empty"
                h.add_note(t.id, worker_id, text, via="web")
            elif action == "close":
                outcome = str(body.get("outcome") or "")
                if outcome not in texts.OUTCOMES:
                    return "outcome"
                if t.status == "closed":
                    return "closed"
                if t.status == "claimed" and t.worker_id != worker_id:
                    return "not_yours"
                t = h.close(t.id, worker_id, text)
                h.set_outcome(t.id, outcome)
                if t.user_id:
                    h.add_message(t.id, "system", messages.CLOSED_NOTICE, delivered=False)
            elif action == "reopen":
                if t.status != "closed":
                    return "not_closed"
                if not t.user_id:
                    return "deleted"
                if h.active(t.user_id) is not None:
                    return "other_open"
                t = h.reopen(t.id, worker_id)
                h.add_message(t.id, "system", texts.REOPENED_NOTICE.format(name=t.worker_name or ""),
                              delivered=False)
            else:
                return "missing"
        except HandoffError as exc:
            logger.warning("console: worker %s %s ticket %d refused: %s", worker_id, action, ticket_id, exc)
            return "not_yours"
        detail = str(body.get("outcome") or "") if action == "close" else ""
        h.log_action(worker_id, action, ticket_id, detail)
        return ""


def console_routes(channel: WebChannel) -> list[Route]:
    """The console's pages and JSON API, all under /console."""
    from bot.web.app import BadRequest, _secure_headers, read_json

    console = Console(channel)
    secure = bool(channel.web["secure_cookies"])

    def session_of(request: Request) -> Session | None:
        return console.sessions.get(request.cookies.get(SESSION_COOKIE))

    async def current(request: Request) -> Session | None:
        return await channel.call(session_of, request)

    def login_page(error: str = "", status: int = 200, login: str = "") -> Response:
        token = secrets.token_urlsafe(24)
        response = channel.render("login.html", error=error, csrf=token, login=login)
        response.status_code = status
        response.set_cookie(LOGIN_COOKIE, token, max_age=3600, httponly=True, samesite="strict", secure=secure,
                            path=PATH)
        return _secure_headers(response)

    async def login_get(request: Request) -> Response:
        if await current(request) is not None:
            return RedirectResponse(PATH, status_code=303)
        return login_page()

    async def login_post(request: Request) -> Response:
        body = await request.body()
        if len(body) > 4096:
            return login_page(texts.LOGIN_FAILED, 400)
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        login, password = form.get("worker", "").strip()[:100], form.get("password", "")[:200]
        sent, expected = form.get("csrf", ""), request.cookies.get(LOGIN_COOKIE, "")
        if not expected or not secrets.compare_digest(sent.encode(), expected.encode()):
            return login_page(texts.LOGIN_EXPIRED, 403, login)
        address = request.client.host if request.client else "?"
        keys = (f"worker:{login.lower()}", f"addr:{address}")
        wait = console.limiter.blocked(*keys)
        if wait > 0:
            logger.warning("console sign-in refused: too many failures for %r from %s", login, address)
            return login_page(texts.LOGIN_TOO_MANY.format(minutes=max(1, int(wait // 60) + 1)), 429, login)

        def find() -> tuple[dict[str, Any] | None, str]:
            worker = console.handoff.find_worker(login) if login else None
            return worker, console.handoff.password_hash(worker["worker_id"]) if worker else ""

        worker, stored = await channel.call(find)
        # The hash is checked off the database thread (about 50 ms), and always: unknown names cost the same.
        good = await asyncio.to_thread(verify_password, password, stored or _DUMMY_HASH)
        if not (worker and stored and good):
            console.limiter.failed(*keys)
            logger.warning("console sign-in failed for %r from %s", login, address)
            if worker is not None:
                await channel.call(console.handoff.log_action, worker["worker_id"], "login_failed", None, address)
            return login_page(texts.LOGIN_FAILED, 401, login)
        console.limiter.succeeded(keys[0])
        worker_id = str(worker["worker_id"])

        def start() -> str:
            console.sessions.prune()
            token, _ = console.sessions.create(worker_id)
            console.handoff.log_action(worker_id, "login", None, address)
            return token

        token = await channel.call(start)
        response = RedirectResponse(PATH, status_code=303)
        response.set_cookie(SESSION_COOKIE, token, max_age=int(float(channel.web["session_hours"]) * 3600),
                            httponly=True, samesite="strict", secure=secure, path=PATH)
        response.delete_cookie(LOGIN_COOKIE, path=PATH)
        return response

    async def logout(request: Request) -> Response:
        session = await current(request)
        body = await request.body()
        form = {k: v[0] for k, v in parse_qs(body[:4096].decode("utf-8", "replace")).items()}
        if session is not None and csrf_ok(session, form.get("csrf") or request.headers.get("x-csrf-token")):
            token = request.cookies.get(SESSION_COOKIE)

            def end() -> None:
                console.sessions.end(token)
                console.handoff.log_action(session.worker_id, "logout")

            await channel.call(end)
        response = RedirectResponse(f"{PATH}/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path=PATH)
        return response

    async def page(request: Request) -> Response:
        session = await current(request)
        if session is None:
            return RedirectResponse(f"{PATH}/login", status_code=303)
        worker = await channel.call(console.handoff.worker, session.worker_id)
        config = {"csrf": session.csrf, "worker": session.worker_id, "texts": {
            k: getattr(texts, k) for k in dir(texts) if k.isupper() and not k.startswith("_")}}
        return _secure_headers(channel.render("console.html", config=config, csrf=session.csrf,
                                              name=(worker or {}).get("name", ""), worker_id=session.worker_id))

    def api(handler: Callable[[Request, Session], Any], change: bool = False) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            session = await current(request)
            if session is None:
                return _json({"error": "sign in first", "why": texts.WHY["session"]}, 401)
            if change and not csrf_ok(session, request.headers.get("x-csrf-token")):
                logger.warning("console: bad CSRF token from worker %s", session.worker_id)
                return _json({"error": "missing or wrong CSRF token", "why": texts.WHY["session"]}, 403)
            return await handler(request, session)  # type: ignore[no-any-return]

        return endpoint

    async def queue(request: Request, session: Session) -> Response:
        return _json(await channel.call(console.queue, session.worker_id))

    def ticket_id(request: Request) -> int:
        return int(request.path_params["ticket"])

    async def card(request: Request, session: Session) -> Response:
        tid = ticket_id(request)

        def work() -> dict[str, Any] | None:
            found = console.card(tid, session.worker_id)
            if found is not None and request.query_params.get("open"):
                console.handoff.log_action(session.worker_id, "view", tid)  # who read whose conversation
            return found

        found = await channel.call(work)
        if found is None:
            return _json({"error": "no such ticket", "why": texts.WHY["missing"]}, 404)
        return _json(found)

    async def action(request: Request, session: Session) -> Response:
        tid, name = ticket_id(request), request.path_params["action"]
        try:
            body = await read_json(request)
        except BadRequest as exc:
            return _json({"error": str(exc)}, exc.status)
        if not isinstance(body, dict):
            return _json({"error": "expected a JSON object"}, 400)
        why = await channel.call(console.act, session.worker_id, tid, name, body)
        if why:
            status = 404 if why == "missing" else 409
            return _json({"error": why, "why": texts.WHY[why]}, status)
        return _json(await channel.call(console.card, tid, session.worker_id))

    return console_media_routes(channel, console, api) + library_routes(channel, console, current) + [
        Route(PATH, page, methods=["GET"]),
        Route(f"{PATH}/login", login_get, methods=["GET"]),
        Route(f"{PATH}/login", login_post, methods=["POST"]),
        Route(f"{PATH}/logout", logout, methods=["POST"]),
        Route(f"{PATH}/api/queue", api(queue), methods=["GET"]),
        Route(f"{PATH}/api/tickets/{{ticket:int}}", api(card), methods=["GET"]),
        Route(f"{PATH}/api/tickets/{{ticket:int}}/{{action:str}}", api(action, change=True), methods=["POST"]),
    ]
