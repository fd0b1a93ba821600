"""``ParseResult``: what the NLU says about one message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nlu.training_data import Entity


@dataclass(frozen=True)
class ParseResult:
    """The parse of one message: intent, its capability, confidence, entities and ranking."""

    text: str
    intent: str
    capability: str
    confidence: float
    entities: tuple[Entity, ...] = ()
    ranking: tuple[tuple[str, float, str], ...] = ()  # (intent, confidence, capability)

    @property
    def is_fallback(self) -> bool:
        """True when the NLU was not confident enough to name an intent."""
        from nlu.fallback import FALLBACK_INTENT

        return self.intent == FALLBACK_INTENT

    def entity_values(self, entity: str) -> list[str]:
        """The values of every entity of one type, in text order."""
        return [e.value for e in self.entities if e.entity == entity]

    def as_dict(self) -> dict[str, Any]:
        """The JSON form printed by ``linli ask --json`` and ``--jsonl``."""
        return {
            "text": self.text,
            "intent": self.intent,
            "capability": self.capability,
            "confidence": round(self.confidence, 4),
            "entities": [e.as_dict() for e in self.entities],
            "ranking": [
                {"intent": i, "confidence": round(c, 4), "capability": cap} for i, c, cap in self.ranking
            ],
        }
