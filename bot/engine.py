"""``Engine.handle(msg) -> replies``: load state, parse, advance the dialogue, run actions, save.

The only orchestrator. Channels (terminal, ``chat --jsonl``, later Telegram) translate their
messages into ``IncomingMessage`` and show the ``Reply`` objects; they never see the NLU or
the store.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

import sqlite_utils

from bot import messages
from bot.config import Settings
from bot.desk import Desk
from bot.handoff import Handoff, OfficeHours, Ticket
from bot.media import MediaStore, SpeechToText, Upload, default_media_dir, handle_media
from bot.models import IncomingMessage, Reply
from bot.outbox import PUSH_CHANNELS
from bot.privacy import mask
from bot.reminders import MAX_PER_USER, Reminders
from bot.store import Store, open_db
from bot.flows import load_flows
from dialogues.manager import DialogueManager
from dialogues.skills import reminder
from dialogues.understand import read
from knowledge.kb import KnowledgeBase, build_knowledge
from nlu.pipeline import Pipeline, load_pipeline
from nlu.result import ParseResult
from nlu.timeexpr import describe

# Channels whose user ids are vouched for (Telegram's own ids, the operator's terminal, local
# harnesses): only there is a registered social worker recognised in chat. A web or REST
# sender id is chosen by the client, so workers use the console there instead.
STAFF_CHANNELS = {"telegram": "tg:", "terminal": "", "jsonl": "", "test": ""}
END_CHAT_RE = re.compile(r"结束(对话|聊天)|(回到|回去找|换回|我要)机器人|不(跟|和)社工聊了|不聊了")
logger = logging.getLogger(__name__)

# Dialogue events the store keeps for the reports (bot/report.py).
REPORT_EVENTS = {"flow_started", "flow_step", "flow_finished", "feedback"}


@dataclass
class Outcome:
    """What handling one message produced, for channels and the JSONL interface."""

    replies: list[Reply]
    parse: ParseResult
    intent: str
    capability: str  # the capability that served the turn (下一步 in a tutorial: teach); ``parse`` has the NLU's
    handoff: dict[str, Any] | None = None
    skill: str = ""  # the skill module that served the turn
    state: dict[str, Any] | None = None  # {"flow", "step", "episode", "pending"}: see ``state_view``
    relay: Ticket | None = None  # set when the message goes to a social worker instead of the bot
    new_ticket: Ticket | None = None  # set when this message opened a ticket
    relay_message_id: int | None = None  # the stored relayed message, to link it to the staff post


class Engine:
    """Ties the NLU, the dialogue manager, the knowledge base and the store together."""

    def __init__(self, pipeline: Pipeline, manager: DialogueManager, store: Store,
                 office_hours: OfficeHours | None = None, reminders: Reminders | None = None) -> None:
        self.pipeline = pipeline
        self.manager = manager
        self.store = store
        self.handoff = Handoff(store.db)
        self.office_hours = office_hours
        self.reminders = reminders or Reminders(store.db)
        self.media = MediaStore(store.db, default_media_dir(store.db))  # pictures and voice notes (bot/media.py)
        self.speech = SpeechToText()  # no speech-to-text server unless the settings name one
        # Registered social workers ask the queue in chat through the same functions as `linli handoff`.
        self.manager.ctx.desk = Desk(self.handoff)

    @classmethod
    def from_settings(cls, settings: Settings, db: sqlite_utils.Database | None = None,
                      pipeline: Pipeline | None = None, clock: Callable[[], datetime] | None = None) -> Engine:
        """Load the model, flows and knowledge named by the settings; open the database.

        ``clock`` (timezone-aware) is what reminders read the time from; tests pass a fake one.
        """
        pipeline = pipeline or load_pipeline(settings)
        intents = set(pipeline.capabilities)
        flows = load_flows(settings.flows_dir, intents)
        db = db if db is not None else open_db(settings.db_path)
        kb = build_knowledge(db, settings.content_dir, flows, intents)
        h = settings.handoff
        reminders = Reminders(db, h["timezone"], clock)
        d = settings.dialogue
        manager = DialogueManager(flows, kb, int(d["fallbacks_before_handoff"]), clock=reminders.now,
                                  urgent_episode_turns=int(d["urgent_episode_turns"]),
                                  urgent_episode_minutes=float(d["urgent_episode_minutes"]),
                                  urgent_check_below=float(d["urgent_check_below"]))
        hours = OfficeHours.from_config(h["office_hours"], h["office_days"], h["timezone"])
        engine = cls(pipeline, manager, Store(db), hours, reminders)
        engine.media, engine.speech = MediaStore.from_settings(settings, db), SpeechToText.from_settings(settings)
        return engine

    @property
    def media(self) -> MediaStore:
        """Pictures and voice notes, in ``storage.media_dir``."""
        return self._media

    @media.setter
    def media(self, store: MediaStore) -> None:
        self._media = store
        self.store.media_dir = store.dir  # deletion and retention find the files where they are kept

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base the dialogue answers from."""
        return self.manager.kb  # type: ignore[no-any-return]

    def handle(self, msg: IncomingMessage, intent: str | None = None) -> Outcome:
        """Handle one message from a person and return what to send back.

        ``intent`` forces the intent (Telegram commands such as /menu or /human).
        """
        msg = clean_message(msg)  # lone surrogates from a broken client, in the text or the ids
        state = self.store.load_state(msg.user_id)
        # Understood in its conversation: a typed button number is the button's words ("7" -> 其他/不知道),
        # and after a self-introduction the question is what is answered (the persona is remembered).
        parse, said, state = read(state, msg.text, self.pipeline.parse, intent)
        # From here on only the masked text is stored, logged or shown to staff (PIPL).
        msg = IncomingMessage(msg.user_id, mask(msg.text), msg.channel, msg.chat_id, msg.received_at)
        inbox = self._deliver_outbox(msg.user_id, msg.channel, msg.chat_id)
        ticket = self.handoff.active(msg.user_id)
        if ticket is not None and ticket.status == "claimed":
            return self._relay(msg, parse, ticket, inbox)
        # The state reads the message first: it is told where the person's ticket is and whether
        # they are a registered social worker (fresh every message: a ticket moves, a worker is removed).
        state = {**(state or {}), "handoff": self._ticket_view(ticket), "worker": self._worker_of(msg)}
        turn = self.manager.advance(state, parse, mask(said))
        for event in turn.events:
            if event["type"].startswith("reminder_"):
                self._reminder(msg, turn, event)
        replies = list(turn.replies)
        new_ticket = None
        for event in turn.events:
            if event["type"] == "help_request":
                opened = self._open_ticket(msg, turn.state, parse, event)
                replies += self._ticket_replies(opened)
                if opened.created_now:
                    new_ticket = opened
                elif ticket is None:
                    ticket = opened
        if any(e["type"] == "not_urgent" for e in turn.events) and ticket is not None:
            ticket = self.handoff.not_urgent(ticket.id)
        if any(e["type"] == "delete_user_data" for e in turn.events):
            self.store.delete_user(msg.user_id)
            return Outcome(inbox + replies, parse, turn.intent, turn.capability, skill=turn.skill,
                           state=state_view(turn.state))
        handoff = None
        current = new_ticket or ticket
        if current is not None:
            handoff = current.as_json()
            if new_ticket is None:
                # A waiting ticket: the bot keeps helping, and the social worker will see this too.
                self.handoff.add_message(current.id, "user", msg.text)
        self._save(msg, turn.state, parse, turn.intent, inbox + replies,
                   [e for e in turn.events if e["type"] in REPORT_EVENTS])
        logger.info("chat=%s intent=%s confidence=%.2f", msg.user_id, parse.intent, parse.confidence)
        return Outcome(inbox + replies, parse, turn.intent, turn.capability, handoff, new_ticket=new_ticket,
                       skill=turn.skill, state=state_view(turn.state))

    def handle_media(self, msg: IncomingMessage, upload: Upload, transcript: str | None = None) -> Outcome:
        """A picture or voice note from a person (``bot.media.handle_media``; ``transcript`` from ``self.speech``)."""
        return handle_media(self, msg, upload, transcript)

    def after_error(self, msg: IncomingMessage) -> Outcome:
        """Handling failed half-way: keep the person's words, and never leave an emergency unanswered.

        The message is stored on its own (the dialogue state stays as it was). Only when that
        worked does the reply say the words were kept. If the message is urgent, the hotline
        answer still goes out and an urgent ticket is opened, each step on its own so one
        failure does not stop the next.
        """
        text = mask(msg.text.encode("utf-8", "surrogatepass").decode("utf-8", "replace"))
        parse = ParseResult(text, "nlu_fallback", "out_of_scope", 0.0)
        try:
            parse = self.pipeline.parse(msg.text)
        except Exception as exc:  # the model itself failed: the message is still stored below
            logger.error("[%s] parsing failed after an error chat=%s: %s", getattr(exc, "code", "E000"),
                         msg.user_id, exc)
        stored = True
        try:
            self.store.save_turn(msg.user_id, msg.channel, self.store.load_state(msg.user_id) or {},
                                 {"text": text, "intent": "error", "capability": parse.capability,
                                  "confidence": round(parse.confidence, 4)}, [])
        except Exception as exc:
            stored = False
            logger.error("[E000] the message could not be stored after an error chat=%s: %s", msg.user_id, exc)
        replies: list[Reply] = []
        handoff = None
        new_ticket = None
        if parse.capability == "urgent":
            replies.append(Reply(self.manager.urgent_text(parse.intent)))
            try:
                ticket = self.handoff.open(msg.user_id, msg.channel, msg.chat_id or msg.user_id, "urgent",
                                           parse.intent, f"这次说：{text}\n（处理这条消息时系统出错，请尽快联系本人）")
                handoff = ticket.as_json()
                new_ticket = ticket if ticket.created_now else None
                replies.append(Reply(messages.URGENT_HELP.format(ticket=ticket.id)))
            except Exception as exc:
                logger.error("[E400] urgent ticket could not be opened after an error chat=%s: %s",
                             msg.user_id, exc)
        replies.append(Reply(messages.SORRY_GENERIC if stored else messages.SORRY_NOT_STORED))
        return Outcome(replies, parse, "error", parse.capability, handoff, new_ticket=new_ticket)

    def _relay(self, msg: IncomingMessage, parse: ParseResult, ticket: Ticket, inbox: list[Reply]) -> Outcome:
        """A social worker has the chat: the message goes to them; urgent words still get hotlines."""
        replies = list(inbox)
        if parse.capability == "urgent":
            replies.append(Reply(self.manager.urgent_text(parse.intent)))
            ticket = self.handoff.open(msg.user_id, msg.channel, msg.chat_id or msg.user_id, "urgent",
                                       parse.intent, ticket.summary)
        relay_id = self.handoff.relay(ticket, msg.text)
        if parse.capability != "urgent" and END_CHAT_RE.search(msg.text):
            # The person may always leave the conversation; the worker sees these words in the topic.
            self.handoff.end_by_person(ticket.id)
            replies.append(Reply(messages.HANDOFF_ENDED_BY_PERSON))
        elif parse.capability == "privacy":
            replies.append(Reply(messages.HANDOFF_PRIVACY_FIRST))
        if not replies and msg.channel != "telegram":
            # On Telegram the social worker's answer is the reply; elsewhere say where the words went.
            replies.append(Reply(messages.HANDOFF_CONTINUED))
        state = self.store.load_state(msg.user_id) or {}
        self._save(msg, state, parse, parse.intent, replies)
        # The social worker serves this turn (the hotline first when it is urgent).
        capability = "urgent" if parse.capability == "urgent" else "handoff"
        return Outcome(replies, parse, parse.intent, capability, ticket.as_json(), relay=ticket,
                       relay_message_id=relay_id, skill=capability, state=state_view(state))

    def _ticket_view(self, ticket: Ticket | None) -> dict[str, Any] | None:
        """The person's open ticket as the dialogue sees it: status, priority, place in the queue, office hours."""
        if ticket is None:
            return None
        view: dict[str, Any] = {"ticket": ticket.id, "status": ticket.status, "priority": ticket.priority,
                                "ahead": self.handoff.position(ticket) if ticket.status == "waiting" else 0}
        if self.office_hours is not None:
            hours = self.office_hours
            # When social workers answer, for questions about the wait (社工晚上也上班吗): days 1-7, HH:MM.
            view["office_hours"] = {"days": list(hours.days), "start": hours.start.strftime("%H:%M"),
                                    "end": hours.end.strftime("%H:%M")}
            if not hours.is_open():
                nxt = hours.next_open()
                view.update(office_open=False, next_open=f"{messages.WEEKDAYS[nxt.isoweekday()]} {nxt.strftime('%H:%M')}")
        return view

    def _worker_of(self, msg: IncomingMessage) -> dict[str, Any] | None:
        """The registered social worker writing (``linli workers``), on a channel that vouches for its ids."""
        prefix = STAFF_CHANNELS.get(msg.channel)
        if prefix is None or not msg.user_id.startswith(prefix):
            return None
        found = self.handoff.worker(msg.user_id[len(prefix):])
        return {"id": str(found["worker_id"]), "name": str(found["name"])} if found else None

    def _open_ticket(self, msg: IncomingMessage, state: dict[str, Any], parse: ParseResult,
                     event: dict[str, Any]) -> Ticket:
        summary = self._summary(msg.user_id, state, parse, msg.text)
        # Written before the person is told it exists.
        return self.handoff.open(
            msg.user_id, msg.channel, msg.chat_id or msg.user_id, event["priority"], event["reason"], summary,
            persona=str(state.get("slots", {}).get("persona") or ""), consent=bool(event.get("consent")),
        )

    def _ticket_replies(self, ticket: Ticket) -> list[Reply]:
        is_open = self.office_hours.is_open() if self.office_hours else True
        if ticket.priority == "urgent":
            text = messages.URGENT_HELP if is_open else messages.URGENT_HELP_CLOSED
            return [Reply(text.format(ticket=ticket.id))]
        ahead = self.handoff.position(ticket)
        lines = [messages.HANDOFF_OPENED.format(ticket=ticket.id),
                 messages.QUEUE_AHEAD.format(ahead=ahead) if ahead else messages.QUEUE_FIRST]
        if not is_open and self.office_hours is not None:
            nxt = self.office_hours.next_open()
            when = f"{messages.WEEKDAYS[nxt.isoweekday()]} {nxt.strftime('%H:%M')}"
            lines.append(messages.OFFICE_CLOSED.format(when=when))
        return [Reply("\n".join(lines))]

    def _reminder(self, msg: IncomingMessage, turn: Any, event: dict[str, Any]) -> None:
        """Store, list or cancel the person's reminders; the dialogue says what was really done.

        What is said comes before the offer to go back to a paused tutorial, if the turn ends with one.
        """
        before = len(turn.replies)
        self._reminder_event(msg, turn, event)
        pending = (turn.state.get("pending") or {}).get("type")
        if pending == "resume" and 0 < before < len(turn.replies):
            offer, added = turn.replies[before - 1], turn.replies[before:]
            turn.replies[before - 1:] = [*added, offer]
            labels = turn.state.get("button_labels") or []
            mine = [label for r in added for label in r.buttons]
            turn.state["button_labels"] = [*mine, *[label for label in labels if label not in mine]]

    def _reminder_event(self, msg: IncomingMessage, turn: Any, event: dict[str, Any]) -> None:
        r, now, kind = self.reminders, self.reminders.now(), event["type"]
        if kind == "reminder_add":
            if r.count_active(msg.user_id) >= MAX_PER_USER:
                reminder.refuse_set(turn, MAX_PER_USER)
                return
            due = datetime.fromisoformat(event["due"])
            added = r.add(msg.user_id, msg.channel, msg.chat_id or msg.user_id, event.get("task") or "", due,
                          event.get("repeat"))
            reminder.confirm_set(turn, describe(added.due, now, added.repeat), added.task)
            return
        items = [(x.id, reminder.label(x.due, now, x.repeat, x.task)) for x in r.active(msg.user_id)]
        if kind == "reminder_list":
            reminder.show_list(turn, items)
        elif kind == "reminder_cancel" and event.get("id") is None:
            reminder.ask_cancel(turn, items)
        elif kind == "reminder_cancel":
            gone = r.cancel(int(event["id"]), msg.user_id)
            reminder.confirm_cancel(turn, reminder.label(gone.due, now, gone.repeat, gone.task) if gone else None)

    def _deliver_outbox(self, user_id: str, channel: str = "", chat_id: str = "") -> list[Reply]:
        """Social-worker replies written from the terminal side, and reminders due, shown before the next answer."""
        out = []
        self.reminders.fire_due(user_id)
        if channel and channel not in PUSH_CHANNELS:
            out += [Reply(text) for text in self.reminders.inbox(channel, chat_id or user_id)]
        for m in self.handoff.outbox(user_id):
            if m["channel"] in PUSH_CHANNELS:
                continue  # the channel's delivery job sends these from the durable outbox
            out.append(Reply(self.format_outbox(m)))
            self.handoff.mark_delivered(m["id"])
        return out

    def format_outbox(self, m: dict[str, Any]) -> str:
        """The text a person sees for a message from a social worker (or a closing notice)."""
        if m["direction"] == "worker":
            ticket = self.handoff.get(m["ticket_id"])
            name = (ticket.worker_name if ticket else "") or ""
            return messages.WORKER_PREFIX.format(name=name) + m["text"]
        return str(m["text"])

    def _save(self, msg: IncomingMessage, state: dict[str, Any], parse: ParseResult, intent: str,
              replies: list[Reply], events: list[dict[str, Any]] | None = None) -> None:
        slots = state.get("slots", {})
        inbound = {
            "text": msg.text, "intent": parse.intent, "capability": parse.capability,
            "confidence": round(parse.confidence, 4), "flow": state.get("flow"), "step": str(state.get("step")),
            "region": str(slots.get("region") or ""),
        }
        self.store.save_turn(msg.user_id, msg.channel, state, inbound, [mask(r.text) for r in replies],
                             persona=str(slots.get("persona") or ""), events=events)

    def _summary(self, user_id: str, state: dict[str, Any], parse: ParseResult, text: str) -> str:
        """What a social worker can read in ten seconds: who, what they asked, where they got stuck.

        Chinese labels only (no intent ids), the tutorial by its title, and the last messages cut
        at a sentence end rather than in the middle of one.
        """
        slots = state.get("slots", {})
        persona = messages.PERSONA_LABELS.get(str(slots.get("persona")), "未知")
        recent = self.store.recent_messages(user_id, 8)
        asked = [m for m in recent if m["direction"] == "in"]
        capability = parse.capability
        if parse.intent in ("affirm", "deny", "nav_next") and asked:
            # "可以" answered our consent question: what they wanted is what they said before.
            wanted = [m for m in asked if m.get("intent") not in ("affirm", "deny", "nav_next")]
            text = wanted[-1]["text"] if wanted else text
            capability = self.manager.capability_of(wanted[-1]["intent"]) if wanted else capability
        topics = [self.manager.capability_of(m["intent"]) for m in asked if m.get("intent")]
        before = "、".join(dict.fromkeys(messages.CAPABILITY_LABELS.get(c, "其他问题") for c in topics[-5:]
                                         if c not in ("smalltalk", "handoff")))
        flow_id = state.get("flow") or (state.get("paused") or {}).get("flow") or ""
        flow = self.manager.flows.get(flow_id)
        tutorial = (f"{flow.title} 第{int(state.get('step', 0)) + 1}步" if flow is not None else "无")
        info = "，".join(f"{messages.SLOT_LABELS.get(k, k)}：{v}" for k, v in slots.items()
                        if k in messages.SLOT_LABELS and v not in (None, ""))
        lines = [
            f"身份：{persona}",
            f"这次说：{text}",
            f"想办的事：{messages.CAPABILITY_LABELS.get(capability, '其他问题')}；之前问过：{before or '无'}",
            f"教程：{tutorial}",
            "信息：" + (info or "无"),
            "最近对话：",
        ]
        lines += [f"  {'人' if m['direction'] == 'in' else '机'}：{cut_at_sentence(str(m['text']), 80)}"
                  for m in recent[-6:]]
        return "\n".join(lines)


def state_view(st: dict[str, Any] | None) -> dict[str, Any]:
    """The ``state`` field of ``chat --jsonl``: tutorial, step (as shown, 1 = first), urgent episode, pending question."""
    st = st or {}
    flow = st.get("flow")
    episode = st.get("episode")
    kind = episode.get("kind") if isinstance(episode, dict) else episode if isinstance(episode, str) else None
    pending = st.get("pending")
    return {
        "flow": flow or None,
        "step": int(st.get("step") or 0) + 1 if flow else None,
        "episode": kind or None,
        "pending": (pending.get("type") if isinstance(pending, dict) else None) or None,
    }


def cut_at_sentence(text: str, limit: int) -> str:
    """At most ``limit`` characters, ending at a sentence end when one is in reach, else with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    ends = [i for i, ch in enumerate(text[:limit]) if ch in "。！？!?；;"]
    if ends and ends[-1] >= limit // 3:
        return text[: ends[-1] + 1] + "…"
    return text[: limit - 1] + "…"


def clean_text(value: str) -> str:
    """``value`` with each lone surrogate replaced by U+FFFD (a pair becomes its character).

    A broken client or a JSON escape such as "\\ud800" can put them in text and ids alike;
    SQLite, UTF-8 output and the Bot API cannot take them.
    """
    return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def clean_message(msg: IncomingMessage) -> IncomingMessage:
    """The message with its text, user id and chat id cleaned alike (``clean_text``)."""
    user_id, text, chat_id = clean_text(msg.user_id), clean_text(msg.text), clean_text(msg.chat_id)
    if (user_id, text, chat_id) == (msg.user_id, msg.text, msg.chat_id):
        return msg
    return IncomingMessage(user_id, text, msg.channel, chat_id, msg.received_at)


def safe_handle(engine: Engine, msg: IncomingMessage, intent: str | None = None) -> Outcome:
    """``handle`` for channels: an unexpected error becomes a kind Chinese reply and a log line."""
    msg = clean_message(msg)  # so the log line and the fallback below can store and print it too
    try:
        return engine.handle(msg, intent)
    except Exception as exc:  # the person must always get an answer
        logger.error("[%s] %s chat=%s", getattr(exc, "code", "E000"), exc, msg.user_id, exc_info=exc)
        return engine.after_error(msg)
