"""``FallbackClassifier``: turns weak or ambiguous guesses into ``nlu_fallback``.

As in Rasa: below ``threshold``, or when the top two intents are closer than
``ambiguity_threshold``, the intent becomes ``nlu_fallback`` (confidence = threshold) and the
ranking is kept so the dialogue can offer "您是不是想问". Intents whose capability is listed in
``protected_capabilities`` (by default ``urgent``) are never hidden: missing an emergency
costs far more than a false alarm.
"""

from __future__ import annotations

from typing import Any, ClassVar

from bot.errors import ConfigError
from nlu.component import Component, Message
from nlu.registry import register

FALLBACK_INTENT = "nlu_fallback"


@register
class FallbackClassifier(Component):
    """Replaces low-confidence predictions by ``nlu_fallback``."""

    defaults: ClassVar[dict[str, Any]] = {
        "threshold": 0.4,
        "ambiguity_threshold": 0.05,
        "protected_capabilities": ["urgent"],
        # A protected intent is kept above this confidence even when below ``threshold``.
        "protected_threshold": 0.15,
    }

    def __init__(self, config: dict[str, Any], capabilities: dict[str, str] | None = None) -> None:
        super().__init__(config)
        self.capabilities = capabilities or {}

    @classmethod
    def validate_config(cls, params: dict[str, Any], where: str) -> dict[str, Any]:
        merged = super().validate_config(params, where)
        for key in ("threshold", "ambiguity_threshold", "protected_threshold"):
            if not 0.0 <= merged[key] <= 1.0:
                raise ConfigError(f"{where}.{key}: must be between 0 and 1, got {merged[key]}")
        return merged

    def process(self, message: Message) -> None:
        if message.intent is None:
            message.intent, message.confidence, message.fallback = FALLBACK_INTENT, 0.0, True
            return
        protected = self.capabilities.get(message.intent) in self.config["protected_capabilities"]
        if protected and message.confidence >= self.config["protected_threshold"]:
            return
        second = message.ranking[1][1] if len(message.ranking) > 1 else 0.0
        weak = message.confidence < self.config["threshold"]
        ambiguous = message.confidence - second < self.config["ambiguity_threshold"]
        if weak or ambiguous:
            message.intent = FALLBACK_INTENT
            message.confidence = self.config["threshold"]
            message.fallback = True
