"""The dialogue manager: the face the engine talks to. Given the saved state and a parse,
``advance`` returns the replies, the new state and the events for the engine.

Pure logic, no I/O: knowledge comes from a ``KnowledgeBase`` object and every side effect
(a help request, a deletion) is returned as an event for the engine to carry out. The work
is done elsewhere in ``dialogues/``: ``state`` (what is remembered), ``understand`` (reading
a message), ``policy`` (which skill answers), ``skills/`` (one module per capability),
``texts`` (what is said). The names below are re-exported for the code and tests that
import them from here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from dialogues import policy
from dialogues.schema import Flow
from dialogues.skills.base import BUTTON_CHARS, Button, button_label, say
from dialogues.skills.privacy import DELETE_SURE, OTHERS_RECORDS_RE
from dialogues.skills.urgent import urgent_text
from dialogues.state import State, new_state, pressed_label, typed_number
from dialogues.turn import Reply, Turn
from dialogues.understand import capability_of, parse_amount, persona_of_intro, question_after_intro, read
from nlu.result import ParseResult

__all__ = [
    "BUTTON_CHARS", "DELETE_SURE", "OTHERS_RECORDS_RE", "DialogueManager", "Reply", "Turn", "button_label",
    "new_state", "parse_amount", "persona_of_intro", "question_after_intro", "read", "typed_number",
]


class DialogueManager:
    """Routes each parse to a tutorial step, a knowledge answer, or a help request."""

    def __init__(self, flows: dict[str, Flow], kb: Any, fallbacks_before_handoff: int = 2,
                 clock: Callable[[], datetime] | None = None, **settings: Any) -> None:
        self.ctx = policy.make_context(flows, kb, fallbacks_before_handoff, clock, **settings)

    @property
    def flows(self) -> dict[str, Flow]:
        """The tutorials, by flow id."""
        return self.ctx.flows

    @property
    def kb(self) -> Any:
        """The knowledge base answers come from."""
        return self.ctx.kb

    @property
    def fallbacks_before_handoff(self) -> int:
        """Misunderstandings in a row before a social worker is offered."""
        return self.ctx.fallbacks_before_handoff

    def advance(self, state: State | None, parse: ParseResult, text: str) -> Turn:
        """Handle one message; never raises for odd input."""
        return policy.advance(self.ctx, state, parse, text)

    pressed_label = staticmethod(pressed_label)

    @staticmethod
    def urgent_text(intent: str) -> str:
        """The first words for an urgent message: what to do now and the hotline."""
        return urgent_text(intent)

    @staticmethod
    def capability_of(intent: str) -> str:
        """The capability an intent belongs to (a forced intent has no parse to say it)."""
        return capability_of(intent)

    _capability_of = capability_of

    @staticmethod
    def _say(turn: Turn, text: str, buttons: tuple[Button, ...] = (), kind: str = "") -> None:
        say(turn, text, buttons, kind)
