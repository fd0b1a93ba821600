"""Policies in plain words: issuer and date, what it means, how to apply, a caveat, the source.

A policy a group asks about that none of ours covers (我是残疾人 有什么补贴) is said to be not
covered, never answered with a wrong one. 怎么申请 / 找谁 after a policy says how to apply.
"""

from __future__ import annotations

import json
import re
from typing import Any

from dialogues import texts as T
from dialogues.skills import answers, hotlines
from dialogues.skills.base import Context, menu_button, say, worker_button
from dialogues.state import persona
from dialogues.turn import Turn
from nlu.result import ParseResult

CAPABILITY = "policy"
GROUP_RE = re.compile(r"残疾|残障|低保|退役|军人|大学生|毕业生|妇女|失业|下岗|困难户|孤寡|五保|特困|农民工")


def respond(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> None:
    """The policy that best fits the question, with other ones on the same topic as buttons."""
    if parse.intent == "ask_hotline":
        hotlines.respond(ctx, turn, parse, text)
        return
    st = turn.state
    entries = ctx.kb.by_intent(parse.intent, "policy")
    if not entries:
        answers.answer_from_search(ctx, turn, parse.text or parse.intent, parse)
        return
    entry = entries[0]
    if len(entries) > 1 and parse.text:
        ids = {e["id"] for e in entries}
        hit = next((h for h in ctx.kb.search(parse.text, limit=10, kinds=("policy",)) if h.id in ids), None)
        if hit:
            entry = ctx.kb.get(hit.id)
    group = GROUP_RE.search(parse.text or "")
    if group and not any(group.group(0) in json.dumps(e, ensure_ascii=False) for e in entries):
        # "我是残疾人 有什么补贴": none of our policies is about that group; do not show a wrong one.
        say(turn, T.POLICY_NOT_COVERED, (worker_button(), *((e["title"], {"entry": e["id"]}) for e in entries[:3])))
        return
    say_policy(turn, entry)
    others = [e for e in entries if e["id"] != entry["id"]][:2]
    buttons: list[Any] = [(e["title"], {"entry": e["id"]}) for e in others]
    buttons += [worker_button(), menu_button()]
    say(turn, T.POLICY_ELIGIBILITY, tuple(buttons))
    st["topic"] = {"intent": parse.intent, "entry": entry["id"]}
    turn.rate = {"kind": "policy", "subject": entry["id"], "title": str(entry["title"])}


def say_policy(turn: Turn, entry: dict[str, Any]) -> None:
    """The policy itself (points only for merchants and social workers), then how, caveat and source."""
    resident = persona(turn.state) == "resident"
    head = f"【{entry['title']}】"
    meta = "，".join(str(entry[k]) for k in ("issuer", "date") if entry.get(k))
    if meta:
        head += f"（{meta}）"
    lines = [head, str(entry.get("summary", "")).strip()]
    points = entry.get("points") or []
    if points and not resident:
        lines += [f"・{p}" for p in points[:4]]
    say(turn, "\n".join(x for x in lines if x))
    tail = [T.POLICY_HOW.format(text=str(entry["how"]).strip()), T.POLICY_CAVEAT.format(text=str(entry["caveat"]).strip())]
    tail.append(T.SOURCE_LINE.format(source=entry["source"], reviewed=entry["reviewed"]))
    say(turn, "\n".join(tail))


def how_to_apply(turn: Turn, entry: dict[str, Any]) -> None:
    """怎么申请 / 去哪办 after a policy: how to apply, or whom to ask."""
    say(turn, T.POLICY_HOW.format(text=str(entry["how"]).strip()), (worker_button(), menu_button()))


def policy_menu(turn: Turn) -> None:
    """想了解哪方面的政策？ with one button per topic."""
    say(turn, T.POLICY_MENU, tuple((label, {"intent": intent}) for label, intent in T.POLICY_TOPICS))
