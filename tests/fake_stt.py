"""A fake speech-to-text server on 127.0.0.1 (OpenAI-compatible ``POST /v1/audio/transcriptions``).

A test's "voice note" is a few real magic bytes followed by the words it stands for, so the
fake answers with those words: ``voice_note("有人撬我家门")``. It records each request, and
can be told to fail (``status``) or to answer too slowly (``delay``).
"""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fake_server import LocalServer

MARK = b"|SAYS|"
OGG_HEAD = b"OggS\x00\x02" + b"\x00" * 20 + b"OpusHead"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def voice_note(words: str = "", head: bytes = OGG_HEAD) -> bytes:
    """Bytes that pass as an Ogg/Opus voice note and carry ``words`` for the fake to "hear"."""
    return head + MARK + words.encode("utf-8") + MARK + b"\x00" * 32


class FakeSpeech(LocalServer):
    """Start with ``with FakeSpeech() as stt:``; ``stt.url`` goes into ``speech.url``."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.delay = 0.0
        self.default = ""  # what a voice note without marked words "says" (a real recording)
        self.serve(self._handler())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake.requests.append({"path": self.path, "type": self.headers.get("Content-Type", ""), "body": body})
                if fake.delay:
                    time.sleep(fake.delay)
                parts = body.split(MARK)
                words = parts[1].decode("utf-8", "replace") if len(parts) >= 3 else fake.default
                ok = fake.status == 200 and self.path.endswith("/v1/audio/transcriptions")
                data = json.dumps({"text": words} if ok else {"error": "boom"}, ensure_ascii=False).encode()
                try:
                    self.send_response(fake.status if self.path.endswith("/transcriptions") else 404)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        return Handler
