"""Conversation tests: multi-turn YAML files run through the real engine, scored per turn.

Like ``rasa test`` for stories, but each turn states what the conversation needs, not the
bot's exact words, so a file can be written by someone who has never seen the bot:

.. code:: yaml

    conversations:
    - conversation: a resident asks where the building number goes, mid-tutorial
      kind: tutorial_questions          # free text, used to group the figures
      worker: false                     # true: the user is a registered social worker
      xfail: "why it fails today"       # optional: a known gap (pytest expects the failure)
      turns:
      - user: 俺闺女让俺学手机买菜 用美团
        expect:
          capability: teach             # the capability that served the turn
          skill: tutorial               # optional, once the engine reports it
          mentions_any: [美团, 小象]     # at least one must appear in the replies
          mentions_all: ["120"]         # every one must appear
          not_mentions: [防骗]           # none may appear
          buttons: [下一步]              # labels that must be offered
          handoff: none                 # none | normal | urgent: the person's ticket after the turn
          deleted: false                # whether the person's stored data is gone after the turn
                                        # (after a deletion, the messages written since do not count)

A turn passes when every expectation it states holds; a conversation passes when all its
turns pass. ``run_files`` returns the results; ``linli test conversations`` prints the pass
rates per turn, per conversation and per kind, and writes the failures to a YAML file.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from bot.errors import ConfigError
from bot.models import IncomingMessage

CAPABILITIES = ("teach", "marketing", "policy", "tool", "urgent", "handoff", "privacy", "smalltalk", "staff", "reminder",
                "out_of_scope")
EXPECT_KEYS = {"capability", "skill", "mentions_any", "mentions_all", "not_mentions", "buttons", "handoff",
               "deleted", "intent"}
CONVERSATION_KEYS = {"conversation", "kind", "turns", "worker", "xfail"}


@dataclass
class TurnResult:
    """One turn: what was said, what came back, and which expectations failed."""

    user: str
    replies: list[str]
    capability: str
    intent: str
    skill: str
    handoff: str
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every stated expectation held."""
        return not self.failures


@dataclass
class ConversationResult:
    """One conversation's turns."""

    name: str
    kind: str
    source: str
    xfail: str | None
    turns: list[TurnResult]

    @property
    def passed(self) -> bool:
        """True when every turn passed."""
        return all(t.passed for t in self.turns)


def load_file(path: Path) -> list[dict[str, Any]]:
    """Read and check one conversation file; a problem names the file, conversation and turn."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the conversation file ({exc})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("conversations"), list):
        raise ConfigError(f"{path}: expected a top-level 'conversations:' list")
    out = []
    for i, conv in enumerate(raw["conversations"], start=1):
        where = f"{path}: conversation {i}"
        if not isinstance(conv, dict) or not isinstance(conv.get("turns"), list) or not conv["turns"]:
            raise ConfigError(f"{where}: needs 'conversation' and a non-empty 'turns' list")
        unknown = set(conv) - CONVERSATION_KEYS
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}; known: {sorted(CONVERSATION_KEYS)}")
        for n, turn in enumerate(conv["turns"], start=1):
            if not isinstance(turn, dict) or not isinstance(turn.get("user"), str):
                raise ConfigError(f"{where} ({conv.get('conversation')}), turn {n}: needs a string 'user'")
            expect = turn.get("expect") or {}
            if not isinstance(expect, dict):
                raise ConfigError(f"{where}, turn {n}: 'expect' must be a mapping")
            bad = set(expect) - EXPECT_KEYS
            if bad:
                raise ConfigError(f"{where}, turn {n}: unknown expectation(s) {sorted(bad)}; "
                                  f"known: {sorted(EXPECT_KEYS)}")
            cap = expect.get("capability")
            if cap is not None and cap not in CAPABILITIES:
                raise ConfigError(f"{where}, turn {n}: capability {cap!r} is not one of {', '.join(CAPABILITIES)}")
            if expect.get("handoff") not in (None, "none", "normal", "urgent"):
                raise ConfigError(f"{where}, turn {n}: handoff must be none, normal or urgent")
        out.append({**conv, "source": str(path)})
    return out


def _words(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _user_id(source: str, index: int, name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "-", Path(source).stem)[:20]
    return f"conv:{stem}:{index}"


def check_turn(expect: dict[str, Any], result: TurnResult, deleted: bool) -> list[str]:
    """The expectations that did not hold, each as a short English line."""
    failures = []
    text = "\n".join(result.replies)
    if "capability" in expect and result.capability != expect["capability"]:
        failures.append(f"capability {result.capability}, expected {expect['capability']}")
    if "skill" in expect and result.skill != expect["skill"]:
        failures.append(f"skill {result.skill or '-'}, expected {expect['skill']}")
    if "intent" in expect and result.intent != expect["intent"]:
        failures.append(f"intent {result.intent}, expected {expect['intent']}")
    any_of = _words(expect.get("mentions_any"))
    if any_of and not any(w in text for w in any_of):
        failures.append(f"none of {any_of} in the reply")
    missing = [w for w in _words(expect.get("mentions_all")) if w not in text]
    if missing:
        failures.append(f"{missing} not in the reply")
    present = [w for w in _words(expect.get("not_mentions")) if w in text]
    if present:
        failures.append(f"{present} should not be in the reply")
    if "handoff" in expect and result.handoff != expect["handoff"]:
        failures.append(f"hand-off {result.handoff}, expected {expect['handoff']}")
    if "deleted" in expect and bool(expect["deleted"]) != deleted:
        failures.append("data deleted" if deleted else "data not deleted")
    return failures


def run_conversation(engine: Any, conv: dict[str, Any], index: int) -> ConversationResult:
    """Play one conversation on ``engine`` as a new user and score every turn."""
    user = _user_id(conv["source"], index, conv.get("conversation", ""))
    if conv.get("worker") or conv.get("kind") == "social_worker":
        engine.handoff.add_worker(user, "测试社工")
    turns = []
    erased = False  # a turn left nothing stored: what is written afterwards is new, the old data is gone
    for turn in conv["turns"]:
        expect = turn.get("expect") or {}
        out = engine.handle(IncomingMessage(user_id=user, text=turn["user"], channel="test"))
        ticket = engine.handoff.active(user)
        result = TurnResult(
            user=turn["user"], replies=[r.text for r in out.replies], capability=out.capability,
            intent=out.intent, skill=str(getattr(out, "skill", "") or ""),
            handoff=ticket.priority if ticket is not None else "none",
        )
        stored = engine.store.db.execute("SELECT COUNT(*) FROM transcript WHERE user_id = ?", [user]).fetchone()[0]
        erased = erased or stored == 0
        result.failures = check_turn(expect, result, deleted=erased)
        labels = [b for r in out.replies for b in r.buttons]
        missing = [b for b in _words(expect.get("buttons")) if b not in labels]
        if missing:
            result.failures.append(f"buttons {missing} not offered (offered: {labels})")
        turns.append(result)
    return ConversationResult(conv.get("conversation", f"#{index}"), str(conv.get("kind") or "-"), conv["source"],
                              conv.get("xfail"), turns)


class FreshEngines:
    """Engines on fresh copies of one prepared in-memory database (schema and knowledge built once).

    Building the knowledge tables takes about a second; copying the prepared database with
    SQLite's backup API takes milliseconds, so every conversation still starts from an empty
    memory (no tickets, no states) without paying for the build each time.
    """

    def __init__(self, settings: Any, pipeline: Any) -> None:
        from bot.engine import Engine
        from bot.store import open_db

        self.template = Engine.from_settings(settings, db=open_db(":memory:"), pipeline=pipeline)

    def __call__(self) -> Any:
        import sqlite_utils

        from bot.engine import Engine
        from bot.store import Store
        from knowledge.kb import KnowledgeBase

        db = sqlite_utils.Database(memory=True)
        self.template.store.db.conn.backup(db.conn)
        old = self.template.manager
        manager = type(old)(old.flows, KnowledgeBase(db), old.fallbacks_before_handoff)
        return Engine(self.template.pipeline, manager, Store(db), self.template.office_hours)


def run_files(paths: list[Path], make_engine: Callable[[], Any]) -> list[ConversationResult]:
    """Every conversation of every file, each on a fresh engine over its own empty database."""
    results = []
    for path in paths:
        for i, conv in enumerate(load_file(path), start=1):
            results.append(run_conversation(make_engine(), conv, i))
    return results


def summary(results: list[ConversationResult]) -> dict[str, Any]:
    """Pass rates per turn and per conversation, overall and per kind."""
    def rates(rs: list[ConversationResult]) -> dict[str, Any]:
        turns = [t for r in rs for t in r.turns]
        return {"conversations": len(rs), "conversations_passed": sum(r.passed for r in rs),
                "turns": len(turns), "turns_passed": sum(t.passed for t in turns)}

    by_kind: dict[str, list[ConversationResult]] = defaultdict(list)
    for r in results:
        by_kind[r.kind].append(r)
    return {"all": rates(results), "kinds": {k: rates(v) for k, v in sorted(by_kind.items())}}


def failures_yaml(results: list[ConversationResult]) -> str:
    """The failed turns with what was said and answered, for reading (like Rasa's failed_test_stories)."""
    out = []
    for r in results:
        if r.passed:
            continue
        out.append({
            "conversation": r.name, "kind": r.kind, "file": r.source,
            "turns": [{"user": t.user, "capability": t.capability, "intent": t.intent, "handoff": t.handoff,
                       "replies": t.replies, **({"failed": t.failures} if t.failures else {})} for t in r.turns],
        })
    return yaml.safe_dump({"failed_conversations": out}, allow_unicode=True, sort_keys=False, width=120)


def format_summary(s: dict[str, Any]) -> str:
    """The figures as a small table."""
    def line(name: str, r: dict[str, Any]) -> str:
        t = r["turns_passed"] / r["turns"] if r["turns"] else 0.0
        c = r["conversations_passed"] / r["conversations"] if r["conversations"] else 0.0
        return (f"{name:22s} turns {r['turns_passed']:>4}/{r['turns']:<4} {t:6.3f}   "
                f"conversations {r['conversations_passed']:>3}/{r['conversations']:<3} {c:6.3f}")

    lines = [line(kind, r) for kind, r in s["kinds"].items()]
    lines.append(line("ALL", s["all"]))
    return "\n".join(lines)
