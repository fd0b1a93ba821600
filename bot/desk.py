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


class Desk:
    """The ticket queue as a registered social worker works it in chat (``dialogues.skills.staff.Desk``).

    Built on the same ``Handoff`` functions as ``linli handoff`` and the staff group's /queue:
    ``queue``, ``claim`` (through ``claim_and_tell``), ``get`` with ``messages``, ``all``.
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
