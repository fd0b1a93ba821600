"""Shop tips: the marketing entries, filtered by the person's platform and budget.

Three tips first (those for their platform first), 更多办法 for the rest, mutual aid and
what a social worker can do; 怎么当社区团长 starts the group-buy leader tutorial instead.
A follow-up inside the tips (群里发啥 after a tip about the WeChat group) is answered from the
entry's ``topic`` questions, or a related entry's (``follow_up``).
"""

from __future__ import annotations

import re
from typing import Any

from dialogues import texts as T
from dialogues.skills import answers, followup, tutorial
from dialogues.skills import policy as policy_skill
from dialogues.skills.base import Context, menu_button, say, worker_button
from dialogues.turn import Turn
from dialogues.understand import synthetic
from knowledge import topics
from nlu.result import ParseResult

CAPABILITY = "marketing"
PLATFORM_FAMILY = {
    "抖店": "抖音", "抖音": "抖音", "快手小店": "快手", "快手": "快手", "微信小店": "微信", "视频号": "微信",
    "微信": "微信", "企业微信": "微信", "拼多多": "拼多多", "多多买菜": "拼多多", "美团外卖": "美团", "美团": "美团",
    "淘宝": "淘宝", "小红书": "小红书",
}
TIPS_SHOWN = 3  # tips in the first answer; 更多办法 shows the rest


def respond(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> None:
    """The first tips for this marketing intent; what the law says, when that is what is asked."""
    if not policy_skill.the_law(ctx, turn, text):
        tips(ctx, turn, parse)


def more(ctx: Context, turn: Turn, intent: str, text: str) -> None:
    """更多办法 / 还有别的办法吗: the tips not shown yet; the topic remembers they were."""
    st = turn.state
    turn.capability = CAPABILITY  # 还有别的办法吗 may read as nothing in particular: still the tips
    tips(ctx, turn, synthetic(intent, text), more=True)
    st["topic"] = {**(st.get("topic") or {}), "more": True}


def follow_up(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> bool:
    """群里发啥 after tips about a WeChat group: the answer the tips' entry (or a related one) declares."""
    st = turn.state
    last = st.get("topic") or {}
    entries = ctx.kb.by_intent(str(last.get("intent") or ""), CAPABILITY)
    # A short message in the topic's own cue words (要不要降价 after slow stock) stays in the topic,
    # even when the NLU leans to another marketing difficulty.
    short = len(re.sub(r"\W", "", text)) <= followup.SHORT
    fits = bool(entries) and short and parse.capability == CAPABILITY and topics.cued(entries[0].get("topic") or {}, text)
    if not entries or not followup.expects(last, parse, text, ("platform", "money"), fits):
        return False
    ask = topics.ask_of(text, ctx.kb.asks())
    family = [entries[0], *(ctx.kb.get(r) for r in entries[0].get("related") or [])]
    for entry in (e for e in family if e and e.get("kind") == CAPABILITY):
        said = topics.question(entry.get("topic") or {}, ask, text, st["slots"])
        if said:
            break
    else:  # 刚才储值卡那个事 还有啥要注意的: the tip of the entry that shares its words
        entry = entries[0]
        tips = [t["text"] if isinstance(t, dict) else str(t) for t in entry.get("tips") or []]
        said = topics.best_line(tips, text) if followup.weak(last, parse) else None
    if not said:
        return False
    turn.capability = CAPABILITY
    say(turn, f"【{entry['title']}】\n{said}", (*flow_buttons(ctx, entry), worker_button(), menu_button()))
    return True


def flow_buttons(ctx: Context, entry: dict[str, Any]) -> list[Any]:
    """The tutorials that teach what the entry's intents are about (拍视频的点子: the short video one)."""
    intents = set(entry.get("intents") or [])
    return [(f.title, {"flow": f.id}) for f in ctx.flows.values() if intents & set(f.intents)]


def asked(ctx: Context, turn: Turn, entry: dict[str, Any], intent: str, text: str) -> bool:
    """"搞个会员卡中不中" / "对面摊骂我砸他饭碗": a first message that asks one of the questions the entry
    declares (its ``topic`` cue words) gets that answer, with a button for all the tips."""
    said = topics.question(entry.get("topic") or {}, None, text, turn.state["slots"])
    if not said:
        return False
    say(turn, f"【{entry['title']}】\n{said}",
        ((T.ALL_TIPS, {"intent": intent, "tips": True}), *flow_buttons(ctx, entry), worker_button(), menu_button()))
    turn.state["topic"] = {"intent": intent}
    return True


def no_more(turn: Turn) -> None:
    """Every tip was shown already."""
    turn.capability = CAPABILITY
    say(turn, T.NO_MORE_TIPS, (worker_button(), menu_button()))


def tips(ctx: Context, turn: Turn, parse: ParseResult, more: bool = False) -> None:
    """The entry's tips that suit the person's platform and budget (``more``: after the first three)."""
    st = turn.state
    entries = ctx.kb.by_intent(parse.intent, "marketing")
    said = parse.text or ""
    named = tutorial.asked_flow(ctx, said, parse.intent)
    if named is None and not (entries and topics.cued(entries[0].get("topic") or {}, said)):
        # 我是团长 群里人都不下单: a difficulty the entry answers in its own words is no request for the tutorial.
        named = tutorial.named_flow(ctx, said, parse.intent)
    if named is not None and not more:
        # "怎么当社区团长" / "明早怎么分货不出错": the tutorial is the answer (and its step's answer to the question).
        tutorial.start_answering(ctx, turn, named, parse.intent, said)
        return
    if not entries:
        answers.answer_from_search(ctx, turn, parse.text or parse.intent, parse)
        return
    entry = entries[0]
    if not more and parse.text and asked(ctx, turn, entry, parse.intent, parse.text):
        return
    slots = st["slots"]
    family = PLATFORM_FAMILY.get(str(slots.get("platform") or ""), slots.get("platform"))
    budget = slots.get("budget")
    fitting = []
    for tip in entry.get("tips") or []:
        tip = tip if isinstance(tip, dict) else {"text": str(tip)}
        platforms = [PLATFORM_FAMILY.get(p, p) for p in tip.get("platforms") or []]
        if platforms and family not in platforms:
            continue
        if budget is not None and (
            (tip.get("budget_max") is not None and budget > tip["budget_max"])
            or (tip.get("budget_min") is not None and budget < tip["budget_min"])
        ):
            continue
        fitting.append((bool(platforms), tip["text"]))
    fitting.sort(key=lambda t: not t[0])  # tips for their platform first
    shown = fitting[TIPS_SHOWN:] if more else fitting[:TIPS_SHOWN]
    if more and not shown:
        no_more(turn)
        return
    lines = [f"【{entry['title']}】"]
    context = "、".join(x for x in (family or "", T.BUDGET.format(budget=budget) if budget else "") if x)
    if context:
        lines[0] += f"（{context}）"
    lines += [f"{i}. {t}" for i, (_, t) in enumerate(shown, 1)]
    if family and not any(specific for specific, _ in fitting):
        lines.append(T.SAME_ON_PLATFORM.format(platform=family))
    extra = []
    if entry.get("mutual_aid") and not more:
        extra.append(T.MUTUAL_AID.format(text=entry["mutual_aid"]))
    if entry.get("social_worker") and not more:
        extra.append(T.SOCIAL_WORKER_HELP.format(text=entry["social_worker"]))
    buttons: list[Any] = [(f.title, {"flow": f.id}) for f in ctx.flows.values() if parse.intent in f.intents]
    if not more and len(fitting) > TIPS_SHOWN:
        buttons.append((T.MORE_TIPS, {"intent": parse.intent, "more": True}))
    buttons += [worker_button(), menu_button()]
    if extra:
        say(turn, "\n".join(lines))
        say(turn, "\n".join(extra), tuple(buttons))
    else:
        say(turn, "\n".join(lines), tuple(buttons))
    st["topic"] = {"intent": parse.intent}
