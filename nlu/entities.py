"""Entity extraction from lookup tables, annotated examples and regexes, plus synonym mapping.

Named like their Rasa counterparts (``RegexEntityExtractor``, ``EntitySynonymMapper``) so a
Rasa user recognises the pipeline. Matching runs on the normalised text (simplified,
lower-case), so 叮咚買菜 is found as 叮咚买菜; offsets point into the original text.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, ClassVar

from bot.errors import ModelError
from nlu.component import Component, Message
from nlu.normalize import normalize
from nlu.registry import register
from nlu.training_data import Entity, TrainingData

PATTERNS_FILE = "patterns.json"
SYNONYMS_FILE = "synonyms.json"


# An amount followed by a counting word counts things, not money (两百多单, 三五百斤, 十几个人): an
# annotated value such as 两百 (花两百) matches anywhere, so the word after it decides.
COUNTED_RE = re.compile(r"\s*多?(单|个|件|份|斤|公斤|人|次|条|箱|盒|袋|瓶|号|天|年|岁|米|台|家|户|位|场|期|样|回|遍|趟|颗|只|棵)")


@register
class RegexEntityExtractor(Component):
    """Finds entities by lookup-table values, annotated texts and regular expressions (longest match wins)."""

    defaults: ClassVar[dict[str, Any]] = {
        "use_lookup_tables": True,
        "use_regexes": True,
        # Also match every text annotated as an entity in the training examples.
        "use_annotations": True,
        "max_chars": 2000,
    }
    trainable: ClassVar[bool] = True

    def __init__(self, config: dict[str, Any], patterns: dict[str, dict[str, list[str]]] | None = None) -> None:
        super().__init__(config)
        # entity -> {"words": [...], "regexes": [...]}
        self.patterns = patterns or {}
        self._compiled: list[tuple[str, re.Pattern[str]]] = []
        self._canonical: dict[str, str] = {}  # normalised word -> the word as written in the data
        self._compile()

    def _compile(self) -> None:
        self._compiled = []
        for entity, spec in sorted(self.patterns.items()):
            for w in spec.get("words", []):
                self._canonical.setdefault(normalize(w), w)
            words = sorted({normalize(w) for w in spec.get("words", []) if w.strip()}, key=lambda w: (-len(w), w))
            if words:
                self._compiled.append((entity, re.compile("|".join(re.escape(w) for w in words))))
            for rx in spec.get("regexes", []):
                self._compiled.append((entity, re.compile(rx)))

    def train(self, data: TrainingData, messages: list[Message]) -> None:
        patterns: dict[str, dict[str, list[str]]] = {}
        if self.config["use_lookup_tables"]:
            for name, values in data.lookups.items():
                patterns.setdefault(name, {}).setdefault("words", []).extend(values)
        if self.config["use_annotations"]:
            for ex in data.examples:
                for e in ex.entities:
                    patterns.setdefault(e.entity, {}).setdefault("words", []).append(e.text)
        if self.config["use_regexes"]:
            for name, rxs in data.regexes.items():
                patterns.setdefault(name, {}).setdefault("regexes", []).extend(rxs)
        for spec in patterns.values():
            if "words" in spec:
                spec["words"] = sorted(set(spec["words"]))
        self.patterns = patterns
        self._compile()

    def extract(self, message: Message) -> list[Entity]:
        """All non-overlapping matches, longest first, then leftmost."""
        limit = self.config["max_chars"]
        norm = message.norm[:limit]
        found = []
        for entity, rx in self._compiled:
            for m in rx.finditer(norm):
                if m.end() > m.start():
                    found.append((m.start(), m.end(), entity))
        found.sort(key=lambda t: (-(t[1] - t[0]), t[0]))
        taken: list[tuple[int, int]] = []
        out = []
        for start, end, entity in found:
            if any(start < e and s < end for s, e in taken):
                continue
            if entity == "money" and COUNTED_RE.match(norm, end):
                continue  # 两百多单: orders, not yuan
            taken.append((start, end))
            span = message.text[start:end]
            # The value is the form written in the data (叮咚買菜 -> 叮咚买菜); regex hits keep the normalised text.
            value = self._canonical.get(norm[start:end], norm[start:end])
            out.append(Entity(entity=entity, value=value, start=start, end=end, text=span))
        return sorted(out, key=lambda e: e.start)

    def process(self, message: Message) -> None:
        message.entities = message.entities + self.extract(message)

    def persist(self, directory: Path) -> dict[str, Any]:
        (directory / PATTERNS_FILE).write_text(json.dumps(self.patterns, ensure_ascii=False), encoding="utf-8")
        return {}

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path, meta: dict[str, Any], base_dir: Path) -> Component:
        try:
            patterns = json.loads((directory / PATTERNS_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"{directory}: entity patterns are unreadable ({exc})") from None
        return cls(config, patterns)


@register
class EntitySynonymMapper(Component):
    """Replaces an entity's value by its canonical form (拼夕夕 → 拼多多)."""

    defaults: ClassVar[dict[str, Any]] = {}
    trainable: ClassVar[bool] = True

    def __init__(self, config: dict[str, Any], synonyms: dict[str, str] | None = None) -> None:
        super().__init__(config)
        self.synonyms = synonyms or {}

    def train(self, data: TrainingData, messages: list[Message]) -> None:
        self.synonyms = {normalize(k): v for k, v in data.synonyms.items()}

    def process(self, message: Message) -> None:
        mapped = []
        for e in message.entities:
            canonical = self.synonyms.get(normalize(e.value))
            if canonical is None:
                canonical = self.synonyms.get(normalize(e.value).strip())
            mapped.append(
                Entity(e.entity, canonical, e.start, e.end, e.text) if canonical else e
            )
        message.entities = mapped

    def persist(self, directory: Path) -> dict[str, Any]:
        (directory / SYNONYMS_FILE).write_text(json.dumps(self.synonyms, ensure_ascii=False), encoding="utf-8")
        return {}

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path, meta: dict[str, Any], base_dir: Path) -> Component:
        try:
            synonyms = json.loads((directory / SYNONYMS_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"{directory}: synonyms are unreadable ({exc})") from None
        return cls(config, synonyms)
