"""Reminders people ask for (明天早上8点提醒我去取菜) and follow-ups workers set on a ticket (回访).

Stored in the ``reminders`` table (schema v6), so they survive restarts. ``fire_due`` turns
every reminder whose time has come into a row of the durable outbox (``bot/outbox.py``) in
the same transaction as it moves the reminder on (the next time of a repeating one, or
done): a reminder is sent once, and never dropped. One found late (the bot was stopped,
the web page closed) goes out with a note saying when it was due.

Who calls ``fire_due``: the Telegram channel's job (every ``reminders.check_seconds``), the
web server's background task, and the engine before each message (the terminal chat and a
web page that was closed see theirs with their next answer).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo

import sqlite_utils

from bot import messages
from bot.models import utcnow
from bot.outbox import KIND_STAFF, KIND_SYSTEM, PRIORITY_STAFF, PRIORITY_URGENT_REPLY, STAFF_CHANNEL, STAFF_CHAT, Outbox
from bot.privacy import mask
from nlu.timeexpr import describe, find_time, next_time

REMINDERS = "reminders"
KIND_SELF = "self"  # a person's own reminder
KIND_FOLLOWUP = "followup"  # a social worker's 回访 on a ticket
LATE_AFTER = timedelta(minutes=10)  # later than this, the reminder says it is late
MAX_PER_USER = 20  # active reminders one person may keep


@dataclass(frozen=True)
class Reminder:
    """One row of the ``reminders`` table, with times as aware datetimes."""

    id: int
    kind: str
    user_id: str
    channel: str
    chat_id: str
    task: str
    due: datetime
    repeat: dict[str, int] | None
    status: str
    ticket_id: int | None = None
    worker_id: str = ""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Reminder:
        return cls(
            id=int(row["id"]), kind=row["kind"], user_id=row["user_id"] or "", channel=row["channel"] or "",
            chat_id=str(row["chat_id"] or ""), task=row["task"] or "",
            due=datetime.fromisoformat(row["due_at"]), repeat=json.loads(row["repeat"]) if row["repeat"] else None,
            status=row["status"], ticket_id=row["ticket_id"], worker_id=row["worker_id"] or "",
        )

    def as_json(self, tz: ZoneInfo) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "user_id": self.user_id, "channel": self.channel,
                "task": self.task, "due": self.due.astimezone(tz).isoformat(timespec="minutes"),
                "repeat": self.repeat, "status": self.status, "ticket_id": self.ticket_id}


def create_table(db: sqlite_utils.Database) -> None:
    """Schema v6 (``bot/store.py``): the reminders table."""
    db[REMINDERS].create(
        {"id": int, "kind": str, "user_id": str, "channel": str, "chat_id": str, "task": str, "due_at": str,
         "repeat": str, "status": str, "ticket_id": int, "worker_id": str, "created_at": str, "sent_at": str,
         "times_sent": int},
        pk="id",
        if_not_exists=True,
    )
    db[REMINDERS].create_index(["status", "due_at"], if_not_exists=True)
    db[REMINDERS].create_index(["user_id"], if_not_exists=True)


class Reminders:
    """Add, list, cancel and fire reminders."""

    def __init__(self, db: sqlite_utils.Database, tz: str | ZoneInfo = "Asia/Shanghai",
                 clock: Callable[[], datetime] | None = None) -> None:
        self.db = db
        self.tz = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.out = Outbox(db)

    def now(self) -> datetime:
        """The current time in the configured timezone (the fake clock in tests)."""
        return self.clock().astimezone(self.tz)

    # ---- a person's own ------------------------------------------------------------------

    def add(self, user_id: str, channel: str, chat_id: str, task: str, due: datetime,
            repeat: dict[str, int] | None = None) -> Reminder:
        """Store a person's reminder (the task is masked: no phone or card number is kept)."""
        table = self.db[REMINDERS]
        table.insert({
            "kind": KIND_SELF, "user_id": user_id, "channel": channel, "chat_id": str(chat_id or user_id),
            "task": mask(task), "due_at": _utc(due), "repeat": json.dumps(repeat) if repeat else None,
            "status": "active", "ticket_id": None, "worker_id": "", "created_at": utcnow(), "sent_at": None,
            "times_sent": 0,
        })
        return self.get(int(table.last_pk))  # type: ignore[return-value]

    def count_active(self, user_id: str) -> int:
        return int(self.db.execute(
            f"SELECT COUNT(*) FROM {REMINDERS} WHERE user_id = ? AND kind = ? AND status = 'active'",
            [user_id, KIND_SELF]).fetchone()[0])

    def active(self, user_id: str) -> list[Reminder]:
        """A person's reminders still to come, soonest first."""
        rows = self.db.query(f"SELECT * FROM {REMINDERS} WHERE user_id = ? AND kind = ? AND status = 'active' "
                             "ORDER BY due_at, id", [user_id, KIND_SELF])
        return [Reminder.from_row(r) for r in rows]

    def get(self, reminder_id: int) -> Reminder | None:
        rows = list(self.db.query(f"SELECT * FROM {REMINDERS} WHERE id = ?", [reminder_id]))
        return Reminder.from_row(rows[0]) if rows else None

    def cancel(self, reminder_id: int, user_id: str | None = None) -> Reminder | None:
        """Cancel one active reminder (only the person's own when ``user_id`` is given); None if none."""
        r = self.get(reminder_id)
        if r is None or r.status != "active" or (user_id is not None and r.user_id != user_id):
            return None
        self.db[REMINDERS].update(reminder_id, {"status": "cancelled"})
        return r

    # ---- a worker's follow-up on a ticket -------------------------------------------------

    def add_followup(self, ticket_id: int, worker_id: str, note: str, due: datetime) -> Reminder:
        """A 回访 reminder on a ticket, sent to the staff group (and listed by ``linli handoff reminders``)."""
        table = self.db[REMINDERS]
        table.insert({
            "kind": KIND_FOLLOWUP, "user_id": "", "channel": STAFF_CHANNEL, "chat_id": STAFF_CHAT, "task": mask(note),
            "due_at": _utc(due), "repeat": None, "status": "active", "ticket_id": ticket_id, "worker_id": worker_id,
            "created_at": utcnow(), "sent_at": None, "times_sent": 0,
        })
        return self.get(int(table.last_pk))  # type: ignore[return-value]

    def followups(self, include_done: bool = False) -> list[Reminder]:
        """Workers' follow-ups, soonest first."""
        where = "" if include_done else " AND status = 'active'"
        rows = self.db.query(f"SELECT * FROM {REMINDERS} WHERE kind = ?{where} ORDER BY due_at, id", [KIND_FOLLOWUP])
        return [Reminder.from_row(r) for r in rows]

    # ---- sending ---------------------------------------------------------------------------

    def due(self, user_id: str | None = None, now: datetime | None = None) -> list[dict[str, Any]]:
        """Active reminders whose time has come, oldest first (only reads; ``fire_due`` sends them)."""
        sql = f"SELECT * FROM {REMINDERS} WHERE status = 'active' AND due_at <= ?"
        args: list[Any] = [_utc(now or self.now())]
        if user_id is not None:
            sql += " AND user_id = ?"
            args.append(user_id)
        return list(self.db.query(sql + " ORDER BY due_at, id", args))

    def fire_due(self, user_id: str | None = None) -> list[int]:
        """Every reminder whose time has come becomes an outbox row; returns the outbox ids.

        Each reminder moves on (next time, or done) in the transaction that enqueues it.
        """
        now = self.now()
        sent = []
        for row in self.due(user_id, now):
            r = Reminder.from_row(row)
            with self.db.atomic():
                current = self.db.execute(f"SELECT status, due_at FROM {REMINDERS} WHERE id = ?", [r.id]).fetchone()
                if current is None or current[0] != "active" or current[1] != row["due_at"]:
                    continue  # fired by another caller meanwhile
                sent.append(self._enqueue(r, now))
                update: dict[str, Any] = {"sent_at": utcnow(), "times_sent": int(row["times_sent"] or 0) + 1}
                if r.repeat:
                    update["due_at"] = _utc(next_time(r.due.astimezone(self.tz), r.repeat, now))
                else:
                    update["status"] = "done"
                self.db[REMINDERS].update(r.id, update)
        return sent

    def _enqueue(self, r: Reminder, now: datetime) -> int:
        due = r.due.astimezone(self.tz)
        late = now - due > LATE_AFTER
        if r.kind == KIND_FOLLOWUP:
            text = messages.FOLLOWUP_DUE.format(ticket=r.ticket_id, note=r.task or messages.FOLLOWUP_NO_NOTE)
            if late:
                text += messages.REMINDER_LATE.format(when=describe(due, now))
            return self.out.enqueue(r.channel, r.chat_id, KIND_STAFF, text, ticket_id=r.ticket_id,
                                    priority=PRIORITY_STAFF)
        text = messages.REMINDER_DUE.format(task=r.task or messages.REMINDER_NO_TASK)
        if late:
            text += messages.REMINDER_LATE.format(when=describe(due, now))
        return self.out.enqueue(r.channel, r.chat_id, KIND_SYSTEM, text, user_id=r.user_id,
                                priority=PRIORITY_URGENT_REPLY)

    def inbox(self, channel: str, chat_id: str) -> list[str]:
        """Reminders waiting for a channel that does not push (web page, terminal); marked sent."""
        out = []
        for item in self.out.pending(channel=channel, chat_id=chat_id):
            if item.kind == KIND_SYSTEM and item.ticket_id is None:
                out.append(item.text)
                self.out.mark_sent(item.id)
        return out


def _utc(t: datetime) -> str:
    if t.tzinfo is None:
        raise ValueError("reminder times must be timezone-aware")
    return t.astimezone(timezone.utc).isoformat(timespec="seconds")


def followup_time(text: str, now: datetime) -> datetime:
    """When a worker's follow-up is due: 2026-12-08 10:00, or Chinese (明天上午10点, 周五).

    Raises ValueError with an English sentence when the time cannot be read or has passed.
    """
    text = text.strip()
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        found, _ = find_time(text, now)
        if found is None or found.past:
            raise ValueError(f"cannot read {text!r} as a time to come; use e.g. 2026-12-08 10:00 or 明天上午10点") \
                from None
        return found.due
    when = when if when.tzinfo else when.replace(tzinfo=now.tzinfo)
    if when <= now:
        raise ValueError(f"{text} has already passed")
    return when


def set_followup(reminders: Reminders, handoff: Any, ticket_id: int, worker_id: str, when_text: str,
                 note: str) -> Reminder:
    """A registered worker's 回访 on an existing ticket (CLI and the staff group's /remind share this)."""
    from bot.errors import HandoffError

    if handoff.worker(worker_id) is None:
        raise HandoffError(f"{worker_id} is not a registered social worker (linli workers add)")
    handoff.require(ticket_id)
    return reminders.add_followup(ticket_id, worker_id, note, followup_time(when_text, reminders.now()))
