"""The durable outbox: every message a channel must push (replies, relays, alerts) is a row first.

A channel writes the row, then tries to send it; whatever did not get through stays
``pending`` and a delivery job retries it with backoff (or after Telegram's ``retry_after``)
until it is sent. Each row has an id, and a row is marked ``sent`` in the same place it is
sent from, so nothing is lost and our own code never sends a row twice. Rows for one chat go
out in id order: a later row waits while an earlier one for the same chat is failing.

Only the channel-neutral bookkeeping lives here; ``bot/telegram_channel.py`` does the sending.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from bot.models import utcnow
from bot.store import OUTBOX

# Channels that push messages to people themselves (with a delivery job); others show queued
# messages before their next answer.
PUSH_CHANNELS = ("telegram",)
# The chat id of outbox rows meant for the staff group: the channel knows the real id.
STAFF_CHAT = "staff"
# The staff group lives on Telegram, whatever channel the person writes from.
STAFF_CHANNEL = "telegram"

# Lower sends first: the person's urgent answer before anything else.
PRIORITY_URGENT_REPLY = 0
PRIORITY_REPLY = 1
PRIORITY_STAFF = 2

KIND_REPLY = "reply"  # the bot's answer to a person
KIND_WORKER = "worker"  # a social worker's words to a person
KIND_SYSTEM = "system"  # a notice to a person (claimed, closed, taken over)
KIND_RELAY = "relay"  # a person's words to the staff group
KIND_STAFF = "staff"  # a note to the staff group (a claimed ticket's history)
# The ticket's post in the staff group is edited to show the ticket as it is now (claimed, answered,
# closed), whichever channel changed it: the row carries only the ticket, the text is made when sent.
KIND_POST = "post"
# A social worker's reply or note written outside Telegram (the web console, `linli handoff`), shown in the
# ticket's staff thread so colleagues there see the whole conversation. Never sent to the person.
KIND_MIRROR = "mirror"
KINDS = (KIND_REPLY, KIND_WORKER, KIND_SYSTEM, KIND_RELAY, KIND_STAFF, KIND_POST, KIND_MIRROR)


@dataclass(frozen=True)
class OutboxItem:
    """One message waiting to be (or already) sent."""

    id: int
    channel: str
    chat_id: str
    kind: str
    text: str
    markup: Any = None
    ticket_id: int | None = None
    ticket_message_id: int | None = None
    priority: int = PRIORITY_REPLY
    status: str = "pending"
    attempts: int = 0
    next_attempt_at: float = 0.0
    last_error: str | None = None
    created_at: str = ""
    sent_at: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> OutboxItem:
        """Build from a database row (``markup`` is stored as JSON)."""
        markup = json.loads(row["markup"]) if row.get("markup") else None
        return cls(
            id=int(row["id"]), channel=row["channel"], chat_id=str(row["chat_id"]), kind=row["kind"],
            text=row["text"], markup=markup, ticket_id=row.get("ticket_id"),
            ticket_message_id=row.get("ticket_message_id"), priority=int(row.get("priority") or 0),
            status=row["status"], attempts=int(row.get("attempts") or 0),
            next_attempt_at=float(row.get("next_attempt_at") or 0.0), last_error=row.get("last_error"),
            created_at=row.get("created_at") or "", sent_at=row.get("sent_at"),
        )


class Outbox:
    """Rows of the ``outbox`` table: enqueue, find what is due, mark sent or failed."""

    def __init__(self, db: sqlite_utils.Database, base_seconds: float = 5.0, max_seconds: float = 300.0) -> None:
        self.db = db
        self.base_seconds = base_seconds
        self.max_seconds = max_seconds

    def enqueue(self, channel: str, chat_id: str | int, kind: str, text: str, *, user_id: str = "", markup: Any = None,
                ticket_id: int | None = None, ticket_message_id: int | None = None,
                priority: int = PRIORITY_REPLY) -> int:
        """Store one message to send; returns its id."""
        if kind not in KINDS:
            raise ValueError(f"outbox kind must be one of {', '.join(KINDS)}, got {kind!r}")
        table = self.db[OUTBOX]
        table.insert({
            "channel": channel, "chat_id": str(chat_id), "user_id": user_id, "kind": kind, "text": text,
            "markup": json.dumps(markup, ensure_ascii=False) if markup is not None else None,
            "ticket_id": ticket_id, "ticket_message_id": ticket_message_id, "priority": priority,
            "status": "pending", "attempts": 0, "next_attempt_at": 0.0, "created_at": utcnow(),
        })
        return int(table.last_pk)

    def get(self, item_id: int) -> OutboxItem | None:
        """One row by id."""
        rows = list(self.db.query(f"SELECT * FROM {OUTBOX} WHERE id = ?", [item_id]))
        return OutboxItem.from_row(rows[0]) if rows else None

    def pending(self, channel: str | None = None, chat_id: str | int | None = None,
                ticket_id: int | None = None) -> list[OutboxItem]:
        """Every unsent row (due or not), oldest first."""
        sql, args = f"SELECT * FROM {OUTBOX} WHERE status = 'pending'", []
        for column, value in (("channel", channel), ("chat_id", chat_id), ("ticket_id", ticket_id)):
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(str(value) if column == "chat_id" else value)
        return [OutboxItem.from_row(r) for r in self.db.query(sql + " ORDER BY id", args)]

    def chats_due(self, channel: str, now: float | None = None) -> list[str]:
        """Chats whose oldest unsent row is due now (rows go in order), the most urgent chats first."""
        now = time.time() if now is None else now
        rows = self.db.query(
            f"SELECT g.chat_id, g.p FROM (SELECT chat_id, MIN(priority) AS p, MIN(id) AS first FROM {OUTBOX} "
            "WHERE status = 'pending' AND channel = ? GROUP BY chat_id) g "
            f"JOIN {OUTBOX} h ON h.id = g.first WHERE h.next_attempt_at <= ? ORDER BY g.p, g.first",
            [channel, now],
        )
        return [str(r["chat_id"]) for r in rows]

    def mark_sent(self, item_id: int) -> None:
        """The row reached Telegram (or the person saw it another way); its words are not kept twice.

        The transcript and the ticket's messages keep what was said; the sent row keeps only its
        bookkeeping, so the outbox never becomes a second copy of people's words.
        """
        self.db[OUTBOX].update(item_id, {"status": "sent", "sent_at": utcnow(), "last_error": None,
                                         "text": "", "markup": None})

    def mark_failed(self, item_id: int, error: str, retry_after: float | None = None) -> float:
        """Sending failed: back off exponentially, or wait what the server asked. Returns the delay."""
        item = self.get(item_id)
        attempts = (item.attempts if item else 0) + 1
        delay = min(self.max_seconds, self.base_seconds * 2 ** (attempts - 1))
        if retry_after is not None:
            delay = max(float(retry_after), 0.0)
        self.db[OUTBOX].update(item_id, {"attempts": attempts, "next_attempt_at": time.time() + delay,
                                         "last_error": error[:300]})
        return delay

    def counts(self) -> dict[str, int]:
        """How many rows are pending and sent (for `linli handoff outbox`)."""
        rows = self.db.query(f"SELECT status, COUNT(*) AS n FROM {OUTBOX} GROUP BY status")
        return {r["status"]: int(r["n"]) for r in rows}
