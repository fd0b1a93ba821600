"""Hotlines: a verified number from the content (knowledge/content/hotlines.yml), never a guessed one.

反诈专线是多少 / 12345是干啥的 get the number and what it is for; a number we have not verified
gets "ask 12345 or a social worker"; 美团客服电话 gets where customer service is in the app.
ask_hotline is a policy-capability intent: the policy skill hands it here.
"""

from __future__ import annotations

import re

from dialogues import texts as T
from dialogues.skills.base import Context, menu_button, say, worker_button
from dialogues.turn import Turn
from knowledge import topics
from nlu.result import ParseResult


def respond(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> None:
    """"反诈专线是多少" / "美团客服电话": a verified hotline from the content, never a guessed number."""
    asked = parse.text or ""  # the words read, as the NLU saw them
    buttons = (worker_button(), menu_button())
    hotlines = ctx.kb.by_kind("hotline")
    number = re.search(r"\d{3,6}", asked)
    entry = next((h for h in hotlines if number and str(h.get("number")) == number.group(0)), None)
    if entry is None and number:  # "12366是什么电话": a number we have not verified; never another one
        say(turn, T.HOTLINE_UNKNOWN, buttons)
        return
    if entry is None and (parse.entity_values("platform") or "客服" in asked):
        say(turn, T.PLATFORM_SERVICE, buttons)
        return
    if entry is None:
        ids = {h["id"] for h in hotlines if not str(h.get("number", "")).count("/")}
        hit = next((h for h in ctx.kb.search(asked, limit=5, kinds=("hotline",)) if h.id in ids), None)
        entry = ctx.kb.get(hit.id) if hit else None
        if entry and not any(str(k) in asked for k in entry.get("keywords") or []):
            entry = None  # 税务局电话多少 shares only 电话 with 96110: never another office's number
    if entry is None:
        say(turn, T.HOTLINE_UNKNOWN, buttons)
        return
    notes = [str(n) for n in entry.get("notes") or []]
    best = topics.best_line(notes, asked)  # "12315 电话老占线": the note about that first
    notes = ([best] if best else []) + [n for n in notes if n != best][: 1 if best else 2]
    say(turn, "\n".join([T.HOTLINE_LINE.format(number=entry["number"], use=entry["use"]), *notes]), buttons)
