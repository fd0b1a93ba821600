"""Pictures and voice notes on the web (issue 15): uploads from the chat page and the console, and
the routes that show stored files to the person who sent them and to signed-in social workers.

Files are never under a static web root: each request is checked (the page's cookie, or a
console session) and the file is read from ``storage.media_dir`` by its row. An upload is the
raw file as the request body (``Content-Type`` image/*, audio/*, video/* or
application/octet-stream; what it really is, is read from its first bytes), so no form
parser is needed, and other sites' plain HTML forms cannot post one.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.media import PHOTO, MediaError, MediaItem, Upload, sniff, worker_photo
from bot.models import IncomingMessage

if TYPE_CHECKING:
    from bot.web.app import WebChannel

logger = logging.getLogger(__name__)

UPLOAD_TYPES = ("image/", "audio/", "video/", "application/octet-stream")


class UploadRefused(Exception):
    """An upload request we cannot take: English reason and HTTP status."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.status = status


async def read_upload(request: Request, max_bytes: int) -> bytes:
    """The request body as a file, at most ``max_bytes`` (413 past it, 415 for a form or text)."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not ctype.startswith(UPLOAD_TYPES):
        raise UploadRefused("send the file itself as the body, with Content-Type image/*, audio/* or "
                            f"application/octet-stream (got {ctype or 'none'})", 415)
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > max_bytes):
        raise UploadRefused(f"file too large (at most {max_bytes} bytes)", 413)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise UploadRefused(f"file too large (at most {max_bytes} bytes)", 413)
    return bytes(body)


def file_response(item: MediaItem | None) -> Response:
    """The stored file with its checked type, never cached by proxies, never sniffed as HTML."""
    from bot.web.app import _secure_headers, error

    if item is None:
        return _secure_headers(error("not found", 404))
    try:
        data = item.read()
    except OSError as exc:
        logger.error("[E602] media %d: file %s is missing or unreadable: %s", item.id, item.path, exc)
        return _secure_headers(error("not found", 404))
    response = _secure_headers(Response(data, media_type=item.mime))
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = "inline"
    return response


def media_json(item: MediaItem | None, prefix: str) -> dict[str, Any] | None:
    """A file as the pages show it: kind, URL (under ``prefix``) and, for voice, what was heard."""
    if item is None:
        return None
    return {"id": item.id, "kind": item.kind, "url": f"{prefix}/{item.id}", "transcript": item.transcript or "",
            "from": item.sender}


def chat_media_routes(channel: WebChannel) -> list[Route]:
    """``POST /api/media`` (a picture or voice note from the page) and ``GET /api/media/{id}`` (the page's own)."""
    from bot.web.app import CHANNEL, JSONResponse, _page_id, _secure_headers, _set_cookie, error, rasa_messages

    engine = channel.engine

    async def upload(request: Request) -> Response:
        expected = request.query_params.get("kind", "")
        expected = expected if expected in ("photo", "voice") else ""
        try:
            data = await read_upload(request, engine.media.max_bytes)
        except UploadRefused as exc:
            if exc.status != 413:
                return _secure_headers(error(str(exc), exc.status))
            data = b""  # too big: the person gets the kind answer below
            too_big = True
        else:
            too_big = False
        pid, new = _page_id(request)
        user_id = f"web:{pid}"
        transcript = None
        mime = sniff(data)
        if not too_big and mime and mime.startswith("audio/") and engine.speech.configured:
            # Off the database thread: a slow speech server never holds up anyone else's messages.
            transcript = await asyncio.to_thread(engine.speech.transcribe, data, mime)
        msg = IncomingMessage(user_id, "", CHANNEL, chat_id=user_id)

        def work() -> Any:
            if too_big:
                from bot.media import TOO_BIG
                from bot.models import Reply

                return [Reply(TOO_BIG.format(mb=max(1, engine.media.max_bytes // 1_000_000)))], \
                    channel.handoff_state(user_id)
            outcome = engine.handle_media(msg, Upload(data, expected), transcript)
            return list(outcome.replies), channel.handoff_state(user_id)

        replies, handoff = await channel.call(work)
        response = JSONResponse({"messages": rasa_messages("me", replies), "handoff": handoff,
                                 "transcript": transcript or ""})
        if new:
            _set_cookie(channel, response, "linli_id", pid)
        return _secure_headers(response)

    async def fetch(request: Request) -> Response:
        pid, new = _page_id(request)
        if new:
            return file_response(None)
        item = await channel.call(engine.media.for_user, f"web:{pid}", int(request.path_params["media"]))
        return file_response(item)

    return [Route("/api/media", upload, methods=["POST"]),
            Route("/api/media/{media:int}", fetch, methods=["GET"])]


def console_media_routes(channel: WebChannel, console: Any, api: Any) -> list[Route]:
    """``GET /console/api/media/{id}`` (signed-in workers only) and ``POST .../tickets/{id}/photo`` (reply with a picture)."""
    from bot.web import texts
    from bot.web.console import PATH, _json

    engine = channel.engine

    async def fetch(request: Request, session: Any) -> Response:
        media_id = int(request.path_params["media"])

        def work() -> MediaItem | None:
            item = engine.media.get(media_id)
            if item is not None:
                engine.handoff.log_action(session.worker_id, "view_media", item.ticket_id, str(media_id))
            return item

        return file_response(await channel.call(work))

    async def photo(request: Request, session: Any) -> Response:
        tid = int(request.path_params["ticket"])
        try:
            data = await read_upload(request, engine.media.max_bytes)
        except UploadRefused as exc:
            return _json({"error": str(exc), "why": texts.WHY["media"]}, exc.status)

        def work() -> str:
            t = engine.handoff.get(tid)
            if t is None:
                return "missing"
            if t.status != "claimed":
                return "claim_first" if t.status == "waiting" else "closed"
            if t.worker_id != session.worker_id:
                return "not_yours"
            try:
                item = worker_photo(engine, tid, data, via="web")
            except MediaError as exc:
                logger.warning("console: worker %s picture for ticket %d refused: %s", session.worker_id, tid, exc)
                return "media"
            engine.handoff.log_action(session.worker_id, "reply_photo", tid, str(item.id))
            return ""

        why = await channel.call(work)
        if why:
            return _json({"error": why, "why": texts.WHY[why]}, 404 if why == "missing" else
                         (415 if why == "media" else 409))
        return _json(await channel.call(console.card, tid, session.worker_id))

    return [Route(f"{PATH}/api/media/{{media:int}}", api(fetch), methods=["GET"]),
            Route(f"{PATH}/api/tickets/{{ticket:int}}/photo", api(photo, change=True), methods=["POST"])]
