"""Which skill takes the turn: what the state expects first, then the global NLU.

``advance`` reads one message against the conversation state, in this order:

0. a registered social worker looking a hotline up for a resident (the hotline, no ticket of their own),
   or their queue words that only the classifier (no urgent rule) read as urgent;
1. urgent words, always first (the hotline comes before anything else; inside an urgent
   episode, the guidance of its kind); but a guess of the classifier alone that the state
   expects (a whole yes/no answer to the pending question, a report or question on the
   tutorial's steps, a worry ``wellbeing`` recognises; ``check.expects``) is answered so and
   followed by the safety check, and so is a weak guess in a calm conversation;
2. what an alarm left expected (``urgent.reads``): a correction right after it (不是 我说的是…:
   a false alarm), the safety check's answer, a message inside an open episode (救护车叫了
   现在做什么; 接着学吧 takes the paused tutorial back, with a line about the hotline) or a
   follow-up of one just over (以后怎么防止再走丢); then going back to a paused tutorial after any
   other interruption (``tutorial.resumes``: 算了 接着学吧); then loneliness and worry
   (``wellbeing``: 一个人住 孩子都不来 心里闷);
3. a rating of the last answer (👍 / 👎);
4. a button of the last turn, by its label or its number (``do_action``);
5. no words at all (😀, ？？？), or a number that is no button;
6. the answer to a question the bot asked (``answer_pending``: deletion, consent, resume, which app);
7. ``route``: outside a tutorial, a message naming a tool of the last recommendation is about that
   tool (剪映导出来有水印咋整: its own answer, never a copy of one's data); what the role and the open matters expect (``skills.expected``: a registered social
   worker's queue questions, the wait while a ticket is queued, a person asked for in any words,
   a privacy topic's follow-ups); inside a tutorial, a slot the step asks for; glossary words (验证码是啥);
   navigation (下一步, 菜单 …, in a tutorial or not; outside one, the last topic's own cue words first:
   店铺首页要挂些啥 after the licence rules); an unclear message (a follow-up, a rule
   question, a tool asked for whose best match is a tool, or the best matches); shop fees (开店要多少保证金); follow-ups on the last topic (收费吗, 那抖音呢,
   还有别的办法吗, 怎么申请, 要是平台不管呢); a self-introduction; a question naming a rule a policy
   states (不是说七天无理由么: that policy, the how-to as a button); and only then the capability
   the NLU chose (``SKILLS``). After the answer, a tutorial that was interrupted is paused and offered
   back, and a persona question may follow.

``skills.served`` then names the skill that served the turn (``chat --jsonl`` reports it).

Model: Rasa's split of NLU (what was said) from dialogue policy (what to do given the
history), and python-telegram-bot's handler groups (who takes this update, in a fixed order).
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from functools import partial
from typing import Any, Callable

from dialogues import plain_words
from dialogues import texts as T
from dialogues.schema import Flow
from dialogues.skills import (
    SKILLS, answers, expected, handoff, hotlines, marketing, privacy, reminder, served, smalltalk, staff, tools, tutorial,
    urgent, wellbeing,
)
from dialogues.skills import policy as policy_skill
from dialogues.skills.tutorial import missing
from dialogues.skills.urgent import check
from dialogues.skills.base import Context, Respond, menu, menu_button, say, serve, worker_button
from dialogues.state import State, answered, button_action, pause, restore, take_buttons, typed_number
from dialogues.turn import Turn
from dialogues.understand import ASKING_RE, WORD_RE, capability_of, synthetic, take_entities, yes_or_no
from nlu.result import ParseResult

FOLLOWUPS = {"followup_cost", "followup_howto"}
NAV = {"nav_next", "nav_prev", "nav_repeat", "nav_simpler", "nav_menu", "nav_exit"}
FEE_RE = re.compile(r"保证金|押金|多少钱|收费|费用|服务费|佣金|抽成|扣点|抽几个点|几个点|要钱吗|花钱吗")
MORE_RE = re.compile(r"(别的|其他|其它|更多|还有)(啥|什么|的)?(办法|法子|招|主意|方法)|还有(吗|呢|没有|啥|什么)")
ASKS_RE = re.compile(ASKING_RE.pattern + r"|是不是|要不要|行不行|真的假的|能接")  # a question, not a report
APPLY_RE = re.compile(r"(怎么|咋|如何|去哪|在哪|哪里|找谁)(儿)?(申请|办|领|报名|弄|问|去)|申请条件|去哪问|找谁")
# Who answers a routed message: every skill but urgent, which only ever goes first (advance).
ROUTED: dict[str, Respond] = {cap: respond for cap, respond in SKILLS.items() if cap != "urgent"}
# Capabilities that keep a question naming a rule (the policy skill answers it itself; safety and people first).
RULE_KEEPS = frozenset({"policy", "urgent", "handoff", "privacy", "staff", "reminder"})
# Answering the last topic again with new details (那抖音呢 / 预算只有500呢).
TOPIC_SKILLS: dict[str, Respond] = {cap: SKILLS[cap] for cap in ("marketing", "policy", "tool")}


def make_context(flows: dict[str, Flow], kb: Any, fallbacks_before_handoff: int = 2,
                 clock: Callable[[], datetime] | None = None, **settings: Any) -> Context:
    """The context skills answer from, with this policy as the one that routes handed-back messages.

    ``clock`` is the timezone-aware time (reminders, episode timeouts; a fake one in tests);
    ``settings`` are the other dialogue settings (urgent_episode_turns, urgent_episode_minutes,
    urgent_check_below).
    """
    ctx = Context(flows, kb, fallbacks_before_handoff, dict(settings))
    if clock is not None:
        ctx.clock = clock
    # The episodes' and the moods' content is read and checked at start-up, not at the first alarm.
    urgent.episodes(ctx)
    wellbeing.default_moods()
    ctx.route = partial(route, ctx)
    ctx.answer_topic = partial(answer_topic, ctx)
    return ctx


def advance(ctx: Context, state: State | None, parse: ParseResult, text: str) -> Turn:
    """Handle one message; never raises for odd input."""
    st = restore(state)
    st["turns"] += 1
    parse = staff.for_role(st, parse)  # the staff intents are only a registered worker's
    turn = Turn([], st, intent=parse.intent, capability=parse.capability)
    buttons, labels = take_buttons(st)
    take_entities(st, parse)
    action = button_action(buttons, labels, text) or named_button(buttons, labels, parse, text)
    rating = smalltalk.rating(text)

    if staff.first(ctx, turn, parse, text):
        pass  # a registered social worker looking a hotline up for a resident (the hotline, no ticket of their
        # own), or their queue words the classifier alone read as urgent
    elif parse.capability == "urgent" and (fit := check.expects(ctx, st, parse, text)) is not None:
        # The state reads the message first: a classifier-only urgent guess the state expects (a yes to
        # its question, a report on the tutorial step, a worry) is answered so, then the safety check.
        calm_first(ctx, turn, parse, text, fit)
    elif parse.capability == "urgent":
        # Safety first: an alarm (or, inside an episode, its guidance) before anything else; a weak
        # guess no rule backs, in a calm conversation, gets a safety check instead.
        urgent.respond(ctx, turn, parse, text)
    elif urgent.reads(ctx, turn, parse, text, action):
        # What an alarm left expected: a correction (a false alarm), the safety check's answer, a
        # message inside an open episode (接着学吧 there takes the paused tutorial back) or a follow-up
        # of one just over.
        pass
    elif action is None and tutorial.resumes(ctx, turn, parse, text):
        pass  # 接着学吧 / 算了 接着学吧 after any interruption: the paused tutorial, at the step that was left
    elif wellbeing.takes(ctx, turn, parse, text, action):
        pass  # loneliness and worry without danger, whatever the NLU guessed
    elif rating is not None:
        smalltalk.rate(turn, rating)
    elif action is not None:
        do_action(ctx, turn, action, parse, text)
    elif not WORD_RE.search(text) and not st.get("pending"):
        say(turn, T.NON_TEXT_MESSAGE)  # 😀😀😀 or ？？？: ask for words, do not guess
    elif (typed_number(text) is not None or text.strip().isdigit()) and len(text.strip()) <= 2 \
            and not tutorial.asks_slot(ctx, st):
        # "9" with seven buttons (or ⑩, or ٣): never read a stray number as goodbye; the same buttons again.
        again = tuple((label, buttons[label]) for label in labels if label in buttons)
        if again:
            say(turn, T.NO_SUCH_BUTTON, again)
        else:
            menu(turn, T.NO_SUCH_BUTTON)
    elif not answer_pending(ctx, turn, parse, text):
        route(ctx, turn, parse, text)
    served(turn)
    smalltalk.maybe_ask_feedback(turn)
    plain_words.explain(ctx.flows, turn)  # APP, 小程序, 结算 … explained once to a resident
    if turn.replies:
        st["last"] = [r.text for r in turn.replies if r.kind != "feedback"]
    return turn


def calm_first(ctx: Context, turn: Turn, parse: ParseResult, text: str, fit: str) -> None:
    """Answer a classifier-only urgent guess as the state expects it (``check.expects``), then ask
    您现在安全吗？ (an unsafe answer raises the alarm of the guessed kind)."""
    calm = check.calm_reading(parse)
    turn.capability = calm.capability
    if fit == "answer" and answer_pending(ctx, turn, *check.answer_reading(parse, text)):
        pass  # the question's own rules decide on its yes and no words (中 删 俺想好了 -> 中 删)
    elif fit == "mood" and (cue := wellbeing.mood(ctx, turn.state, text)) is not None:
        wellbeing.reply(ctx, turn, cue)
    else:
        route(ctx, turn, calm, text)
    check.ask(ctx, turn, parse)


# ---- buttons and pending questions --------------------------------------------------------

TEACH_ME_RE = re.compile(r"^\W*(那|好|行|嗯)?\W*(你)?(教教?我|教一下|从头(说|讲|教|来)|开始教)")


def named_button(buttons: dict[str, Any], labels: list[str], parse: ParseResult, text: str = "") -> dict[str, Any] | None:
    """The button a typed message stands for: 行 就学兴盛优选 after [教我用兴盛优选, 菜单] (agreement naming
    what exactly one button names), or 教我 从头说 / 下一步 when exactly one button starts a tutorial
    (下一步 after what we know of 小象超市 and its 教我用小象超市 button: that tutorial)."""
    agrees = parse.intent == "affirm" or (parse.is_fallback and bool(parse.ranking) and parse.ranking[0][0] == "affirm")
    if agrees:  # 行 就学兴盛优选: agreement naming the choice (the NLU may only lean to affirm)
        named = [str(e.value) for e in parse.entities if len(str(e.value)) >= 2]
        hits = {label for label in labels if label in buttons and any(v in label for v in named)}
        return buttons[hits.pop()] if len(hits) == 1 else None  # type: ignore[no-any-return]
    if parse.capability not in ("urgent", "handoff", "privacy") and (TEACH_ME_RE.search(text) or parse.intent == "nav_next") \
            and not parse.entity_values("platform"):
        flows = [buttons[label] for label in labels if "flow" in (buttons.get(label) or {})]
        return flows[0] if len(flows) == 1 else None  # type: ignore[no-any-return]
    return None


def do_action(ctx: Context, turn: Turn, action: dict[str, Any], parse: ParseResult, text: str) -> None:
    """A button of the last turn was pressed: do what it says."""
    st = turn.state
    if "slots" in action:
        st["slots"].update(action["slots"])
    if "intent" in action:
        turn.intent, turn.capability = action["intent"], capability_of(action["intent"])
    if "feedback" in action:
        smalltalk.rate(turn, int(action["feedback"]))
    elif action.get("more"):
        marketing.more(ctx, turn, action["intent"], text)
    elif action.get("tips"):
        marketing.tips(ctx, turn, synthetic(action["intent"], ""))  # 看看全部办法 after one question answered
    elif "need" in action:
        tools.recommend(ctx, turn, synthetic("tool_recommend", text), need=action["need"])
    elif "tool_howto" in action:
        st["tool"] = action["tool_howto"]
        tools.follow_up(ctx, turn, synthetic("followup_howto", text), text)
    elif "goto" in action and st.get("flow") in ctx.flows:
        flow = ctx.flows[st["flow"]]
        st["step"] = max(0, flow.step_index(action["goto"]))
        tutorial.show_step(turn, flow)
    elif "nav" in action:
        route(ctx, turn, synthetic(action["nav"], text), text)
    elif "intent" in action:
        turn.intent, turn.capability = action["intent"], capability_of(action["intent"])
        answered(st)
        route(ctx, turn, synthetic(action["intent"], text), text)
    elif "flow" in action:
        answered(st)
        tutorial.start_flow(ctx, turn, ctx.flows[action["flow"]])
    elif "entry" in action:
        answered(st)
        answers.answer_entry(ctx, turn, action["entry"], text)
    elif "policy_note" in action and ctx.kb.get(action["policy_note"]):
        policy_skill.say_note(turn, ctx.kb.get(action["policy_note"]))
    elif "policy_menu" in action:
        policy_skill.policy_menu(turn)
    elif "persona" in action:
        smalltalk.set_persona(turn, action["persona"])
    elif "reminder_cancel" in action:
        answered(st)
        reminder.cancel_pressed(turn, action["reminder_cancel"])
    elif "answer" in action and action.get("question") not in (None, (st.get("pending") or {}).get("type")):
        # A yes/no button of another question is no answer to this one: read it as typed words.
        if not answer_pending(ctx, turn, parse, text):
            route(ctx, turn, parse, text)
    elif "answer" in action:
        intent = "affirm" if action["answer"] == "yes" else "deny"
        # The question's own button is an explicit answer (deleting and sharing need one).
        pressed = str(action["answer"]) if action.get("question") else None
        if not answer_pending(ctx, turn, synthetic(intent, text), text, pressed):
            route(ctx, turn, synthetic(intent, text), text)
    else:
        # A plain label: understand it like typed text.
        if not answer_pending(ctx, turn, parse, text):
            route(ctx, turn, parse, text)


def answer_pending(ctx: Context, turn: Turn, parse: ParseResult, text: str, pressed: str | None = None) -> bool:
    """Answer a question the bot asked last turn; False when the message is about something else.

    ``pressed`` is "yes" or "no" when the question's own button was pressed.
    """
    st = turn.state
    pending = st.get("pending")
    if not pending:
        return False
    kind = pending.get("type")
    if kind in handoff.CONSENT_KINDS and staff.worker(st) and staff.which_op(st, text, parse):
        answered(st)  # a registered worker's queue words are no answer to a hand-off question: the queue
        return False
    if kind == "confirm_delete":
        return privacy.confirm_delete(ctx, turn, pending, parse, text, pressed)
    if kind in handoff.CONSENT_KINDS:
        return handoff.consent(ctx, turn, pending, parse, text, pressed)
    if kind == reminder.PENDING_CANCEL:
        return reminder.answer_cancel(ctx, turn, pending, parse, text, pressed)
    if kind == reminder.PENDING_TIME:
        return reminder.answer_time(ctx, turn, pending, parse, text)
    yes, no = yes_or_no(parse, text)
    answered(st)
    if kind == "resume":
        return tutorial.answer_resume(ctx, turn, *tutorial.resume_answer(parse, text))
    if kind == "choose_platform":
        # 下一步 instead of an app (after a chat about loneliness too): go on with the general tutorial, as 不知道 does.
        return tutorial.answer_platform(ctx, turn, pending, parse, text, no or parse.intent == "nav_next")
    return False


# ---- routing ------------------------------------------------------------------------------

def route(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> None:
    """What the state expects (tutorial step, glossary, follow-ups), then the capability the NLU chose."""
    st = turn.state
    intent, cap = parse.intent, parse.capability
    in_flow = st.get("flow") in ctx.flows
    if not in_flow and cap not in ("urgent", "handoff") and tools.named_follow_up(ctx, turn, parse, text):
        return  # 剪映导出来有水印咋整 after the video tools: about that tool (导出 is no export of one's data)
    if expected(ctx, turn, parse, text):  # the role and open matters first: staff questions, the wait, a person
        return
    if hotlines.another(ctx, turn, parse, text):  # 妇女维权那个呢 right after a hotline: that one
        return
    if in_flow and tutorial.answer_ask(ctx, turn, parse, text):
        return
    if tutorial.glossary(ctx, turn, text):
        return
    if in_flow and tutorial.follow(ctx, turn, parse, text):  # progress, step questions, mistakes
        return
    if missing.no_lesson(ctx, turn, parse, text):  # 你能教我跟他视频不: no such lesson, said plainly
        return
    here = tutorial.step_buttons(st, ctx.flows[st["flow"]], int(st.get("step", 0))) if in_flow else ()
    if smalltalk.signs_off(turn, parse, text, here):  # 行 我回去改改: not 下一步 (the step or a paused tutorial waits)
        return
    if in_flow and (intent in NAV or intent == "affirm"):
        tutorial.navigate(ctx, turn, intent)
        return
    if intent in NAV and not in_flow and policy_skill.own_words(ctx, st, text) and topic_followup(ctx, turn, parse, text):
        return  # 店铺首页要挂些啥 after the licence rules: the topic's own words, not the menu
    if (intent in NAV and not looks_like_followup(st, parse, text)) or (intent in ("affirm",) and st.get("paused")):
        tutorial.navigate_outside(ctx, turn, intent, text)  # (那抖音呢 after a topic is a follow-up, not 下一步)
        return
    if not in_flow and cap not in ("urgent", "handoff", "privacy") and intent != "ask_hotline" \
            and ASKS_RE.search(text) and hotlines.named(ctx, text):
        serve(turn, "policy", "hotlines")  # 刚才有个96110打过来 是不是骗子: about that hotline, whatever the NLU chose
        hotlines.respond(ctx, turn, synthetic("ask_hotline", text), text)
        return
    if not in_flow and cap not in ("urgent", "handoff", "privacy") and hotlines.searched(text, ctx):
        serve(turn, "policy", "hotlines")  # a number found by searching: the scam warning before any topic
        hotlines.platform_service(turn, T.SEARCHED_NUMBER)
        return
    if cap not in ("urgent", "handoff", "privacy") and policy_skill.named_document(ctx, turn, text):
        return  # 72号文 / 国发〔2025〕3号: that document, or plainly not in the content (never the nearest other)
    if parse.is_fallback:
        if topic_followup(ctx, turn, parse, text) or tools.follow_up(ctx, turn, parse, text):
            return
        if policy_skill.the_law(ctx, turn, text) or policy_skill.rule_first(ctx, turn, parse, text):
            return
        if not in_flow and leaning_tutorial(ctx, turn, parse, text):
            return
        named = parse.entity_values("platform")
        if named and not in_flow and tutorial.HOWTO_RE.search(text) and tutorial.howto_platform(ctx, turn, named, text):
            turn.capability = tutorial.CAPABILITY  # 抖店怎么开啊 … 不知道从哪下手: that platform's tutorial
            return
        if not tools.asked_for(ctx, text):
            answers.fallback(ctx, turn, parse, text)
            return
        parse = synthetic("tool_recommend", text)  # 开店以后看数据用啥: a tool question, answered as one
        intent, cap = parse.intent, parse.capability
        turn.intent, turn.capability = intent, cap
    if cap != "out_of_scope":
        st["fallbacks"] = 0
    if shop_fees(ctx, turn, parse, text):  # a fee question is answered as one, whatever the last topic was
        return
    if topic_followup(ctx, turn, parse, text):
        return
    if (intent in FOLLOWUPS or looks_like_followup(st, parse, text)) and tools.follow_up(ctx, turn, parse, text):
        return
    if smalltalk.says_who_they_are(turn, parse, text):
        return
    was_in = st.get("flow")
    was_step = st.get("step", 0)
    respond = ROUTED.get(cap, smalltalk.out_of_scope)
    if cap not in RULE_KEEPS and policy_skill.rule_of(ctx, text):
        respond = policy_skill.answer_rule  # 能退吗 不是说七天无理由么: the rule first, the how-to as a button
    respond(ctx, turn, parse, text)
    same_flow = any(e["type"] == "same_flow" for e in turn.events)
    if was_in in ctx.flows and st.get("flow") == was_in and not same_flow:
        # A new question in the middle of a tutorial (small talk too, 你是机器人吗): answered; offer to go back.
        pause(st, was_in, was_step)
        st["flow"] = None
    if st.get("paused") and st.get("flow") is None and st.get("pending") is None and cap not in ("handoff",):
        tutorial.offer_resume(ctx, turn)
    smalltalk.maybe_ask_persona(turn, cap)


LEAN = 0.2  # an unclear message's reading this strong may still name the tutorial that answers it


def leaning_tutorial(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> bool:
    """An unclear message (明早分货要死人了 怎么分不容易错) whose two best readings include one whose tutorial
    declares the question: that tutorial starts, with its step's answer. False when none does."""
    for intent, confidence, cap in parse.ranking[:2]:
        flow = tutorial.asked_flow(ctx, text, intent) if cap in ("marketing", "teach") and confidence >= LEAN else None
        if flow is not None:
            turn.intent, turn.capability = intent, tutorial.CAPABILITY
            tutorial.start_answering(ctx, turn, flow, intent, text)
            return True
    return False


def answer_topic(ctx: Context, turn: Turn, intent: str, text: str, entities: tuple[Any, ...] = ()) -> None:
    """Answer the last topic (or ``intent``) again, with the slots as they are now (and the message's
    ``entities``: 那兴盛优选我们这能用不 after the apps compared is about 兴盛优选)."""
    cap = capability_of(intent)
    turn.intent, turn.capability = intent, cap
    parse = dataclasses.replace(synthetic(intent, text, cap), entities=tuple(entities))
    TOPIC_SKILLS.get(cap, tutorial.respond)(ctx, turn, parse, text)


# ---- follow-ups on the last topic ---------------------------------------------------------

def looks_like_followup(st: State, parse: ParseResult, text: str) -> bool:
    """"那抖音呢" / "预算只有500呢": a short message that only changes a slot of the last topic."""
    short = len(re.sub(r"\W", "", text)) <= 12
    has_slot = any(e.entity in ("platform", "money") for e in parse.entities)
    return bool(st.get("topic")) and short and has_slot and parse.capability not in ("urgent", "handoff")


def topic_followup(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> bool:
    """A question about the last answer, answered inside its topic: 还有别的办法吗 / 要是有个月卖了15万呢 /
    那要带什么 / 教我用它做一张海报. What a topic expects is declared by its knowledge entry."""
    st = turn.state
    topic = st.get("topic") or {}
    if not topic.get("intent"):
        return False
    cap = capability_of(topic["intent"])
    short = len(re.sub(r"\W", "", text)) <= 14 and not parse.entities
    if hotlines.follow_up(ctx, turn, parse, text):  # 那我在APP里咋找客服 after where customer service is
        return True
    if topic["intent"] == "choose_grocery_app" and parse.entity_values("region") and not parse.entity_values("platform") \
            and len(re.sub(r"\W", "", text)) <= 14 and parse.capability not in ("urgent", "handoff", "privacy"):
        turn.intent, turn.capability = topic["intent"], cap  # 我在长沙 after the apps compared: the apps there
        answers.answer_from_search(ctx, turn, text, synthetic(topic["intent"], text))
        return True
    if cap == "marketing" and short and MORE_RE.search(text):
        turn.capability = cap  # 还有别的办法吗: the topic's answer, however weakly the NLU read the words
        if topic.get("more"):
            marketing.no_more(turn)
        else:
            marketing.more(ctx, turn, topic["intent"], text)
        return True
    if cap == "marketing":
        return marketing.follow_up(ctx, turn, parse, text)
    entry = ctx.kb.get(topic["entry"]) if cap == "policy" and topic.get("entry") else None
    if entry and (policy_skill.next_policy(ctx, turn, text) or policy_skill.follow_up(ctx, turn, entry, parse, text)):
        return True
    if entry and short and APPLY_RE.search(text):
        policy_skill.how_to_apply(turn, entry)
        return True
    if entry and short and parse.intent == "followup_cost" and not parse.entity_values("tool"):
        policy_skill.say_policy(turn, entry)  # "一个月卖多少不用交": the amounts are in the policy itself
        return True
    if cap == "tool" and st.get("tool"):
        return tools.topic_follow_up(ctx, turn, parse, text)
    return False


def shop_fees(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> bool:
    """"拼多多开店要多少保证金" / "美团外卖抽几个点": say where the fees are, never a guessed figure."""
    st = turn.state
    about_shop = parse.intent == "open_shop" or (st.get("topic") or {}).get("intent") == "open_shop"
    if not (about_shop and FEE_RE.search(text)):
        return False
    named = parse.entity_values("platform") or [str(st["slots"].get("platform") or T.ANY_PLATFORM)]
    if st.get("flow") is None:
        st["topic"] = {"intent": "open_shop"}  # "那抽几个点呢" next is still about opening a shop
    first = (T.OPEN_SHOP_BUTTON, {"flow": "open_shop_tutorial"}) if "open_shop_tutorial" in ctx.flows else menu_button()
    answers.platform_fees(turn, named[0], (first, worker_button()))
    return True
