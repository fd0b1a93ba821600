"""Following the person inside a tutorial: what they say about the steps, read against the flow.

Each step of a flow declares (``dialogues/flows/*.yml``, shared kits in
``dialogues/flows/shared/step_kits.yml``) the words that name it (``cues``), its own
``questions`` and answers, ``substeps`` and how to ``fix`` it later. Nothing here knows
any step: a message is cut into clauses, each clause is read as

- a report that something is done (装好了, 地址也填了, 放进去了, 不用教登录),
- where they are (到付钱那一步了, 第5步; 从头说: the first step),
- a question, a problem or not yet (楼号写在哪一栏, 没看见设置啊, 我还没装呢),
- a mistake to put right (上一步我弄错了 门牌号写成502了 能改吗),

and the steps it names are found by their cues. Then, in this order:

1. a mistake: the step's ``fix`` (the tutorial stays where it is), or back to that step;
2. where they are: that step;
3. progress: the tutorial goes on from the step after the last one reported done
   (a report that names no step is about the current one; none while something does not work);
4. a question: the best-matching step question (the current or next step: the tutorial
   goes there; an earlier step: there only when it is not done yet, 还没收到; otherwise, and
   for a later step, the answer is given in place), or, without one, a
   question about another step shows that step, and a problem with this step gets its
   simpler words, then its sub-steps.

``read`` returns False when the message says none of this, and the policy goes on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from dialogues.schema import Flow, StepQuestion
from dialogues.skills.base import Context
from dialogues.skills.tutorial import steps
from dialogues.turn import Turn
from nlu.normalize import to_mandarin
from nlu.result import ParseResult

CLAUSE_RE = re.compile(r"[\s，,。.!！；;、~～…]+")
# A clause that reports something done: 装上了 / 下载好咧 / 地址有的 / 自提点也有 / 以前填过 / 不用教登录.
DONE_RE = re.compile(r"了|啦|哒|咧|嘞|已经|早就|早都|搞定|现成|有的|[也都]有$|过$|过的|会了|不用教|不用讲|不用说|弄好|整好")
# A clause that asks: 楼号写在哪一栏啊 / 是不是就买了两盒 / 能点吗 / 要不要勾上.
ASK_RE = re.compile(r"吗|嘛|呢|啥|什么|哪|怎么|咋|如何|能不能|可不可以|行不行|是不是|要不要|多久|几点|几天|多少|谁|？|\?")
# A clause that reports a problem: 没看见设置 / 找不着 / 没有退款那个按钮.
PROBLEM_RE = re.compile(r"没(看见|看到|找到|找着|有|反应|显示|出来|收到)|找不|看不|收不|不见|不行|不对|不会|点不|打不开|出不来|没法"
                        r"|弹出|跳出|[^不]不上|不进去|进不去|登不|装不|用不了|不了$")
# Not sure it is done (我以前好像开过), or not done at all (不想学了, 还没装): no report.
UNSURE_RE = re.compile(r"好像|可能|大概|也许|不知道|不晓得|还没|(?<!不用)[不没别未](?!用教|用讲|用说)")
# A mistake to put right: 弄错了 / 写成502了 / 能改吗.
ERROR_RE = re.compile(r"(?<![没不])错(?!过)|写成|填成|弄成|能改|怎么改|咋改|改一下|要改|修改")
BACK_RE = re.compile(r"上一步|前一步|刚才那步|刚才那一步")
# Where they are, not what they did: 到付钱那一步了 / 现在在填地址 / 我到第5步了.
AT_RE = re.compile(r"到了?.{0,8}(那一?步|这一?步|那儿|那里|那页|这页)|现在在|正在|卡在|停在")
STEP_NUMBER_RE = re.compile(r"第\s*([0-9一二三四五六七八九十]{1,3})\s*步")
FROM_START_RE = re.compile(r"从头(?!到尾)|从最开始|从第一步|重头")  # 教我 从头说: back to the first step
NOT_YET_RE = re.compile(r"还没|还不会|没弄好|没弄完|没搞好")  # 我还没装: back to that step
CN_NUMBERS = {c: i for i, c in enumerate("零一二三四五六七八九十")}
# Agreement and thanks that report nothing (懂了 / 明白了谢谢你哈): cut off the front of a clause.
ACK_RE = re.compile(r"^(哦+|噢+|嗯+|恩+|好的|行吧|懂了|明白了?|知道了|晓得了|清楚了|原来如此|谢谢(你|您)?[哈啊啦了呀]*|多谢)+")
# Exclamations that report nothing (笑死我了 / 急死我了 / 哎呀): cut off too, never a "done".
EXCLAIM_RE = re.compile(r"^((笑|急|吓|累|气|愁|困|烦|热|冷)死(我|俺)?了?|哎呀+|哎哟+|天哪|妈呀)+")
# Intents that end or thank, never a report of progress (明白了谢谢你哈 is no "done").
NOT_PROGRESS = {"thank", "goodbye", "greet", "deny", "complain_bot", "request_human"}
# A question about another step is the tutorial's only when the NLU does not name another capability.
OTHER_CAPABILITIES = {"policy", "marketing", "tool", "handoff", "privacy", "urgent"}
NEVER_SWALLOWED = {"handoff", "privacy", "urgent"}
UNSURE_INTENTS = {"nlu_fallback", "out_of_scope"}  # the NLU did not know: another tutorial's step question may
FIXED = "好的，改好了就行。"
UNDERSTOOD = "好的。这一步做好了，就按“下一步”。"
THIS_STEP = "这一步是这样的："
DONE_ALREADY = "好的，这一步您已经做好了。"


@dataclass
class Reading:
    """What one message says about the tutorial's steps (indexes into ``flow.steps``)."""

    done: list[int] = field(default_factory=list)  # steps reported done
    bare_done: bool = False  # a report that names no step: the current one
    asks: bool = False  # a question or a problem somewhere in the message
    named: list[int] = field(default_factory=list)  # steps named outside the reports
    question: tuple[int, StepQuestion] | None = None  # the best step question
    problem: bool = False  # something does not work (打不开, 没看见设置)
    ack_only: bool = False  # nothing but 懂了 / 明白了 / 谢谢
    at: int | None = None  # the step they say they are at (到付钱那一步了, 第5步)
    mistake: bool = False
    back: bool = False  # 上一步 was said


def clauses(text: str) -> list[str]:
    """The message cut at spaces and punctuation (run-ons stay one clause)."""
    return [c for c in CLAUSE_RE.split(text.strip()) if c]


def steps_named(flow: Flow, clause: str) -> list[int]:
    """The steps whose cues appear in the clause, the longest cue first (ties: the later step)."""
    hits = []
    for i, step in enumerate(flow.steps):
        best = max((len(c) for c in step.cues if c in clause), default=0)
        if best:
            hits.append((best, i))
    return [i for _, i in sorted(hits, reverse=True)]


def question_score(q: StepQuestion, text: str) -> int:
    """How well the message asks this question: the characters of its best matching entry (0: no match).

    The text is read as written and as the NLU reads it (dialect words in Mandarin: 点算 is 怎么办)."""
    forms = (text, mandarin(text))
    return max((sum(len(w) for w in words) for words in q.match
                for form in forms if all(w in form for w in words)), default=0)


@lru_cache(maxsize=256)
def mandarin(text: str) -> str:
    """The text with dialect and regional words in Mandarin, as the NLU reads it (``nlu/dialect.yml``)."""
    return to_mandarin(text)


def best_question(flow: Flow, text: str, current: int) -> tuple[int, StepQuestion] | None:
    """The step question the text asks best; ties go to the current step, then the nearest."""
    scored = []
    for i, step in enumerate(flow.steps):
        for q in step.questions:
            score = question_score(q, text)
            if score:
                scored.append((score, -abs(i - current), -i, i, q))
    if not scored:
        return None
    best = max(scored, key=lambda s: s[:3])
    return best[3], best[4]


def read(flow: Flow, current: int, text: str) -> Reading:
    """Read the message against the flow's steps (see the module docstring)."""
    out = Reading(mistake=bool(ERROR_RE.search(text)), back=bool(BACK_RE.search(text)))
    other: list[str] = []
    said = clauses(text)
    out.ack_only = bool(said) and all(not ACK_RE.sub("", c) for c in said)
    for clause in said:
        clause = EXCLAIM_RE.sub("", ACK_RE.sub("", clause))
        if not clause:
            continue
        if FROM_START_RE.search(clause) and not (ASK_RE.search(clause) or PROBLEM_RE.search(clause)):
            out.at = 0
            continue
        if AT_RE.search(clause) or STEP_NUMBER_RE.search(clause):
            here = step_number(flow, clause)
            named = steps_named(flow, clause)
            if here is not None or named:
                out.at = here if here is not None else named[0]
                continue
        problem = bool(PROBLEM_RE.search(clause))
        asks = bool(ASK_RE.search(clause) or NOT_YET_RE.search(clause)) or problem
        # A clause that asks one of the steps' questions (点了两下, 太远了) is no report.
        reports = not asks and not UNSURE_RE.search(clause) and best_question(flow, clause, current) is None
        if DONE_RE.search(clause) and reports:
            named = steps_named(flow, clause)
            if named:
                out.done.append(max(named))
            else:
                out.bare_done = True
            continue
        out.asks = out.asks or asks
        out.problem = out.problem or problem
        other.append(clause)
        for i in steps_named(flow, clause)[:1]:
            out.named.append(i)
    rest = " ".join(other)
    out.question = best_question(flow, rest, current) if rest else None
    return out


def step_number(flow: Flow, clause: str) -> int | None:
    """The step index a clause names by number (第5步, 第五步), or None."""
    m = STEP_NUMBER_RE.search(clause)
    if m is None:
        return None
    raw = m.group(1)
    if raw.isdigit():
        n = int(raw)
    else:  # 五 / 十 / 十二 / 二十
        tens, _, ones = raw.partition("十")
        n = (CN_NUMBERS.get(tens, 1) * 10 + CN_NUMBERS.get(ones, 0)) if "十" in raw else CN_NUMBERS.get(raw, 0)
    return n - 1 if 1 <= n <= len(flow.steps) else None


def reached(reading: Reading, current: int) -> int | None:
    """The step the person has reached by their reports (the one after the last done), or None."""
    done = [i for i in reading.done if i >= current]
    if reading.bare_done:
        done.append(current)
    return max(done) + 1 if done else None


def mistake_step(flow: Flow, reading: Reading, text: str, current: int) -> int:
    """Which step went wrong: the one named (before the current first), else the previous one (上一步)."""
    named = steps_named(flow, text)
    earlier = [i for i in named if i <= current]
    if earlier or named:
        return (earlier or named)[0]
    return max(0, current - 1) if reading.back or current > 0 else current


def follow(ctx: Context, turn: Turn, parse: ParseResult, text: str) -> bool:
    """Answer what the message says about the tutorial's steps; False when it says nothing of them."""
    st = turn.state
    if parse.capability in NEVER_SWALLOWED:
        return False  # 找社工 / 删除我的信息 are answered as asked, whatever else the message says
    flow = ctx.flows[st["flow"]]
    current = max(0, min(int(st.get("step", 0)), len(flow.steps) - 1))
    reading = read(flow, current, text)
    turn.capability = steps.CAPABILITY
    if reading.mistake:
        wrong = mistake_step(flow, reading, text, current)
        other = None if flow.steps[wrong].fix else elsewhere_question(ctx, flow, parse, text)
        if other is not None:  # 万一点错了 in a lesson with nothing to fix there: the other tutorial's answer
            steps.answer_in_step(turn, flow, current, other.answer)
            return True
        if flow.steps[wrong].fix:
            if wrong < current:
                st["fixing"] = wrong  # "改好了" next is about the fix, not the step on screen
            # A step further on went wrong: they are there already.
            steps.answer_in_step(turn, flow, max(wrong, current), flow.steps[wrong].fix)
        else:
            st["step"] = wrong
            steps.show_step(turn, flow)
        return True
    if reading.ack_only and parse.intent not in ("affirm", "nav_next", "thank"):
        # 懂了 / 明白了 (the NLU may hear 没看懂): understood; the step stays until they say it is done.
        steps.answer_in_step(turn, flow, current, UNDERSTOOD)
        return True
    if reading.at is not None and reading.question is None:
        st["step"] = reading.at  # 到付钱那一步了: that step, forward or back
        steps.show_step(turn, flow)
        return True
    if parse.intent in NOT_PROGRESS:
        reading.bare_done = False
    fixing = st.pop("fixing", None)
    target = None if reading.problem and reading.question is None else reached(reading, current)
    same = same_kind_step(ctx, flow, parse.intent)
    if same is not None and same not in reading.named:
        reading.named.insert(0, same)
    if fixing is not None and reading.bare_done and not reading.done:
        steps.show_step(turn, flow, lead=FIXED)  # the fix is made: back to the step they were on
        return True
    if target is not None:
        if reading.question is None or reading.question[0] > target + 1 or target >= len(flow.steps):
            st["step"] = target - 1
            steps.go_next(turn, flow)  # on from the last step done (its ``next`` first), or the end
            return True
        current = target  # where they are now; the question is about here, the step before or the next
    if reading.question is not None:
        at, q = reading.question
        stuck = reading.problem or bool(NOT_YET_RE.search(text))  # 验证码还没收到: that step is not done
        if at > current + 1 or (at < current and not stuck):
            # A later step's question, or an earlier one's that is done (以后咋不让它拦): answered in place.
            steps.answer_in_step(turn, flow, current, q.answer)
        else:
            steps.answer_in_step(turn, flow, at, q.answer)
        return True
    # A tutorial of its own for what the NLU heard (付钱的时候要输密码吗 in the 盒马 one): that tutorial.
    own_tutorial = any(parse.intent in f.intents for f in ctx.flows.values() if f.id != flow.id)
    elsewhere = parse.capability in OTHER_CAPABILITIES or (
        same is None and parse.intent not in flow.intents and own_tutorial)
    # The NLU heard a kind of step this flow has (登录要验证码 at the login step): a question about that
    # step, with or without a question word; never a reason to leave for another tutorial's step.
    if (reading.asks or same is not None) and reading.named and not elsewhere:
        about = reading.named[0]
        if about == current and reading.problem:
            steps.simpler(turn, flow, current)  # stuck on this step: simpler words, then sub-steps, then a person
            return True
        if about == current:
            steps.show_step(turn, flow, lead=THIS_STEP)  # a question about this step: its words again
            return True
        if about > current + 1:
            steps.tell_later_step(turn, flow, about)
        else:
            st["step"] = about
            steps.show_step(turn, flow)
        return True
    if reading.done and not reading.asks and not elsewhere:
        steps.show_step(turn, flow, lead=DONE_ALREADY)  # reports of earlier steps only: still here
        return True
    other = elsewhere_question(ctx, flow, parse, text)
    if other is not None:
        steps.answer_in_step(turn, flow, current, other.answer)
        return True
    turn.capability = parse.capability
    return False


def elsewhere_question(ctx: Context, flow: Flow, parse: ParseResult, text: str) -> StepQuestion | None:
    """A question another tutorial's step declares, when the NLU did not know the message and this
    tutorial has nothing for it (万一点错了买了一大堆, asked in the scam lesson): answered in place."""
    if parse.intent not in UNSURE_INTENTS:
        return None
    score, asked = max(((question_score(q, text), q) for f in ctx.flows.values() if f.id != flow.id
                        for s in f.steps for q in s.questions), key=lambda p: p[0], default=(0, None))
    return asked if score else None


def same_kind_step(ctx: Context, flow: Flow, intent: str) -> int | None:
    """The step of this flow of the same kit as the step another tutorial enters for ``intent``.

    我登录不上去 (account_login) inside the 盒马 tutorial is about its own login step, not a
    reason to start the general tutorial at its login step.
    """
    for other in ctx.flows.values():
        target = other.entry.get(intent) if other.id != flow.id else None
        kit = other.steps[other.step_index(target)].kit if target and other.step_index(target) >= 0 else ""
        if kit:
            return next((i for i, s in enumerate(flow.steps) if s.kit == kit), None)
    return None
