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
from bot.yamlio import item_lines, read_yaml

KINDS = ("policy", "marketing", "tool", "hotline", "platform")
AUDIENCES = ("resident", "merchant", "social_worker", "any")
STATUSES = ("verified", "partly_verified")
TOOL_NEEDS = ("design", "video", "live", "data", "crm", "forms", "minishop", "copywriting")
REQUIRED = {
    "policy": ("title", "summary", "how", "caveat"),
    "marketing": ("title", "tips"),
    "tool": ("title", "name", "need", "free", "reason", "howto"),
    "hotline": ("title", "number", "use"),
    "platform": ("title", "name", "state", "summary"),
}
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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
    files = sorted(p for p in directory.rglob("*") if p.suffix in (".yml", ".yaml"))
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
            where = f"{where}: entry '{eid}'"
            kind = raw.get("kind")
            if kind not in KINDS:
                errors.append(f"{where}: field 'kind' must be one of {', '.join(KINDS)}, got {kind!r}")
                continue
            for key in ("source",):
                if not str(raw.get(key) or "").strip():
                    errors.append(f"{where}: missing field '{key}'")
            reviewed = raw.get("reviewed")
            if isinstance(reviewed, (dt.date, dt.datetime)):
                reviewed = reviewed.isoformat()[:10]
            if not reviewed or not DATE_RE.match(str(reviewed)):
                errors.append(f"{where}: field 'reviewed' must be a date YYYY-MM-DD, got {reviewed!r}")
            for key in REQUIRED[kind]:
                if raw.get(key) in (None, "", []):
                    errors.append(f"{where}: missing field '{key}' (required for kind {kind})")
            audience = raw.get("audience", "any")
            if audience not in AUDIENCES:
                errors.append(f"{where}: field 'audience' must be one of {', '.join(AUDIENCES)}")
            if kind == "tool" and raw.get("need") not in TOOL_NEEDS:
                errors.append(f"{where}: field 'need' must be one of {', '.join(TOOL_NEEDS)}")
            status = raw.get("status")
            if status is not None and status not in STATUSES + ("unverified",):
                errors.append(f"{where}: field 'status' must be one of {', '.join(STATUSES)}")
            intents = raw.get("intents") or []
            if isinstance(intents, str):
                intents = [intents]
            data = {k: v for k, v in raw.items() if k not in ("id", "kind", "title", "intents", "audience", "source", "reviewed")}
            entries.append(
                Entry(eid, kind, str(raw.get("title") or ""), tuple(intents), audience,
                      str(raw.get("source") or ""), str(reviewed or ""), data, where)
            )
    return entries


def validate_entries(
    entries: list[Entry], known_intents: set[str] | None = None, known_flows: set[str] | None = None
) -> list[str]:
    """Cross-entry checks: duplicate ids, dangling references, unknown intents."""
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
    errors += validate_entries(entries, known_intents, known_flows)
    if errors:
        raise KnowledgeBaseError(f"{len(errors)} problem(s) in knowledge content:\n  " + "\n  ".join(errors), errors)
    return entries
