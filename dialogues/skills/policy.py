"""Policies in plain words: issuer and date, what it means, how to apply, a caveat, the source.

A policy a group asks about that none of ours covers (我是残疾人 有什么补贴) is said to be not
covered, never answered with a wrong one. After a policy, a follow-up is answered inside it
(``follow_up``): the details it gives fill the slots the entry's ``topic`` declares (要是有个月
卖了15万呢 is compared with the threshold; age, city and 失业登记 fill an eligibility
checklist), and what it asks (那要带什么, 去哪里办, 最多能贷多少) gets the entry's answer; 要是平台不管呢
gets the entry's next recourse (its ``topic.recourse``: 商家 -> 平台 -> 12315).

A question naming a rule an entry states (its ``rules``: 能退吗 不是说七天无理由么, 没执照 个人能卖吗)
is a policy question whatever the NLU chose: the rule first, the tutorial the NLU chose as a
button (``rule_first``). Among the entries of an intent, those that ``serve`` a kind of ask the
message makes (asks.yml ``relief``: 房租涨了有啥政策能帮帮小店) come first.
"""

from __future__ import annotations

import json
import re
from typing import Any

from dialogues import texts as T
from dialogues.skills import answers, followup, hotlines
from dialogues.skills.base import Context, menu_button, say, worker_button
from dialogues.state import persona
from dialogues.turn import Turn
from knowledge import topics
from nlu.result import ParseResult

CAPABILITY = "policy"
# 还有别的政策吗 / 其他的呢 after a policy: the next one on the topic, never the same one again.
OTHER_RE = re.compile(r"(别的|其他|其它|另外的?)(的)?(政策|补贴|规定|文件)?\W*(吗|呢|没有?|么)?\W*$|还有(别的|其他|其它)")
# A question whether a rule allows or applies (能退吗 / 能卖不 / 不是说七天无理由么 / 算不算 / 是真的吗), not
# one that only mentions a rule on the way to another topic (没执照 怎么拉顾客).
RULE_ASK_RE = re.compile(r"(能|可以|可不可以|让|准)[^\s，。？?]{0,4}(吗|么|不|嘛)|要不要|用不用|需不需要|需?要[^\s，。？?]{0,6}(吗|么)"
                         r"|必须|算不算|行不行|合法|违法|允许|不是说|是不是|真的吗|是真的|对不对|适用|管不管用")
FAILS = "fails"  # the kind of ask (asks.yml) that says the step just given did not work: the next recourse
GROUP_RE = re.compile(r"残疾|残障|低保|退役|军人|大学生|毕业生|妇女|失业|下岗|困难户|孤寡|五保|特困|农民工|高龄|养老金|医保")


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
    served = topics.kinds_of(parse.text or text, ctx.kb.asks())
    named = [e for e in entries if names_rule(e, parse.text or text)]
    serving = [e for e in entries if served & set(e.get("serves") or [])]
    pool = named or serving or entries  # 七天无理由 names its policy; 房租涨了 asks for what serves relief
    entries = [*pool, *(e for e in entries if e not in pool)]
    entry = entries[0]
    if len(pool) > 1 and parse.text:
        ids = {e["id"] for e in pool}
        hit = next((h for h in ctx.kb.search(parse.text, limit=10, kinds=("policy",)) if h.id in ids), None)
        if hit:
            entry = ctx.kb.get(hit.id)
        elif persona(st) != "merchant":
            # 客服不理我, nothing in it names an entry: not the rules for shops to someone not known to run one.
            entry = next((e for e in pool if e.get("audience") != "merchant"), entry)
    group = GROUP_RE.search(parse.text or "")
    if group and not any(group.group(0) in json.dumps(e, ensure_ascii=False) for e in entries):
        # "我是残疾人 有什么补贴": none of our policies is about that group; do not show a wrong one.
        say(turn, T.POLICY_NOT_COVERED, (worker_button(), *((e["title"], {"entry": e["id"]}) for e in entries[:3])))
        return
    lead = next((T.POLICY_SERVES_LEAD[k] for k in sorted(served & set(entry.get("serves") or []))
                 if k in T.POLICY_SERVES_LEAD), "")
    if lead and not named:
        say(turn, lead)  # 房租涨了: what is not in the content is said first, then what is
    own = own_question(entry, parse.text or text, st["slots"])
    if own:  # 他要我赔三倍 我一定要赔吗: the entry's answer to the question asked in its own words
        say(turn, f"【{entry['title']}】\n{own}")
    else:
        say_policy(turn, entry)
    # Related entries serving the same ask come first (房租涨了 -> the financing mechanism for 个体户).
    related = [r for r in (ctx.kb.get(i) for i in entry.get("related") or []) if r and r.get("kind") == CAPABILITY]
    also = [r for r in related if served & set(r.get("serves") or [])]
    others = [*also, *(e for e in entries if e["id"] != entry["id"] and e not in also)][:2]
    buttons: list[Any] = [(e["title"], {"entry": e["id"]}) for e in ([entry] if own else []) + others]
    buttons += [worker_button(), menu_button()]
    say(turn, T.POLICY_ELIGIBILITY, tuple(buttons))
    remember(st, parse.intent, entry, parse, text)
    turn.rate = {"kind": "policy", "subject": entry["id"], "title": str(entry["title"])}


def own_words(ctx: Context, st: dict[str, Any], text: str) -> bool:
    """True when the message uses the last topic's own cue words (its entry's ``topic.questions``)."""
    entry = ctx.kb.get(str((st.get("topic") or {}).get("entry") or ""))
    return bool(entry) and topics.cued(entry.get("topic") or {}, text)


def own_question(entry: dict[str, Any], text: str, slots: dict[str, Any]) -> str | None:
    """The answer the entry declares for a question asked in its own cue words (not by kind), or None."""
    topic = entry.get("topic") or {}
    if not topics.cued(topic, text):
        return None
    return topics.question({**topic, "questions": [q for q in topic.get("questions") or [] if q.get("cues")]},
                           None, text, slots)


def names_rule(entry: dict[str, Any], text: str) -> bool:
    """True when the message names one of the rules the entry states (its ``rules``)."""
    return any(r and str(r) in text for r in entry.get("rules") or [])


def rule_of(ctx: Context, text: str) -> dict[str, Any] | None:
    """The policy whose rule a question names (能退吗 不是说七天无理由么), or None (no rule, or no question)."""
    if not RULE_ASK_RE.search(text):
        return None
    return next((e for e in ctx.kb.by_kind(CAPABILITY) if names_rule(e, text)), None)


def answer_rule(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> None:
    """``rule_first`` as a skill's answer (the policy routes a rule question to it)."""
    rule_first(ctx, turn, parse, text)


def rule_first(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> bool:
    """A question naming a rule, read by the NLU as another capability: the rule first; the tutorial the
    NLU chose (the after-sale steps, opening a shop) follows as a button. False: no rule is named."""
    entry = rule_of(ctx, text)
    if entry is None:
        return False
    taught = next((f for f in ctx.flows.values() if parse.intent in f.intents), None)
    intent = (entry.get("intents") or [""])[0]
    turn.intent, turn.capability = intent, CAPABILITY
    say_policy(turn, entry)
    buttons: list[Any] = [(taught.title, {"intent": parse.intent})] if taught else []
    say(turn, T.POLICY_ELIGIBILITY, (*buttons, worker_button(), menu_button()))
    remember(turn.state, intent, entry, parse, text)
    turn.rate = {"kind": "policy", "subject": entry["id"], "title": str(entry["title"])}
    return True


def remember(st: dict[str, Any], intent: str, entry: dict[str, Any], parse: ParseResult | None = None,
             text: str = "") -> None:
    """The policy is the topic now, with the details the question already gave (我45了 在成都…)."""
    spec = (entry.get("topic") or {}).get("slots") or {}
    slots = topics.read_slots(spec, text, parse.entities) if parse is not None else {}
    last = st.get("topic") or {}
    shown = list(last.get("shown") or []) if last.get("intent") == intent else []
    st["topic"] = {"intent": intent, "entry": entry["id"], "slots": slots, "shown": [*shown, entry["id"]]}


def the_law(ctx: Context, turn: Turn, text: str) -> bool:
    """储值卡 法律上有啥要注意的 / 接龙登记顾客手机号 法律上有啥讲究: a question about the rules (asks.yml
    ``law``) naming what a policy entry is about (its keywords) gets that policy, not tips or a guess."""
    if topics.ask_of(text, ctx.kb.asks()) != "law":
        return False
    for hit in ctx.kb.search(text, limit=5, kinds=("policy",)):
        entry = ctx.kb.get(hit.id)
        if entry and any(len(str(k)) >= 2 and str(k) in text for k in entry.get("keywords") or []):
            intent = (entry.get("intents") or [""])[0]
            turn.intent, turn.capability = intent, "policy"
            answers.answer_entry(ctx, turn, entry["id"], text)
            remember(turn.state, intent, entry)  # 刚才储值卡那个事 还有啥要注意的 follows it up
            return True
    return False


def next_policy(ctx: Context, turn: Turn, text: str) -> bool:
    """还有别的政策吗 after a policy: the next one of the topic (its intent, then related), or that there is none."""
    last = turn.state.get("topic") or {}
    if not (OTHER_RE.search(text) and len(re.sub(r"\W", "", text)) <= followup.SHORT):
        return False
    shown = set(last.get("shown") or []) | {last.get("entry")}
    current = ctx.kb.get(str(last.get("entry") or "")) or {}
    candidates = [*ctx.kb.by_intent(str(last.get("intent") or ""), CAPABILITY),
                  *(ctx.kb.get(r) for r in current.get("related") or [])]
    turn.capability = CAPABILITY
    entry = next((e for e in candidates if e and e.get("kind") == CAPABILITY and e["id"] not in shown), None)
    if entry is None:
        say(turn, T.POLICY_NO_MORE, (worker_button(), menu_button()))
        return True
    say_policy(turn, entry)
    say(turn, T.POLICY_ELIGIBILITY, (worker_button(), menu_button()))
    remember(turn.state, str(last.get("intent") or ""), entry)
    turn.rate = {"kind": "policy", "subject": entry["id"], "title": str(entry["title"])}
    return True


RESIDENT_CHARS = 150  # a resident's policy answer: two messages of about this many characters at most


def say_policy(turn: Turn, entry: dict[str, Any]) -> None:
    """The policy itself (points only for merchants and social workers), then how, caveat and source."""
    resident = persona(turn.state) == "resident"
    head = f"【{entry['title']}】"
    meta = str(entry.get("date") or "")
    if meta:
        head += f"（{meta}）"
    lines = [head, str(entry.get("summary", "")).strip()]
    points = entry.get("points") or []
    if points and not resident:
        lines += [f"・{p}" for p in points[:4]]
    say(turn, "\n".join(x for x in lines if x))
    how = T.POLICY_HOW.format(text=str(entry["how"]).strip())
    caveat = T.POLICY_CAVEAT.format(text=str(entry["caveat"]).strip())
    source = T.SOURCE_LINE.format(source=entry["issuer"], reviewed=entry["reviewed"]) if entry.get("issuer") else ""
    if resident and len("\n".join(x for x in (how, caveat, source) if x)) > RESIDENT_CHARS:
        # Residents get two short messages; what to watch out for, and the source, are one tap away.
        say(turn, how, ((T.POLICY_NOTE_BUTTON, {"policy_note": entry["id"]}),))
        return
    say(turn, "\n".join(x for x in (how, caveat, source) if x))


def say_note(turn: Turn, entry: dict[str, Any]) -> None:
    """要注意什么 (a resident's button): the caveat and where the policy comes from."""
    turn.capability = CAPABILITY
    lines = [T.POLICY_CAVEAT.format(text=str(entry["caveat"]).strip())]
    if entry.get("issuer"):
        lines.append(T.SOURCE_LINE.format(source=entry["issuer"], reviewed=entry["reviewed"]))
    say(turn, "\n".join(lines))


def how_to_apply(turn: Turn, entry: dict[str, Any]) -> None:
    """怎么申请 / 去哪办 after a policy: how to apply, or whom to ask."""
    turn.capability = CAPABILITY
    say(turn, T.POLICY_HOW.format(text=str(entry["how"]).strip()), (worker_button(), menu_button()))


def follow_up(ctx: Context, turn: Turn, entry: dict[str, Any], parse: ParseResult, text: str) -> bool:
    """A follow-up on the policy just explained, answered inside it; False when the message is not one.

    The details it gives fill the topic's slots (kept for the next follow-ups). Then, in order:
    the entry's answer to what is asked (its own cue words, then the kind in asks.yml); the
    figures compared with their thresholds, or the eligibility checklist, when details came;
    how to apply (去哪办, 找谁) or who it is for (要啥条件); the point of the entry that shares
    the most words with the question. Every answer ends with where to confirm.
    """
    st = turn.state
    last = st.get("topic") or {}
    topic = entry.get("topic") or {}
    new = topics.read_slots(topic.get("slots") or {}, text, parse.entities)
    slots = {**(last.get("slots") or {}), **new}
    ask = topics.ask_of(text, ctx.kb.asks())
    fails = FAILS in topics.kinds_of(text, ctx.kb.asks()) and bool(topic.get("recourse"))
    party = any(p and p in text for r in topic.get("recourse") or [] for p in r.get("parties") or [])
    # The details the topic takes with what it answers, the topic's own cue words (算不算零星小额
    # after the licence rules), or a step of its recourse that failed, named (商家不理我咋办): a
    # follow-up, even when the NLU is sure of another question.
    fits = (bool(new) and bool(topics.question(topic, ask, text, slots)
                               or (ask == "conditions" and topic.get("checklist")))) or topics.cued(topic, text) \
        or (fails and party)
    if not followup.expects(last, parse, text, tuple(s.get("type") for s in (topic.get("slots") or {}).values()), fits):
        return False
    step = topics.recourse(topic, text, int(last.get("recourse") or 0)) if fails and not topics.cued(topic, text) else None
    if step is not None:  # 要是平台不管呢: the step after the one that failed
        turn.capability = CAPABILITY
        say(turn, step[1], (worker_button(), menu_button()))
        st["topic"] = {**last, "slots": slots, "recourse": step[0]}
        return True
    lines = answer_lines(entry, topic, slots, new, ask, text, own_words=followup.weak(last, parse))
    if lines is None:
        return related(ctx, turn, entry, ask, text, slots)
    confirm = topics.confirm_line(topic, slots)
    if lines and confirm and not any(confirm in line for line in lines):
        lines.append(confirm)
    turn.capability = CAPABILITY
    say(turn, "\n".join(lines or [T.POLICY_HOW.format(text=str(entry["how"]).strip())]), (worker_button(), menu_button()))
    st["topic"] = {**last, "slots": slots}
    return True


def related(ctx: Context, turn: Turn, entry: dict[str, Any], ask: str | None, text: str,
            slots: dict[str, Any]) -> bool:
    """A follow-up its policy does not answer but a related one does (能赔多少 after the regulation ->
    the law's answer; 长辈模式也是这个政策管的吗 -> the app rules): answered from that one."""
    for other in (ctx.kb.get(r) for r in entry.get("related") or []):
        if not other or other.get("kind") != CAPABILITY:
            continue
        said = topics.question(other.get("topic") or {}, ask, text, slots)
        named = any(len(str(k)) >= 3 and str(k) in text for k in other.get("keywords") or [])
        if not (said or named):
            continue
        turn.capability = CAPABILITY
        if said:
            say(turn, said, (worker_button(), menu_button()))
        else:
            say_policy(turn, other)
        turn.state["topic"] = {**(turn.state.get("topic") or {}), "entry": other["id"], "slots": slots}
        return True
    return False


def answer_related(ctx: Context, turn: Turn, ids: list[str], text: str) -> bool:
    """A question after a tool or tip that one of its related policies answers (用这个收顾客的电话地址
    要注意啥 after a group-buy tool -> the PIPL rules for merchants): that policy, now the topic."""
    for entry in (ctx.kb.get(i) for i in ids):
        if entry and entry.get("kind") == CAPABILITY and \
                topics.best_line([str(entry.get("summary") or ""), *map(str, entry.get("points") or [])], text):
            turn.capability = CAPABILITY
            say_policy(turn, entry)
            remember(turn.state, (entry.get("intents") or [""])[0], entry)
            return True
    return False


def answer_lines(entry: dict[str, Any], topic: dict[str, Any], slots: dict[str, Any], new: dict[str, Any],
                 ask: str | None, text: str, own_words: bool) -> list[str] | None:
    """What to say to a follow-up, from the entry alone (see ``follow_up``): the lines, [] for how to
    apply (which says where to confirm itself), None when the entry has nothing for it."""
    said = topics.question(topic, ask, text, slots)
    if said:
        return [said]
    if new:
        compared = topics.compare(topic, slots, new)
        if compared:
            return compared
    listed = topics.checklist(topic, slots)
    if listed and (new or ask == "conditions"):
        return [listed]
    if ask in ("where", "how", "documents"):
        return []
    if ask == "conditions" and entry.get("who"):
        return [str(entry["who"]).strip(), T.POLICY_HOW.format(text=str(entry["how"]).strip())]
    point = topics.best_line(entry.get("points") or [], text) if own_words else None
    return [point] if point else None


def policy_menu(turn: Turn) -> None:
    """想了解哪方面的政策？ with one button per topic."""
    say(turn, T.POLICY_MENU, tuple((label, {"intent": intent}) for label, intent in T.POLICY_TOPICS))


# A document named by its number: 72号文, 国办发〔2015〕72号, 755号令, 国务院令第755号 (not 3号楼, not 12月10号).
DOC_RE = re.compile(r"(?:[〔\[（(](\d{4})[〕\]）)]\s*(\d{1,4})\s*号)|(?:令\s*第?\s*(\d{1,4})\s*号)|(?:(\d{1,4})\s*号\s*(?:文件|文|令))")


def named_document(ctx: Context, turn: Turn, text: str) -> bool:
    """A policy document asked for by its number: that entry when the content has it, else say it does not."""
    m = DOC_RE.search(text)
    if m is None:
        return False
    year = m.group(1) or ""
    number = next(g for g in m.groups()[1:] if g)
    def same(doc: str) -> bool:
        return bool(re.search(rf"(?<!\d){number}号", doc)) and (not year or year in doc)
    found = [e for e in ctx.kb.by_kind("policy") if same(str(e.get("doc_number") or ""))]
    turn.capability = CAPABILITY
    if len(found) == 1:
        if found[0].get("intents"):
            turn.intent = found[0]["intents"][0]
        say_policy(turn, found[0])
        return True
    say(turn, T.DOC_MISSING.format(doc=m.group(0).strip()), (worker_button(), menu_button()))
    return True
