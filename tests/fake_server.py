"""What the tests' fake HTTP services share: a threaded server on a free port of 127.0.0.1, started
by ``with`` and shut down at its end (the fake Telegram Bot API, the fake speech to text)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class _Server(ThreadingHTTPServer):
    # The bot handles updates concurrently: allow more waiting connections than the default 5.
    request_queue_size = 128
    daemon_threads = True


class LocalServer:
    """Base of a fake service: call ``self.serve(handler_class)`` in ``__init__``."""

    def serve(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = _Server(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
