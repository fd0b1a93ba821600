"""Free tools, recommended by need (1-3, with the reason, difficulty and what is free).

这个收费吗 / 怎么用 refer to the tool just named; the same words about a platform or a shop
say where the fees are written; a new platform or budget answers the last topic again.
After a recommendation, 教我用它做一张海报 teaches the tool just named, 做好了咋发到朋友圈
answers from its steps, and 那群接龙跟它比哪个简单 compares the two (``topic_follow_up``). An unclear
message asking which tool, whose best match is a tool (开店以后看数据用啥), is a tool question (``asked_for``).
Tools of one need are ordered by how many of their keywords the question uses (修商品照片
-> 美图秀秀 first).
"""

from __future__ import annotations

import re
from typing import Any

from dialogues import texts as T
from dialogues.skills import answers, followup, policy, tutorial
from dialogues.skills.base import Context, menu, menu_button, say, worker_button
from dialogues.turn import Turn
from dialogues.understand import capability_of, synthetic
from knowledge import topics
from nlu.result import ParseResult

CAPABILITY = "tool"
TOOL_NEED_BY_INTENT = {
    "tool_design": "design", "tool_video": "video", "tool_crm": "crm", "tool_forms": "forms",
    "tool_copywriting": "copywriting",
}
TOOL_NEED_WORDS = (
    ("live", ("直播",)), ("data", ("数据", "罗盘", "分析", "生意参谋")), ("minishop", ("小店", "开店", "小程序", "店铺")),
    ("design", ("海报", "图片", "照片", "修图", "设计", "价签", "菜单")), ("video", ("剪辑", "视频", "剪映")),
    ("forms", ("表格", "问卷", "接龙", "报名")), ("copywriting", ("文案", "写")), ("crm", ("客户", "会员", "私域")),
)
COST_RE = re.compile(r"钱|收费|免费|贵")
REFERS_RE = re.compile(r"它|这个|那个|第[一二三1-3]个|刚才|好了")  # the tool just named, or what was made with it
TOOL_ASKS = ("howto", "share", "compare")  # kinds in asks.yml a tool answers after a recommendation


def respond(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> None:
    """Tools for the need of this intent (asked with buttons when unknown); 收费吗 about the last one."""
    recommend(ctx, turn, parse)


def recommend(ctx: Context, turn: Turn, parse: ParseResult, need: str | None = None) -> None:
    """Up to three tools for ``need`` (from the button, the intent, the slots or the words)."""
    st = turn.state
    if parse.intent == "followup_cost":
        if not follow_up(ctx, turn, parse, parse.text):
            say(turn, T.WHICH_ONE)
        return
    need = need or TOOL_NEED_BY_INTENT.get(parse.intent)
    if need is None and parse.intent != "tool_recommend":
        need = st["slots"].get("need")
    if need is None:
        need = next((n for n, words in TOOL_NEED_WORDS if any(w in (parse.text or "") for w in words)), None)
    if need is None:
        say(turn, T.TOOL_NEED_ASK, tuple((label, {"need": n}) for label, n in T.TOOL_NEEDS))
        return
    st["slots"]["need"] = need
    tools = by_keywords([t for t in ctx.kb.by_kind("tool") if t.get("need") == need], parse.text or "")[:3]
    if not tools:
        answers.answer_from_search(ctx, turn, parse.text or need, parse)
        return
    lines = [T.TOOL_INTRO.format(need=T.TOOL_NEED_LABELS.get(need, need))]
    for i, t in enumerate(tools, 1):
        lines.append(T.TOOL_LINE.format(n=i, name=t["name"], reason=t["reason"], difficulty=t.get("difficulty", "")))
    lines.append(T.TOOL_FREE.format(free=tools[0]["free"]))
    lines.append(T.TOOL_FOLLOWUP)
    buttons: list[Any] = [(T.HOWTO, {"intent": "followup_howto"}), (T.COST, {"intent": "followup_cost"})]
    buttons += [(T.TOOL_HOWTO_BUTTON.format(name=t["name"]), {"tool_howto": t["id"]}) for t in tools[1:]]
    buttons.append(menu_button())
    say(turn, "\n".join(lines), tuple(buttons))
    st["tool"], st["tools"] = tools[0]["id"], [t["id"] for t in tools]
    st["topic"] = {"intent": parse.intent}
    turn.rate = {"kind": "tool", "subject": f"need:{need}", "title": T.TOOL_NEED_LABELS.get(need, need)}


def asked_for(ctx: Context, text: str) -> bool:
    """开店以后看数据用啥 (an unclear message): it asks which tool (asks.yml ``which_tool``) and its best
    knowledge match is a tool, so the tools of that need answer it, not the list of matches."""
    if "which_tool" not in topics.kinds_of(text, ctx.kb.asks()):
        return False
    hits = ctx.kb.search(text, limit=1)
    best = ctx.kb.get(hits[0].id) if hits else None
    return bool(best and best.get("kind") == CAPABILITY)


def by_keywords(tools: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """The tools in file order, those whose keywords the question uses first (most first)."""
    def hits(t: dict[str, Any]) -> int:
        return sum(1 for k in t.get("keywords") or [] if k and k in text)
    return sorted(tools, key=lambda t: -hits(t))


def topic_follow_up(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> bool:
    """教我用它 / 做好了咋发朋友圈 / 跟它比哪个简单, about the tool just recommended; False otherwise."""
    st = turn.state
    tool = ctx.kb.get(st.get("tool") or "")
    ask = topics.ask_of(text, ctx.kb.asks())
    refers = bool(REFERS_RE.search(text))
    if tool is None or not followup.expects(st.get("topic") or {}, parse, text, ("tool", "platform"),
                                            fits=refers and ask in TOOL_ASKS):
        return False
    named = [t for t in ctx.kb.by_kind("tool") if t["name"] in text or t["name"] in parse.entity_values("tool")]
    own = tool.get("topic") or {}
    if topics.cued(own, text) and not any(t["id"] != tool["id"] for t in named):
        # 导出来有水印咋整 after 剪映: the tool's own answer (its topic.questions), said where to confirm
        say(turn, topics.question(own, ask, text, {}) or "", T.TOOL_BUTTONS)
        turn.capability = CAPABILITY
        return True
    if ask not in TOOL_ASKS:  # about the law around the tool, unless a tool is named (企业微信群发有次数限制不)
        return not named and policy.answer_related(ctx, turn, list(tool.get("related") or []), text)
    other = next((t for t in named if t["id"] != tool["id"]), None)
    if ask == "compare" and other:
        lines = [T.TOOL_LINE.format(n=i, name=t["name"], reason=t["reason"], difficulty=t.get("difficulty", ""))
                 for i, t in enumerate((tool, other), 1)]
        say(turn, "\n".join(lines), ((T.TOOL_HOWTO_BUTTON.format(name=other["name"]), {"tool_howto": other["id"]}),
                                      *T.TOOL_BUTTONS))
        turn.capability = CAPABILITY
        return True
    if other or not (refers or ask == "share" or len(re.sub(r"\W", "", text)) <= 10):
        return False  # another tool, or words that do not point at the one just named
    steps = [str(s) for s in tool.get("howto") or []]
    if ask == "share":
        step = topics.best_line(steps, text)
        if step is None:
            return False
        say(turn, step, T.TOOL_BUTTONS)
    else:
        numbered = "\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1))
        say(turn, T.TOOL_HOWTO.format(name=tool["name"]) + "\n" + numbered, T.TOOL_BUTTONS)
    turn.capability = "teach"
    return True


def names_recommended(ctx: Context, st: dict[str, Any], parse: ParseResult, text: str) -> dict[str, Any] | None:
    """The tool of the last recommendation this message names (剪映导出来有水印咋整 after the video tools),
    or None: no recommendation is the topic, or the message names none of its tools."""
    if capability_of(str((st.get("topic") or {}).get("intent") or "")) != CAPABILITY:
        return None
    for tool in (ctx.kb.get(i) for i in st.get("tools") or [st.get("tool")] if i):
        if tool and (tool["name"] in text or tool["name"] in parse.entity_values("tool")):
            return tool
    return None


def named_follow_up(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> bool:
    """A message naming a tool of the last recommendation is about that tool first: its own answers
    (剪映导出来有水印咋整), or how to use it (剪映怎么导出): 导出 or 删 there is no request about one's data."""
    tool = names_recommended(ctx, turn.state, parse, text)
    if tool is None:
        return False
    turn.state["tool"] = tool["id"]
    if parse.capability == "privacy":
        parse = synthetic(str(turn.state["topic"]["intent"]), text)
    if topic_follow_up(ctx, turn, parse, text):
        return True
    return bool(tutorial.HOWTO_RE.search(text)) and follow_up(ctx, turn, synthetic("followup_howto", text), text)


def by_name(ctx: Context, name: str) -> dict[str, Any] | None:
    """The tool entry whose name contains ``name`` (or is contained in it)."""
    for t in ctx.kb.by_kind("tool"):
        if name and (name in t["name"] or t["name"] in name):
            return t
    return None


def follow_up(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> bool:
    """收费吗 / 怎么用 about what was just named, or the last topic with a new platform or budget.

    False when the message is not such a follow-up (or is about the policy just explained).
    """
    st = turn.state
    intent = parse.intent
    tool_name = parse.entity_values("tool")
    if intent == "followup_cost" or (tool_name and COST_RE.search(text)):
        tool = by_name(ctx, tool_name[0]) if tool_name else ctx.kb.get(st.get("tool") or "")
        if tool:
            st["tool"] = tool["id"]
            say(turn, T.TOOL_COST.format(name=tool["name"], free=tool["free"]), T.TOOL_BUTTONS)
        elif (st.get("topic") or {}).get("entry"):
            return False  # about the policy just explained (dialogues.policy.topic_followup)
        elif parse.entity_values("platform") or (st.get("topic") or {}).get("intent") == "open_shop":
            # "抖店要多少钱" / "要交保证金吗": fees are set per category and change; never guess one.
            named = parse.entity_values("platform") or [str(st["slots"].get("platform") or T.ANY_PLATFORM)]
            answers.platform_fees(turn, named[0], (worker_button(), menu_button()))
        else:
            say(turn, T.WHICH_ONE)
        return True
    if intent == "followup_howto":
        tool = by_name(ctx, tool_name[0]) if tool_name else ctx.kb.get(st.get("tool") or "")
        if tool:
            st["tool"] = tool["id"]  # 收钱吗 next is about this one
            steps = "\n".join(f"{i}. {s}" for i, s in enumerate(tool.get("howto") or [], 1))
            say(turn, T.TOOL_HOWTO.format(name=tool["name"]) + "\n" + steps, T.TOOL_BUTTONS)
            return True
        topic = st.get("topic") or {}
        named = parse.entity_values("platform")
        if topic.get("intent") and not named:
            say(turn, T.HOWTO_WHAT)
            menu(turn)
            return True
        if named and not topic.get("intent") and tutorial.howto_platform(ctx, turn, named, text):
            return True
    topic = st.get("topic") or {}
    taught = any(parse.intent in f.intents for f in ctx.flows.values())  # 那我用多多买菜吧 教我: that tutorial
    if topic.get("intent") and capability_of(topic["intent"]) != "policy" and not taught \
            and any(e.entity in ("platform", "money") for e in parse.entities):
        # Same topic, new platform or budget: answer the last topic again with the new slots.
        ctx.answer_topic(turn, topic["intent"], text, parse.entities)
        return True
    return False
