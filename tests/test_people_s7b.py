"""Issue 13, a second blind round (people): hand-offs and the wait in dialect, loneliness in
Cantonese and self-doubt, a refusal that goes on to a new question, a deletion asked for again
inside a tutorial, and a worker's English words.

The sentences are new wordings of each kind (not the development set's), so they check that the
readings generalise: ``dialogues/wellbeing.yml``, the expectation files of the hand-off, privacy
and staff skills, and the dialogue code that reads them.
"""

from __future__ import annotations

import pytest

from bot.models import IncomingMessage
from dialogues import texts as T
from dialogues.manager import DialogueManager
from dialogues.skills import handoff, privacy, staff, wellbeing
from dialogues.skills.base import expectations
from dialogues.state import new_state
from dialogues.understand import clear_yes, explicit_yes
from nlu.result import ParseResult
from tests.test_manager import EmptyKB

WORKER = "77"


def say(engine, user, text):
    return engine.handle(IncomingMessage(user_id=user, text=text, channel="terminal"))


def joined(out):
    return "\n".join(r.text for r in out.replies)


def advance(st, text, intent="nlu_fallback", capability="out_of_scope", confidence=0.4):
    manager = DialogueManager({}, EmptyKB())
    return manager.advance(st, ParseResult(text, intent, capability, confidence), text)


def waiting_state(**ticket):
    st = new_state()
    st["handoff"] = {"ticket": 7, "status": "waiting", "priority": "normal", "ahead": 2, **ticket}
    return st


# ---- consent and the wait in dialect ------------------------------------------------------

@pytest.mark.parametrize("text", ["好个", "好额", "好嘅呀", "可以额", "好个呀 麻烦侬了"])
def test_a_dialect_yes_to_the_consent_question_is_a_yes(text):
    assert clear_yes(text, handoff.CONSENT_YES) or explicit_yes(text, handoff.CONSENT_YES)


@pytest.mark.parametrize("text", ["好", "嗯", "好额 那个地址咋填"])
def test_a_vague_or_mixed_answer_is_still_no_yes(text):
    assert not explicit_yes(text, handoff.CONSENT_YES)


@pytest.mark.parametrize("text", ["我排第几号", "前头还有几个人伐", "要等几耐啊"])
def test_a_question_about_the_queue_before_any_yes_keeps_the_question(text):
    st = new_state()
    st["pending"] = {"type": "handoff_consent", "reason": "asked"}
    turn = advance(st, text, "mk_get_customers", "marketing", 0.7)
    said = "\n".join(r.text for r in turn.replies)
    assert expectations("handoff")["consent_not_queued"] in said
    assert turn.state["pending"]["type"] == "handoff_consent"  # never cancelled by a question
    assert not any(e["type"] == "help_request" for e in turn.events)


@pytest.mark.parametrize("text", ["大概要等几耐", "他们会打电话给我吗", "社工会联系我伐", "伊拉几时来联系阿拉"])
def test_while_queued_dialect_wait_words_get_the_place(text):
    turn = advance(waiting_state(), text)
    assert turn.capability == "handoff"
    assert "7" in "\n".join(r.text for r in turn.replies)


def test_a_dialect_yes_then_the_place_in_the_queue(make_engine):
    engine = make_engine()
    say(engine, "u", "我想寻个真人讲讲")
    out = say(engine, "u", "好额呀")
    assert out.new_ticket is not None
    out = say(engine, "u", "我排第几个")
    assert out.capability == "handoff" and str(out.new_ticket or "") == ""


def test_a_wait_question_inside_an_urgent_episode_gets_the_place(make_engine):
    engine = make_engine()
    out = say(engine, "u", "我不想活了")
    assert out.new_ticket is not None  # the urgent hand-off, no consent question
    out = say(engine, "u", "社工还要等多长时间")
    assert out.capability == "handoff"


# ---- a refusal that goes on to a question -------------------------------------------------

def test_a_refusal_of_the_offer_that_asks_something_else_answers_it():
    st = new_state()
    st["pending"] = {"type": "handoff_offer", "reason": "complaint"}
    turn = advance(st, "算了不用了 店里的货卖不掉 怎么清仓好", "mk_slow_stock", "marketing", 0.8)
    said = [r.text for r in turn.replies]
    assert T.HELP_DECLINED not in said and T.CONSENT_NOT_SHARED in said
    assert turn.capability == "marketing" and not turn.state.get("pending")


def test_a_plain_refusal_is_still_a_refusal():
    st = new_state()
    st["pending"] = {"type": "handoff_offer", "reason": "complaint"}
    turn = advance(st, "算了 不用了", "deny", "smalltalk", 0.9)
    assert [r.text for r in turn.replies] == [T.HELP_DECLINED]


# ---- loneliness and self-doubt ------------------------------------------------------------

@pytest.mark.parametrize(("text", "name"), [
    ("屋企好静 日日得我一个", "lonely"),
    ("老公过身咗 夜晚瞓唔着", "sad"),
    ("我系咪好冇用", "self_doubt"),
    ("我是不是太多余了", "self_doubt"),
    ("陪俺唠唠嗑呗", "chat"),
    ("同我倾下偈啦", "chat"),
    ("后生仔好忙 唔想烦佢哋", "family_busy"),
    ("不想麻烦儿女 他们也不容易", "family_busy"),
])
def test_loneliness_and_self_doubt_in_other_words(text, name):
    cue = wellbeing.mood(None, new_state(), text)
    assert (cue.name if cue else None) == name


@pytest.mark.parametrize("text", ["你是不是傻", "你系咪冇用㗎", "我是不是要先登录"])
def test_a_question_about_the_bot_or_a_step_is_no_self_doubt(text):
    cue = wellbeing.mood(None, new_state(), text)
    assert cue is None or cue.name != "self_doubt"


def test_self_doubt_heard_as_a_complaint_is_answered_warmly():
    turn = advance(new_state(), "你讲我系咪好冇用", "complain_bot", "handoff", 0.8)
    assert turn.capability == "smalltalk" and not turn.state.get("pending")


# ---- a deletion put off, then asked for again in a tutorial --------------------------------

def test_a_question_about_what_goes_ending_in_ba_keeps_the_deletion_question():
    assert privacy.asks_about_deletion("删了以后我存的地址也没了吧")


def test_deletion_asked_again_inside_a_tutorial_asks_and_its_yes_deletes(make_engine):
    engine = make_engine()
    say(engine, "u", "把我的聊天记录都删了")
    out = say(engine, "u", "先别删 我再想想")
    assert T.PRIVACY_DELETED not in joined(out)
    say(engine, "u", "教我用手机买菜")
    out = say(engine, "u", "想好了 那就删吧")
    assert out.capability == "privacy" and T.PRIVACY_CONFIRM in joined(out)
    out = say(engine, "u", "确定")
    assert T.PRIVACY_DELETED in joined(out)


def test_delete_words_long_after_the_question_are_not_a_deletion():
    st = new_state()
    st["turns"], st["delete_asked"] = 30, 2
    assert not privacy.asks_again(st, "现在删吧")
    st["delete_asked"] = 28
    assert privacy.asks_again(st, "现在删吧") and not privacy.asks_again(st, "那就不删了吧")


# ---- a worker's English words -------------------------------------------------------------

@pytest.mark.parametrize(("text", "op"), [
    ("how many in the queue now", "queue"),
    ("pending的还有几个", "queue"),
    ("ok grab the next one", "claim"),
    ("我来claim这个", "claim"),
    ("show me the summary", "summary"),
    ("mark it resolved", "close"),
    ("这单可以close了", "close"),
    ("hand this back please", "handback"),
    ("有urgent的吗", "urgent"),
    ("最久的那单等了多久", "summary"),
])
def test_a_workers_english_words_name_the_op(text, op):
    found = staff.which_op(new_state(), text)
    assert found is not None and found[0] == op


@pytest.mark.parametrize("text", ["closet", "我想学用手机", "下一步"])
def test_other_words_are_no_op(text):
    assert staff.which_op(new_state(), text) is None


def test_a_workers_bare_next_claims_outside_a_tutorial(make_engine):
    engine = make_engine()
    engine.handoff.add_worker(WORKER, "李老师")
    say(engine, "a", "我要找社工")
    say(engine, "a", "可以")
    out = say(engine, WORKER, "下一个")
    assert out.capability == "staff"
    out = say(engine, WORKER, "ok close it")
    assert out.capability == "staff"


@pytest.mark.parametrize("text", ["救护车咋还没来", "警察还要多久才到"])
def test_a_wait_for_the_ambulance_or_police_is_not_the_queue(text):
    assert not handoff.asks_wait(waiting_state(), text)
    assert handoff.asks_wait(waiting_state(), "社工还要等多长时间")


@pytest.mark.parametrize("text", ["社工来了能帮我做点啥", "我排第几个啊"])
def test_a_question_read_as_a_request_is_no_yes_to_the_consent_question(text):
    st = new_state()
    st["pending"] = {"type": "handoff_consent", "reason": "asked"}
    turn = advance(st, text, "request_human", "handoff", 0.8)
    assert not any(e["type"] == "help_request" for e in turn.events)
    assert turn.state["pending"]["type"] == "handoff_consent"
