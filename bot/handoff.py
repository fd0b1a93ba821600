"""Handoff tickets: open, queue, claim, relay, close; authorised social workers; office hours.

Everything lives in SQLite (``bot/store.py`` tables), so a ticket is never only in memory:
it is written before the person is told it exists, and a restart finds every open ticket,
every unnotified one and every relay thread again.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, fields
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlite_utils

from bot import messages
from bot.errors import ConfigError, HandoffError
from bot.media import PHOTO_MARK
from bot.models import utcnow
from bot.outbox import (
    KIND_MIRROR,
    KIND_POST,
    PRIORITY_REPLY,
    PRIORITY_STAFF,
    PUSH_CHANNELS,
    STAFF_CHANNEL,
    STAFF_CHAT,
    Outbox,
)
from bot.privacy import mask
from bot.store import OUTBOX, TICKET_MESSAGES, TICKETS, WORKER_ACTIONS, WORKERS

PERSON_ENDED_NOTE = "ended by the person"
FALSE_ALARM_NOTE = "（本人说这不是紧急情况，已改为普通求助）"
logger = logging.getLogger(__name__)

OPEN_STATUSES = ("waiting", "claimed")


@dataclass(frozen=True)
class Ticket:
    """One request for a social worker."""

    id: int
    user_id: str
    channel: str
    chat_id: str
    persona: str
    priority: str
    status: str
    reason: str
    summary: str
    consent: int = 0
    worker_id: str | None = None
    worker_name: str | None = None
    thread_id: int | None = None
    staff_message_id: int | None = None
    alert_message_id: int | None = None  # the newest urgent reminder (or a superseded post) still with 接单
    notified: int = 0
    notify_attempts: int = 0
    next_notify_at: str | None = None
    last_alert_at: str | None = None
    created_at: str = ""
    claimed_at: str | None = None
    closed_at: str | None = None
    close_note: str | None = None
    created_now: bool = False  # set by Handoff.open when this call created the ticket
    took_over: bool = False  # set by Handoff.check_owner when this call moved the ticket to another worker

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Ticket:
        """Build from a database row."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in row.items() if k in names})

    def as_json(self) -> dict[str, Any]:
        """The ``handoff`` field of ``linli chat --jsonl``."""
        return {"ticket": self.id, "priority": self.priority, "status": self.status}


@dataclass(frozen=True)
class OfficeHours:
    """When social workers answer: weekdays (1 = Monday) and a daily window, in a time zone."""

    start: dt.time
    end: dt.time
    days: tuple[int, ...]
    tz: dt.tzinfo

    @classmethod
    def from_config(cls, hours: str, days: list[int], timezone: str) -> OfficeHours:
        """Parse ``"09:00-18:00"``; a bad value is a ConfigError naming the key."""
        try:
            a, b = hours.split("-")
            start, end = dt.time.fromisoformat(a.strip()), dt.time.fromisoformat(b.strip())
        except ValueError:
            raise ConfigError(f"handoff.office_hours: expected HH:MM-HH:MM, got {hours!r}") from None
        if any(d not in range(1, 8) for d in days):
            raise ConfigError(f"handoff.office_days: days are 1 (Monday) to 7 (Sunday), got {days}")
        try:
            tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"handoff.timezone: unknown time zone {timezone!r}") from None
        return cls(start, end, tuple(days), tz)

    def is_open(self, now: dt.datetime | None = None) -> bool:
        """True during office hours."""
        local = (now or dt.datetime.now(dt.timezone.utc)).astimezone(self.tz)
        return local.isoweekday() in self.days and self.start <= local.time() < self.end

    def next_open(self, now: dt.datetime | None = None) -> dt.datetime:
        """The next moment office hours begin (local time)."""
        local = (now or dt.datetime.now(dt.timezone.utc)).astimezone(self.tz)
        for add in range(0, 8):
            day = (local + dt.timedelta(days=add)).date()
            start = dt.datetime.combine(day, self.start, tzinfo=self.tz)
            if day.isoweekday() in self.days and start > local:
                return start
        return local


class Handoff:
    """The ticket queue and the social workers, on the shared SQLite database."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.out = Outbox(db)

    # ---- tickets -----------------------------------------------------------------------------

    def get(self, ticket_id: int) -> Ticket | None:
        """A ticket by number."""
        rows = list(self.db.query(f"SELECT * FROM {TICKETS} WHERE id = ?", [ticket_id]))
        return Ticket.from_row(rows[0]) if rows else None

    def require(self, ticket_id: int) -> Ticket:
        """A ticket by number, or HandoffError."""
        t = self.get(ticket_id)
        if t is None:
            raise HandoffError(f"ticket {ticket_id} does not exist")
        return t

    def active(self, user_id: str) -> Ticket | None:
        """The person's open ticket (waiting or claimed), if any."""
        rows = list(self.db.query(
            f"SELECT * FROM {TICKETS} WHERE user_id = ? AND status IN ('waiting', 'claimed') ORDER BY id DESC LIMIT 1",
            [user_id],
        ))
        return Ticket.from_row(rows[0]) if rows else None

    def open(self, user_id: str, channel: str, chat_id: str, priority: str, reason: str, summary: str,
             persona: str = "", consent: bool = False) -> Ticket:
        """Open a ticket (or return the person's open one, raised to urgent if needed).

        ``ticket.created_now`` tells the two apart (only a new ticket is posted to the staff group).
        """
        existing = self.active(user_id)
        with self.db.atomic():
            if existing is not None:
                if priority == "urgent" and existing.priority != "urgent":
                    # Raised to urgent: post it again so the staff group sees the 🚨 at once.
                    self.db[TICKETS].update(existing.id, {"priority": "urgent", "summary": mask(summary),
                                                          "notified": 0, "next_notify_at": None})
                    logger.info("ticket %d raised to urgent", existing.id)
                return self.require(existing.id)
            table = self.db[TICKETS]
            table.insert({
                "user_id": user_id, "channel": channel, "chat_id": chat_id, "persona": persona,
                "priority": priority, "status": "waiting", "reason": reason, "summary": mask(summary),
                "consent": int(consent), "notified": 0, "notify_attempts": 0, "created_at": utcnow(),
            })
            tid = int(table.last_pk)
        logger.info("ticket %d opened (%s, %s) chat=%s", tid, priority, reason, chat_id)
        ticket = self.require(tid)
        object.__setattr__(ticket, "created_now", True)
        return ticket

    def queue(self) -> list[Ticket]:
        """Open tickets: urgent first, then oldest first."""
        rows = self.db.query(
            f"SELECT * FROM {TICKETS} WHERE status IN ('waiting', 'claimed') "
            "ORDER BY status = 'claimed', priority != 'urgent', id"
        )
        return [Ticket.from_row(r) for r in rows]

    def all(self, status: str | None = None) -> list[Ticket]:
        """Every ticket (optionally of one status), newest first."""
        where, args = ("WHERE status = ?", [status]) if status else ("", [])
        return [Ticket.from_row(r) for r in self.db.query(f"SELECT * FROM {TICKETS} {where} ORDER BY id DESC", args)]

    def position(self, ticket: Ticket) -> int:
        """How many waiting tickets are ahead of this one (urgent ones go first)."""
        waiting = [t for t in self.queue() if t.status == "waiting"]
        ids = [t.id for t in waiting]
        return ids.index(ticket.id) if ticket.id in ids else 0

    def claim(self, ticket_id: int, worker_id: str) -> Ticket:
        """A social worker takes a waiting ticket."""
        worker = self.worker(worker_id)
        if worker is None:
            raise HandoffError(f"user {worker_id} is not an authorised social worker")
        t = self.require(ticket_id)
        if t.status != "waiting":
            raise HandoffError(f"ticket {ticket_id} is {t.status}, not waiting")
        with self.db.atomic():
            self.db[TICKETS].update(ticket_id, {
                "status": "claimed", "worker_id": worker_id, "worker_name": worker["name"], "claimed_at": utcnow(),
            })
            self.refresh_post(ticket_id)
        logger.info("ticket %d claimed by worker %s", ticket_id, worker_id)
        return self.require(ticket_id)

    def release(self, ticket_id: int, worker_id: str) -> Ticket:
        """The worker who claimed a ticket gives it back: it waits in the queue again, as before the claim."""
        t = self.require(ticket_id)
        if t.status != "claimed" or t.worker_id != str(worker_id):
            raise HandoffError(f"ticket {ticket_id} is {t.status}, not claimed by worker {worker_id}")
        with self.db.atomic():
            self.db[TICKETS].update(ticket_id, {"status": "waiting", "worker_id": None, "worker_name": None,
                                                "claimed_at": None})
            self.refresh_post(ticket_id)
        logger.info("ticket %d given back to the queue by worker %s", ticket_id, worker_id)
        return self.require(ticket_id)

    def close(self, ticket_id: int, worker_id: str, note: str = "", take_over: bool = False) -> Ticket:
        """End a ticket; the person is back with the bot. Only the worker who claimed it, or a take-over."""
        t = self.check_owner(ticket_id, worker_id, take_over)
        if t.status == "closed":
            raise HandoffError(f"ticket {ticket_id} is already closed")
        with self.db.atomic():
            self.db[TICKETS].update(ticket_id, {"status": "closed", "closed_at": utcnow(), "close_note": mask(note),
                                                "worker_id": t.worker_id or worker_id})
            self.refresh_post(ticket_id)
        logger.info("ticket %d closed by worker %s", ticket_id, worker_id)
        return self.require(ticket_id)

    def check_owner(self, ticket_id: int, worker_id: str, take_over: bool = False) -> Ticket:
        """The ticket, when ``worker_id`` may act on it: an authorised worker, and its own claim.

        A ticket claimed by another worker needs ``take_over=True``: the ticket moves to this
        worker (logged, and ``took_over`` is set on the returned ticket so the caller tells the
        person who is answering now). Otherwise HandoffError names the worker who has it.
        """
        worker = self.worker(worker_id)
        if worker is None:
            raise HandoffError(f"user {worker_id} is not an authorised social worker")
        t = self.require(ticket_id)
        if t.status != "claimed" or t.worker_id in (None, "", str(worker_id)):
            return t
        if not take_over:
            raise HandoffError(f"ticket {ticket_id} is claimed by worker {t.worker_id} ({t.worker_name}); "
                               "use --take-over (Telegram: /takeover in its topic) to answer it yourself")
        with self.db.atomic():
            self.db[TICKETS].update(ticket_id, {"worker_id": str(worker_id), "worker_name": worker["name"]})
            self.refresh_post(ticket_id)
        logger.warning("ticket %d taken over by worker %s from worker %s", ticket_id, worker_id, t.worker_id)
        ticket = self.require(ticket_id)
        object.__setattr__(ticket, "took_over", True)
        return ticket

    def not_urgent(self, ticket_id: int) -> Ticket:
        """The person said it was a false alarm: the ticket stays for a social worker, but as normal."""
        t = self.require(ticket_id)
        if t.priority == "urgent" and t.status != "closed":
            self.db[TICKETS].update(ticket_id, {"priority": "normal"})
            self.add_message(ticket_id, "system", FALSE_ALARM_NOTE)
            self.refresh_post(ticket_id)
            logger.info("ticket %d set to normal: the person said it is not an emergency", ticket_id)
        return self.require(ticket_id)

    def end_by_person(self, ticket_id: int) -> Ticket:
        """The person ended the conversation with the social worker (结束对话): back to the bot."""
        t = self.require(ticket_id)
        if t.status == "closed":
            raise HandoffError(f"ticket {ticket_id} is already closed")
        with self.db.atomic():
            self.db[TICKETS].update(ticket_id, {"status": "closed", "closed_at": utcnow(),
                                                "close_note": PERSON_ENDED_NOTE})
            self.refresh_post(ticket_id)
        logger.info("ticket %d ended by the person", ticket_id)
        return self.require(ticket_id)

    def set_thread(self, ticket_id: int, thread_id: int | None) -> None:
        """Remember where the ticket's conversation lives in the staff group."""
        self.db[TICKETS].update(ticket_id, {"thread_id": thread_id})

    # ---- messages ----------------------------------------------------------------------------

    def add_message(self, ticket_id: int, direction: str, text: str, staff_message_id: int | None = None,
                    delivered: bool = True, via: str = "", worker_id: str = "") -> int:
        """Record a relayed message: 'user' (to staff), 'worker' or 'system' (to the person), 'note'.

        ``delivered=False`` means the person has not seen it yet. For a channel that pushes
        messages (Telegram) it also becomes a row of the durable outbox, written in the same
        transaction, which the channel's delivery job sends and retries; other channels (the
        terminal, JSON lines) show it before their next answer (``outbox``).

        ``via`` names where a social worker wrote a reply or note outside Telegram ("web",
        "cli"); it is then also shown in the ticket's staff thread (``mirror``). ``worker_id``
        is who wrote it (default: the ticket's worker). Words written in Telegram pass no ``via``.
        """
        with self.db.atomic():
            table = self.db[TICKET_MESSAGES]
            table.insert({"ticket_id": ticket_id, "direction": direction, "text": mask(text),
                          "staff_message_id": staff_message_id, "delivered": int(delivered), "created_at": utcnow()})
            mid = int(table.last_pk)
            if not delivered and direction != "user":
                t = self.require(ticket_id)
                if t.channel in PUSH_CHANNELS and t.chat_id:
                    self.out.enqueue(t.channel, t.chat_id, direction, mask(text), user_id=t.user_id,
                                     ticket_id=ticket_id, ticket_message_id=mid, priority=PRIORITY_REPLY)
            if direction == "worker" and self.worker_replies(ticket_id) == 1:
                self.refresh_post(ticket_id)  # the post says it has been answered (once, not at every reply)
            if via and direction in ("worker", "note"):
                self.mirror(ticket_id, mid, via, worker_id)
        return mid

    def mirror(self, ticket_id: int, message_id: int, via: str, worker_id: str = "") -> None:
        """Show a worker's reply or note, written in ``via`` (the console, the CLI), in the ticket's staff thread.

        One queue (issue 15): a colleague on Telegram sees the whole conversation. A durable
        outbox row for the staff group (the person's own copy is a separate row, or the web
        page's poll), only for a ticket posted there. Its picture, if any, goes with it.
        """
        t = self.require(ticket_id)
        if not (t.staff_message_id or t.thread_id):
            return  # not on Telegram (yet): the post, when made, says the ticket was answered
        row = self.db.execute(f"SELECT direction, text FROM {TICKET_MESSAGES} WHERE id = ?", [message_id]).fetchone()
        if row is None:
            return
        direction, text = row
        worker = self.worker(worker_id) if worker_id else None
        name = (worker or {}).get("name") or t.worker_name or ""
        where = messages.STAFF_VIA.get(via, via)
        if direction == "note":
            line = messages.STAFF_MIRROR_NOTE
        elif text == PHOTO_MARK:
            line = messages.STAFF_MIRROR_PHOTO
        else:
            line = messages.STAFF_MIRROR_REPLY
        self.out.enqueue(STAFF_CHANNEL, STAFF_CHAT, KIND_MIRROR, line.format(ticket=t.id, name=name, via=where,
                                                                             text=text),
                         user_id=t.user_id, ticket_id=t.id, ticket_message_id=message_id, priority=PRIORITY_STAFF)
        logger.info("ticket %d: message %d from %s mirrored to the staff group", t.id, message_id, via)

    def worker_replies(self, ticket_id: int) -> int:
        """How many messages social workers have sent the person on this ticket."""
        return int(self.db.execute(f"SELECT COUNT(*) FROM {TICKET_MESSAGES} WHERE ticket_id = ? AND direction = 'worker'",
                                   [ticket_id]).fetchone()[0])

    def refresh_post(self, ticket_id: int) -> None:
        """Have the ticket's post in the staff group show the ticket as it is now (one queue, issue 15).

        A durable outbox row, so it works whichever process changed the ticket (``linli serve``'s
        console, ``linli handoff``, the bot): the Telegram bot's delivery job edits the post with a
        text made from the ticket when it sends the row. Only for a posted ticket; one pending row each.
        """
        t = self.get(ticket_id)
        if t is None or not t.staff_message_id:
            return
        pending = self.db.execute(f"SELECT 1 FROM {OUTBOX} WHERE ticket_id = ? AND kind = ? AND status = 'pending' "
                                  "LIMIT 1", [ticket_id, KIND_POST]).fetchone()
        if pending is None:
            self.out.enqueue(STAFF_CHANNEL, STAFF_CHAT, KIND_POST, "", user_id=t.user_id, ticket_id=ticket_id,
                             priority=PRIORITY_STAFF)

    def relay(self, ticket: Ticket, text: str) -> int:
        """A person's words for the social worker: stored with the ticket and queued for the staff chat.

        Returns the ticket message id. The outbox row carries the ticket, so the channel finds
        the thread (or the post to reply to) when it sends, even if the ticket was posted later.
        """
        with self.db.atomic():
            mid = self.add_message(ticket.id, "user", text)
            # The staff group is on Telegram: relay there when the person is, or when the ticket was
            # posted there (a web or terminal person whose ticket a worker claimed in the group).
            if ticket.channel in PUSH_CHANNELS or ticket.staff_message_id or ticket.thread_id:
                self.out.enqueue(STAFF_CHANNEL, STAFF_CHAT, "relay", mask(text), user_id=ticket.user_id,
                                 ticket_id=ticket.id, ticket_message_id=mid, priority=PRIORITY_STAFF)
        return mid

    def outbox(self, user_id: str | None = None) -> list[dict[str, Any]]:
        """Messages for people not yet delivered (from the terminal staff side or a closed ticket)."""
        sql = (f"SELECT m.*, t.user_id, t.chat_id, t.channel FROM {TICKET_MESSAGES} m JOIN {TICKETS} t "
               "ON t.id = m.ticket_id WHERE m.delivered = 0 AND m.direction != 'user'")
        args: list[Any] = []
        if user_id is not None:
            sql += " AND t.user_id = ?"
            args.append(user_id)
        return list(self.db.query(sql + " ORDER BY m.id", args))

    def set_staff_message(self, message_id: int, staff_message_id: int) -> None:
        """Link a relayed message to its copy in the staff group (replies to it reach the person)."""
        self.db[TICKET_MESSAGES].update(message_id, {"staff_message_id": staff_message_id})

    def mark_delivered(self, message_id: int) -> None:
        """An outbox message reached the person."""
        self.db[TICKET_MESSAGES].update(message_id, {"delivered": 1})

    def messages(self, ticket_id: int) -> list[dict[str, Any]]:
        """The relayed messages of a ticket, oldest first."""
        return list(self.db.query(f"SELECT * FROM {TICKET_MESSAGES} WHERE ticket_id = ? ORDER BY id", [ticket_id]))

    def ticket_for_staff_message(self, staff_message_id: int) -> Ticket | None:
        """The ticket a message in the staff group belongs to (its post or a relayed message)."""
        rows = list(self.db.query(
            f"SELECT id FROM {TICKETS} WHERE staff_message_id = ? OR thread_id = ? "
            f"UNION SELECT ticket_id FROM {TICKET_MESSAGES} WHERE staff_message_id = ? LIMIT 1",
            [staff_message_id, staff_message_id, staff_message_id],
        ))
        return self.get(rows[0]["id"]) if rows else None

    def ticket_for_thread(self, thread_id: int) -> Ticket | None:
        """The open ticket whose forum topic is ``thread_id``."""
        rows = list(self.db.query(
            f"SELECT * FROM {TICKETS} WHERE thread_id = ? AND status IN ('waiting', 'claimed') ORDER BY id DESC LIMIT 1",
            [thread_id],
        ))
        return Ticket.from_row(rows[0]) if rows else None

    # ---- staff notification (retried until delivered) ----------------------------------------

    def due_notifications(self, now: str | None = None) -> list[Ticket]:
        """Open tickets not yet posted to the staff group whose retry time has come."""
        now = now or utcnow()
        rows = self.db.query(
            f"SELECT * FROM {TICKETS} WHERE notified = 0 AND status IN ('waiting', 'claimed') "
            "AND (next_notify_at IS NULL OR next_notify_at <= ?) ORDER BY priority != 'urgent', id",
            [now],
        )
        return [Ticket.from_row(r) for r in rows]

    def mark_notified(self, ticket_id: int, staff_message_id: int) -> None:
        """The staff group has the ticket.

        A ticket posted again (raised to urgent) leaves its old post with a 接单 button: it is
        remembered like an urgent reminder, so the next reminder or a claim anywhere removes it.
        """
        changes: dict[str, Any] = {"notified": 1, "staff_message_id": staff_message_id, "last_alert_at": utcnow()}
        old = self.get(ticket_id)
        if old is not None and old.staff_message_id and old.staff_message_id != staff_message_id \
                and not old.alert_message_id:
            changes["alert_message_id"] = old.staff_message_id
        self.db[TICKETS].update(ticket_id, changes)

    def mark_notify_failed(self, ticket_id: int, base_seconds: float = 5.0, max_seconds: float = 300.0) -> float:
        """Posting failed: try again later, backing off exponentially. Returns the delay."""
        t = self.require(ticket_id)
        attempts = t.notify_attempts + 1
        delay = min(max_seconds, base_seconds * 2 ** (attempts - 1))
        when = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=delay)).isoformat(timespec="seconds")
        self.db[TICKETS].update(ticket_id, {"notify_attempts": attempts, "next_notify_at": when})
        return delay

    def urgent_unclaimed(self, older_than_seconds: float) -> list[Ticket]:
        """Urgent tickets still waiting whose last staff alert is older than the given age."""
        cutoff = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=older_than_seconds)).isoformat(
            timespec="seconds")
        rows = self.db.query(
            f"SELECT * FROM {TICKETS} WHERE priority = 'urgent' AND status = 'waiting' AND notified = 1 "
            "AND (last_alert_at IS NULL OR last_alert_at <= ?)",
            [cutoff],
        )
        return [Ticket.from_row(r) for r in rows]

    def mark_alerted(self, ticket_id: int, message_id: int | None = None) -> None:
        """An urgent reminder was posted (``message_id``: the one that now carries the 接单 button)."""
        self.db[TICKETS].update(ticket_id, {"last_alert_at": utcnow(), "alert_message_id": message_id})

    def clear_alert(self, ticket_id: int) -> None:
        """The ticket's reminder no longer has a 接单 button (edited after a claim): nothing left to edit."""
        self.db[TICKETS].update(ticket_id, {"alert_message_id": None})

    # ---- social workers ----------------------------------------------------------------------

    def add_worker(self, worker_id: str, name: str) -> None:
        """Authorise a social worker (a Telegram user id, or any id for the terminal)."""
        self.db[WORKERS].upsert({"worker_id": str(worker_id), "name": name, "added_at": utcnow()}, pk="worker_id")

    def remove_worker(self, worker_id: str) -> bool:
        """Withdraw authorisation; False when the id was not a worker."""
        if self.worker(worker_id) is None:
            return False
        self.db[WORKERS].delete(str(worker_id))
        return True

    def worker(self, worker_id: str) -> dict[str, Any] | None:
        """The worker's record, or None when not authorised."""
        rows = list(self.db.query(f"SELECT * FROM {WORKERS} WHERE worker_id = ?", [str(worker_id)]))
        return rows[0] if rows else None

    def workers(self) -> list[dict[str, Any]]:
        """Every authorised social worker."""
        return list(self.db.query(f"SELECT * FROM {WORKERS} ORDER BY name"))

    # ---- the web console (issue 15) -------------------------------------------------------------

    def find_worker(self, login: str) -> dict[str, Any] | None:
        """The worker signing in with ``login``: their id, or their name when exactly one worker has it."""
        login = login.strip()
        found = self.worker(login)
        if found is not None:
            return found
        rows = list(self.db.query(f"SELECT * FROM {WORKERS} WHERE name = ?", [login]))
        return rows[0] if len(rows) == 1 else None

    def set_password_hash(self, worker_id: str, password_hash: str) -> None:
        """Store a worker's console password hash (made by ``bot.web.auth.hash_password``)."""
        if self.worker(worker_id) is None:
            raise HandoffError(f"{worker_id} is not a social worker: add them first with `linli workers add`")
        self.db[WORKERS].update(str(worker_id), {"password_hash": password_hash})
        logger.info("console password set for worker %s", worker_id)

    def password_hash(self, worker_id: str) -> str:
        """The worker's stored password hash ('' when none is set)."""
        worker = self.worker(worker_id)
        return str((worker or {}).get("password_hash") or "")

    def add_note(self, ticket_id: int, worker_id: str, text: str, via: str = "") -> int:
        """A social worker's note on a ticket: kept with the ticket, never sent to the person.

        ``via`` ("web", "cli"): also shown in the ticket's staff thread on Telegram (``mirror``).
        """
        self.require(ticket_id)
        if self.worker(worker_id) is None:
            raise HandoffError(f"user {worker_id} is not an authorised social worker")
        return self.add_message(ticket_id, "note", text, via=via, worker_id=worker_id)

    def set_outcome(self, ticket_id: int, outcome: str) -> None:
        """How a closed ticket ended (解决 / 转介 / 无法联系 / 其他)."""
        with self.db.atomic():
            self.db[TICKETS].update(self.require(ticket_id).id, {"outcome": outcome})
            self.refresh_post(ticket_id)

    def reopen(self, ticket_id: int, worker_id: str) -> Ticket:
        """A closed ticket opens again, claimed by ``worker_id``; refused when the person has another open one."""
        worker = self.worker(worker_id)
        if worker is None:
            raise HandoffError(f"user {worker_id} is not an authorised social worker")
        t = self.require(ticket_id)
        if t.status != "closed":
            raise HandoffError(f"ticket {ticket_id} is {t.status}, not closed")
        if not t.user_id:
            raise HandoffError(f"ticket {ticket_id} belongs to a person whose data was deleted")
        other = self.active(t.user_id)
        if other is not None:
            raise HandoffError(f"the person already has open ticket {other.id}")
        with self.db.atomic():
            self.db[TICKETS].update(ticket_id, {"status": "claimed", "worker_id": str(worker_id),
                                                "worker_name": worker["name"], "claimed_at": utcnow(),
                                                "closed_at": None, "outcome": None})
            self.refresh_post(ticket_id)
        logger.info("ticket %d reopened by worker %s", ticket_id, worker_id)
        return self.require(ticket_id)

    def log_action(self, worker_id: str, action: str, ticket_id: int | None = None, detail: str = "") -> None:
        """One line of the console's action log (who did what to which ticket); no person's words."""
        self.db[WORKER_ACTIONS].insert({"worker_id": str(worker_id), "action": action, "ticket_id": ticket_id,
                                        "detail": detail[:200], "created_at": utcnow()})
        logger.info("console: worker %s %s ticket=%s %s", worker_id, action, ticket_id, detail[:200])

    def actions(self, ticket_id: int | None = None) -> list[dict[str, Any]]:
        """The console's action log, oldest first (one ticket's, or all)."""
        where, args = ("WHERE ticket_id = ?", [ticket_id]) if ticket_id is not None else ("", [])
        return list(self.db.query(f"SELECT * FROM {WORKER_ACTIONS} {where} ORDER BY id", args))

    def outcome(self, ticket_id: int) -> str:
        """How a closed ticket ended, as chosen in the console ('' when not recorded)."""
        row = self.db.execute(f"SELECT outcome FROM {TICKETS} WHERE id = ?", [ticket_id]).fetchone()
        return str(row[0] or "") if row else ""
