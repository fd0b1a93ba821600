"""Loneliness and worry without danger: a warm reply, something to do, a social worker offered.

一个人住 孩子都不来 心里闷 / 老伴走了 睡不着 / 儿子几天没回微信 are no emergency and no
merchant question, whatever the NLU guessed. The cues are content (``dialogues/wellbeing.yml``):
``moods`` are read in any message the NLU does not read as a concrete request; ``followups``
(社区有啥活动, 他回我了, 生日) only for a few messages after a mood was answered. Sadness gets
12356; every answer offers a social worker (找社工, the usual consent first). Words of danger
(``unless``) are never answered here: the urgent layer reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from dialogues.cues import Cue, CueError, first_match, patterns, plain_text, read_cues, read_yaml, text_of
from dialogues.skills.base import Context, only_words, say, worker_button
from dialogues.skills import handoff, tutorial
from dialogues.state import State, answered, pause
from dialogues.turn import Turn
from dialogues.understand import clear_yes, synthetic
from nlu.result import ParseResult

CAPABILITY = "smalltalk"
WELLBEING_FILE = Path(__file__).resolve().parents[1] / "wellbeing.yml"
RECENT_TURNS = 3  # follow-ups are read for this many messages after a mood was answered
CONCRETE = ("teach", "policy", "tool", "handoff", "privacy")  # requests a mood never takes over
UNSURE_BELOW = 0.5


@dataclass(frozen=True)
class Moods:
    """The content of ``wellbeing.yml``."""

    moods: tuple[Cue, ...]
    followups: tuple[Cue, ...]
    otherwise: str
    unless: Any  # a compiled pattern or None
    self_blame: tuple[str, ...] = ()  # moods answered even when the NLU hears a complaint about the bot
    names_person: Any = None  # asking for one of these is a hand-off, even beside a feeling


def load_moods(path: Path = WELLBEING_FILE) -> Moods:
    """Read and check the wellbeing file (``CueError`` names the file and the cue)."""
    raw = read_yaml(path)
    unknown = set(raw) - {"moods", "followups", "otherwise", "unless", "self_blame", "names_person"}
    if unknown:
        raise CueError(f"{path}: unknown top-level key(s) {sorted(unknown)}; "
                       "known: followups, moods, names_person, otherwise, self_blame, unless")
    moods = read_cues(raw.get("moods"), f"{path}: moods", capability=CAPABILITY)
    if not moods:
        raise CueError(f"{path}: 'moods' must list at least one cue")
    self_blame = tuple(raw.get("self_blame") or ())
    if not set(self_blame) <= {m.name for m in moods}:
        raise CueError(f"{path}: self_blame names no mood: {sorted(set(self_blame) - {m.name for m in moods})}")
    return Moods(moods, read_cues(raw.get("followups"), f"{path}: followups", capability=CAPABILITY),
                 text_of(raw.get("otherwise"), f"{path}: otherwise"), patterns(raw.get("unless"), f"{path}: unless"),
                 self_blame, patterns(raw.get("names_person"), f"{path}: names_person"))


@lru_cache(maxsize=1)
def default_moods() -> Moods:
    """The project's wellbeing content, read once."""
    return load_moods()


def recent(st: State) -> bool:
    """True for a few messages after loneliness or worry was answered."""
    wb = st.get("wellbeing") or {}
    return "turn" in wb and 0 < st["turns"] - int(wb["turn"]) <= RECENT_TURNS


def just_answered(st: State) -> bool:
    """True right after loneliness or worry was answered (the next message may go on about it)."""
    wb = st.get("wellbeing") or {}
    return "turn" in wb and st["turns"] - int(wb["turn"]) == 1


def mood(ctx: Context, st: State, text: str) -> Cue | None:
    """The mood (or, for a few messages after one, first the follow-up) these words voice; None for words of danger."""
    book = default_moods()
    said = plain_text(text)
    if book.unless is not None and book.unless.search(said):
        return None
    if recent(st):  # 白操心了 right after a worry is relief, not another worry
        return first_match(book.followups, said) or first_match(book.moods, said)
    return first_match(book.moods, said)


def takes(ctx: Context, turn: Turn, parse: ParseResult, text: str, action: dict[str, Any] | None) -> bool:
    """Answer loneliness or worry the NLU read as something else (never a concrete request)."""
    st = turn.state
    if action is not None or st.get("pending") or parse.capability == "urgent":
        return False
    book = default_moods()
    feeling = mood(ctx, st, text)
    named = book.names_person is not None and bool(book.names_person.search(plain_text(text)))
    if handoff.asks_about_wait(st, parse, text) or (handoff.wants_person(text) and (feeling is None or named)):
        # 咋还没人理我 while a ticket waits: the queue place; 社区能不能来看看我: a person, not a mood
        # (想找个人说说话 beside loneliness is the mood's, which offers a social worker)
        return False
    if just_answered(st) and (st.get("wellbeing") or {}).get("offered") and not handoff.waiting(st) and (
            clear_yes(text, handoff.CONSENT_YES) or only_words(text, handoff.CONSENT_YES)):
        # 可以 / 行 那你帮我问问 right after the offer of a social worker: taken up; the hand-off asks its
        # own consent question (nothing is shared without a yes to that exact question).
        handoff.respond(ctx, turn, synthetic("request_human", text), text)
        return True
    if recent(st) and st.get("paused") and st.get("flow") is None and parse.intent == "nav_next" \
            and not parse.is_fallback and parse.confidence >= UNSURE_BELOW:
        # 算了 接着学吧 / 下一步 after a talk about loneliness: the tutorial the mood paused goes on
        # (算了 puts the sigh aside, not the lesson).
        tutorial.answer_resume(ctx, turn, True, False)
        return True
    unsure = parse.is_fallback or parse.confidence < UNSURE_BELOW
    cue = feeling
    if parse.intent == "complain_bot" and cue is not None and cue.name in book.self_blame:
        reply(ctx, turn, cue)  # 人老了咋这么没用 连个手机都玩不转: about oneself, not the bot
        return True
    if parse.capability in CONCRETE and not unsure:
        return False
    if cue is not None:
        reply(ctx, turn, cue)
        return True
    if just_answered(st) and (unsure or parse.capability == "out_of_scope"):
        answered(st)
        turn.capability = CAPABILITY
        st["wellbeing"].update(turn=st["turns"], offered=True)
        say(turn, default_moods().otherwise, (worker_button(),))
        return True
    return False


def reply(ctx: Context, turn: Turn, cue: Cue) -> None:
    """Say the warm answer (its buttons; a tutorial in progress waits to be offered back)."""
    st = turn.state
    if st.get("flow") in ctx.flows:
        pause(st, st["flow"], st.get("step", 0))
        st["flow"] = None
    answered(st)
    turn.capability = cue.capability
    st["topic"] = None
    same = recent(st) and (st.get("wellbeing") or {}).get("mood") == cue.name
    offered = same or any(action.get("intent") == "request_human" for _, action in cue.buttons)
    st["wellbeing"] = {"mood": cue.name, "turn": st["turns"], "offered": offered}
    if same:  # the same feeling again: listen, rather than say the same words twice
        say(turn, default_moods().otherwise, (worker_button(),))
        return
    say(turn, cue.say, cue.buttons)
