"""Answers straight from the knowledge base: an entry by id, platforms, and the best matches.

An entry button (您是不是想问：…) is answered by its kind; 用什么软件买菜 lists the apps still
operating (those of the person's region first), grouped by 送到家 or 自提点 with how to choose
(only the apps of one way when the person asks for it: 我就想要送到家的); when nothing fits, the best search matches
are offered as buttons, and an unclear message (``nlu_fallback``) gets the same.
"""

from __future__ import annotations

from typing import Any

from dialogues import texts as T
from dialogues.skills import handoff, marketing, policy, tutorial
from dialogues.skills.base import Context, menu, menu_button, say, worker_button
from dialogues.turn import Turn
from dialogues.understand import capability_of, synthetic
from knowledge import topics
from knowledge.regions import coverage
from nlu.result import ParseResult


def answer_entry(ctx: Context, turn: Turn, entry_id: str, text: str) -> None:
    """An entry chosen by its button: a tutorial, policy, marketing tips, a tool, a hotline or a platform."""
    entry = ctx.kb.get(entry_id)
    if entry is None:
        fallback(ctx, turn, synthetic("nlu_fallback", text, "out_of_scope"), text)
        return
    kind = entry["kind"]
    if kind == "tutorial" and entry_id in ctx.flows:
        tutorial.start_flow(ctx, turn, ctx.flows[entry_id])
    elif kind == "policy":
        policy.say_policy(turn, entry)
        say(turn, T.POLICY_ELIGIBILITY, (worker_button(), menu_button()))
        turn.rate = {"kind": "policy", "subject": entry_id, "title": str(entry["title"])}
    elif kind == "marketing" and entry["intents"]:
        marketing.respond(ctx, turn, synthetic(entry["intents"][0], text), text)
    elif kind == "tool":
        turn.state["tool"] = entry_id
        lines = [T.TOOL_SUMMARY.format(name=entry["name"], reason=entry["reason"]), T.TOOL_FREE.format(free=entry["free"])]
        say(turn, "\n".join(lines), T.TOOL_BUTTONS)
        turn.rate = {"kind": "tool", "subject": entry_id, "title": str(entry["name"])}
    elif kind == "hotline":
        say(turn, (T.HOTLINE_LINE.format(number=entry["number"], use=entry["use"])
                   + f"\n{entry.get('notes', '')}").strip())
    elif kind == "platform":
        say_platform(ctx, turn, entry)


def say_platform(ctx: Context, turn: Turn, entry: dict[str, Any]) -> None:
    """What a platform is, what to use instead if it closed, and its tutorial when there is one."""
    text = T.PLATFORM_NOTES.format(name=entry["name"], summary=str(entry["summary"]).strip())
    alts = entry.get("alternatives") or []
    if alts:
        text += "\n" + T.ALTERNATIVES.format(names="、".join(map(str, alts)))
    place = str(turn.state["slots"].get("region") or "")
    if place and entry.get("state") == "operating":
        # Said only when the person told us where they are: what the content knows about that place.
        known = coverage(entry, place)
        as_of = str((entry.get("regions") or {}).get("as_of") or "")
        text += "\n" + {"served": T.REGION_SERVED, "left": T.REGION_GONE, "national": T.REGION_NATIONAL}.get(
            known or "", T.REGION_UNKNOWN).format(region=place, name=entry["name"], as_of=as_of)
    buttons: list[Any] = []
    if entry.get("tutorial") in ctx.flows:
        buttons.append((T.TEACH_ME.format(name=entry["name"]), {"flow": entry["tutorial"]}))
    buttons.append(menu_button())
    say(turn, text, tuple(buttons))


def platform_by_name(ctx: Context, names: list[str], platforms: list[dict[str, Any]] | None = None
                     ) -> dict[str, Any] | None:
    """The platform entry (of ``platforms``, default all) named by a platform entity value.

    An exact name wins, then an entry with a tutorial (美团 -> 美团闪购, not the closed 美团优选).
    """
    if not names:
        return None
    platforms = ctx.kb.by_kind("platform") if platforms is None else platforms
    matches = [p for p in platforms if p["name"] in names or any(n in p["name"] for n in names)]
    exact = [p for p in matches if p["name"] in names]
    taught = [p for p in matches if p.get("tutorial") in ctx.flows]
    return (exact or taught or matches or [None])[0]


def answer_from_search(ctx: Context, turn: Turn, question: str, parse: ParseResult) -> None:
    """No flow or entry for this intent: answer with the best knowledge matches, if any."""
    if parse.intent == "choose_grocery_app":
        turn.state["topic"] = {"intent": "choose_grocery_app"}  # 我在长沙 next says where: the apps there
        platforms = ctx.kb.by_intent("choose_grocery_app", "platform")
        match = platform_by_name(ctx, parse.entity_values("platform"), platforms)
        if match:
            say_platform(ctx, turn, match)
            return
        operating = [p for p in platforms if p.get("state") == "operating"]
        if operating:
            lines = [T.APPS_OPERATING]
            place = next(iter(parse.entity_values("region")), "") or str(turn.state["slots"].get("region") or "")
            # "我在湖南 用啥买菜好": what the content declares about the place (regions), never text matching.
            local = [p for p in operating if coverage(p, place) == "served"]
            gone = [p for p in platforms if p.get("state") == "operating" and coverage(p, place) == "left"]
            operating = [p for p in operating if p not in gone]
            if gone:
                lines = [T.REGION_LEFT.format(region=place, names="、".join(p["name"] for p in gone)), *lines]
            if local:
                lines = [T.REGION_APPS.format(region=place, names="、".join(p["name"] for p in local)), *lines]
                operating = local + [p for p in operating if p not in local]
            # 我就想要送到家的: the apps of the way asked for (asks.yml delivery_home / delivery_pickup).
            asked = topics.kinds_of(question, ctx.kb.asks())
            ways = [m for m in T.APPS_BY_DELIVERY if f"delivery_{m}" in asked]
            if len(ways) == 1 and any(p.get("delivery") == ways[0] for p in operating):
                operating = [p for p in operating if p.get("delivery") == ways[0]]
            lines += by_delivery(operating)
            say(turn, "\n".join(lines), tuple((p["name"], {"entry": p["id"]}) for p in operating[:6]))
            return
    hits = ctx.kb.search(question, limit=3)
    if hits:
        say(turn, T.DID_YOU_MEAN, tuple((h.title, {"entry": h.id}) for h in hits) + (worker_button(),))
    else:
        say(turn, T.NO_TUTORIAL, (worker_button(), menu_button()))


def by_delivery(platforms: list[dict[str, Any]]) -> list[str]:
    """The apps grouped by how the food comes (their ``delivery``: 送到家 or 自提点), then how to choose
    when both ways are there, and the address to fill in; apps whose way is not known are listed on their own."""
    lines = [f"・{T.APPS_BY_DELIVERY[mode].format(names='、'.join(p['name'] for p in group))}"
             for mode in T.APPS_BY_DELIVERY if (group := [p for p in platforms if p.get("delivery") == mode])]
    advice = [T.APPS_CHOOSE, T.APPS_ADDRESS] if len(lines) > 1 else [T.APPS_ADDRESS] if lines else []
    lines += [f"・{p['name']}" for p in platforms if p.get("delivery") not in T.APPS_BY_DELIVERY]
    return [*lines, *advice]


def fallback(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> None:
    """The NLU is unsure: the best matches as buttons (or the menu); at the limit, a social worker is offered."""
    platform = platform_by_name(ctx, parse.entity_values("platform"))
    if platform and topics.ask_of(text, ctx.kb.asks()) in ("status", "coverage"):
        turn.capability = capability_of("choose_grocery_app")
        # 盒马会员店还开着吗 / 叮咚买菜哪能用: what we know of that platform (and its tutorial), not a guess
        say_platform(ctx, turn, platform)
        return
    if handoff.missed(ctx, turn):
        return
    hits = ctx.kb.search(text, limit=3) if text.strip() else []
    if hits:
        say(turn, T.DID_YOU_MEAN, tuple((h.title, {"entry": h.id}) for h in hits) + ((T.NONE_OF_THESE, {"nav": "nav_menu"}),))
    else:
        say(turn, T.NOT_UNDERSTOOD)
        menu(turn)


def platform_fees(turn: Turn, platform: str, buttons: tuple[Any, ...]) -> None:
    """"拼多多开店要多少保证金": where to read the fees, never a guessed figure (opening a shop is taught)."""
    turn.capability = capability_of("open_shop")
    say(turn, T.PLATFORM_FEES.format(platform=platform), buttons)
