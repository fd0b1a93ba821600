"""The bot's memory in SQLite (sqlite-utils): users, dialogue state, transcript, help requests.

One file (``--db`` / ``LINLI_DB`` / ``storage.db_path``), WAL mode, a busy timeout, and
schema migrations numbered by ``PRAGMA user_version`` so an old database upgrades in place.
The knowledge base lives in the same file, in its own tables (``knowledge/kb.py``).
"""

from __future__ import annotations

import functools
import json
import logging
import re
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import sqlite_utils

from bot.models import utcnow
from bot.privacy import mask, mask_data

logger = logging.getLogger(__name__)

USERS = "users"
STATES = "dialogue_states"
TRANSCRIPT = "transcript"
HELP_REQUESTS = "help_requests"  # schema v1 only; v2 moved its rows to tickets
TICKETS = "tickets"
WORKERS = "workers"
TICKET_MESSAGES = "ticket_messages"
FEEDBACK = "feedback"
TUTORIAL_RUNS = "tutorial_runs"
OUTBOX = "outbox"
REMINDERS = "reminders"
MEDIA = "media"


def _v1(db: sqlite_utils.Database) -> None:
    db[USERS].create(
        {"user_id": str, "channel": str, "persona": str, "created_at": str, "last_seen": str},
        pk="user_id",
        if_not_exists=True,
    )
    db[STATES].create({"user_id": str, "state": str, "updated_at": str}, pk="user_id", if_not_exists=True)
    db[TRANSCRIPT].create(
        {
            "id": int,
            "user_id": str,
            "direction": str,  # "in" from the person, "out" from the bot
            "text": str,
            "intent": str,
            "capability": str,
            "confidence": float,
            "flow": str,
            "step": str,
            "created_at": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db[TRANSCRIPT].create_index(["user_id", "id"], if_not_exists=True)
    db[HELP_REQUESTS].create(
        {"id": int, "user_id": str, "reason": str, "priority": str, "status": str, "summary": str, "created_at": str},
        pk="id",
        if_not_exists=True,
    )


def _v2(db: sqlite_utils.Database) -> None:
    """Help requests become handoff tickets; social workers and relayed messages get tables."""
    db[TICKETS].create(
        {
            "id": int, "user_id": str, "channel": str, "chat_id": str, "persona": str, "priority": str,
            "status": str, "reason": str, "summary": str, "consent": int, "worker_id": str, "worker_name": str,
            "thread_id": int, "staff_message_id": int, "notified": int, "notify_attempts": int,
            "next_notify_at": str, "last_alert_at": str, "created_at": str, "claimed_at": str, "closed_at": str,
            "close_note": str,
        },
        pk="id",
        if_not_exists=True,
        defaults={"notified": 0, "notify_attempts": 0, "consent": 0},
    )
    db[TICKETS].create_index(["status", "priority"], if_not_exists=True)
    if db[HELP_REQUESTS].exists():
        for row in db[HELP_REQUESTS].rows:
            db[TICKETS].insert({
                "id": row["id"], "user_id": row["user_id"], "channel": "", "chat_id": row["user_id"], "persona": "",
                "priority": row["priority"], "status": row["status"], "reason": row["reason"],
                "summary": row["summary"], "consent": 1, "created_at": row["created_at"],
            })
        db[HELP_REQUESTS].drop()
    db[WORKERS].create({"worker_id": str, "name": str, "added_at": str}, pk="worker_id", if_not_exists=True)
    db[TICKET_MESSAGES].create(
        {"id": int, "ticket_id": int, "direction": str, "text": str, "staff_message_id": int, "delivered": int,
         "created_at": str},
        pk="id",
        if_not_exists=True,
        defaults={"delivered": 1},
    )
    db[TICKET_MESSAGES].create_index(["ticket_id", "id"], if_not_exists=True)
    db[TICKET_MESSAGES].create_index(["staff_message_id"], if_not_exists=True)


def _v3(db: sqlite_utils.Database) -> None:
    """For reports: persona and region on each message, answer ratings, and tutorial runs."""
    for column in ("persona", "region"):
        if column not in db[TRANSCRIPT].columns_dict:
            db[TRANSCRIPT].add_column(column, str)
    db[TRANSCRIPT].create_index(["created_at"], if_not_exists=True)
    db[FEEDBACK].create(
        {"id": int, "user_id": str, "kind": str, "subject": str, "title": str, "helpful": int, "persona": str,
         "created_at": str},
        pk="id",
        if_not_exists=True,
    )
    db[TUTORIAL_RUNS].create(
        {"id": int, "user_id": str, "flow": str, "persona": str, "started_at": str, "last_step": int,
         "updated_at": str, "finished_at": str},
        pk="id",
        if_not_exists=True,
        defaults={"last_step": 0},
    )
    db[TUTORIAL_RUNS].create_index(["user_id", "flow", "id"], if_not_exists=True)


def _v4(db: sqlite_utils.Database) -> None:
    """The durable outbox: every push message (reply, relay, notice) is a row until it is sent."""
    db[OUTBOX].create(
        {
            "id": int, "channel": str, "chat_id": str, "user_id": str, "kind": str, "text": str, "markup": str, "ticket_id": int,
            "ticket_message_id": int, "priority": int, "status": str, "attempts": int, "next_attempt_at": float,
            "last_error": str, "created_at": str, "sent_at": str,
        },
        pk="id",
        if_not_exists=True,
        defaults={"status": "pending", "attempts": 0, "next_attempt_at": 0.0, "priority": 1},
    )
    db[OUTBOX].create_index(["status", "channel", "chat_id", "id"], if_not_exists=True)
    db[OUTBOX].create_index(["ticket_id"], if_not_exists=True)
    db[OUTBOX].create_index(["user_id"], if_not_exists=True)
    # Messages for people that an older version kept undelivered move to the outbox.
    db.execute(
        f"INSERT INTO {OUTBOX} (channel, chat_id, user_id, kind, text, ticket_id, ticket_message_id, priority, "
        "status, attempts, next_attempt_at, created_at) "
        f"SELECT t.channel, t.chat_id, t.user_id, m.direction, m.text, t.id, m.id, 1, 'pending', 0, 0.0, m.created_at "
        f"FROM {TICKET_MESSAGES} m JOIN {TICKETS} t ON t.id = m.ticket_id "
        "WHERE m.delivered = 0 AND m.direction != 'user' AND t.channel = 'telegram' AND t.chat_id != ''"
    )


WORKER_SESSIONS = "worker_sessions"
WORKER_ACTIONS = "worker_actions"


def _v5(db: sqlite_utils.Database) -> None:
    """The web console (issue 15): workers' password hashes, sign-in sessions, an action log, outcomes."""
    if "password_hash" not in db[WORKERS].columns_dict:
        db[WORKERS].add_column("password_hash", str)  # scrypt, salted; never the password itself
    if "outcome" not in db[TICKETS].columns_dict:
        db[TICKETS].add_column("outcome", str)  # 解决 / 转介 / 无法联系 / 其他, chosen when closing
    db[WORKER_SESSIONS].create(
        {"token_hash": str, "worker_id": str, "csrf": str, "created_at": str, "expires_at": float},
        pk="token_hash",
        if_not_exists=True,
    )
    db[WORKER_SESSIONS].create_index(["worker_id"], if_not_exists=True)
    db[WORKER_ACTIONS].create(
        {"id": int, "worker_id": str, "action": str, "ticket_id": int, "detail": str, "created_at": str},
        pk="id",
        if_not_exists=True,
    )
    db[WORKER_ACTIONS].create_index(["ticket_id"], if_not_exists=True)


def _v6(db: sqlite_utils.Database) -> None:
    """Reminders (issue 16): people's own (明天早上8点提醒我…) and workers' follow-ups on tickets."""
    from bot.reminders import create_table

    create_table(db)


def _v7(db: sqlite_utils.Database) -> None:
    """Pictures and voice notes (issue 15): one row per file (the file itself lives in the media directory)."""
    db[MEDIA].create(
        {"id": int, "user_id": str, "ticket_id": int, "kind": str, "mime": str, "path": str, "bytes": int,
         "created_at": str, "transcript": str, "sender": str},
        pk="id",
        if_not_exists=True,
        defaults={"sender": "person"},
    )
    db[MEDIA].create_index(["user_id", "id"], if_not_exists=True)
    db[MEDIA].create_index(["created_at"], if_not_exists=True)
    for table in (TICKET_MESSAGES, OUTBOX):  # a message that carries a file
        if "media_id" not in db[table].columns_dict:
            db[table].add_column("media_id", int)


def _v8(db: sqlite_utils.Database) -> None:
    """Media rows name their file relative to ``storage.media_dir`` (was: an absolute path), so the data can move.

    Files were always written flat in the media directory, so the relative path is the name.
    """
    for media_id, path in db.execute(f"SELECT id, path FROM {MEDIA} WHERE path LIKE '%/%' OR path LIKE '%\\%'"
                                     ).fetchall():
        db.execute(f"UPDATE {MEDIA} SET path = ? WHERE id = ?", [re.split(r"[\\/]", path)[-1], media_id])


def _v9(db: sqlite_utils.Database) -> None:
    """One queue (issue 15): the ticket's other staff-group message with a 接单 button (its newest urgent reminder)."""
    if "alert_message_id" not in db[TICKETS].columns_dict:
        db[TICKETS].add_column("alert_message_id", int)


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1, _v2, _v3, _v4, _v5, _v6, _v7, _v8, _v9]


class Database(sqlite_utils.Database):
    """sqlite-utils' Database whose outermost ``atomic()`` takes the write lock at once (BEGIN IMMEDIATE).

    ``linli serve`` and the Telegram bot write one file from two processes (issue 15). A plain
    BEGIN followed by sqlite-utils' schema reads, then an INSERT, fails at once with "database is
    locked" when the other process committed in between (a read cannot become a write on an old
    snapshot, and SQLite does not wait busy_timeout for that). Taken at BEGIN, the lock is waited for.

    Reads: sqlite-utils runs every ``query`` in a savepoint (to refuse statements that return no
    rows) and scans the SQL for its first keyword: three statements and a few hundred Python steps
    per read, several times per message. A statement that starts with ``SELECT`` cannot write,
    so ``query`` runs it as it is; anything else, or a result with two columns of one name (which
    sqlite-utils renames), goes the usual way.
    """

    @contextmanager
    def atomic(self) -> Iterator[Database]:  # type: ignore[override]
        """One transaction (nested blocks are savepoints, as in sqlite-utils)."""
        if self.conn.in_transaction:
            with super().atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise

    def query(self, sql: str, params: Any = None) -> Iterator[dict[str, Any]]:  # type: ignore[override]
        if not sql.startswith("SELECT "):
            return super().query(sql, params)
        if self._tracer:
            self._tracer(sql, params)
        cursor = self.conn.execute(sql, params) if params is not None else self.conn.execute(sql)
        keys = [d[0] for d in cursor.description]
        if len(set(keys)) != len(keys):
            return super().query(sql, params)
        return (dict(zip(keys, row)) for row in cursor)


def open_db(path: str | Path | None) -> sqlite_utils.Database:
    """Open (creating if needed) the SQLite file; ``None`` or ``":memory:"`` gives an in-memory one."""
    if path is None or str(path) == ":memory:":
        db = Database(memory=True)
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=10.0, check_same_thread=False)
        db = Database(conn)
        db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA busy_timeout=10000")
    migrate(db)
    return db


def migrate(db: sqlite_utils.Database) -> int:
    """Apply every migration newer than the file's ``user_version``; returns the new version."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    for number, step in enumerate(MIGRATIONS, start=1):
        if number > version:
            with db.atomic():
                step(db)
                db.execute(f"PRAGMA user_version={number}")
            logger.info("database migrated to schema version %d", number)
    return max(version, len(MIGRATIONS))


class Store:
    """Reads and writes the bot's memory; every write of one turn happens in one transaction."""

    def __init__(self, db: sqlite_utils.Database, media_dir: str | Path | None = None) -> None:
        from bot.media import default_media_dir

        self.db = db
        # Where pictures and voice notes are (storage.media_dir); media rows name files relative to it.
        self.media_dir = Path(media_dir) if media_dir is not None else default_media_dir(db)

    def load_state(self, user_id: str) -> dict[str, Any] | None:
        """The saved dialogue state of a user, or None for a new user."""
        row = self.db.execute(f"SELECT state FROM {STATES} WHERE user_id = ?", [user_id]).fetchone()
        return json.loads(row[0]) if row else None

    def save_turn(
        self,
        user_id: str,
        channel: str,
        state: dict[str, Any],
        inbound: dict[str, Any],
        outbound: list[str],
        persona: str = "",
        events: list[dict[str, Any]] | None = None,
    ) -> None:
        """Save the new state, the person's message, the bot's replies and report events atomically.

        ``events`` are the dialogue's ``flow_started`` / ``flow_step`` / ``flow_finished`` /
        ``feedback`` events: anonymous-by-design rows that the reports count. Texts and slot
        values in the state are masked like messages; a number of 11+ digits is not kept.
        """
        now = utcnow()
        # Plain SQL on the connection: sqlite-utils' insert/upsert look the schema up (and open a
        # savepoint) on every call, which cost more than the rest of the turn's storage together.
        run = self.db.conn.execute
        with self.db.atomic():
            for event in events or ():
                self._record_event(user_id, persona, event, now)
            run(f"INSERT INTO {USERS} (user_id, channel, persona, last_seen, created_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(user_id) DO UPDATE SET channel = excluded.channel, persona = excluded.persona, "
                f"last_seen = excluded.last_seen, created_at = COALESCE({USERS}.created_at, excluded.created_at)",
                [user_id, channel, persona, now, now])
            run(f"INSERT INTO {STATES} (user_id, state, updated_at) VALUES (?, ?, ?) ON CONFLICT(user_id) "
                "DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
                [user_id, json.dumps(mask_data(state), ensure_ascii=False), now])
            row = {**inbound, "text": mask(str(inbound.get("text") or "")), "user_id": user_id, "direction": "in",
                   "persona": persona, "created_at": now}
            run(_insert_sql(TRANSCRIPT, tuple(row)), list(row.values()))
            if outbound:
                run_many = self.db.conn.executemany
                run_many(f"INSERT INTO {TRANSCRIPT} (user_id, direction, text, flow, step, created_at) "
                         "VALUES (?, 'out', ?, ?, ?, ?)",
                         [(user_id, mask(text), inbound.get("flow"), inbound.get("step"), now) for text in outbound])

    def _record_event(self, user_id: str, persona: str, event: dict[str, Any], now: str) -> None:
        kind = event.get("type")
        run = self.db.conn.execute
        if kind == "feedback":
            run(f"INSERT INTO {FEEDBACK} (user_id, kind, subject, title, helpful, persona, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [user_id, str(event.get("kind") or ""), str(event.get("subject") or ""), str(event.get("title") or ""),
                 1 if event.get("helpful") else 0, persona, now])
        elif kind == "flow_started":
            run(f"INSERT INTO {TUTORIAL_RUNS} (user_id, flow, persona, started_at, last_step, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)", [user_id, event["flow"], persona, now, int(event.get("step", 0)), now])
        elif kind in ("flow_step", "flow_finished"):
            row = run(
                f"SELECT id, last_step FROM {TUTORIAL_RUNS} WHERE user_id = ? AND flow = ? AND finished_at IS NULL "
                "ORDER BY id DESC LIMIT 1", [user_id, event["flow"]],
            ).fetchone()
            if row is None:
                return  # a run that started before reports existed, or was deleted
            if kind == "flow_finished":
                run(f"UPDATE {TUTORIAL_RUNS} SET updated_at = ?, finished_at = ? WHERE id = ?", [now, now, row[0]])
            else:
                step = max(int(row[1] or 0), int(event.get("step", 0)))
                run(f"UPDATE {TUTORIAL_RUNS} SET updated_at = ?, last_step = ? WHERE id = ?", [now, step, row[0]])

    def recent_messages(self, user_id: str, limit: int = 10) -> list[dict[str, Any]]:
        """The last messages of a user's conversation, oldest first."""
        rows = list(
            self.db.query(
                f"SELECT direction, text, intent FROM {TRANSCRIPT} WHERE user_id = ? ORDER BY id DESC LIMIT ?",
                [user_id, limit],
            )
        )
        return rows[::-1]

    def delete_user(self, user_id: str) -> None:
        """Delete a person's messages, state, profile, pictures and voice notes; tickets keep only their counts."""
        files = self._files(f"SELECT path FROM {MEDIA} WHERE user_id = ?", [user_id])
        with self.db.atomic():
            self.db.execute(f"DELETE FROM {MEDIA} WHERE user_id = ?", [user_id])
            self.db.execute(f"DELETE FROM {TRANSCRIPT} WHERE user_id = ?", [user_id])
            self.db.execute(f"DELETE FROM {STATES} WHERE user_id = ?", [user_id])
            self.db.execute(f"DELETE FROM {USERS} WHERE user_id = ?", [user_id])
            # Tickets keep only what anonymous reports need (priority, status, times).
            ids = [r[0] for r in self.db.execute(f"SELECT id FROM {TICKETS} WHERE user_id = ?", [user_id])]
            for tid in ids:
                self.db.execute(f"DELETE FROM {TICKET_MESSAGES} WHERE ticket_id = ?", [tid])
                self.db.execute(f"DELETE FROM {OUTBOX} WHERE ticket_id = ?", [tid])
            self.db.execute(f"DELETE FROM {OUTBOX} WHERE user_id = ?", [user_id])
            self.db.execute(f"DELETE FROM {REMINDERS} WHERE user_id = ?", [user_id])
            self.db.execute(
                f"UPDATE {TICKETS} SET user_id = '', chat_id = '', summary = '', close_note = '' WHERE user_id = ?",
                [user_id],
            )
            # Ratings and tutorial progress hold no text: they stay for the counts, unlinked from the person.
            for table in (FEEDBACK, TUTORIAL_RUNS):
                self.db.execute(f"UPDATE {table} SET user_id = '' WHERE user_id = ?", [user_id])
        _unlink(files)  # after the rows are gone: a crash in between leaves a file no row names, never the reverse

    def _files(self, sql: str, args: list[Any]) -> list[str]:
        """The media files that ``sql`` (selecting ``path``) names, where they are now."""
        from bot.media import media_file

        return [str(media_file(self.media_dir, r[0])) for r in self.db.execute(sql, args)]

    def export_user(self, user_id: str) -> dict[str, Any]:
        """Everything stored about a person, as JSON-able data (PIPL right to a copy)."""
        from bot.media import media_file

        def rows(sql: str, args: list[Any]) -> list[dict[str, Any]]:
            return list(self.db.query(sql, args))

        tickets = rows(f"SELECT * FROM {TICKETS} WHERE user_id = ? ORDER BY id", [user_id])
        state = self.load_state(user_id)
        return {
            "user_id": user_id,
            "profile": (rows(f"SELECT * FROM {USERS} WHERE user_id = ?", [user_id]) or [None])[0],
            "dialogue_state": state,
            "messages": rows(f"SELECT direction, text, intent, created_at FROM {TRANSCRIPT} WHERE user_id = ? "
                             "ORDER BY id", [user_id]),
            "tickets": tickets,
            "ratings": rows(f"SELECT kind, subject, helpful, created_at FROM {FEEDBACK} WHERE user_id = ? ORDER BY id",
                            [user_id]),
            "tutorials": rows(f"SELECT flow, started_at, last_step, finished_at FROM {TUTORIAL_RUNS} "
                              "WHERE user_id = ? ORDER BY id", [user_id]),
            "ticket_messages": [m for t in tickets for m in rows(
                f"SELECT ticket_id, direction, text, created_at FROM {TICKET_MESSAGES} WHERE ticket_id = ? ORDER BY id",
                [t["id"]])],
            "reminders": rows(f"SELECT kind, task, due_at, repeat, status, created_at FROM {REMINDERS} "
                              "WHERE user_id = ? ORDER BY id", [user_id]),
            # Pictures and voice notes: what each is, and the file that holds it (for the operator to hand over).
            "media": [{**m, "file": str(media_file(self.media_dir, m["file"]))} for m in rows(
                f"SELECT id, kind, mime, bytes, sender, transcript, ticket_id, created_at, path AS file "
                f"FROM {MEDIA} WHERE user_id = ? ORDER BY id", [user_id])],
        }

    def purge_older_than(self, days: float, dry_run: bool = False) -> dict[str, int]:
        """Retention: delete conversations older than ``days``; closed tickets keep only their counts.

        ``dry_run`` counts the same rows in the same transaction, then rolls it back.
        """
        try:
            counts, files = self._purge(days, dry_run)
        except _DryRun as done:
            return done.counts
        _unlink(files)
        return counts

    def _purge(self, days: float, dry_run: bool) -> tuple[dict[str, int], list[str]]:
        import datetime as dt

        cutoff = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)).isoformat(timespec="seconds")
        counts: dict[str, int] = {}
        with self.db.atomic():
            counts["messages"] = self.db.execute(f"DELETE FROM {TRANSCRIPT} WHERE created_at < ?", [cutoff]).rowcount
            counts["states"] = self.db.execute(f"DELETE FROM {STATES} WHERE updated_at < ?", [cutoff]).rowcount
            counts["profiles"] = self.db.execute(f"DELETE FROM {USERS} WHERE last_seen < ?", [cutoff]).rowcount
            old = [r[0] for r in self.db.execute(
                f"SELECT id FROM {TICKETS} WHERE status = 'closed' AND closed_at < ? AND user_id != ''", [cutoff])]
            for tid in old:
                self.db.execute(f"DELETE FROM {TICKET_MESSAGES} WHERE ticket_id = ?", [tid])
                self.db.execute(
                    f"UPDATE {TICKETS} SET user_id = '', chat_id = '', summary = '', close_note = '' WHERE id = ?", [tid])
            counts["tickets"] = len(old)
            # Pictures and voice notes: old ones go (their files too), except those of a ticket still open.
            media_sql = (f"FROM {MEDIA} WHERE created_at < ? AND (ticket_id IS NULL OR ticket_id NOT IN "
                         f"(SELECT id FROM {TICKETS} WHERE status != 'closed'))")
            files = self._files(f"SELECT path {media_sql}", [cutoff])
            counts["media"] = self.db.execute(f"DELETE {media_sql}", [cutoff]).rowcount
            self.db.execute(f"DELETE FROM {OUTBOX} WHERE status = 'sent' AND created_at < ?", [cutoff])
            # Reminders already sent or cancelled; one still to come is kept, whatever its age.
            self.db.execute(f"DELETE FROM {REMINDERS} WHERE status != 'active' AND created_at < ?", [cutoff])
            for table, column in ((FEEDBACK, "created_at"), (TUTORIAL_RUNS, "updated_at")):
                self.db.execute(f"UPDATE {table} SET user_id = '' WHERE {column} < ? AND user_id != ''", [cutoff])
            if dry_run:
                raise _DryRun(counts)  # rolls the transaction back
        return counts, files


@functools.lru_cache(maxsize=64)
def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    """``INSERT INTO table (columns) VALUES (?, ...)``; the columns are our own keys, never a person's words."""
    names = ", ".join(f'"{c}"' for c in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"


def _unlink(paths: list[str]) -> None:
    """Delete stored files; one already gone is fine, one that cannot be deleted is logged."""
    for path in paths:
        try:
            Path(path).unlink(missing_ok=True)
        except OSError as exc:
            logger.error("[E602] media file %s could not be deleted: %s", path, exc)


class _DryRun(Exception):
    """Raised inside the purge transaction to undo it, carrying what it would have deleted."""

    def __init__(self, counts: dict[str, int]) -> None:
        super().__init__("dry run")
        self.counts = counts
