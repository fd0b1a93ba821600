"""``UrgentRuleDetector``: the rule layer for urgent messages, independent of the classifier.

Scam scripts, self-harm and despair (including indirect wording), medical emergencies,
elder abuse and missing older people are matched by hand-written patterns in
``nlu/urgent_rules.yml``. If the classifier did not already say ``urgent``, a rule hit makes
the message urgent (intent ``urgent_<category>``). Either layer firing is enough: recall
matters more than precision here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, ClassVar

import yaml

from bot.errors import ConfigError, ModelError
from nlu.component import Component, Message
from nlu.registry import register
from nlu.training_data import TrainingData

RULES_FILE = "urgent_rules.json"


def read_rules(path: Path) -> dict[str, dict[str, Any]]:
    """Read and check the rules file; a bad pattern names the category and the pattern."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the urgent rules ({exc})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of categories")
    for cat, spec in raw.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("intent"), str) or not spec.get("patterns"):
            raise ConfigError(f"{path}: category '{cat}' needs 'intent' and a list of 'patterns'")
        for key in ("patterns", "unless"):
            for p in spec.get(key) or []:
                try:
                    re.compile(p)
                except re.error as exc:
                    raise ConfigError(f"{path}: category '{cat}' {key} pattern {p!r} is invalid: {exc}") from None
    return raw


@register
class UrgentRuleDetector(Component):
    """Marks messages urgent when a rule pattern matches, whatever the classifier said."""

    defaults: ClassVar[dict[str, Any]] = {
        "rules_path": "nlu/urgent_rules.yml",
        # The whole message: a cry for help at the end of a long voice-to-text run-on counts too.
        "max_chars": 20000,
    }

    def __init__(self, config: dict[str, Any], rules: dict[str, dict[str, Any]]) -> None:
        super().__init__(config)
        self.rules = rules
        self._compiled = [
            (cat, spec["intent"], re.compile("|".join(f"(?:{p})" for p in spec["patterns"])),
             re.compile("|".join(f"(?:{p})" for p in spec["unless"])) if spec.get("unless") else None)
            for cat, spec in rules.items()
        ]

    @classmethod
    def create(cls, params: dict[str, Any], where: str, base_dir: Path) -> Component:
        config = cls.validate_config(params, where)
        path = Path(config["rules_path"])
        path = path if path.is_absolute() else base_dir / path
        if not path.is_file():
            raise ConfigError(f"{where}.rules_path: no such file: {path}")
        return cls(config, read_rules(path))

    def match(self, text: str) -> tuple[str, str] | None:
        """(category, intent) of the first rule that fires on normalised text, or None."""
        compact = re.sub(r"\s+", "", text[: self.config["max_chars"]])
        for cat, intent, rx, unless in self._compiled:
            if rx.search(compact) and not (unless and unless.search(compact)):
                return cat, intent
        return None

    def train(self, data: TrainingData, messages: list[Message]) -> None:
        """Nothing to learn: the rules are written by hand."""

    def process(self, message: Message) -> None:
        hit = self.match(message.norm)
        if hit is None:
            return
        message.urgent_rule = hit[0]
        if not (message.intent or "").startswith("urgent_"):
            message.intent = hit[1]
            message.confidence = max(message.confidence, 0.9)
            message.fallback = False

    def persist(self, directory: Path) -> dict[str, Any]:
        (directory / RULES_FILE).write_text(json.dumps(self.rules, ensure_ascii=False), encoding="utf-8")
        return {}

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path, meta: dict[str, Any], base_dir: Path) -> Component:
        try:
            rules = json.loads((directory / RULES_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"{directory}: urgent rules are unreadable ({exc})") from None
        return cls(config, rules)
