"""Follow-ups on a knowledge entry: the details they give (slots) and what they ask, answered from the entry.

An entry may declare a ``topic`` (``knowledge/schema.py``: ``Topic``): the slots a follow-up
can fill (a sum of money, an age, a place, a platform, a choice such as month or quarter, a
yes/no flag such as 办了失业登记), figures to compare with a threshold, an eligibility
checklist, answers to follow-up questions by kind (``asks.yml``: where, documents,
amount …) or by the entry's own cue words, and the steps to take in turn when one fails
(``recourse``: 要是平台不管呢 gets the step after the platform's). These functions are pure:
they read the message and the entry and return sentences; the dialogue decides when a
message is a follow-up.

Every sentence comes from the content file, so every fact stays in facts.md's words.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from dialogues.understand import parse_amount

Slots = dict[str, Any]
PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
CN_NUMBER = "零一二两三四五六七八九十百"
AGE_RES = (
    re.compile(r"([0-9]{1,3})\s*(?:周岁|岁)"),
    re.compile(rf"([{CN_NUMBER}]{{1,4}})\s*(?:周岁|岁)"),
    re.compile(r"今年\s*([0-9]{1,3})"),
    re.compile(rf"今年\s*([{CN_NUMBER}]{{1,4}})"),
)
# A number of people or things is no sum of money: 两百来人, 300户, 20斤.
NOT_MONEY_RE = r"\s*[来多余几]?\s*(?:人|户|个|位|岁|斤|天|次|年|号|楼|单元|条|件|箱)"
NEGATION_SPAN = 4  # a negation this many characters before a flag's cue word turns it to no
# Character pairs that say nothing about the topic (question words, fillers).
FILLER_PAIRS = frozenset({
    "什么", "怎么", "可以", "一般", "如果", "要是", "没有", "不是", "就是", "这个", "那个", "一个", "现在", "我们", "他们",
    "你们", "的话", "是不", "不是", "能不", "不能", "有没", "没有", "还是", "知道", "请问", "那我", "我要", "要不",
})
MIN_PAIRS = 2  # shared character pairs a point needs to answer a question


# ---- what the message asks and gives --------------------------------------------------------

def ask_of(text: str, asks: dict[str, list[str]]) -> str | None:
    """The kind of follow-up question (asks.yml order: the first kind whose words appear), or None."""
    for kind, cues in asks.items():
        if any(c and c in text for c in cues):
            return kind
    return None


def kinds_of(text: str, asks: dict[str, list[str]]) -> set[str]:
    """Every kind of question (asks.yml) whose words appear in the message (not only the first)."""
    return {kind for kind, cues in asks.items() if any(c and c in text for c in cues)}


def read_slots(spec: dict[str, dict[str, Any]], text: str, entities: Iterable[Any]) -> Slots:
    """The values the message gives for the topic's slots (only those it gives)."""
    found: Slots = {}
    ents = [(e.entity, e.value) for e in entities]
    for name, slot in (spec or {}).items():
        value = _read(slot, text, ents)
        if value is not None:
            found[name] = value
    return found


def _read(slot: dict[str, Any], text: str, ents: list[tuple[str, str]]) -> Any:
    kind = slot.get("type")
    if kind in ("money", "age", "region", "platform", "product") and slot.get("cues") and not any(c in text for c in slot["cues"]):
        return None  # 预算500 is no monthly sales figure: the words that must come with it are missing
    if kind == "money":
        for entity, value in ents:
            if entity == "money" and not re.search(re.escape(value) + NOT_MONEY_RE, text):
                amount = parse_amount(value)
                if amount:
                    return amount
        return None
    if kind == "age":
        for rx in AGE_RES:
            m = rx.search(text)
            if m:
                age = parse_amount(m.group(1))
                if age and 14 <= age <= 100:
                    return age
        return None
    if kind in ("region", "platform", "product"):
        return next((value for entity, value in ents if entity == kind), None)
    if kind == "choice":
        for value, words in (slot.get("choices") or {}).items():
            if any(w in text for w in words):
                return value
        return None
    if kind == "flag":
        for cue in slot.get("cues") or []:
            at = text.find(cue)
            if at >= 0:
                before = text[max(0, at - NEGATION_SPAN):at]
                return not any(n in before for n in slot.get("negations") or [])
    return None


# ---- saying it --------------------------------------------------------------------------------

def money_text(amount: int) -> str:
    """150000 -> 15万元, 1000 -> 1000元."""
    if amount >= 10000 and amount % 1000 == 0:
        return f"{amount / 10000:g}万元"
    return f"{amount}元"


def value_text(slot: dict[str, Any], value: Any) -> str:
    """How a slot's value is said in an answer."""
    kind = slot.get("type")
    if value is None:
        return str(slot.get("unknown") or "")
    if kind == "money":
        return money_text(int(value))
    if kind == "age":
        return f"{value}岁"
    if kind == "choice":
        return str((slot.get("labels") or {}).get(value, value))
    if kind == "flag":
        return str(slot.get("if_yes" if value else "if_no") or "")
    return str(value)


def fill(template: str, spec: dict[str, dict[str, Any]], slots: Slots, **extra: str) -> str | None:
    """The template with the slots said; None when it needs a slot that is unknown and has no ``unknown`` word."""
    said: dict[str, str] = dict(extra)
    for name in PLACEHOLDER_RE.findall(template):
        if name in said:
            continue
        slot = spec.get(name) or {}
        value = slots.get(name)
        if value is None and slot.get("type") == "choice" and slot.get("default"):
            value = slot["default"]
        text = value_text(slot, value)
        if not text:
            return None
        said[name] = text
    return PLACEHOLDER_RE.sub(lambda m: said[m.group(1)], template).strip()


# ---- answers ----------------------------------------------------------------------------------

def compare(topic: dict[str, Any], slots: Slots, new: Slots | None = None) -> list[str]:
    """Each figure the person gave, compared with its threshold (per period when the compare says so).
    ``new``: what the message itself gave; when it changes only the period, a compare's ``per_changed``
    says the new period's threshold instead of restating the figure for a period it was not given for."""
    spec = topic.get("slots") or {}
    out = []
    for c in topic.get("compare") or []:
        value = slots.get(c["slot"])
        if value is None:
            continue
        key = "any"
        if c.get("per"):
            key = slots.get(c["per"]) or (spec.get(c["per"]) or {}).get("default") or ""
        limit = (c.get("limits") or {}).get(key)
        if limit is None:
            continue
        template = c["below"] if value < limit else (c.get("at") or c["reached"]) if value == limit else c["reached"]
        if new is not None and c.get("per_changed") and c.get("per") in new and c["slot"] not in new:
            template = c["per_changed"]
        line = fill(template, spec, {**slots, c.get("per") or "": key}, limit=money_text(int(limit)))
        if line:
            out.append(line)
    return out


def checklist(topic: dict[str, Any], slots: Slots) -> str | None:
    """The eligibility checklist with the person's details, or None when the topic has none."""
    spec, cl = topic.get("slots") or {}, topic.get("checklist")
    if not cl:
        return None
    lines = [fill(cl["intro"], spec, slots) or ""]
    for line in cl.get("lines") or []:
        if line.get("unless") and slots.get(line["unless"]) is True:
            continue
        text = fill(line["text"], spec, slots)
        if text:
            lines.append(f"・{text}")
    lines.append(fill(cl["outro"], spec, slots) or "")
    return "\n".join(x for x in lines if x)


def cued(topic: dict[str, Any], text: str) -> bool:
    """True when the message uses one of the topic's own question cue words (零星小额 after the licence rules)."""
    return any(c and c in text for q in topic.get("questions") or [] for c in q.get("cues") or [])


def question(topic: dict[str, Any], ask: str | None, text: str, slots: Slots) -> str | None:
    """The topic's answer to this question: the entry's own cue words first, then the kind asked."""
    spec = topic.get("slots") or {}
    questions = topic.get("questions") or []
    for q in questions:
        if any(c in text for c in q.get("cues") or []):
            return fill(q["answer"], spec, slots)
    for q in questions:
        if ask and q.get("ask") == ask:
            return fill(q["answer"], spec, slots)
    return None


def recourse(topic: dict[str, Any], text: str, reached: int = 0) -> tuple[int, str] | None:
    """要是平台不管呢: the recourse step after the one whose party the message names (商家不理 -> the platform),
    else after the last one given (``reached``); the last step again when none is left. None: no recourse."""
    steps = topic.get("recourse") or []
    if not steps:
        return None
    named = [i for i, step in enumerate(steps) if any(p and p in text for p in step.get("parties") or [])]
    failed = max(named) if named else reached
    at = min(failed + 1, len(steps) - 1)
    return at, str(steps[at]["text"])


def pairs(text: str) -> set[str]:
    """The character pairs of the Chinese, letters and digits in ``text``, fillers left out."""
    t = re.sub(r"[^\u4e00-\u9fff0-9A-Za-z]", "", text)
    return {t[i:i + 2] for i in range(len(t) - 1)} - FILLER_PAIRS


def best_line(lines: Iterable[str], text: str) -> str | None:
    """The line sharing the most character pairs with the question (at least ``MIN_PAIRS``), or None."""
    asked = pairs(text)
    scored = [(len(asked & pairs(line)), i, line) for i, line in enumerate(lines)]
    scored = [s for s in scored if s[0] >= MIN_PAIRS]
    return max(scored, key=lambda s: (s[0], -s[1]))[2] if scored else None


def confirm_line(topic: dict[str, Any], slots: Slots) -> str:
    """Where to confirm, with the person's details (empty when the topic says nothing)."""
    return fill(topic.get("confirm") or "", topic.get("slots") or {}, slots) or ""
