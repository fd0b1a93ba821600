"""Console sign-in: scrypt password hashes, sessions in SQLite, CSRF tokens and a sign-in limiter.

Only a salted hash is stored (``scrypt$n$r$p$salt$hash``, hex). A session is a random token
in an HttpOnly cookie; the database keeps only the token's SHA-256, so a copy of the database
cannot be used to sign in. Each session has its own CSRF token, sent back by the console in a
header (or a form field) with every change.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import deque
from dataclasses import dataclass

import sqlite_utils

from bot.models import utcnow
from bot.store import WORKER_SESSIONS

SCRYPT_N = 2 ** 14  # 16 MiB of memory and about 50 ms per check on the 2-core machine
SCRYPT_R = 8
SCRYPT_P = 1
MIN_PASSWORD_CHARS = 8


def hash_password(password: str, *, n: int = SCRYPT_N) -> str:
    """A salted scrypt hash of ``password``, as text to store."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches the stored hash; False for an empty or malformed hash."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        expected = bytes.fromhex(digest)
        got = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(expected), maxmem=2 ** 26)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def password_problem(password: str) -> str:
    """Why a new password is refused (English, for the operator), or '' when it is fine."""
    if len(password) < MIN_PASSWORD_CHARS:
        return f"the password must have at least {MIN_PASSWORD_CHARS} characters"
    if password.strip() != password:
        return "the password must not start or end with a space"
    return ""


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Session:
    """A signed-in social worker."""

    worker_id: str
    csrf: str


class Sessions:
    """Console sessions kept in SQLite, so a restart does not sign everyone out."""

    def __init__(self, db: sqlite_utils.Database, hours: float) -> None:
        self.db = db
        self.seconds = hours * 3600

    def create(self, worker_id: str) -> tuple[str, Session]:
        """A new session for the worker: returns the cookie token and the session."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        self.db[WORKER_SESSIONS].insert({"token_hash": _token_hash(token), "worker_id": str(worker_id),
                                         "csrf": csrf, "created_at": utcnow(),
                                         "expires_at": time.time() + self.seconds})
        return token, Session(str(worker_id), csrf)

    def get(self, token: str | None) -> Session | None:
        """The live session for a cookie token, or None (unknown, expired, or the worker was removed)."""
        if not token or len(token) > 200:
            return None
        row = self.db.execute(
            f"SELECT s.worker_id, s.csrf, s.expires_at FROM {WORKER_SESSIONS} s JOIN workers w "
            "ON w.worker_id = s.worker_id WHERE s.token_hash = ?", [_token_hash(token)],
        ).fetchone()
        if row is None or float(row[2]) < time.time():
            return None
        return Session(str(row[0]), str(row[1]))

    def end(self, token: str | None) -> None:
        """Sign out: the session is deleted."""
        if token:
            self.db.execute(f"DELETE FROM {WORKER_SESSIONS} WHERE token_hash = ?", [_token_hash(token)])

    def end_all(self, worker_id: str) -> None:
        """Every session of a worker ends (a new password, or the worker was removed)."""
        self.db.execute(f"DELETE FROM {WORKER_SESSIONS} WHERE worker_id = ?", [str(worker_id)])

    def prune(self) -> None:
        """Forget expired sessions."""
        self.db.execute(f"DELETE FROM {WORKER_SESSIONS} WHERE expires_at < ?", [time.time()])


def csrf_ok(session: Session, sent: str | None) -> bool:
    """The CSRF token sent with a change is the session's own."""
    return bool(sent) and hmac.compare_digest(session.csrf.encode(), str(sent).encode())


class LoginLimiter:
    """At most ``attempts`` failed sign-ins per key (a worker, an address) in ``window`` seconds."""

    def __init__(self, attempts: int, window: float) -> None:
        self.attempts = attempts
        self.window = window
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def blocked(self, *keys: str, now: float | None = None) -> float:
        """Seconds until a sign-in may be tried again for any of the keys (0 when allowed)."""
        now = time.time() if now is None else now
        wait = 0.0
        for key in keys:
            q = self._recent(key, now)
            if len(q) >= self.attempts:
                wait = max(wait, q[0] + self.window - now)
        return wait

    def failed(self, *keys: str, now: float | None = None) -> None:
        """Count one failed sign-in for each key."""
        now = time.time() if now is None else now
        for key in keys:
            self._recent(key, now).append(now)
        if len(self._failures) > 10000:  # an address scan must not grow memory without bound
            self._failures = {k: q for k, q in self._failures.items() if q and q[-1] > now - self.window}

    def succeeded(self, *keys: str) -> None:
        """A good sign-in clears the worker's count."""
        for key in keys:
            self._failures.pop(key, None)
