"""Tutorials: YAML flows walked one step per message.

Choosing the tutorial (and asking once which app when it matters; an app with no tutorial
of its own gets the general one that names it), a step that asks for a slot, words
explained in place (验证码是啥), and tutorials left half-way: paused, offered back, resumed
(接着学吧 / 刚才学到哪了 after any interruption takes the paused one back at the step that was
left: the words are ``resume`` in ``dialogues/expectations/tutorial.yml``).
Showing and walking the steps (下一步 … 没看懂 and sub-steps) is in ``steps``; reading what
the person says about the steps (progress, step questions, mistakes) in ``reading``.
"""

from __future__ import annotations

import re
from typing import Any

from dialogues import texts as T
from dialogues.cues import plain_text
from dialogues.schema import Flow
from dialogues.skills import answers
from dialogues.skills.base import Context, cues, expectations, menu, menu_button, say, worker_button
from dialogues.skills.tutorial.reading import best_question, follow, mandarin
from dialogues.skills.tutorial.steps import (CAPABILITY, STEP_NAV, finish_flow, navigate, show_step,
                                             step_buttons)
from dialogues.state import State, answered, ask, pause, persona, unpause
from dialogues.turn import Turn
from dialogues.understand import capability_of, synthetic, yes_or_no
from knowledge import topics
from nlu.result import ParseResult

GLOSSARY_RE = re.compile(r"(.{2,8}?)(是啥|是什么|是个啥|是啥子|啥意思|什么意思|是干嘛的|是干啥的|指的是|是哪个|是谁)")
DONT_KNOW_RE = re.compile(r"^\W*(我|俺)?(也)?(不知道|不晓得|不清楚|不懂|搞不清|说不上来|忘了|记不得|其他|别的|都不是|没有|没用过"
                          r"|随便|都行|都可以|哪个都行|无所谓|你定|你说了算|你看着办|随你|你帮我选|你推荐|你说哪个)")
# While the bot waits for the app, these go on with the general tutorial rather than the menu.
GO_ON_INTENTS = {"nav_next", "nav_repeat"}
HOWTO_RE = re.compile(r"怎么|咋|如何|教|学|不会")  # 淘宝买菜咋个用 asks to be taught, not what the app is
WANT_RE = re.compile(r"(想|要|就|打算|准备|决定)(用|学)")  # 我想用美团买菜 / 我要学小象超市: the app is chosen, teach it
NEVER_TAKEN = ("urgent", "handoff", "privacy")  # never read as the answer to a question of ours
SELLER_PLATFORMS = {"抖店", "快手小店", "微信小店", "美团外卖", "拼多多商家版"}  # only sellers use these
OTHER_TUTORIAL = 0.8  # 接着学防骗 read this surely as another tutorial's intent starts that one instead


def respond(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> None:
    """Start (or go back to) the tutorial for this intent; without one, answer from the knowledge base."""
    teach(ctx, turn, parse)


def teach(ctx: Context, turn: Turn, parse: ParseResult, generic: bool = False) -> None:
    """The tutorial that fits the intent and what we know (the app); ``generic``: the general one."""
    st = turn.state
    slots = st["slots"]
    candidates = [f for f in ctx.flows.values() if parse.intent in f.intents]
    over = taking_over(ctx, parse)
    if over is not None and not generic and over.id != st.get("flow"):
        start_answering(ctx, turn, over, over.intents[0] if over.intents else "", parse.text or "")
        return
    named = named_flow(ctx, parse.text or "") if not candidates else None
    if named is not None:
        start_flow(ctx, turn, named, named.intents[0] if named.intents else "")  # 我想当个社区团长 从哪开始弄
        return
    if not candidates:
        if not (parse.intent == "choose_grocery_app" and (chosen_app(ctx, turn, parse) or teach_other_app(ctx, turn, parse))):
            answers.answer_from_search(ctx, turn, parse.text or parse.intent, parse)
        return
    specific = [f for f in candidates if f.when]
    general = [f for f in candidates if not f.when]
    chosen = None if generic else next((f for f in specific if f.matches(slots)), None)
    other_app = stand_in(ctx, st) if chosen is None and not generic else None
    if other_app is not None and other_app[0] in general:
        # An app with no tutorial of its own (京东到家): the general one, naming it; never a dead end.
        start_flow(ctx, turn, other_app[0], parse.intent, named=other_app[1])
        return
    if chosen is None and general and (generic or not specific):
        chosen = general[0]
    if chosen is None and specific and not generic:
        # Several tutorials differ by platform and we don't know which app: ask once.
        options = []
        for f in specific[:6]:
            value = f.when.get("platform")
            value = value[0] if isinstance(value, list) and value else value
            if isinstance(value, str):
                options.append((value, {"intent": parse.intent, "slots": {"platform": value}}))
        options.append((T.PLATFORM_OTHER, {"text": T.PLATFORM_OTHER}))
        asked = next((q for f in [*specific, *general] if (q := best_question(f, parse.text or "", 0))), None)
        if asked is not None:
            say(turn, asked[1].answer)  # 购物车里多出来的咋删 / 万一钱付了菜没送来咋办: answered now; the app is asked all the same
        ask(st, "choose_platform", intent=parse.intent)
        say(turn, T.ASK_PLATFORM, tuple(options))
        return
    if chosen is None:
        chosen = candidates[0]
    if parse.intent == "app_install" and not chosen.when and not generic:
        # "想用美团买菜 但是不会下载": every app's own tutorial starts with installing it.
        own = [f for f in ctx.flows.values() if f.when and "grocery_order" in f.intents and f.matches(slots)]
        chosen = own[0] if own else chosen
    paused = st.get("paused") or {}
    if paused.get("flow") == chosen.id and not st.get("flow"):
        # Back to a tutorial left half-way (菜单 -> 学用手机买菜): go on where they stopped.
        unpause(st)
        st["flow"], st["step"] = chosen.id, int(paused.get("step", 0))
        say(turn, T.RESUMED.format(title=chosen.title))
        show_step(turn, chosen)
        return
    if chosen.id == st.get("flow"):
        # Asked about the tutorial they are already in: stay on the current step.
        turn.events.append({"type": "same_flow"})
        show_step(turn, chosen)
        return
    start_answering(ctx, turn, chosen, parse.intent, parse.text or "")


def start_answering(ctx: Context, turn: Turn, flow: Flow, intent: str, text: str) -> None:
    """Start the tutorial; a step question the message asks is answered first (the step stays).

    美团外卖那边还要准备啥 starts the shop tutorial and gets its answer; 万一有人装成客服给我打电话呢,
    asked before learning, gets the answer, then the lesson's first step."""
    before = len(turn.replies)
    start_flow(ctx, turn, flow, intent)
    asked = best_question(flow, text, int(turn.state.get("step", 0)))
    if asked is not None:
        say(turn, asked[1].answer)
        turn.replies.insert(before, turn.replies.pop())  # the answer first; the step (and its buttons) last


def taking_over(ctx: Context, parse: ParseResult) -> Flow | None:
    """The tutorial that replaces the one ``parse.intent`` starts, because the message says the person is
    past its start (闺女帮俺下的单 今天找不着了: finding the order, not installing the app); or None."""
    said = (plain_text(parse.text or ""), mandarin(parse.text or ""))
    return next((f for f in ctx.flows.values() if parse.intent in f.takes_over
                 and any(all(w in s for w in words) for words in f.said for s in said)), None)


def asked_flow(ctx: Context, text: str, intent: str) -> Flow | None:
    """The tutorial of ``intent`` one of whose steps declares the question the message asks
    (明早怎么分货不出错: the group leader's one, whose step 5 answers it), or None."""
    return next((f for f in ctx.flows.values() if intent in f.intents and best_question(f, text, 0)), None)


def answer_platform(ctx: Context, turn: Turn, pending: dict[str, Any], parse: ParseResult, text: str,
                    no: bool) -> bool:
    """Which app? An app named starts its tutorial; 不知道 / 其他 / 随便 / 下一步 the general one. False: not an answer."""
    st = turn.state
    intent = pending.get("intent", "grocery_order")
    if parse.entity_values("platform"):
        teach(ctx, turn, synthetic(intent, text))
        return True
    if no or text.strip() == T.PLATFORM_OTHER or DONT_KNOW_RE.search(text) or parse.intent in GO_ON_INTENTS:
        st["slots"].pop("platform", None)
        teach(ctx, turn, synthetic(intent, text), generic=True)
        return True
    if parse.entity_values("region") and len(re.sub(r"\W", "", text)) <= 14 and parse.capability not in NEVER_TAKEN:
        # 我在南京: the apps there (their buttons tell each one's story and offer its tutorial).
        turn.capability = CAPABILITY
        answers.answer_from_search(ctx, turn, text, synthetic("choose_grocery_app", text))
        return True
    return False


def named_flow(ctx: Context, text: str, intent: str = "") -> Flow | None:
    """The tutorial the message names by its ``names`` (我想当个社区团长: the group-leader one); with
    ``intent``, only one of that intent's tutorials."""
    return next((f for f in ctx.flows.values() if f.names and (not intent or intent in f.intents)
                 and any(n in text for n in f.names)), None)


def chosen_app(ctx: Context, turn: Turn, parse: ParseResult) -> bool:
    """"我想用美团买菜 美团我点外卖用过的": an app chosen (not compared) that has a tutorial: that tutorial.

    The app written as such is preferred to one a word stands for (美团 over 美团买菜 -> 小象超市)."""
    if not WANT_RE.search(parse.text or ""):
        return False
    named = parse.entity_values("platform")
    literal = [e.value for e in parse.entities if e.entity == "platform" and e.value in (parse.text or "")]
    entry = answers.platform_by_name(ctx, literal) or answers.platform_by_name(ctx, named)
    if not entry or entry.get("state") == "closed" or entry.get("tutorial") not in ctx.flows:
        return False
    turn.state["slots"]["platform"] = entry["name"]
    start_flow(ctx, turn, ctx.flows[entry["tutorial"]], "grocery_order")
    return True


def teach_other_app(ctx: Context, turn: Turn, parse: ParseResult) -> bool:
    """"淘宝买菜咋个用": an app still open with no tutorial of its own gets what we know, then the general one."""
    other_app = stand_in(ctx, turn.state) if parse.entity_values("platform") else None
    if other_app is None or not HOWTO_RE.search(parse.text):
        return False
    general, named = other_app
    entry = answers.platform_by_name(ctx, [named]) or {}
    say(turn, T.PLATFORM_NOTES.format(name=entry.get("name", named), summary=str(entry.get("summary", "")).strip()))
    start_flow(ctx, turn, general, "grocery_order", named=named)
    return True


def start_flow(ctx: Context, turn: Turn, flow: Flow, intent: str = "", named: str = "") -> None:
    """Begin a tutorial (at the step its intent enters); one in progress is paused, and they are told.

    ``named``: the app the person named, when this is the general tutorial standing in for it.
    """
    st = turn.state
    if st.get("flow") and st["flow"] != flow.id and st["flow"] in ctx.flows:
        pause(st, st["flow"], st.get("step", 0))
        say(turn, T.FLOW_PAUSED.format(title=ctx.flows[st["flow"]].title))
    start = max(0, flow.step_index(flow.entry[intent])) if intent in flow.entry else 0
    st["flow"], st["step"] = flow.id, start
    st["topic"] = {"intent": intent or (flow.intents[0] if flow.intents else ""), "flow": flow.id}
    if named and flow.intro_named and start == 0:
        say(turn, flow.intro_named.format(platform=named))
    elif flow.intro and start == 0:
        say(turn, flow.intro)
    turn.events.append({"type": "flow_started", "flow": flow.id, "step": start})
    show_step(turn, flow)


def navigate_outside(ctx: Context, turn: Turn, intent: str, text: str) -> None:
    """Navigation words with no tutorial open: resume a paused one, repeat the last answer, or the menu."""
    st = turn.state
    if intent in ("nav_next", "affirm") and st.get("paused"):
        # As if they had answered "要继续刚才的…吗？" with yes (or with 不用 in the same words).
        yes, no = resume_answer(synthetic("affirm", text), text)
        answered(st)
        answer_resume(ctx, turn, yes, no)
    elif intent == "nav_repeat" and st.get("last"):
        for t in st["last"]:
            say(turn, t)
    elif intent == "nav_simpler":
        say(turn, T.NO_SIMPLER, (menu_button(), worker_button()))
    elif intent == "nav_exit":
        unpause(st)
        say(turn, T.DENY_REPLY)
    elif intent == "nav_next" and stand_in(ctx, st) is not None:
        # 下一步 after what we know of an app with no tutorial (京东到家): the general one, naming it.
        general, named = stand_in(ctx, st)
        turn.capability = CAPABILITY
        start_flow(ctx, turn, general, "grocery_order", named=named)
    else:
        menu(turn)


def stand_in(ctx: Context, st: State) -> tuple[Flow, str] | None:
    """The general tutorial and the app it stands in for: the app named last, still open, with no tutorial."""
    named = str(st["slots"].get("platform") or "")
    entry = answers.platform_by_name(ctx, [named]) if named else None
    general = next((f for f in ctx.flows.values() if f.intro_named), None)
    if entry is None or general is None or entry.get("state") == "closed" or entry.get("tutorial") in ctx.flows:
        return None
    return general, named


def glossary(ctx: Context, turn: Turn, text: str) -> bool:
    """"验证码是啥" / "自提点是什么意思": explain the word, and stay on the tutorial step (or the last topic)."""
    m = GLOSSARY_RE.search(re.sub(r"\s+", "", mandarin(text)))  # read as the NLU reads it (dialect words in Mandarin)
    if m is None or len(text.strip()) > 20:
        return False
    term = glossary_term(m.group(1))
    if term is None:
        return False
    say(turn, T.GLOSSARY[term])
    flow = ctx.flows.get(turn.state.get("flow") or "")
    topic = str((turn.state.get("topic") or {}).get("intent") or "")
    if flow is not None:
        turn.capability = CAPABILITY  # explained in place: the tutorial goes on
        say(turn, T.GLOSSARY_BACK)
        show_step(turn, flow)
    elif topic:
        turn.capability = capability_of(topic)  # T+1是啥意思 after the data tools: explained inside that answer
    return True


def glossary_term(words: str) -> str | None:
    """The glossary word in ``words``, as written or typed with a homophone (验正码 is 验证码)."""
    words = words.upper()
    exact = next((t for t in T.GLOSSARY if t in words), None)
    if exact is not None:
        return exact
    sounds = sound(words)
    return next((t for t in T.GLOSSARY if len(t) >= 3 and sound(t) and sound(t) in sounds), None)


def sound(words: str) -> str:
    """Toneless pinyin of the Chinese characters, syllables joined by '-' (other characters dropped)."""
    from pypinyin import lazy_pinyin  # noqa: PLC0415 (only read for a glossary question)

    chars = [c for c in words if "\u4e00" <= c <= "\u9fff"]
    return "-" + "-".join(lazy_pinyin(chars)) + "-" if chars else ""


def asks_slot(ctx: Context, st: State) -> bool:
    """True when the current tutorial step waits for an answer such as a budget."""
    flow = ctx.flows.get(st.get("flow") or "")
    return bool(flow and flow.steps[int(st.get("step", 0))].ask)


def answer_ask(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> bool:
    """The current step asks for a slot: take it from the entities or the text, then move on."""
    st = turn.state
    flow = ctx.flows[st["flow"]]
    step = flow.steps[int(st.get("step", 0))]
    if not step.ask:
        return False
    values = parse.entity_values(step.ask)
    if values:
        st["slots"][step.ask] = values[0]
    elif step.ask in ("persona", "need") and text.strip() and parse.capability not in ("urgent", "handoff"):
        return False
    elif not values:
        return False
    navigate(ctx, turn, "nav_next")
    return True


def offer_resume(ctx: Context, turn: Turn) -> None:
    """要继续刚才的「…」第3步吗？ (twice at most; 菜单 still leads back to every tutorial)."""
    st = turn.state
    paused = st["paused"]
    flow = ctx.flows.get(paused["flow"])
    offers = int(paused.get("offers", 0)) + 1
    if flow is None or offers > 2:
        # Offered twice and not taken: stop asking (菜单 still leads back to every tutorial).
        unpause(st)
        return
    paused["offers"] = offers
    ask(st, "resume")
    say(turn, T.RESUME_OFFER.format(title=flow.title, n=int(paused["step"]) + 1),
        tuple(zip(T.RESUME_BUTTONS, ({"answer": "yes"}, {"answer": "no"}))))


def said_resume(text: str) -> bool:
    """True when the words ask to go on learning (接着学吧, 刚才学到哪了; not 不想接着学了)."""
    data = expectations("tutorial")
    said = plain_text(text)
    return bool(cues(data["resume"]).search(said)) and not cues(data["resume_unless"]).search(said)


def resume_answer(parse: ParseResult, text: str) -> tuple[bool, bool]:
    """``(yes, no)`` to going on with the paused tutorial: asking to go on learning is a yes, even after
    算了 (算了 接着学吧 drops the talk before it, not the tutorial)."""
    return (True, False) if said_resume(text) else yes_or_no(parse, text)


def asks_to_resume(ctx: Context, st: State, parse: ParseResult, text: str) -> bool:
    """True when the message asks to go on learning and a tutorial waits for it (paused, none open,
    no other question waiting); not when the NLU surely names another tutorial (接着学防骗)."""
    paused = ctx.flows.get((st.get("paused") or {}).get("flow") or "")
    if paused is None or st.get("flow") in ctx.flows or (st.get("pending") or {}).get("type") not in (None, "resume"):
        return False
    if parse.capability == CAPABILITY and parse.intent not in paused.intents and parse.confidence >= OTHER_TUTORIAL:
        return False
    return said_resume(text)


def steps_through(ctx: Context, st: State, parse: ParseResult) -> bool:
    """True when a tutorial is open and the NLU reads the message as walking it (下一步, 上一步, a yes)."""
    return st.get("flow") in ctx.flows and (parse.intent.startswith("nav_") or parse.intent == "affirm")


def resumes(ctx: Context, turn: Turn, parse: ParseResult, text: str, lead: str = "") -> bool:
    """接着学吧 after any interruption: the paused tutorial at the step that was left (``lead`` said
    first); False when the message does not ask for it or nothing waits."""
    if not asks_to_resume(ctx, turn.state, parse, text):
        return False
    if lead:
        say(turn, lead)
    answered(turn.state)
    return answer_resume(ctx, turn, True, False)


def answer_resume(ctx: Context, turn: Turn, yes: bool, no: bool) -> bool:
    """The answer to the resume offer: back to the paused step, or forget it. False: neither."""
    st = turn.state
    if yes:
        paused = st.get("paused") or {}
        unpause(st)
        flow = ctx.flows.get(paused.get("flow", ""))
        if flow is None:
            say(turn, T.NOTHING_TO_RESUME)
        else:
            st["flow"], st["step"] = flow.id, int(paused.get("step", 0))
            turn.capability = CAPABILITY  # back to teaching
            show_step(turn, flow)
        return True
    if no:
        unpause(st)
        say(turn, T.OK_REPLY)
        return True
    return False


def howto_platform(ctx: Context, turn: Turn, named: list[str], text: str) -> bool:
    """"抖店怎么用" / "怎么用多多买菜" with no topic yet: the tutorial for that platform (where the app
    works, when that is what is asked, with its tutorial offered)."""
    platform = answers.platform_by_name(ctx, named)  # the shopping apps residents learn
    if set(named) & SELLER_PLATFORMS or persona(turn.state) == "merchant":
        ctx.answer_topic(turn, "open_shop", text)
        return True
    if platform is None:
        return False
    turn.capability = CAPABILITY
    if platform.get("tutorial") in ctx.flows and topics.ask_of(text, ctx.kb.asks()) not in ("status", "coverage"):
        start_flow(ctx, turn, ctx.flows[platform["tutorial"]])
    else:  # 兴盛优选我们这能用不: where it works (and its tutorial offered), not the tutorial itself
        answers.say_platform(ctx, turn, platform)
    return True


__all__ = ["CAPABILITY", "STEP_NAV", "answer_ask", "answer_platform", "answer_resume", "asked_flow", "asks_slot", "finish_flow",
           "follow", "glossary", "howto_platform", "named_flow", "navigate", "navigate_outside", "offer_resume", "respond",
           "resume_answer", "resumes", "said_resume", "show_step", "start_answering", "start_flow", "step_buttons", "steps_through", "teach"]
