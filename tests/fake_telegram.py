"""A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests of the real PTB Application.

It implements the methods Linli uses, records every call, serves queued updates to
getUpdates, and can be told to fail for a chat (to test that nothing is lost).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable
from urllib.parse import parse_qs

from tests.fake_server import LocalServer

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Linli", "username": "linli_test_bot",
            "can_join_groups": True, "can_read_all_group_messages": True, "supports_inline_queries": False}
STAFF_CHAT = -100500


class FakeBotAPI(LocalServer):
    """Records calls; ``updates`` are handed out by getUpdates."""

    def __init__(self, forum: bool = True) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.updates: list[dict[str, Any]] = []
        self.forum = forum
        self.fail_chats: set[int] = set()  # every call for these chats answers 502
        self.fail_methods: dict[str, int] = {}  # method -> HTTP status (e.g. sendChatAction: 500)
        self.slow_chats: dict[int, float] = {}  # chat -> seconds to wait before answering (timeouts)
        self.rate_limited_until: dict[int, float] = {}  # chat -> time.monotonic() when its 429s end
        self.sent_at: list[tuple[float, int, str]] = []  # (time.monotonic(), chat, text) of each sendMessage
        self.files: dict[str, bytes] = {}  # file_id -> bytes, served by getFile and the file URL
        self.uploads: list[tuple[str, dict[str, Any], bytes]] = []  # (method, params, file) of sendPhoto/sendVoice
        self.posted: list[dict[str, Any]] = []  # every message the bot sent (as answered: with its message_id)
        self.lock = threading.Lock()
        self._update_id = 0
        self._message_id = 1000
        self._thread_id = 500
        self.serve(self._handler())

    @property
    def base_url(self) -> str:
        """What ``channels.telegram.base_url`` should be."""
        return self.url

    # ---- building updates --------------------------------------------------------------------

    def _next_message_id(self) -> int:
        with self.lock:
            self._message_id += 1
            return self._message_id

    def push(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates."""
        with self.lock:
            self._update_id += 1
            self.updates.append({"update_id": self._update_id, **update})

    def user_text(self, user_id: int, text: str) -> None:
        """A person writes to the bot in a private chat (a command if it starts with /)."""
        msg: dict[str, Any] = {
            "message_id": self._next_message_id(), "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "居民"},
            "from": {"id": user_id, "is_bot": False, "first_name": "居民"}, "text": text,
        }
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        self.push({"message": msg})

    def user_sticker(self, user_id: int) -> None:
        """A person sends a sticker."""
        self.push({"message": {
            "message_id": self._next_message_id(), "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "居民"},
            "from": {"id": user_id, "is_bot": False, "first_name": "居民"},
            "sticker": {"file_id": "s1", "file_unique_id": "s1", "width": 512, "height": 512, "is_animated": False,
                        "is_video": False, "type": "regular"},
        }})

    def add_file(self, data: bytes) -> str:
        """Store a file the bot can fetch with getFile; returns its file_id."""
        with self.lock:
            file_id = f"f{len(self.files) + 1}"
            self.files[file_id] = data
        return file_id

    def _photo_sizes(self, data: bytes) -> list[dict[str, Any]]:
        file_id = self.add_file(data)
        return [{"file_id": "thumb-" + file_id, "file_unique_id": "t" + file_id, "width": 90, "height": 90},
                {"file_id": file_id, "file_unique_id": "u" + file_id, "width": 800, "height": 600,
                 "file_size": len(data)}]

    def user_photo(self, user_id: int, data: bytes, caption: str = "") -> None:
        """A person sends a photo (Telegram offers several sizes; the last is the largest)."""
        msg: dict[str, Any] = {
            "message_id": self._next_message_id(), "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "居民"},
            "from": {"id": user_id, "is_bot": False, "first_name": "居民"}, "photo": self._photo_sizes(data),
        }
        if caption:
            msg["caption"] = caption
        self.push({"message": msg})

    def user_voice(self, user_id: int, data: bytes, size: int | None = None) -> None:
        """A person sends a voice message (``size`` overrides the size Telegram reports)."""
        file_id = self.add_file(data)
        self.push({"message": {
            "message_id": self._next_message_id(), "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "居民"},
            "from": {"id": user_id, "is_bot": False, "first_name": "居民"},
            "voice": {"file_id": file_id, "file_unique_id": "u" + file_id, "duration": 3, "mime_type": "audio/ogg",
                      "file_size": size if size is not None else len(data)},
        }})

    def staff_photo(self, user_id: int, data: bytes, thread_id: int, caption: str = "") -> None:
        """Someone posts a photo in a ticket's topic in the staff group."""
        msg: dict[str, Any] = {
            "message_id": self._next_message_id(), "date": int(time.time()),
            "chat": {"id": STAFF_CHAT, "type": "supergroup", "title": "社工组", "is_forum": self.forum},
            "from": {"id": user_id, "is_bot": False, "first_name": "社工"}, "photo": self._photo_sizes(data),
            "message_thread_id": thread_id, "is_topic_message": True,
        }
        if caption:
            msg["caption"] = caption
        self.push({"message": msg})

    def staff_text(self, user_id: int, text: str, thread_id: int | None = None,
                   reply_to: dict[str, Any] | None = None) -> None:
        """Someone writes in the staff group (in a topic, or replying to a message)."""
        msg: dict[str, Any] = {
            "message_id": self._next_message_id(), "date": int(time.time()),
            "chat": {"id": STAFF_CHAT, "type": "supergroup", "title": "社工组", "is_forum": self.forum},
            "from": {"id": user_id, "is_bot": False, "first_name": "社工"}, "text": text,
        }
        if thread_id:
            msg["message_thread_id"] = thread_id
            msg["is_topic_message"] = True
        if reply_to:
            msg["reply_to_message"] = reply_to
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        self.push({"message": msg})

    def press(self, user_id: int, data: str, message: dict[str, Any]) -> None:
        """Someone presses an inline button on a bot message."""
        self.push({"callback_query": {"id": f"cq{time.time_ns()}", "from": {"id": user_id, "is_bot": False,
                   "first_name": "社工"}, "chat_instance": "ci", "data": data, "message": message}})

    # ---- looking at what the bot did ---------------------------------------------------------

    def rate_limit(self, chat_id: int, seconds: float) -> None:
        """Answer 429 (with retry_after) to every call for this chat for the next ``seconds``."""
        self.rate_limited_until[chat_id] = time.monotonic() + seconds

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Every sendMessage, optionally to one chat."""
        with self.lock:
            calls = list(self.calls)
        return [p for m, p in calls if m == "sendMessage" and (chat_id is None or int(p["chat_id"]) == chat_id)]

    def delivered(self, chat_id: int) -> list[str]:
        """Texts that reached a chat (answered 200), in order; failed attempts are not here."""
        with self.lock:
            return [text for _, chat, text in self.sent_at if chat == chat_id]

    def called(self, method: str) -> list[dict[str, Any]]:
        """Every call of a method."""
        with self.lock:
            return [p for m, p in self.calls if m == method]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 15.0) -> Any:
        """Wait (without blocking the bot's event loop) until predicate() is truthy."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            value = predicate()
            if value:
                return value
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out waiting; calls so far: {[m for m, _ in self.calls][-30:]}")

    # ---- the HTTP side -----------------------------------------------------------------------

    def _message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        private = chat_id > 0
        msg: dict[str, Any] = {
            "message_id": self._next_message_id(), "date": int(time.time()), "from": BOT_USER,
            "chat": ({"id": chat_id, "type": "private", "first_name": "居民"} if private else
                     {"id": chat_id, "type": "supergroup", "title": "社工组", "is_forum": self.forum}),
            "text": params.get("text", ""),
        }
        if params.get("message_thread_id"):
            msg["message_thread_id"] = int(params["message_thread_id"])
            msg["is_topic_message"] = True
        if params.get("reply_markup"):
            markup = params["reply_markup"]
            msg["reply_markup"] = json.loads(markup) if isinstance(markup, str) else markup
            if "keyboard" in msg["reply_markup"]:
                del msg["reply_markup"]  # reply keyboards are not echoed back on messages
        return msg

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        """The fake's reply to one Bot API call: (HTTP status, result)."""
        with self.lock:
            self.calls.append((method, params))
        if method == "getMe":
            return 200, BOT_USER
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            deadline = time.monotonic() + 0.2
            while time.monotonic() < deadline:
                with self.lock:
                    ready = [u for u in self.updates if u["update_id"] >= offset]
                if ready:
                    return 200, ready
                time.sleep(0.02)
            return 200, []
        if method in self.fail_methods:
            return self.fail_methods[method], None
        chat = params.get("chat_id")
        chat_id = int(chat) if chat is not None else None
        if chat_id is not None and chat_id in self.slow_chats:
            time.sleep(self.slow_chats[chat_id])
        if chat_id is not None and chat_id in self.fail_chats:
            return 502, None
        until = self.rate_limited_until.get(chat_id) if chat_id is not None else None
        if until is not None and time.monotonic() < until:
            return 429, {"retry_after": max(1, int(until - time.monotonic() + 0.999))}
        if method == "sendMessage":
            with self.lock:
                self.sent_at.append((time.monotonic(), int(params["chat_id"]), str(params.get("text", ""))))
            msg = self._message(params)
            with self.lock:
                self.posted.append(msg)
            return 200, msg
        if method in ("sendPhoto", "sendVoice", "sendDocument"):
            kind = {"sendPhoto": "photo", "sendVoice": "voice", "sendDocument": "document"}[method]
            data = params.pop("_file", b"")
            with self.lock:
                self.uploads.append((method, params, data))
            msg = self._message(params)
            msg.pop("text", None)
            if params.get("caption"):
                msg["caption"] = params["caption"]
            msg[kind] = ([{"file_id": "sent", "file_unique_id": "sent", "width": 1, "height": 1}] if kind == "photo"
                         else {"file_id": "sent", "file_unique_id": "sent", "duration": 1})
            with self.lock:
                self.posted.append(msg)
            return 200, msg
        if method == "getFile":
            file_id = str(params.get("file_id"))
            if file_id not in self.files:
                return 400, None
            return 200, {"file_id": file_id, "file_unique_id": "u" + file_id, "file_size": len(self.files[file_id]),
                         "file_path": f"files/{file_id}"}
        if method == "editMessageText":
            return 200, self._message({**params, "chat_id": params.get("chat_id", STAFF_CHAT)})
        if method == "createForumTopic":
            with self.lock:
                self._thread_id += 1
                return 200, {"message_thread_id": self._thread_id, "name": params.get("name", ""),
                             "icon_color": 7322096}
        return 200, True

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                raw = body.decode("utf-8", "replace")
                ctype = self.headers.get("Content-Type", "")
                if ctype.startswith("multipart/form-data"):  # sendPhoto / sendVoice with the file itself
                    params = _multipart(ctype, body)
                elif ctype.startswith("application/json"):
                    params = json.loads(raw or "{}")
                else:
                    params = {k: v[0] for k, v in parse_qs(raw).items()}
                method = self.path.rsplit("/", 1)[-1]
                status, result = fake.answer(method, params)
                if status == 200:
                    body = {"ok": True, "result": result}
                elif status == 429:
                    body = {"ok": False, "error_code": 429, "parameters": result,
                            "description": f"Too Many Requests: retry after {result['retry_after']}"}
                else:
                    body = {"ok": False, "error_code": status, "description": "Bad Gateway"}
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the bot stopped polling mid-request

            def do_GET(self) -> None:  # noqa: N802 (http.server's name): a file download
                file_id = self.path.rsplit("/", 1)[-1]
                data = fake.files.get(file_id)
                with fake.lock:
                    fake.calls.append(("download", {"file_id": file_id}))
                self.send_response(200 if data is not None else 404)
                self.send_header("Content-Length", str(len(data or b"")))
                self.end_headers()
                self.wfile.write(data or b"")

        return Handler


def _multipart(ctype: str, body: bytes) -> dict[str, Any]:
    """Fields of a multipart/form-data body; a file part's bytes go under ``_file``."""
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
    params: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            params["_file"] = payload
        elif name:
            params[str(name)] = payload.decode("utf-8")
    return params
