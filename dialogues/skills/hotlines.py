"""Hotlines: a verified number from the content (knowledge/content/hotlines.yml), never a guessed one.

反诈专线是多少 / 12345是干啥的 get the number and what it is for; a number we have not verified
gets "ask 12345 or a social worker"; 美团客服电话 gets where customer service is in the app.
A question about a situation (万一家里老人走丢了 一般打什么电话) gets that situation's number: the
situation is the urgent kind whose words (``signals`` in ``dialogues/episodes.yml``) the question
names, and the number is the hotline entry serving that kind (its ``intents``) whose keywords the
question names, else the kind's own hotline (走丢 -> 110, 晕倒 -> 120, 着火 -> 119, 家暴 -> 12338).
ask_hotline is a policy-capability intent: the policy skill hands it here.
"""

from __future__ import annotations

import re
from typing import Any

from dialogues import texts as T
from dialogues.cues import plain_text
from dialogues.skills.base import Context, cues, expectations, menu_button, say, serve, worker_button
from dialogues.turn import Turn
from dialogues.understand import synthetic
from knowledge import topics
from nlu.result import ParseResult

PHONE_WORDS_RE = re.compile(r"电话|号码|\d{3,}")


def respond(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> None:
    """"反诈专线是多少" / "美团客服电话": a verified hotline from the content, never a guessed number."""
    asked = parse.text or ""  # the words read, as the NLU saw them
    buttons = (worker_button(), menu_button())
    hotlines = ctx.kb.by_kind("hotline")
    number = re.search(r"\d{3,6}", asked)
    entry = next((h for h in hotlines if number and str(h.get("number")) == number.group(0)), None)
    if entry is None and cues(expectations("hotlines")["searched"]).search(asked):
        platform_service(turn, T.SEARCHED_NUMBER)  # 网上搜到一个400开头的: never confirmed, the way in the app
        return
    if entry is None and number:  # "12366是什么电话": a number we have not verified; never another one
        say(turn, T.HOTLINE_UNKNOWN, buttons)
        return
    if entry is None and (parse.entity_values("platform") or "客服" in asked):
        platform_service(turn, T.PLATFORM_SERVICE)
        return
    if entry is None:
        ids = {h["id"] for h in hotlines if not str(h.get("number", "")).count("/")}
        hit = next((h for h in ctx.kb.search(asked, limit=5, kinds=("hotline",)) if h.id in ids), None)
        entry = ctx.kb.get(hit.id) if hit else None
        if entry and not any(str(k) in asked for k in entry.get("keywords") or []):
            entry = None  # 税务局电话多少 shares only 电话 with 96110: never another office's number
    if entry is None:
        entry = for_situation(ctx, asked)  # 老人走丢了 打什么电话: the number for that situation
    if entry is None:
        say(turn, T.HOTLINE_UNKNOWN, buttons)
        return
    turn.state["hotline_turn"] = turn.state["turns"]  # 妇女维权那个呢 next asks for another one
    notes = [str(n) for n in entry.get("notes") or []]
    best = topics.best_line(notes, asked)  # "12315 电话老占线": the note about that first
    notes = ([best] if best else []) + [n for n in notes if n != best][: 1 if best else 2]
    say(turn, "\n".join([T.HOTLINE_LINE.format(number=entry["number"], use=entry["use"]), *notes]), buttons)


def for_situation(ctx: Context, asked: str) -> dict[str, Any] | None:
    """The hotline entry for the situation the question names (老人走丢了 -> 110), or None.

    The situation is the first urgent kind whose ``signals`` the words match; of the entries that
    serve it (their ``intents``), one whose keywords the question names wins (着火 -> 119 over 110
    for danger now), else the one with the kind's own hotline number.
    """
    from dialogues.skills.urgent import episodes  # the urgent skill's content (imported late: no cycle)

    said = plain_text(asked)
    kind = next((k for k in episodes(ctx).kinds.values() if k.signals is not None and k.signals.search(said)), None)
    if kind is None:
        return None
    serving = [h for h in ctx.kb.by_kind("hotline")
               if set(h.get("intents") or ()) & set(kind.intents) and "/" not in str(h.get("number", ""))]
    named = [h for h in serving if any(str(k) in said for k in h.get("keywords") or [])]
    return next(iter(named), None) or next((h for h in serving if str(h.get("number")) == kind.hotline), None)


def platform_service(turn: Turn, text: str) -> None:
    """Where a platform's customer service is (in the app, never a searched number); follow-ups expected."""
    turn.state["topic"] = {"intent": "ask_hotline", "expects": "platform_service"}
    say(turn, text, (worker_button(), menu_button()))


def follow_up(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> bool:
    """After the way to a platform's customer service: 那我在APP里咋找客服 gets the steps in the app;
    网上搜到一个400开头的 the warning again. False when the message is about something else."""
    topic = turn.state.get("topic") or {}
    if parse.capability in ("urgent", "handoff", "privacy"):
        return False
    if topic.get("expects") != "platform_service":
        return False
    data = expectations("hotlines")
    if cues(data["in_app"]).search(text):
        serve(turn, "teach", "hotlines")  # how to do it in the app
        say(turn, T.SERVICE_IN_APP, (worker_button(), menu_button()))
        return True
    if cues(data["searched"]).search(text):
        serve(turn, "policy", "hotlines")
        platform_service(turn, T.SEARCHED_NUMBER)
        return True
    return False


ANOTHER_RE = re.compile(r"(那个|那|的|电话|号码?|热线)\W*(呢|是多少|多少)\W*$|^\W*(那|还有)")


def another(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> bool:
    """"妇女维权那个呢" right after a hotline: a short question naming another verified hotline's
    keywords (or a situation) gets that hotline; anything else is not this follow-up."""
    st = turn.state
    if st.get("hotline_turn") != st["turns"] - 1 or parse.capability in ("urgent", "handoff", "privacy"):
        return False
    said = plain_text(text)
    if len(re.sub(r"\W", "", said)) > 14 or not ANOTHER_RE.search(said):
        return False
    named = [h for h in ctx.kb.by_kind("hotline") if "/" not in str(h.get("number", ""))
             and any(str(k) in said for k in h.get("keywords") or [])]
    if not named and for_situation(ctx, said) is None:
        return False
    serve(turn, "policy", "hotlines")
    turn.intent = "ask_hotline"
    respond(ctx, turn, synthetic("ask_hotline", said), said)
    return True


def searched(text: str, ctx: Context | None = None) -> bool:
    """True when the message is about a phone number found by searching (我在网上搜了个快递客服电话 打不打):
    the scam warning comes first, whatever topic the chat was on. A hotline the content has verified,
    named by the person (12315网上咋投诉 俺打电话说不明白), is no searched number."""
    if ctx is not None and named(ctx, text):
        return False
    return bool(cues(expectations("hotlines")["searched"]).search(text)) and bool(PHONE_WORDS_RE.search(text))


def named(ctx: Context, text: str) -> bool:
    """True when the message names a hotline number the content has verified (96110, 12315 …)."""
    said = re.findall(r"(?<!\d)\d{3,6}(?!\d)", text)
    return bool(said) and any(str(h.get("number")) in said for h in ctx.kb.by_kind("hotline"))
