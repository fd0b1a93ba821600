"""The safety check: 您现在安全吗？ instead of an alarm the conversation does not support.

Issue 13, items 1 and 5: the state reads the message first, even an urgent one. An urgent guess
of the classifier alone (no urgent rule in ``nlu/urgent_rules.yml`` fires) is read calmly when

- the state expects something the message fits (``expects``): a whole yes/no answer to the
  question the bot asked (中 删 俺想好了), a report or question on the open tutorial's steps
  (写好了 也点了保存: a step named by its cues, a step question, or a "done" whose words are the
  current step's), or words of loneliness, grief or worry that ``wellbeing`` recognises (老伴走了
  半年了 … 没啥心思), at any confidence (no confidence separates these from real emergencies the
  rules miss: docs/safety.md); or
- it is *weak* (below ``urgent_check_below``) and the conversation is calm (a tutorial, a topic,
  a chat about loneliness, an episode just over): ``offer``.

Such a message is answered as the conversation reads it (the pending question, the tutorial step,
the mood, or the best other intent), followed by the short question with two buttons and one
hotline line of the guessed kind; no urgent ticket is opened. An unsafe answer raises the full
alarm of that kind; the question is not asked again for a few messages. A guess a rule backs,
words of danger (``dialogues/expectations/safety_check.yml``, wellbeing's ``unless``), an open or
just-ended episode, or a classifier-only guess with no calm reading always alarm at once.
Measured by ``bench/urgent_check_eval.py`` (docs/safety.md).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from dialogues import texts as T
from dialogues.cues import first_match, plain_text
from dialogues.skills import tutorial, wellbeing
from dialogues.skills.base import Context, cues, expectations, say
from dialogues.skills.tutorial.reading import ASK_RE, DONE_RE, UNSURE_RE, best_question, clauses, read, steps_named
from dialogues.schema import Flow
from dialogues.state import State, episode_after, episode_kind, right_after_alarm
from dialogues.turn import Turn
from nlu.result import ParseResult

DEFAULT_BELOW = 0.5
STEP_CLAUSE_CHARS = 20  # a longer clause is never read as a step report
STEP_WORDS_SHARE = 0.6  # a bare "done" is the current step's when this share of its words are the step's
MOOD_ASIDE_CHARS = 5  # a clause beside the feelings (店还开着) is no longer than this
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
    if kind is None or not weak(ctx, parse, text) or dangerous(plain_text(text)):
        return False  # words of danger are never read calmly, however weak the guess
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
    ask(ctx, turn, parse)
    return True


def ask(ctx: Context, turn: Turn, parse: ParseResult) -> None:
    """After the calm answer: 您现在安全吗？ with two buttons and the hotline line of the guessed kind."""
    from dialogues.skills.urgent import episodes

    st = turn.state
    kind = episodes(ctx).of_intent(parse.intent)
    asked = st.get("safety_check") or {}
    if kind is None or st["turns"] - int(asked.get("turn", -99)) <= RECHECK_TURNS:
        return  # asked a moment ago (and not answered unsafe): not asked again
    st["safety_check"] = {"kind": kind.name, "intent": parse.intent, "turn": st["turns"]}
    say(turn, T.SAFETY_CHECK.format(line=kind.check),
        ((T.SAFETY_YES, {"safety": "safe"}), (T.SAFETY_NO, {"safety": "unsafe"})))


# ---- what the state expects, read before any alarm ---------------------------------------------

def expects(ctx: Context, st: State, parse: ParseResult, text: str) -> str | None:
    """What the state expects that a classifier-only urgent guess fits, else None (it alarms).

    ``"answer"``: a whole yes/no answer to the question the bot asked; ``"step"``: a report or a
    question on the open tutorial's steps; ``"mood"``: loneliness, grief or worry (``wellbeing``).
    """
    from dialogues.skills.urgent import episodes

    if parse.capability != "urgent" or episodes(ctx).of_intent(parse.intent) is None:
        return None
    if episode_kind(st, ctx.clock().timestamp()) is not None or episode_after(st) is not None \
            or right_after_alarm(st) or awaits_answer(st):
        return None  # an episode (or the check) reads the message: urgent.respond
    said = plain_text(text)
    if dangerous(said) or rule_fired(parse, text):
        return None
    pending = st.get("pending") or {}
    if pending.get("type") and answers_question(text):
        return "answer"
    flow = ctx.flows.get(str(st.get("flow")))
    if flow is not None and fits_step(flow, max(0, min(int(st.get("step") or 0), len(flow.steps) - 1)), text):
        return "step"
    if fits_mood(ctx, st, text):
        return "mood"
    return None


def awaits_answer(st: State) -> bool:
    """True when the safety check was asked last turn and is not answered yet."""
    asked = st.get("safety_check") or {}
    return bool(asked) and not asked.get("answer") and asked.get("turn") == st["turns"] - 1


@lru_cache(maxsize=1)
def _words() -> dict[str, Any]:
    data = expectations("safety_check")
    return {"danger": cues(data["danger"]), "yes": cues(data["answer_yes"]), "no": cues(data["answer_no"]),
            "decided": cues(data["decided"]), "light": cues(data["light"]), "filler": re.compile(data["filler"])}


def dangerous(said: str) -> bool:
    """Words of danger (the safety check's own and wellbeing's ``unless``): never read calmly."""
    unless = wellbeing.default_moods().unless
    return bool(_words()["danger"].search(said) or (unless is not None and unless.search(said)))


def answers_question(text: str) -> bool:
    """中 删 俺想好了 / 不用了: every clause is a yes, a no, or says the decision is made (and one is a yes or no)."""
    said = [c for c in (plain_text(c) for c in clauses(text)) if c]
    words = _words()
    kinds = [next((k for k in ("yes", "no", "decided") if words[k].search(c)), None) for c in said]
    return bool(said) and None not in kinds and any(k in ("yes", "no") for k in kinds)


def answer_reading(parse: ParseResult, text: str) -> tuple[ParseResult, str]:
    """A whole answer as the pending question reads it: affirm or deny, and its yes or no words only
    (中 删 俺想好了 -> 中 删); the question's own rules decide on those words."""
    words = _words()
    said = [c for c in clauses(text) if not words["decided"].search(plain_text(c))]
    intent = "deny" if any(words["no"].search(plain_text(c)) for c in said) else "affirm"
    return ParseResult(parse.text, intent, "smalltalk", 1.0, parse.entities, ((intent, 1.0, "smalltalk"),)), " ".join(said)


def fits_step(flow: Flow, current: int, text: str) -> bool:
    """Every clause of the message is about the tutorial's steps, and one names them.

    A clause is *anchored* when it reports or asks about a step named by its cues (早就装好了 /
    也登进去了), asks a step question, or reports a "done" in the current step's own words (也点了
    保存: its text, simpler words, sub-steps, questions and answers); it is *light* when it is a bare
    done (写好了) or an acknowledgement (这个我晓得的). Anything else in the message (后事都安排好了 …
    跟你说一声) is not the tutorial's, and the guess alarms.
    """
    if read(flow, current, text).mistake:
        return False
    step = flow.steps[current]
    own = " ".join((step.text, step.simpler, *step.substeps, *step.cues,
                    *(q.answer for q in step.questions), *(w for q in step.questions for m in q.match for w in m)))
    anchored = False
    for clause in clauses(text):
        said = plain_text(clause)
        if not said or _words()["light"].search(said):
            continue
        if len(said) > STEP_CLAUSE_CHARS:
            return False  # a long run-on says more than a step report
        done = bool(DONE_RE.search(said)) and not ASK_RE.search(said) and not UNSURE_RE.search(said)
        if steps_named(flow, said) or best_question(flow, said, current) is not None:
            anchored = True
            continue
        rest = _words()["filler"].sub("", said)
        if done and rest and covered(rest, own) >= STEP_WORDS_SHARE:
            anchored = True
            continue
        if done and len(rest) <= 1:
            continue  # 写好了 / 装好了: light
        return False
    return anchored


def covered(rest: str, own: str) -> float:
    """The share of the characters of ``rest`` inside a two-character word that ``own`` has too."""
    inside = set()
    for i in range(len(rest) - 1):
        if rest[i:i + 2] in own:
            inside |= {i, i + 1}
    return len(inside) / len(rest)


def fits_mood(ctx: Context, st: State, text: str) -> bool:
    """Loneliness, grief or worry make up most of the message: a mood cue in most clauses, and the
    other clauses short (店还开着). 我一个人在家 突然站不起来了 腿没知觉 is no mood."""
    book = wellbeing.default_moods()
    said = [plain_text(c) for c in clauses(text)]
    said = [c for c in said if c]
    if not said or wellbeing.mood(ctx, st, text) is None:
        return False
    felt = [c for c in said if first_match(book.moods, c) or first_match(book.followups, c)]
    rest = [c for c in said if c not in felt]
    return 2 * len(felt) > len(said) and all(len(c) <= MOOD_ASIDE_CHARS for c in rest)


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
