"""Load and validate knowledge content files (``knowledge/content/*.yml``).

Problems are reported by file, entry and field: a missing ``source`` or ``reviewed`` date, a
duplicate id, a dangling ``related``/``tutorial`` reference, an unknown kind or intent.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


from bot.errors import KnowledgeBaseError
from bot.yamlio import item_lines, read_optional_yaml, read_yaml
from knowledge.schema import AUDIENCES, KINDS, STATUSES, TOOL_NEEDS, check_asks, check_entry  # noqa: F401 (re-exported)

ASKS_FILE = "asks.yml"  # the kinds of follow-up question and their words, not entries

FIELD_RE = re.compile(r"^\s*(?:-\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*:")


def _field_lines(text: str, first: int) -> dict[str, int]:
    """The line of each top-level key of the entry that starts at line ``first`` (1-based)."""
    lines = text.splitlines()
    out: dict[str, int] = {}
    if not 0 < first <= len(lines):
        return out
    indent = len(lines[first - 1]) - len(lines[first - 1].lstrip(" -"))
    for n in range(first, len(lines) + 1):
        line = lines[n - 1]
        stripped = line.lstrip(" ")
        if n > first and stripped.startswith("- ") and len(line) - len(stripped) < indent:
            break  # the next entry
        m = FIELD_RE.match(line)
        if m and len(line) - len(line.lstrip(" -")) == indent:
            out.setdefault(m.group(1), n)
    return out

REQUIRED = {
    "policy": ("title", "summary", "how", "caveat"),
    "marketing": ("title", "tips"),
    "tool": ("title", "name", "need", "free", "reason", "howto"),
    "hotline": ("title", "number", "use"),
    "platform": ("title", "name", "state", "summary"),
}


@dataclass(frozen=True)
class Entry:
    """One knowledge entry as written in a content file."""

    id: str
    kind: str
    title: str
    intents: tuple[str, ...]
    audience: str
    source: str
    reviewed: str
    data: dict[str, Any] = field(default_factory=dict)
    where: str = ""

    def get(self, key: str, default: Any = None) -> Any:
        """A kind-specific field."""
        return self.data.get(key, default)


def read_content(directory: Path, errors: list[str]) -> list[Entry]:
    """Every entry in the YAML files under ``directory`` (problems go to ``errors``)."""
    entries: list[Entry] = []
    files = sorted(p for p in directory.rglob("*") if p.suffix in (".yml", ".yaml") and p.name != ASKS_FILE)
    for path in files:
        read = read_yaml(path, errors)
        if read is None:
            continue
        text, doc = read
        if not isinstance(doc, dict) or not isinstance(doc.get("entries"), list):
            errors.append(f"{path}:1: a content file needs a list under 'entries'")
            continue
        _, lines = item_lines(text, "entries")
        for i, raw in enumerate(doc["entries"]):
            where = f"{path}:{lines[i] if i < len(lines) else '?'}"
            if not isinstance(raw, dict):
                errors.append(f"{where}: entry {i + 1} must be a mapping")
                continue
            eid = raw.get("id")
            if not isinstance(eid, str) or not eid:
                errors.append(f"{where}: entry {i + 1}: missing field 'id'")
                continue
            kind = raw.get("kind")
            if kind not in KINDS:
                errors.append(f"{where}: entry '{eid}': field 'kind' must be one of {', '.join(KINDS)}, got {kind!r}")
                continue
            # The schema (knowledge/schema.py, pydantic): required fields, types, dates, choices, unknown keys.
            first = lines[i] if i < len(lines) else 0
            keys = _field_lines(text, first) if first else {}
            for problem in check_entry(raw):
                named = re.search(r"field '([A-Za-z_]+)", problem)
                line = keys.get(named.group(1)) if named else None
                errors.append(f"{path}:{line or first or '?'}: entry '{eid}': {problem}")
            where = f"{where}: entry '{eid}'"
            reviewed = raw.get("reviewed")
            if isinstance(reviewed, (dt.date, dt.datetime)):
                reviewed = reviewed.isoformat()[:10]
            audience = raw.get("audience", "any")
            intents = raw.get("intents") or []
            if isinstance(intents, str):
                intents = [intents]
            data = {k: v for k, v in raw.items() if k not in ("id", "kind", "title", "intents", "audience", "source", "reviewed")}
            entries.append(
                Entry(eid, kind, str(raw.get("title") or ""), tuple(intents), audience,
                      str(raw.get("source") or ""), str(reviewed or ""), data, where)
            )
    return entries


def read_asks(directory: Path, errors: list[str]) -> dict[str, list[str]]:
    """The follow-up kinds of ``asks.yml`` in ``directory`` (kind -> cue words); {} when there is none."""
    path = directory / ASKS_FILE
    read = read_optional_yaml(path, errors)
    if read is None:
        return {}
    _, doc = read
    problems = check_asks(doc)
    errors += [f"{path}: {p}" for p in problems]
    return {} if problems else {str(k): [str(c) for c in v] for k, v in doc["asks"].items()}


def validate_entries(
    entries: list[Entry], known_intents: set[str] | None = None, known_flows: set[str] | None = None,
    asks: dict[str, list[str]] | None = None,
) -> list[str]:
    """Cross-entry checks: duplicate ids, dangling references, unknown intents, unknown follow-up kinds."""
    errors: list[str] = []
    seen: dict[str, Entry] = {}
    for e in entries:
        if e.id in seen:
            errors.append(f"{e.where}: duplicate id (first defined at {seen[e.id].where})")
        seen.setdefault(e.id, e)
    for e in entries:
        for ref in e.get("related") or []:
            if ref not in seen:
                errors.append(f"{e.where}: field 'related' names unknown entry '{ref}'")
        tutorial = e.get("tutorial")
        if tutorial and known_flows is not None and tutorial not in known_flows:
            errors.append(f"{e.where}: field 'tutorial' names unknown flow '{tutorial}'")
        for i, q in enumerate((e.get("topic") or {}).get("questions") or []):
            kind = q.get("ask") if isinstance(q, dict) else None
            if kind and asks is not None and kind not in asks:
                errors.append(f"{e.where}: field 'topic.questions.{i}.ask' names unknown kind '{kind}' "
                              f"(kinds in {ASKS_FILE}: {', '.join(sorted(asks)) or 'none'})")
        if known_intents is not None:
            for intent in e.intents:
                if intent not in known_intents:
                    errors.append(f"{e.where}: field 'intents' names unknown intent '{intent}'")
    return errors


def load_entries(
    directory: Path, known_intents: set[str] | None = None, known_flows: set[str] | None = None
) -> list[Entry]:
    """Read and validate all content; raise one KnowledgeBaseError listing every problem."""
    if not directory.is_dir():
        raise KnowledgeBaseError(f"knowledge content directory not found: {directory}")
    errors: list[str] = []
    entries = read_content(directory, errors)
    errors += validate_entries(entries, known_intents, known_flows, read_asks(directory, errors))
    if errors:
        raise KnowledgeBaseError(f"{len(errors)} problem(s) in knowledge content:\n  " + "\n  ".join(errors), errors)
    return entries
