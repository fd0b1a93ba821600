"""Free tools, recommended by need (1-3, with the reason, difficulty and what is free).

这个收费吗 / 怎么用 refer to the tool just named; the same words about a platform or a shop
say where the fees are written; a new platform or budget answers the last topic again.
"""

from __future__ import annotations

import re
from typing import Any

from dialogues import texts as T
from dialogues.skills import answers, tutorial
from dialogues.skills.base import Context, menu, menu_button, say, worker_button
from dialogues.turn import Turn
from nlu.result import ParseResult

CAPABILITY = "tool"
TOOL_NEED_BY_INTENT = {
    "tool_design": "design", "tool_video": "video", "tool_crm": "crm", "tool_forms": "forms",
    "tool_copywriting": "copywriting",
}
TOOL_NEED_WORDS = (
    ("live", ("直播",)), ("data", ("数据", "罗盘", "分析", "生意参谋")), ("minishop", ("小店", "开店", "小程序", "店铺")),
    ("design", ("海报", "图片", "设计", "价签", "菜单")), ("video", ("剪辑", "视频", "剪映")),
    ("forms", ("表格", "问卷", "接龙", "报名")), ("copywriting", ("文案", "写")), ("crm", ("客户", "会员", "私域")),
)
COST_RE = re.compile(r"钱|收费|免费|贵")


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
    tools = [t for t in ctx.kb.by_kind("tool") if t.get("need") == need][:3]
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
    if topic.get("intent") and any(e.entity in ("platform", "money") for e in parse.entities):
        # Same topic, new platform or budget: answer the last topic again with the new slots.
        ctx.answer_topic(turn, topic["intent"], text)
        return True
    return False
