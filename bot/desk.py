"""The ticket queue for a registered social worker in chat (issue 13, "Social workers in chat").

``Desk`` is what ``dialogues.skills.staff`` calls through ``Context.desk``: plain dicts out,
so the dialogue layer never sees ``bot`` types, and underneath only the ``Handoff`` functions
that ``linli handoff`` and the staff group's /queue already use.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from bot import messages
from bot.errors import HandoffError
from bot.handoff import Handoff, Ticket

logger = logging.getLogger(__name__)


def claim_and_tell(handoff: Handoff, ticket_id: int, worker_id: str) -> Ticket:
    """Claim a waiting ticket and queue the "a social worker is here" notice for the person.

    What ``linli handoff claim`` and a registered worker's 接下一个 in chat do.
    """
    ticket = handoff.claim(ticket_id, worker_id)
    handoff.add_message(ticket.id, "system", messages.CLAIMED_NOTICE.format(name=ticket.worker_name or ""),
                        delivered=False)
    return ticket


def release_and_tell(handoff: Handoff, ticket_id: int, worker_id: str) -> Ticket:
    """Give a claimed ticket back to the queue and queue the "another worker will come" notice.

    What ``linli handoff release`` and a registered worker's 退回队列 in chat do.
    """
    ticket = handoff.release(ticket_id, worker_id)
    handoff.add_message(ticket.id, "system", messages.RELEASED_NOTICE, delivered=False)
    return ticket


class Desk:
    """The ticket queue as a registered social worker works it in chat (``dialogues.skills.staff.Desk``).

    Built on the same ``Handoff`` functions as ``linli handoff`` and the staff group's /queue:
    ``queue``, ``claim`` (through ``claim_and_tell``), ``close`` and ``release`` (the person is told),
    ``get`` with ``messages``, ``all``.
    Plain dicts go back, so the dialogue layer never sees ``bot`` types.
    """

    def __init__(self, handoff: Handoff) -> None:
        self.handoff = handoff

    @staticmethod
    def row(t: Ticket) -> dict[str, Any]:
        """A ticket as the staff skill reads it; ``asked`` is the summary's "这次说" line, as in /queue."""
        lines = t.summary.splitlines()
        asked = lines[1] if len(lines) > 1 else t.summary
        return {"id": t.id, "priority": t.priority, "status": t.status, "worker": t.worker_name or "",
                "worker_id": t.worker_id or "", "asked": asked, "summary": t.summary}

    def queue(self) -> list[dict[str, Any]]:
        """Open tickets, urgent first, then oldest first (``Handoff.queue``)."""
        return [self.row(t) for t in self.handoff.queue()]

    def claim_next(self, worker_id: str) -> dict[str, Any] | None:
        """The first waiting ticket becomes this worker's (urgent first); None when none waits."""
        for t in self.handoff.queue():
            if t.status != "waiting":
                continue
            try:
                return self.row(claim_and_tell(self.handoff, t.id, worker_id))
            except HandoffError as exc:  # claimed a moment ago by someone else: try the next one
                logger.info("chat claim of ticket %d by worker %s skipped: %s", t.id, worker_id, exc)
        return None

    def claim(self, ticket_id: int, worker_id: str) -> dict[str, Any] | None:
        """This waiting ticket becomes the worker's (the one just shown, the oldest); None when it no longer waits."""
        try:
            return self.row(claim_and_tell(self.handoff, ticket_id, worker_id))
        except HandoffError as exc:
            logger.info("chat claim of ticket %d by worker %s refused: %s", ticket_id, worker_id, exc)
            return None

    def close(self, ticket_id: int, worker_id: str) -> dict[str, Any] | None:
        """End the worker's own ticket and tell the person (``linli handoff close``); None when refused."""
        try:
            t = self.handoff.close(ticket_id, worker_id, "")
        except HandoffError as exc:
            logger.info("chat close of ticket %d by worker %s refused: %s", ticket_id, worker_id, exc)
            return None
        self.handoff.add_message(t.id, "system", messages.CLOSED_NOTICE, delivered=False)
        return self.row(t)

    def release(self, ticket_id: int, worker_id: str) -> dict[str, Any] | None:
        """Give the worker's own ticket back to the queue and tell the person; None when refused."""
        try:
            return self.row(release_and_tell(self.handoff, ticket_id, worker_id))
        except HandoffError as exc:
            logger.info("chat release of ticket %d by worker %s refused: %s", ticket_id, worker_id, exc)
            return None

    def summary(self, ticket_id: int) -> dict[str, Any] | None:
        """A ticket's summary and what the person said since (``linli handoff show``); None when unknown."""
        t = self.handoff.get(ticket_id)
        if t is None:
            return None
        since = [str(m["text"]) for m in self.handoff.messages(t.id) if m["direction"] == "user"]
        return {**self.row(t), "since": since}

    def mine(self, worker_id: str) -> list[dict[str, Any]]:
        """The open tickets this worker has claimed."""
        return [self.row(t) for t in self.handoff.queue() if t.status == "claimed" and t.worker_id == str(worker_id)]

    def counts(self, days: int) -> dict[str, int]:
        """Tickets opened in the last ``days`` days, and how many of them were urgent."""
        since = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)).isoformat(timespec="seconds")
        recent = [t for t in self.handoff.all() if (t.created_at or "") >= since]
        return {"tickets": len(recent), "urgent": sum(t.priority == "urgent" for t in recent)}
