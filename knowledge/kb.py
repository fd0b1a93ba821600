"""The knowledge base: content entries and tutorials in SQLite, searchable in Chinese.

SQLite's FTS5 tokenizers do not split Chinese (unicode61 keeps a run of Chinese characters
as one token; trigram cannot match two-character words), so we index jieba-segmented text
(search mode, which also emits the shorter words inside long ones) and segment queries the
same way.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import sqlite_utils

from bot.config import PROJECT_ROOT
from bot.errors import KnowledgeBaseError
from dialogues.schema import Flow
from knowledge.importer import Entry, load_entries, read_asks

logger = logging.getLogger(__name__)

ENTRIES = "kb_entries"
META = "kb_meta"
DICTIONARY_DIR = PROJECT_ROOT / "nlu" / "dictionaries"


@lru_cache(maxsize=1)
def _segmenter() -> Any:
    from nlu.tokenizer import jieba_main_dictionary, make_segmenter, read_dictionary

    return make_segmenter(jieba_main_dictionary(10), read_dictionary(DICTIONARY_DIR))


def segment(text: str) -> list[str]:
    """Search-mode jieba words of the normalised text, punctuation dropped."""
    from nlu.featurizers import content_chars
    from nlu.normalize import normalize

    words = _segmenter().lcut_for_search(normalize(text))
    return [w for w in (content_chars(w) for w in words) if w]


@dataclass(frozen=True)
class Hit:
    """A search result: an entry (or tutorial) id, its kind and title, and a score (higher is better)."""

    id: str
    kind: str
    title: str
    score: float


def _entry_text(e: Entry) -> str:
    parts = [e.title, " ".join(map(str, e.get("keywords") or []))]
    for key in ("summary", "difficulty", "name", "use", "reason", "issuer"):
        if e.get(key):
            parts.append(str(e.get(key)))
    for key in ("points", "tips"):
        for item in e.get(key) or []:
            parts.append(item["text"] if isinstance(item, dict) else str(item))
    return " ".join(parts)


def _flow_text(f: Flow) -> str:
    return " ".join([f.title, f.intro, *(s.text for s in f.steps)])


def fingerprint(entries: Iterable[Entry], flows: Iterable[Flow], asks: dict[str, list[str]] | None = None) -> str:
    """Hash of the content, so the tables are rebuilt only when it changed."""
    h = hashlib.sha256()
    h.update(json.dumps(asks or {}, ensure_ascii=False, sort_keys=True).encode())
    for e in entries:
        h.update(json.dumps([e.id, e.kind, e.title, e.intents, e.data, e.source, e.reviewed], default=str,
                            ensure_ascii=False).encode())
    for f in flows:
        h.update(json.dumps([f.id, f.title, f.intro, [s.text for s in f.steps]], ensure_ascii=False).encode())
    return h.hexdigest()[:16]


class KnowledgeBase:
    """Entries by id and intent, and Chinese full-text search over entries and tutorials."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self._cache: dict[str, dict[str, Any]] = {}
        self._asks: dict[str, list[str]] | None = None

    def build(self, entries: list[Entry], flows: dict[str, Flow] | None = None, force: bool = False,
              asks: dict[str, list[str]] | None = None) -> bool:
        """Load entries (and tutorial flows, and the follow-up kinds) into SQLite; skipped when unchanged."""
        flows = flows or {}
        fp = fingerprint(entries, flows.values(), asks)
        if not force and self.db[META].exists():
            row = self.db.execute(f"SELECT value FROM {META} WHERE key = 'fingerprint'").fetchone()
            if row and row[0] == fp:
                return False
        rows = [
            {
                "id": e.id, "kind": e.kind, "title": e.title, "audience": e.audience,
                "intents": json.dumps(list(e.intents)), "data": json.dumps(e.data, ensure_ascii=False, default=str),
                "source": e.source, "reviewed": e.reviewed, "search_text": " ".join(segment(_entry_text(e))),
            }
            for e in entries
        ]
        rows += [
            {
                "id": f.id, "kind": "tutorial", "title": f.title, "audience": f.audience,
                "intents": json.dumps(list(f.intents)), "data": json.dumps({"when": f.when}, ensure_ascii=False),
                "source": f.source, "reviewed": f.reviewed, "search_text": " ".join(segment(_flow_text(f))),
            }
            for f in flows.values()
            if f.kind == "tutorial"
        ]
        with self.db.atomic():
            if self.db[ENTRIES].exists():
                self.db[ENTRIES].drop()
            for t in self.db.table_names():
                if t.startswith(ENTRIES + "_fts"):
                    self.db[t].drop(ignore=True)
            self.db[ENTRIES].insert_all(rows, pk="id")
            self.db[ENTRIES].enable_fts(["title", "search_text"], fts_version="FTS5", create_triggers=False)
            self.db[META].upsert({"key": "fingerprint", "value": fp}, pk="key")
            self.db[META].upsert({"key": "asks", "value": json.dumps(asks or {}, ensure_ascii=False)}, pk="key")
        self._cache.clear()
        self._asks = None
        logger.info("knowledge base built: %d entries", len(rows))
        return True

    def get(self, entry_id: str) -> dict[str, Any] | None:
        """One entry (or tutorial) by id, with its fields decoded."""
        if entry_id in self._cache:
            return self._cache[entry_id]
        try:
            row = self.db.execute(f"SELECT * FROM {ENTRIES} WHERE id = ?", [entry_id]).fetchone()
        except Exception as exc:
            raise KnowledgeBaseError(f"knowledge tables unreadable ({exc}); run `linli knowledge build`") from None
        if row is None:
            return None
        cols = [d[0] for d in self.db.execute(f"SELECT * FROM {ENTRIES} LIMIT 0").description]
        rec = dict(zip(cols, row))
        rec["intents"] = json.loads(rec["intents"])
        rec.update(json.loads(rec.pop("data")))
        self._cache[entry_id] = rec
        return rec

    def asks(self) -> dict[str, list[str]]:
        """The kinds of follow-up question (where, documents, amount …) and their cue words (asks.yml)."""
        if self._asks is None:
            row = None
            if self.db[META].exists():
                row = self.db.execute(f"SELECT value FROM {META} WHERE key = 'asks'").fetchone()
            self._asks = json.loads(row[0]) if row else {}
        return self._asks

    def by_intent(self, intent: str, kind: str | None = None) -> list[dict[str, Any]]:
        """Entries that answer an intent, in file order."""
        sql = f"SELECT id FROM {ENTRIES} WHERE EXISTS (SELECT 1 FROM json_each(intents) WHERE value = ?)"
        args: list[Any] = [intent]
        if kind:
            sql += " AND kind = ?"
            args.append(kind)
        return [e for e in (self.get(r[0]) for r in self.db.execute(sql + " ORDER BY rowid", args)) if e]

    def by_kind(self, kind: str) -> list[dict[str, Any]]:
        """Every entry of one kind, in file order."""
        rows = self.db.execute(f"SELECT id FROM {ENTRIES} WHERE kind = ? ORDER BY rowid", [kind])
        return [e for e in (self.get(r[0]) for r in rows) if e]

    def search(self, question: str, limit: int = 5, kinds: tuple[str, ...] = ()) -> list[Hit]:
        """Best matches for a question (bm25 over jieba-segmented text)."""
        words = list(dict.fromkeys(segment(question)))
        if not words:
            return []
        query = " OR ".join('"' + w.replace('"', "") + '"' for w in words[:32])
        sql = (
            f"SELECT e.id, e.kind, e.title, bm25({ENTRIES}_fts) AS rank FROM {ENTRIES}_fts "
            f"JOIN {ENTRIES} e ON e.rowid = {ENTRIES}_fts.rowid WHERE {ENTRIES}_fts MATCH ?"
        )
        args: list[Any] = [query]
        if kinds:
            sql += f" AND e.kind IN ({','.join('?' * len(kinds))})"
            args += list(kinds)
        sql += " ORDER BY rank LIMIT ?"
        args.append(limit)
        try:
            rows = self.db.execute(sql, args).fetchall()
        except Exception as exc:
            raise KnowledgeBaseError(f"knowledge search failed ({exc}); run `linli knowledge build`") from None
        return [Hit(r[0], r[1], r[2], -float(r[3])) for r in rows]

    def counts(self) -> dict[str, int]:
        """Entries per kind."""
        return {k: n for k, n in self.db.execute(f"SELECT kind, COUNT(*) FROM {ENTRIES} GROUP BY kind")}


def build_knowledge(
    db: sqlite_utils.Database,
    content_dir: Path,
    flows: dict[str, Flow] | None = None,
    known_intents: set[str] | None = None,
    force: bool = False,
) -> KnowledgeBase:
    """Validate the content, (re)build the tables if it changed, and return the knowledge base."""
    entries = load_entries(content_dir, known_intents, set(flows or {}))
    kb = KnowledgeBase(db)
    kb.build(entries, flows, force=force, asks=read_asks(content_dir, []))
    return kb
