"""The safety check: 您现在安全吗？ instead of an alarm a calm conversation does not support.

An urgent guess is *weak* when the classifier gives it less than ``urgent_check_below``
(config.yml) and no urgent rule (``nlu/urgent_rules.yml``) fires on the message. A weak guess in
a calm conversation (a tutorial, a topic being answered, a chat about loneliness, an episode
just over), or in words of loneliness or worry (``wellbeing``), is answered as the conversation
reads it (the mood, the tutorial step, or the best other intent), followed by the short question
with two buttons and one hotline line of the guessed kind (with no calmer reading, only the
question); no urgent ticket is opened. An unsafe answer raises the full alarm of that kind; the
question is not asked again for a few messages. A guess a
rule backs, a confident one, or a weak one with no calm around it always alarms at once.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from dialogues import texts as T
from dialogues.cues import plain_text
from dialogues.skills import tutorial, wellbeing
from dialogues.skills.base import Context, say
from dialogues.state import State, episode_after
from dialogues.turn import Turn
from nlu.result import ParseResult

DEFAULT_BELOW = 0.5
RECHECK_TURNS = 5  # a check is not asked again for this many messages (an unsafe answer alarms)
FALLBACK_THRESHOLD = 0.4  # a calmer reading weaker than this is no reading (the NLU's own threshold)
SAFE_RE = re.compile(r"没(有)?(危险|事)|不危险|很安全|挺安全|安全的|^安全|我安全|放心|不用担心|好着呢")
UNSAFE_RE = re.compile(r"不安全|不太安全|危险|救命|救我|快来|帮帮|出事|有人(在)?(打|砸|闯|撬)|^不是|^没有$|^不$")
WEAK_YES_RE = re.compile(r"^(是|对|嗯|好|挺好|还好|行)")


@lru_cache(maxsize=1)
def _rules() -> Any:
    """The urgent rule layer, read from the project's rules file (the same one the NLU uses)."""
    import nlu
    from nlu.rules import UrgentRuleDetector, read_rules

    return UrgentRuleDetector({}, read_rules(Path(nlu.__file__).resolve().parent / "urgent_rules.yml"))


def rule_fired(parse: ParseResult, text: str) -> bool:
    """True when an urgent rule backs the message.

    The parse shows it when the rule layer overruled the classifier (the intent is not the top of
    the classifier's ranking); when both said urgent it does not, so the rules are asked again.
    """
    if parse.ranking and parse.ranking[0][0] != parse.intent:
        return True
    from nlu.tokenizer import prepare

    return _rules().match_message(prepare(parse.text or text)) is not None


def weak(ctx: Context, parse: ParseResult, text: str) -> bool:
    """A low-confidence urgent guess no rule backs."""
    below = float(ctx.settings.get("urgent_check_below", DEFAULT_BELOW))
    return parse.confidence < below and not rule_fired(parse, text)


def calm(ctx: Context, st: State) -> bool:
    """The conversation is about something calm: a tutorial, a topic, a worry, an episode just over."""
    return bool(st.get("flow") in ctx.flows or st.get("topic") or st.get("paused")
                or wellbeing.recent(st) or episode_after(st) is not None)


def offer(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> bool:
    """A weak guess where the conversation is calm: answer it as such and ask the safety check."""
    from dialogues.skills.urgent import episodes

    st = turn.state
    kind = episodes(ctx).of_intent(parse.intent)
    if kind is None or not weak(ctx, parse, text):
        return False
    mood = wellbeing.mood(ctx, st, text)
    if mood is not None:
        wellbeing.reply(ctx, turn, mood)
    elif calm(ctx, st):
        reading = calm_reading(parse)
        if reading.is_fallback and st.get("flow") not in ctx.flows:
            turn.capability = "urgent"  # nothing calmer to say: only the question (no "did you mean")
        else:  # the tutorial step, or the best other reading, answers first
            turn.capability = reading.capability
            ctx.route(turn, reading, text)
    else:
        return False
    asked = st.get("safety_check") or {}
    if st["turns"] - int(asked.get("turn", -99)) <= RECHECK_TURNS:
        return True  # asked a moment ago (and not answered unsafe): not asked again
    st["safety_check"] = {"kind": kind.name, "intent": parse.intent, "turn": st["turns"]}
    say(turn, T.SAFETY_CHECK.format(line=kind.check),
        ((T.SAFETY_YES, {"safety": "safe"}), (T.SAFETY_NO, {"safety": "unsafe"})))
    return True


def calm_reading(parse: ParseResult) -> ParseResult:
    """The parse without its urgent guess: the best other intent, or no reading (the fallback)."""
    best = next(((i, c, cap) for i, c, cap in parse.ranking if cap != "urgent"), None)
    if best is None or best[1] < FALLBACK_THRESHOLD:
        best = ("nlu_fallback", parse.confidence, "out_of_scope")
    return ParseResult(parse.text, best[0], best[2], best[1], parse.entities, parse.ranking)


def answers(ctx: Context, turn: Turn, parse: ParseResult, text: str, action: dict[str, Any] | None) -> bool:
    """The answer to the safety check asked last turn: unsafe raises the alarm, safe is thanked.

    Anything else is read as usual (the question is not asked again), and so is a safe answer that
    also asks to go on learning (好 接着学吧). False when no check waits.
    """
    from dialogues.skills.urgent import alarm, episodes

    st = turn.state
    asked = st.get("safety_check")
    if not asked or asked.get("answer") or asked.get("turn") != st["turns"] - 1:
        return False
    pressed = (action or {}).get("safety")
    said = plain_text(text)
    safe = pressed == "safe" or (pressed is None and bool(SAFE_RE.search(said)))
    unsafe = pressed == "unsafe" or (pressed is None and not safe and bool(UNSAFE_RE.search(said)))
    if unsafe or (parse.capability == "urgent" and not safe):
        asked["answer"] = "unsafe"
        named = episodes(ctx).opening(parse.intent, said) if parse.capability == "urgent" else None
        alarm(ctx, turn, parse, text, named or episodes(ctx).kinds.get(str(asked.get("kind"))))
        return True
    if safe or (pressed is None and WEAK_YES_RE.search(said)):
        asked["answer"] = "safe"
        turn.capability = "smalltalk"  # a calm exchange: nothing urgent was served
        say(turn, T.SAFETY_OK)
        # 好 接着学吧: thanked, and the rest is read as usual (the paused tutorial comes back).
        return parse.capability == "urgent" or not tutorial.asks_to_resume(ctx, st, parse, text)
    asked["answer"] = "none"
    return False
