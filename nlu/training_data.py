"""Read and write NLU training data in Rasa 3.x YAML.

The reader works in two passes, like Rasa's ``RasaYAMLReader``: a structural check that
raises ``TrainingDataError`` naming the file and line, then a lenient parse whose warnings
name the file and block and say what is skipped.

Supported: ``version``, ``nlu:`` with ``intent`` (+ ``metadata``, ``examples`` as a block
string or a list of ``{text: ...}``), ``synonym``, ``lookup`` and ``regex`` blocks; entity
annotations ``[text](entity)``, ``[text](entity:value)`` and ``[text]{"entity": ..., "value": ...}``.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

from bot import yamlio
from bot.errors import TrainingDataError

logger = logging.getLogger(__name__)

CAPABILITIES = (
    "teach",
    "marketing",
    "policy",
    "tool",
    "handoff",
    "urgent",
    "privacy",
    "smalltalk",
    "reminder",
    "staff",
    "out_of_scope",
)
KEY_VERSION = "version"
KEY_NLU = "nlu"
KEY_INTENT = "intent"
KEY_SYNONYM = "synonym"
KEY_LOOKUP = "lookup"
KEY_REGEX = "regex"
KEY_EXAMPLES = "examples"
KEY_METADATA = "metadata"
KEY_CAPABILITY = "capability"
BLOCK_KEYS = (KEY_INTENT, KEY_SYNONYM, KEY_LOOKUP, KEY_REGEX)
IGNORED_TOP_LEVEL = ("responses", "stories", "rules", "domain", "intents", "entities", "slots", "forms", "actions")

ENTITY_RE = re.compile(
    r"\[(?P<text>[^\]\[]+?)\]"
    r"(?:\((?P<entity>[^:()\[\]]+?)(?::(?P<value>[^()]+?))?\)|(?P<json>\{[^{}]*\}))"
)


@dataclass(frozen=True)
class Entity:
    """An entity span in an example or a parse: character offsets into the plain text."""

    entity: str
    value: str
    start: int
    end: int
    text: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The JSON form used in parse results."""
        return {"entity": self.entity, "value": self.value, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class Example:
    """One training sentence with its intent and entity annotations."""

    text: str
    intent: str
    entities: tuple[Entity, ...] = ()
    source: str = ""
    line: int = 0

    def annotated(self) -> str:
        """The example in Rasa's annotated form, ``[text](entity)``."""
        out, pos = [], 0
        for e in sorted(self.entities, key=lambda e: e.start):
            out.append(self.text[pos : e.start])
            span = self.text[e.start : e.end]
            if e.value != span:
                out.append(f'[{span}]{{"entity": "{e.entity}", "value": "{e.value}"}}')
            else:
                out.append(f"[{span}]({e.entity})")
            pos = e.end
        out.append(self.text[pos:])
        return "".join(out)


@dataclass
class TrainingData:
    """Everything read from one or more Rasa NLU YAML files."""

    examples: list[Example] = field(default_factory=list)
    intent_metadata: dict[str, dict[str, Any]] = field(default_factory=dict)
    synonyms: dict[str, str] = field(default_factory=dict)  # variant -> canonical value
    lookups: dict[str, list[str]] = field(default_factory=dict)
    regexes: dict[str, list[str]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    @property
    def intents(self) -> list[str]:
        """Intent names in a stable order."""
        return sorted({e.intent for e in self.examples} | set(self.intent_metadata))

    def capability(self, intent: str) -> str:
        """The capability an intent declared in its metadata."""
        return str(self.intent_metadata.get(intent, {}).get(KEY_CAPABILITY, "out_of_scope"))

    def capabilities(self) -> dict[str, str]:
        """Intent -> capability for every intent."""
        return {i: self.capability(i) for i in self.intents}

    def entity_names(self) -> list[str]:
        """Every entity type seen in annotations, lookups or regexes."""
        names = {e.entity for ex in self.examples for e in ex.entities}
        return sorted(names | set(self.lookups) | set(self.regexes))

    def counts(self) -> Counter[str]:
        """Examples per intent."""
        return Counter(e.intent for e in self.examples)

    def merge(self, other: TrainingData) -> None:
        """Add another file's data to this one, rejecting conflicting capabilities."""
        for intent, meta in other.intent_metadata.items():
            mine = self.intent_metadata.get(intent)
            if mine and mine.get(KEY_CAPABILITY) != meta.get(KEY_CAPABILITY):
                raise TrainingDataError(
                    f"intent '{intent}' has capability '{mine.get(KEY_CAPABILITY)}' in one file and "
                    f"'{meta.get(KEY_CAPABILITY)}' in {other.files[0] if other.files else 'another'}"
                )
            self.intent_metadata.setdefault(intent, {}).update(meta)
        self.examples.extend(other.examples)
        self.synonyms.update(other.synonyms)
        for k, v in other.lookups.items():
            self.lookups.setdefault(k, []).extend(x for x in v if x not in self.lookups.get(k, []))
        for k, v in other.regexes.items():
            self.regexes.setdefault(k, []).extend(v)
        self.files.extend(other.files)


def parse_annotated(text: str, intent: str = "", source: str = "", line: int = 0) -> Example:
    """Turn ``教我用[多多买菜](platform)`` into plain text plus entity spans."""
    plain: list[str] = []
    entities: list[Entity] = []
    pos = 0
    offset = 0
    for m in ENTITY_RE.finditer(text):
        before = text[pos : m.start()]
        plain.append(before)
        offset += len(before)
        span = m.group("text")
        if m.group("json"):
            try:
                spec = json.loads(m.group("json"))
            except json.JSONDecodeError:
                raise TrainingDataError(
                    f"{source}:{line}: entity annotation {m.group(0)!r} has invalid JSON"
                ) from None
            if not isinstance(spec, dict) or "entity" not in spec:
                raise TrainingDataError(f"{source}:{line}: entity annotation {m.group(0)!r} needs an 'entity' key")
            name, value = str(spec["entity"]), str(spec.get("value", span))
        else:
            name, value = m.group("entity").strip(), (m.group("value") or span).strip()
        entities.append(Entity(entity=name, value=value, start=offset, end=offset + len(span), text=span))
        plain.append(span)
        offset += len(span)
        pos = m.end()
    plain.append(text[pos:])
    return Example(text="".join(plain), intent=intent, entities=tuple(entities), source=source, line=line)


def _block_lines(text: str) -> list[tuple[int, int]]:
    """For each block in ``nlu:``: its 1-based line and the line of its first example."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return []
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if key.value == KEY_NLU and isinstance(value, yaml.SequenceNode):
            out = []
            for item in value.value:
                first = item.start_mark.line + 1
                if isinstance(item, yaml.MappingNode):
                    for k, v in item.value:
                        if k.value == KEY_EXAMPLES:
                            # A block scalar's content starts on the line after its "|" indicator.
                            block = isinstance(v, yaml.ScalarNode) and v.style in ("|", ">")
                            first = v.start_mark.line + (2 if block else 1)
                out.append((item.start_mark.line + 1, first))
            return out
    return []


def _example_lines(raw: Any) -> list[tuple[str, int]]:
    """The examples of a block with their line offset inside the block."""
    if isinstance(raw, str):
        out = []
        for i, line in enumerate(raw.splitlines()):
            stripped = line.strip()
            if not stripped:
                continue
            if stripped.startswith("- "):
                stripped = stripped[2:].strip()
            elif stripped == "-":
                continue
            out.append((stripped, i + 1))
        return out
    if isinstance(raw, list):
        out = []
        for i, item in enumerate(raw):
            if isinstance(item, dict) and "text" in item:
                out.append((str(item["text"]).strip(), i + 1))
            elif isinstance(item, str):
                out.append((item.strip(), i + 1))
        return out
    return []


def read_yaml(path: Path) -> tuple[Any, str]:
    """A YAML file's document and text; errors name the file (and the line for bad YAML)."""
    errors: list[str] = []
    got = yamlio.read_yaml(path, errors)
    if got is None:
        raise TrainingDataError(errors[0])
    text, doc = got
    return doc, text


def _warn(message: str) -> None:
    logger.warning("%s", message)


def read_blocks(
    path: Path,
    text: str,
    blocks: Any,
    require_capability: bool = True,
    rewrite: Callable[[str, str], str] | None = None,
    warn: Callable[[str], None] = _warn,
) -> TrainingData:
    """The ``nlu:`` blocks of one file (``text`` gives the line numbers for errors).

    ``require_capability=False`` reads Rasa data whose intents have no capability yet
    (``linli nlu import-rasa``); ``rewrite(example, where)`` may change an example's text
    before it is parsed; ``warn`` receives the warnings.
    """
    if not isinstance(blocks, list):
        raise TrainingDataError(f"{path}: 'nlu' must be a list of blocks")
    data = TrainingData(files=[path])
    lines = _block_lines(text)
    for i, block in enumerate(blocks):
        line, first = lines[i] if i < len(lines) else (0, 0)
        where = f"{path}:{line}"
        if not isinstance(block, dict):
            raise TrainingDataError(f"{where}: each item under 'nlu' must be a mapping (intent/synonym/lookup/regex)")
        kinds = [k for k in BLOCK_KEYS if k in block]
        if len(kinds) != 1:
            raise TrainingDataError(
                f"{where}: a block needs exactly one of {', '.join(BLOCK_KEYS)}; found keys {sorted(block)}"
            )
        kind = kinds[0]
        name = str(block[kind]).strip()
        if not name:
            raise TrainingDataError(f"{where}: '{kind}' has an empty name")
        items = _example_lines(block.get(KEY_EXAMPLES))
        if not items:
            warn(f"{where}: {kind} '{name}' has no examples; skipped")
            continue
        if kind == KEY_INTENT:
            meta = block.get(KEY_METADATA) or {}
            if not isinstance(meta, dict):
                raise TrainingDataError(f"{where}: metadata of intent '{name}' must be a mapping")
            cap = meta.get(KEY_CAPABILITY)
            if require_capability and cap not in CAPABILITIES:
                raise TrainingDataError(
                    f"{where}: intent '{name}' needs metadata.capability, one of {', '.join(CAPABILITIES)} "
                    f"(got {cap!r})"
                )
            prev = data.intent_metadata.get(name)
            if require_capability and prev and prev.get(KEY_CAPABILITY) != cap:
                raise TrainingDataError(f"{where}: intent '{name}' declared again with another capability")
            data.intent_metadata.setdefault(name, {}).update(meta)
            for ex_text, off in items:
                if not ex_text:
                    continue
                ex_line = first + off - 1
                if rewrite is not None:
                    ex_text = rewrite(ex_text, f"{path}:{ex_line}")
                data.examples.append(parse_annotated(ex_text, name, str(path), ex_line))
        elif kind == KEY_SYNONYM:
            for variant, _ in items:
                data.synonyms[variant] = name
        elif kind == KEY_LOOKUP:
            data.lookups.setdefault(name, []).extend(v for v, _ in items if v)
        else:
            for pattern, off in items:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise TrainingDataError(f"{path}:{first + off - 1}: regex '{name}' is invalid: {exc}") from None
                data.regexes.setdefault(name, []).append(pattern)
    # Annotations with a value different from their text are synonyms too (as in Rasa).
    for ex in data.examples:
        for ent in ex.entities:
            if ent.value != ent.text:
                data.synonyms.setdefault(ent.text, ent.value)
    return data


def read_file(path: Path) -> TrainingData:
    """Read one Rasa NLU YAML file."""
    doc, text = read_yaml(path)
    if doc is None:
        return TrainingData(files=[path])
    if not isinstance(doc, dict):
        raise TrainingDataError(f"{path}: the top level must be a mapping with 'version' and 'nlu'")
    for key in doc:
        if key not in (KEY_VERSION, KEY_NLU) and key not in IGNORED_TOP_LEVEL:
            raise TrainingDataError(f"{path}: unknown top-level key '{key}' (expected 'version' and 'nlu')")
    version = doc.get(KEY_VERSION)
    if version is not None and not str(version).startswith(("2.", "3.")):
        logger.warning("%s: version %r is not a Rasa 3.x training data version; reading it anyway", path, version)
    return read_blocks(path, text, doc.get(KEY_NLU) or [])


def yaml_files(path: Path) -> list[Path]:
    """The YAML files under a path (a file or a directory, searched recursively)."""
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())


def load_training_data(path: str | Path) -> TrainingData:
    """Read a file or every YAML file in a directory into one ``TrainingData``."""
    path = Path(path)
    if not path.exists():
        raise TrainingDataError(f"training data not found: {path}")
    files = yaml_files(path)
    if not files:
        raise TrainingDataError(f"{path}: no .yml/.yaml training data files")
    data = TrainingData()
    for f in files:
        data.merge(read_file(f))
    seen: dict[str, Example] = {}
    for ex in data.examples:
        other = seen.get(ex.text)
        if other is not None and other.intent != ex.intent:
            logger.warning(
                "%s:%s: example %r is also labelled '%s' at %s:%s",
                ex.source, ex.line, ex.text, other.intent, other.source, other.line,
            )
        seen.setdefault(ex.text, ex)
    return data


def _block(lines: list[str], items: Iterable[str]) -> None:
    for item in items:
        lines.append(f"    - {item}")


def to_yaml(data: TrainingData) -> str:
    """Write training data as Rasa 3.x NLU YAML (the format Rasa trains on)."""
    lines = ['version: "3.1"', "nlu:"]
    by_intent: dict[str, list[Example]] = {}
    for ex in data.examples:
        by_intent.setdefault(ex.intent, []).append(ex)
    for intent in data.intents:
        lines.append(f"- intent: {intent}")
        meta = data.intent_metadata.get(intent)
        if meta:
            lines.append("  metadata:")
            for k, v in meta.items():
                lines.append(f"    {k}: {json.dumps(v, ensure_ascii=False)}")
        lines.append("  examples: |")
        _block(lines, (ex.annotated() for ex in by_intent.get(intent, [])))
    canon: dict[str, list[str]] = {}
    for variant, value in data.synonyms.items():
        canon.setdefault(value, []).append(variant)
    for value, variants in canon.items():
        lines.append(f"- synonym: {json.dumps(value, ensure_ascii=False)}")
        lines.append("  examples: |")
        _block(lines, variants)
    for name, values in data.lookups.items():
        lines.append(f"- lookup: {name}")
        lines.append("  examples: |")
        _block(lines, values)
    for name, patterns in data.regexes.items():
        lines.append(f"- regex: {name}")
        lines.append("  examples: |")
        _block(lines, patterns)
    return "\n".join(lines) + "\n"
