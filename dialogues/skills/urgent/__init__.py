"""Urgent messages: the hotline first, then an episode that reads what comes after the alarm.

An alarm (scam in progress, medical emergency, self-harm, abuse, a missing person, danger now)
says what to do now and the right hotline (110, 119, 120, 96110, 12356, 12338; facts.md §2),
sends an urgent help request, pauses any tutorial and opens an **episode** of its kind
(``dialogues/episodes.yml``). Until the person says it is over (车到了, 找到了, 火灭了) or the
configured messages or minutes pass without news of it, every message is read inside the
episode first: the kind's cues (救护车叫了 现在做什么 -> what to do while waiting), then the
cues all kinds share (能找个人陪我聊聊吗 -> an urgent hand-off at once), else the kind's
standing guidance. Afterwards, prevention questions (以后怎么防止再走丢) get prevention help,
never the alarm again.

An urgent guess below ``urgent_check_below`` that no urgent rule backs, in a calm conversation,
gets a short safety check instead of an alarm (``check.py``); 不是 我说的是… right after an
alarm is a false alarm: said so, and the ticket becomes a normal one.
"""

from __future__ import annotations

from typing import Any

from dialogues import texts as T
from dialogues.cues import Cue, first_match, plain_text
from dialogues.skills import handoff, tutorial
from dialogues.skills.base import Context, menu, say
from dialogues.skills.urgent import check
from dialogues.skills.urgent.episodes import Episodes, Kind, default_episodes, kind_settings
from dialogues.state import (
    State, answered, end_episode, episode_after, episode_kind, mark_alarm, open_episode, pause, refresh_episode,
    right_after_alarm,
)
from dialogues.turn import Turn
from nlu.result import ParseResult

CAPABILITY = "urgent"
URGENT_TEXT = {
    "urgent_scam": T.URGENT_SCAM,
    "urgent_medical": T.URGENT_MEDICAL,
    "urgent_self_harm": T.URGENT_SELF_HARM,
    "urgent_abuse": T.URGENT_ABUSE,
    "urgent_missing": T.URGENT_MISSING,
    "urgent_danger": T.URGENT_DANGER,
}
# Inside an episode, a message no cue expects that the NLU reads confidently as one of these
# (教我用多多买菜) has moved on: it is answered as usual, and the episode stays open.
MOVED_ON = ("teach", "marketing", "policy", "tool", "privacy")
MOVED_ON_CONFIDENCE = 0.8


def episodes(ctx: Context) -> Episodes:
    """The episodes the context answers from (the project's file unless a test gave its own)."""
    book = ctx.settings.get("episodes")
    return book if isinstance(book, Episodes) else default_episodes()


def respond(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> None:
    """An urgent parse: read inside an open episode, as a follow-up of one just over, as a weak
    guess a calm conversation does not support (a safety check), or as a new alarm."""
    st = turn.state
    if corrects_alarm(ctx, st, text) and check.weak(ctx, parse, text):
        false_alarm(ctx, turn)  # 不是 我说错了 … read weakly as urgent again: still a correction
        return
    now = ctx.clock().timestamp()
    kind = episode_kind(st, now)
    if kind is not None:
        # Inside an episode the classifier's guesses are read in its light (救护车叫了 现在做什么 is
        # no scam); only an urgent rule naming another kind raises a new alarm (吸了烟 喘不上气).
        other = episodes(ctx).of_intent(parse.intent)
        if not (other is not None and other.name != kind and check.rule_fired(parse, text)):
            if not read_inside(ctx, turn, parse, text, kind, now):
                again(ctx, turn, kind)
            return
    elif episode_after(st) is not None and read_after(ctx, turn, text, str(episode_after(st))):
        return
    if check.answers(ctx, turn, parse, text, None):
        return
    if check.offer(ctx, turn, parse, text):
        return
    alarm(ctx, turn, parse, text)


def reads(ctx: Context, turn: Turn, parse: ParseResult, text: str, action: dict[str, Any] | None) -> bool:
    """A message that is not urgent, read against what an alarm left expected; False when nothing is.

    In order: a correction right after an alarm (a false alarm), the answer to a safety check,
    a message inside an open episode, a follow-up of one just over. Inside an episode, once the
    person has a tutorial open again (接着学吧 took it back, or a new one was started), a message
    no cue of the episode expects that the NLU reads as the tutorial's (下一步, 上一步, a question
    about a step) goes to the tutorial; anything else still gets the episode's guidance.
    """
    st = turn.state
    if corrects_alarm(ctx, st, text):
        false_alarm(ctx, turn)
        return True
    if check.answers(ctx, turn, parse, text, action):
        return True
    now = ctx.clock().timestamp()
    kind = episode_kind(st, now)
    if kind is not None and action is None:
        if handoff.asks_wait(st, text) and first_match(episodes(ctx).kinds[kind].cues, plain_text(text)) is None:
            return False  # 社工还要等多久 after the urgent hand-off: the place in the queue (the kind's own cues first)
        if read_inside(ctx, turn, parse, text, kind, now):
            return True
        company = next((c for c in episodes(ctx).common if c.handoff), None)
        if parse.intent == "request_human" and company is not None:  # every way of asking for a person
            answer(ctx, turn, kind, company, now)
            return True
        learning = st.get("flow") in ctx.flows and parse.capability == tutorial.CAPABILITY
        if learning or tutorial.steps_through(ctx, st, parse):
            return False  # learning again inside the episode: the tutorial's (下一步 is the next step)
        if parse.capability in MOVED_ON and parse.confidence >= MOVED_ON_CONFIDENCE:
            return False
        again(ctx, turn, kind)
        return True
    after = episode_after(st)
    return after is not None and action is None and read_after(ctx, turn, text, after)


# ---- the alarm ----------------------------------------------------------------------------

def alarm(ctx: Context, turn: Turn, parse: ParseResult, text: str, kind: Kind | None = None) -> None:
    """Safety first: the hotline for this kind, an urgent help request (no consent question), an episode."""
    st = turn.state
    kind = kind or episodes(ctx).opening(parse.intent, plain_text(parse.text or text))
    if st.get("flow"):
        pause(st, st["flow"], st.get("step", 0))
        st["flow"] = None
    answered(st)
    st.pop("safety_check", None)
    intent = kind.intent if kind is not None else parse.intent
    turn.capability = CAPABILITY
    say(turn, urgent_text(intent))
    turn.events.append({"type": "help_request", "priority": "urgent", "reason": intent})
    mark_alarm(st)
    if kind is not None:
        turns, minutes = kind_settings(ctx.settings)
        open_episode(st, kind.name, turns, minutes, ctx.clock().timestamp())


def urgent_text(intent: str) -> str:
    """The first words for an urgent message: what to do now and the hotline."""
    return URGENT_TEXT.get(intent, T.URGENT_SCAM)


# ---- inside an episode, and after it ------------------------------------------------------

def read_inside(ctx: Context, turn: Turn, parse: ParseResult, text: str, kind: str, now: float) -> bool:
    """A cue of the open episode answers the message (False when none matches).

    The kind's own cues come first; then asking to go on learning (接着学吧 刚才学到哪了) takes a
    paused tutorial back at the step that was left, after a line about the hotline (the episode
    stays open for messages about it); then the cues every kind shares and the after-cues (not
    for 下一步 or a yes in a tutorial taken back: those walk the tutorial).
    """
    book = episodes(ctx)
    said = plain_text(parse.text or text)
    k = book.kinds[kind]
    own = k.cues
    cue = first_match(own, said)
    if cue is None and tutorial.resumes(ctx, turn, parse, text, k.resume.format(hotline=k.hotline)):
        return True
    if cue is None and not tutorial.steps_through(ctx, turn.state, parse):
        cue = first_match(book.inside(kind)[len(own):], said)
    if cue is None:
        return False
    answer(ctx, turn, kind, cue, now)
    return True


def read_after(ctx: Context, turn: Turn, text: str, kind: str) -> bool:
    """A follow-up of an episode just over (以后怎么防止再走丢): its answer, never the alarm again."""
    cue = first_match(episodes(ctx).after(kind), plain_text(text))
    if cue is None:
        return False
    answer(ctx, turn, kind, cue, ctx.clock().timestamp(), inside=False)
    return True


def answer(ctx: Context, turn: Turn, kind: str, cue: Cue, now: float, inside: bool = True) -> None:
    """Say what the cue says (its buttons, a hand-off, the end or a change of the episode)."""
    st = turn.state
    book = episodes(ctx)
    turns, minutes = kind_settings(ctx.settings)
    if cue.switch and inside:
        st["episode"]["kind"] = cue.switch  # 迷迷糊糊 叫不应 after pills: now a medical emergency
        kind = cue.switch
    answered(st)
    turn.capability = cue.capability
    buttons = tuple((label, action) for label, action in cue.buttons
                    if "flow" not in action or action["flow"] in ctx.flows)
    say(turn, cue.say.format(hotline=book.kinds[kind].hotline), buttons)
    if cue.handoff:
        turn.events.append({"type": "help_request", "priority": "urgent", "reason": book.kinds[kind].intent})
    if inside and cue.ends:
        end_episode(st, turns)
    elif inside:
        refresh_episode(st, turns, minutes, now)
    if cue.capability != CAPABILITY:
        st["topic"] = None


def again(ctx: Context, turn: Turn, kind: str) -> None:
    """No cue matched inside the episode: the kind's standing guidance (the hotline again)."""
    answered(turn.state)
    turn.capability = CAPABILITY
    say(turn, episodes(ctx).kinds[kind].again)


# ---- a false alarm ------------------------------------------------------------------------

def corrects_alarm(ctx: Context, st: State, text: str) -> bool:
    """"不是 我说的是清仓打折" right after an alarm (the words are ``false_alarm`` in episodes.yml)."""
    return right_after_alarm(st) and episodes(ctx).takes_back(plain_text(text))


def false_alarm(ctx: Context, turn: Turn) -> None:
    """Say so; the engine turns the urgent ticket into a normal one, and the episode is dropped."""
    turn.state.pop("episode", None)
    turn.capability = CAPABILITY
    turn.events.append({"type": "not_urgent"})
    menu(turn, T.FALSE_ALARM_OK)
