"""``UrgentRuleDetector``: the rule layer for urgent messages, independent of the classifier.

Scam scripts, self-harm and despair (including indirect wording), medical emergencies,
elder abuse and missing older people are matched by hand-written patterns in
``nlu/urgent_rules.yml``. A category's ``unless`` patterns cancel it anywhere in the message
(是不是骗局, 怎么防); its ``unless_near`` patterns only within the clauses of the hit (订单找不到了),
so an unrelated word earlier in a long run-on does not cancel a cry for help at its end. If the classifier did not already say ``urgent``, a rule hit makes
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
from nlu.fallback import FALLBACK_INTENT
from nlu.registry import register
from nlu.training_data import TrainingData

RULES_FILE = "urgent_rules.json"
CLAUSE_BREAK = re.compile(r"[\s,，。.!！?？;；、~～…]")


def _clause_bounds(text: str) -> list[tuple[int, int]]:
    """For each character of the whitespace-free text, the (start, end) of its clause in that text.

    Clauses end at spaces and punctuation (a punctuation mark is a clause of its own).
    """
    ids: list[int] = []
    clause = 0
    for c in text:
        if CLAUSE_BREAK.match(c):
            clause += 1
            if not c.isspace():
                ids.append(clause)
                clause += 1
            continue
        ids.append(clause)
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for i, k in enumerate(ids):
        first.setdefault(k, i)
        last[k] = i + 1
    return [(first[k], last[k]) for k in ids]


def _alternatives(patterns: list[str] | None) -> re.Pattern[str] | None:
    """One regex matching any of the patterns, or None for no patterns."""
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


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
        for key in ("patterns", "unless", "unless_near"):
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
        # When a category's pattern matched but its `unless` cancelled it, also overrule the
        # classifier's guess of that category, unless the classifier gives the urgent intents
        # together at least this much (issue 14: false alarms cost trust; 0 turns this off).
        "veto_below": 0.8,
    }

    def __init__(self, config: dict[str, Any], rules: dict[str, dict[str, Any]]) -> None:
        # A model saved before a key existed loads with that key's default.
        super().__init__({**self.defaults, **config})
        self.rules = rules
        self._compiled = [
            (cat, spec["intent"], _alternatives(spec["patterns"]), _alternatives(spec.get("unless")),
             _alternatives(spec.get("unless_near")))
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
        return self._scan(text)[0]

    def _scan(self, text: str) -> tuple[tuple[str, str] | None, set[str]]:
        """The first rule that fires, and the categories whose pattern matched but was cancelled."""
        text = text[: self.config["max_chars"]]
        compact = re.sub(r"\s+", "", text)
        bounds: list[tuple[int, int]] | None = None
        cancelled: set[str] = set()
        for cat, intent, rx, unless, near in self._compiled:
            if unless is not None and unless.search(compact):
                if rx.search(compact):
                    cancelled.add(cat)
                continue
            if near is None:
                if rx.search(compact):
                    return (cat, intent), cancelled
                continue
            # `unless_near` cancels a hit only in the clauses it spans: 想问问怎么申请赔 at the start
            # of a run-on does not cancel 老头子出门到现在还没回家 at its end.
            for m in rx.finditer(compact):
                bounds = bounds or _clause_bounds(text)
                start, end = bounds[m.start()][0], bounds[max(m.start(), m.end() - 1)][1]
                if not near.search(compact[start:end]):
                    return (cat, intent), cancelled
                cancelled.add(cat)
        return None, cancelled

    def match_message(self, message: Message) -> tuple[str, str] | None:
        """(category, intent) of the first rule that fires on the message as typed or on its Mandarin reading."""
        return self._scan_message(message)[0]

    def _scan_message(self, message: Message) -> tuple[tuple[str, str] | None, set[str]]:
        hit, cancelled = self._scan(message.norm)
        if hit is None and message.canon and message.canon != message.norm:
            # The Mandarin reading too: 唔想活 -> 不想活 (nlu/dialect.yml).
            hit, more = self._scan(message.canon)
            cancelled |= more
        return hit, cancelled

    def _category(self, intent: str) -> str | None:
        return next((cat for cat, i, *_ in self._compiled if i == intent), None)

    def train(self, data: TrainingData, messages: list[Message]) -> None:
        """Nothing to learn: the rules are written by hand."""

    def process(self, message: Message) -> None:
        hit, cancelled = self._scan_message(message)
        if hit is None:
            intent = message.intent or ""
            urgent_share = sum(c for i, c in message.ranking if i.startswith("urgent_"))
            if (intent.startswith("urgent_") and self._category(intent) in cancelled
                    and urgent_share < self.config["veto_below"]):
                # A rule saw this message's alarming words and its `unless` said what they mean here
                # (救救我 又点错了): the classifier's guess of the same emergency is a false alarm.
                message.intent, message.fallback = FALLBACK_INTENT, True
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
