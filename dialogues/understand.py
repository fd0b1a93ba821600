"""Reading a message in its conversation, before any skill answers it.

``read`` is what the engine calls: a typed number becomes its button's words, and a
self-introduction followed by a question (我是开小饭馆的 美团抽几个点) is answered as the
question, with the persona remembered. The rest are the readings skills share: which
capability an intent belongs to, slots from entities, amounts of money, a plain yes or no.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable

from dialogues.state import State, pressed_label
from nlu.result import ParseResult

RESIDENT_INTENTS = {
    "grocery_order", "choose_grocery_app", "app_install", "account_login", "address_setup", "payment_setup",
    "order_pickup", "refund_aftersale", "elderly_mode", "scam_prevention", "policy_elderly_services",
}
MERCHANT_INTENTS = {
    "open_shop", "list_product", "short_video", "live_stream", "shop_dashboard", "policy_subsidy", "policy_loan",
    "policy_tax", "policy_business_license",
}
CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "几": 3}
CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
MAX_AMOUNT_DIGITS = 12  # a longer "budget" is a pasted number, not money

MERCHANT_SELF_RE = re.compile(
    r"^(我|俺|咱|我们|我家)(是|在|家)?(个|一个)?(开|做|卖|干|经营|摆)(了)?(个|一个|一家)?.{0,8}(的|店|铺|生意|摊|老板|超市|部|厂|园|场|馆)(的)?$"
    r"|^(我|俺)(是)?(个|一个)?(个体户|小商户|商户|店主|老板|摊主|团长|社区团长|农户)(啊|呀)?$"
)
RESIDENT_SELF_RE = re.compile(
    r"^(我|俺)(是|今年)?(个|一个)?(退休的?|退休老人|老人家?|老年人|大爷|大妈|老太太|老头子?|[六七八九]十(多|几)?岁?(了)?)(啊|呀|了)?$"
)
SOCIAL_WORKER_SELF_RE = re.compile(
    r"^(我|俺)(是)?(个|一个|社区的?|街道的?)?(社工|社会工作者|居委会的?|社区工作者|社区的工作人员|网格员|志愿者)(啊|呀)?$"
)
QUESTION_RE = re.compile(r"怎么|咋|吗|呢|啥|什么|如何|想|要|能不能|可以|？|\?")
ASKING_RE = re.compile(QUESTION_RE.pattern + r"|多少|哪|几个|几点")  # a clause that asks something
CLAUSE_RE = re.compile(r"[\s，,。.!！；;]+")
REFUSE_RE = re.compile(
    r"(不|别|甭|先不|暂时不|没必要|不需要|不想)(用|要|找|麻烦|转|叫|联系)?(找|转|叫)?(社工|真人|人工|客服|人了|别人)"
    r"|^\W*(算了|不用|不要|不了|没事了|不删|别删)"
)
WORD_RE = re.compile(r"\w")  # a letter, digit or Chinese character: the message has words
PLAIN_RE = re.compile(r"[\W_]+")  # spaces, punctuation and emoji, ignored when reading a short answer
YES_PREFIXES = ("嗯", "恩", "对", "是的", "是", "好的", "好")  # "嗯，确定" / "好 删吧": the rest decides
# Agreement that does not say which question it answers: the question is asked once more, plainly.
VAGUE_YES = frozenset({"好", "嗯", "嗯嗯", "恩", "哦", "噢", "ok", "okay", "好好", "好嘞", "知道了", "收到", "明白", "明白了"})
# Plain agreement, in dialect too: with the question's action said back it is a yes (中 删 / 好 找吧).
AGREE = frozenset({"中", "中中", "中啊", "行", "行行", "成", "得", "得行", "要得", "好的", "好吧", "好啊", "好呀", "对", "对的",
                   "是", "是的", "嗯呐", "可以", "么问题", "没问题", "那好", "那行", "那中", "ok"})
# Courtesy or resolve said with a yes (可以 麻烦你们了 / 中 删 俺想好了): adds nothing, takes nothing away.
COURTESY_RE = re.compile(r"(那)?(就)?(麻烦|辛苦|谢谢|多谢|唔该)(你|您|侬|你哋)?(们)?(了|啦|啊|哂|晒)?|(我|俺|咱|阿拉)?(想好了|想清楚了|考虑好了|决定了|定了)(的)?"
                         r"|(我|俺)?不后悔")
# A condition said with a yes (不要钱就中 喊吧 / 对 是真人就行): the yes still needs its own word or action.
CONDITION_RE = re.compile(r"(只要)?.{1,10}就(中|行|好|可以|成)(了|啦|啊)?")

Parse = Callable[[str], ParseResult]


def read(state: State | None, text: str, parse: Parse, intent: str | None = None
         ) -> tuple[ParseResult, str, State | None]:
    """What the person said, understood in the conversation: ``(parse, said, state)``.

    ``said`` is the text the dialogue answers (a typed button number becomes the button's
    words; after a self-introduction, only the question). ``intent`` forces the intent
    (Telegram commands such as /menu or /human). ``state`` comes back with the persona of an
    introduction already remembered, as if it had been said on its own.
    """
    said = pressed_label(state, text) or text  # "7" -> 其他/不知道
    if intent is not None:
        return ParseResult(said, intent, capability_of(intent), 1.0), said, state
    result = parse(said)
    rest = question_after_intro(said) if result.intent == "self_intro" else ""
    if rest:
        # "我是开小饭馆的 美团抽几个点": the question after the introduction is what to answer.
        asked = parse(rest)
        if asked.intent != "self_intro" and not asked.is_fallback:
            persona = persona_of_intro(said)
            if persona:  # remembered from the introduction, as if said on its own
                state = {**(state or {}), "slots": {**((state or {}).get("slots") or {}), "persona": persona}}
            result, said = asked, rest
    return result, said, state


def question_after_intro(text: str) -> str:
    """The part after a self-introduction when it asks something ("我是卖水果的 想开个网店" -> 想开个网店)."""
    parts = [p for p in CLAUSE_RE.split(text.strip()) if p]
    rest = "".join(parts[1:])
    return rest if rest and ASKING_RE.search(rest) else ""


def persona_of_intro(text: str) -> str:
    """Who the first clause says the person is (我是开小饭馆的 -> merchant), or ''."""
    first = CLAUSE_RE.split(text.strip())[0] if text.strip() else ""
    for persona, rx in (("merchant", MERCHANT_SELF_RE), ("social_worker", SOCIAL_WORKER_SELF_RE),
                        ("resident", RESIDENT_SELF_RE)):
        if rx.search(first):
            return persona
    return ""


def capability_of(intent: str) -> str:
    """The capability (skill family) an intent belongs to: urgent, marketing, policy, tool, … or teach."""
    if intent.startswith("urgent_"):
        return "urgent"
    if intent.startswith("mk_"):
        return "marketing"
    if intent.startswith("policy_"):
        return "policy"
    if intent.startswith("tool_") or intent == "followup_cost":
        return "tool"
    if intent in ("request_human", "complain_bot"):
        return "handoff"
    if intent.startswith("privacy_"):
        return "privacy"
    if intent.startswith("reminder_"):
        return "reminder"
    if intent.startswith("staff_"):
        return "staff"
    if intent.startswith("nav_") or intent in ("greet", "thank", "goodbye", "affirm", "deny", "bot_identity",
                                               "bot_capabilities", "self_intro"):
        return "smalltalk"
    return "teach"


def synthetic(intent: str, text: str, capability: str = "") -> ParseResult:
    """A parse made by the dialogue itself (a button's intent, a topic answered again)."""
    return ParseResult(text=text, intent=intent, capability=capability or capability_of(intent), confidence=1.0)


def take_entities(st: State, parse: ParseResult) -> None:
    """Fill the slots from the entities, and guess the persona from what is asked."""
    slots = st["slots"]
    for e in parse.entities:
        if e.entity in ("platform", "region", "product", "tool"):
            slots[e.entity] = e.value
        elif e.entity == "money":
            amount = parse_amount(e.value)
            if amount:
                slots["budget"] = amount
    if "persona" not in slots:
        if parse.intent in RESIDENT_INTENTS:
            slots["persona"] = "resident"
        elif parse.intent in MERCHANT_INTENTS or parse.capability in ("marketing", "tool"):
            slots["persona"] = "merchant"


def parse_amount(text: str) -> int | None:
    """Yuan in a money entity: 500块 -> 500, 两三千 -> 2000, 一千五 -> 1500, 几百块 -> 300, 1.5万 -> 15000.

    Digits are read only as ASCII 0-9 after NFKC (５００块 -> 500); a number longer than
    ``MAX_AMOUNT_DIGITS`` digits (or with more than 4 decimals) is no amount at all.
    """
    t = unicodedata.normalize("NFKC", text).replace(",", "").replace("，", "")
    m = re.search(r"([0-9]+)(?:\.([0-9]+))?\s*(万|千|百|k)?", t, re.I)
    if m:
        whole, frac = m.group(1), m.group(2) or ""
        if len(whole) > MAX_AMOUNT_DIGITS or len(frac) > 4:
            return None
        unit = {"万": 10000, "千": 1000, "百": 100, "k": 1000, "K": 1000}.get(m.group(3) or "", 1)
        return int(whole) * unit + int(frac or "0") * unit // 10 ** len(frac)
    if t.strip() == "千万":
        return None  # 千万别点: "by all means", never ten million yuan
    return _chinese_amount(t)


def _chinese_amount(t: str) -> int | None:
    """十二万 -> 120000, 一万二 -> 12000, 十万零五千 -> 105000, 八九万 -> 80000 (a range: its lower end),
    三百五 -> 350 (a bare last digit is one unit below the last one), 一万零五 -> 10005."""
    total, section, current, last_unit = 0, 0, 0, 1
    seen = after_digit = False
    for ch in t:
        if ch in CN_DIGITS:
            if not after_digit:  # 两三千, 八九万: the first digit of a range
                current = CN_DIGITS[ch]
            if ch == "零":
                last_unit, current = 1, 0  # 一万零五: the 5 is ones, not thousands
            seen, after_digit = True, ch != "零"
        elif ch == "万":
            total += ((section + current) or 1) * 10000
            section, current, last_unit, seen, after_digit = 0, 0, 10000, True, False
        elif ch in CN_UNITS:
            section += (current or 1) * CN_UNITS[ch]
            current, last_unit, seen, after_digit = 0, CN_UNITS[ch], True, False
    if not seen:
        return None
    if current:
        section += current * (last_unit // 10 if last_unit >= 10 else 1)
    return (total + section) or None


def plain(text: str) -> str:
    """A short answer without spaces, punctuation or emoji, lower-cased ("确定！" -> 确定, "OK" -> ok)."""
    return PLAIN_RE.sub("", text).lower()


def clear_yes(text: str, words: frozenset[str]) -> bool:
    """True when a typed answer plainly says yes in ``words`` ("确定", "嗯，确定", "可以啊"); 好 or 嗯 alone never do."""
    t = plain(text)
    seen = {t, t.rstrip("啊呀哈啦嘛哦")}
    for _ in range(2):  # "嗯嗯 确定", "对 是的"
        seen |= {c[len(p):] for c in seen for p in YES_PREFIXES if c.startswith(p) and len(c) > len(p)}
    return bool(seen & words)


def explicit_yes(text: str, words: frozenset[str], action: re.Pattern[str] | None = None) -> bool:
    """A yes to one question, in plain words, in dialect, or with its action restated.

    Every clause must be one of: a yes word of that question (``words``: 确定, 可以, 要得), a
    plain agreement (好, 中, 行), the question's own action said back (``action``: 删吧, 找吧,
    你帮俺找一个吧), courtesy (麻烦你们了, 俺想好了) or a condition met (不要钱就中, 是真人就行);
    and at least one must be a yes word or the action. 好 / 嗯嗯 alone, or anything else said
    with them (嗯嗯 那个地址咋填), never are: sharing and deleting need a yes to that very question.
    """
    clauses = [plain(c) for c in CLAUSE_RE.split(text.strip())]
    clauses = [c for c in clauses if c]
    said_yes = False
    for c in clauses:
        if clear_yes(c, words) or only_words(c, words):
            said_yes = True
        elif action is not None and action.fullmatch(c):
            said_yes = True
        elif not (c in AGREE or c in VAGUE_YES or COURTESY_RE.fullmatch(c) or CONDITION_RE.fullmatch(c)):
            return False
    return said_yes


def only_words(text: str, words: frozenset[str]) -> bool:
    """True when the answer is made of yes words and nothing else (确定删吧 = 确定 + 删吧; 好 alone never)."""
    t = plain(text)
    allowed = words | frozenset(YES_PREFIXES)
    ok = [True] + [False] * len(t)
    for i in range(len(t)):
        if ok[i]:
            for w in allowed:
                if t.startswith(w, i):
                    ok[i + len(w)] = True
    return ok[-1] and any(w in t for w in words)


def yes_or_no(parse: ParseResult, text: str) -> tuple[bool, bool]:
    """``(yes, no)`` for a light question (go on with the tutorial? which app?): 继续/好/要 or 不用/算了."""
    no = parse.intent in ("deny", "nav_exit") or bool(REFUSE_RE.search(text))
    yes = not no and (parse.intent in ("affirm", "nav_next") or text.strip() in ("继续", "好", "好的", "要", "是"))
    return yes, no


__all__: list[str] = [
    "capability_of", "clear_yes", "explicit_yes", "only_words", "parse_amount", "persona_of_intro", "plain", "question_after_intro", "read",
    "synthetic", "take_entities", "yes_or_no",
]
