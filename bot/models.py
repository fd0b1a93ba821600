"""Channel-neutral message types: what comes in and what goes out. No Telegram types here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from dialogues.turn import Reply  # the dialogue makes replies; channels send them

__all__ = ["IncomingMessage", "Reply", "utcnow"]


def utcnow() -> str:
    """The current UTC time as ISO 8601 text (what the store writes)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class IncomingMessage:
    """One message from a person, on any channel."""

    user_id: str
    text: str
    channel: str = "terminal"
    chat_id: str = ""
    received_at: str = field(default_factory=utcnow)
