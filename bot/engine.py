"""``Engine.handle(msg) -> replies``: load state, parse, advance the dialogue, run actions, save.

The only orchestrator. Channels (terminal, ``chat --jsonl``, later Telegram) translate their
messages into ``IncomingMessage`` and show the ``Reply`` objects; they never see the NLU or
the store.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from bot import messages
from bot.config import Settings
from bot.models import IncomingMessage, Reply
from bot.store import Store, open_db
from dialogues.loader import load_flows
from dialogues.manager import DialogueManager
from knowledge.kb import KnowledgeBase, build_knowledge
from nlu.pipeline import Pipeline, load_pipeline
from nlu.result import ParseResult

logger = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What handling one message produced, for channels and the JSONL interface."""

    replies: list[Reply]
    parse: ParseResult
    intent: str
    capability: str
    handoff: dict[str, Any] | None = None


class Engine:
    """Ties the NLU, the dialogue manager, the knowledge base and the store together."""

    def __init__(self, pipeline: Pipeline, manager: DialogueManager, store: Store) -> None:
        self.pipeline = pipeline
        self.manager = manager
        self.store = store

    @classmethod
    def from_settings(cls, settings: Settings, db: sqlite_utils.Database | None = None,
                      pipeline: Pipeline | None = None) -> Engine:
        """Load the model, flows and knowledge named by the settings; open the database."""
        pipeline = pipeline or load_pipeline(settings)
        intents = set(pipeline.capabilities)
        flows = load_flows(settings.flows_dir, intents)
        db = db if db is not None else open_db(settings.db_path)
        kb = build_knowledge(db, settings.content_dir, flows, intents)
        manager = DialogueManager(flows, kb, int(settings.dialogue["fallbacks_before_handoff"]))
        return cls(pipeline, manager, Store(db))

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base the dialogue answers from."""
        return self.manager.kb  # type: ignore[no-any-return]

    def handle(self, msg: IncomingMessage) -> Outcome:
        """Handle one message from a person and return what to send back."""
        parse = self.pipeline.parse(msg.text)
        state = self.store.load_state(msg.user_id)
        turn = self.manager.advance(state, parse, msg.text)
        handoff = None
        tickets: dict[str, int] = {}
        for event in turn.events:
            if event["type"] == "help_request":
                summary = self._summary(msg.user_id, turn.state, parse)
                number = self.store.add_help_request(msg.user_id, event["reason"], event["priority"], summary)
                tickets["ticket"] = number
                handoff = {"ticket": number, "priority": event["priority"], "status": "waiting"}
                logger.info("help request %d (%s) for chat=%s", number, event["priority"], msg.user_id)
        replies = [Reply(r.text.format(**tickets) if "{ticket}" in r.text else r.text, r.buttons) for r in turn.replies]
        if any(e["type"] == "delete_user_data" for e in turn.events):
            self.store.delete_user(msg.user_id)
            return Outcome(replies, parse, turn.intent, turn.capability, handoff)
        inbound = {
            "text": msg.text, "intent": parse.intent, "capability": parse.capability,
            "confidence": round(parse.confidence, 4), "flow": turn.state.get("flow"), "step": str(turn.state.get("step")),
        }
        self.store.save_turn(msg.user_id, msg.channel, turn.state, inbound, [r.text for r in replies],
                             persona=str(turn.state["slots"].get("persona") or ""))
        logger.info("chat=%s intent=%s confidence=%.2f", msg.user_id, parse.intent, parse.confidence)
        return Outcome(replies, parse, turn.intent, turn.capability, handoff)

    def _summary(self, user_id: str, state: dict[str, Any], parse: ParseResult) -> str:
        """What a social worker reads first: persona, slots, topic and the last messages."""
        recent = self.store.recent_messages(user_id, 6)
        lines = [
            f"persona: {state['slots'].get('persona') or 'unknown'}",
            f"slots: {state['slots']}",
            f"topic: {(state.get('topic') or {}).get('intent', '')}",
            f"this message: {parse.intent} ({parse.capability})",
        ]
        lines += [f"{'人' if m['direction'] == 'in' else '机'}: {m['text']}" for m in recent]
        return "\n".join(lines)


def safe_handle(engine: Engine, msg: IncomingMessage) -> Outcome:
    """``handle`` for channels: an unexpected error becomes a kind Chinese reply and a log line."""
    try:
        return engine.handle(msg)
    except Exception as exc:  # the person must always get an answer
        logger.error("[%s] %s chat=%s", getattr(exc, "code", "E000"), exc, msg.user_id, exc_info=exc)
        parse = ParseResult(msg.text, "nlu_fallback", "out_of_scope", 0.0)
        return Outcome([Reply(messages.SORRY_GENERIC)], parse, "error", "out_of_scope")
