"""What one message produces: ``Reply`` (one message back, with buttons) and ``Turn`` (all of it).

Channel-free: the engine turns a ``Turn`` into stored state, tickets and messages; a channel
shows the ``Reply`` objects (``bot.models`` re-exports ``Reply`` for the channels).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reply:
    """One message the bot sends back, with optional quick-reply buttons."""

    text: str
    buttons: tuple[str, ...] = ()
    kind: str = ""  # "feedback": the 👍/👎 question (Telegram shows it with inline buttons)


@dataclass
class Turn:
    """What one message produced: replies, the new state, and events for the engine."""

    replies: list[Reply]
    state: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    intent: str = ""
    capability: str = ""  # the capability that served the turn (the NLU's until a skill says so)
    skill: str = ""  # the skill module that served it ("" until known: ``skills.served`` fills it in)
    rate: dict[str, str] | None = None  # an answer the person may rate (tutorial, policy, tool)
