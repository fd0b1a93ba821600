"""Issue 13, a fresh round: staff operations in any words, hand-off consent in dialect, the wait,
a pending deletion that survives questions, and a merchant's customer data.

The sentences here are new wordings of each kind (not the development set's), so they check
that the readings generalise: the NLU's staff intents (nlu/data/staff_handoff.yml), the
expectation files and ``understand.explicit_yes``.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from bot.desk import Desk
from bot.models import IncomingMessage
from dialogues import texts as T
from dialogues.skills.base import cues, expectations
from dialogues.skills.handoff import CONSENT_YES
from dialogues.skills.privacy import DELETE_YES
from dialogues.understand import capability_of, explicit_yes
from tests.test_staff import joined, queued, say

WORKER = "77"


def worker_engine(make_engine):
    engine = make_engine()
    engine.handoff.add_worker(WORKER, "李老师")
    return engine


# ---- a registered worker's queue words ----------------------------------------------------

@pytest.mark.parametrize("text", ["队伍里等着的人多吗", "瞧一眼现在排着的单", "这会儿有几位居民在排", "排队那边有人没", "今天排了几个"])
def test_queue_size_in_other_words_is_the_queue(make_engine, text):
    engine = worker_engine(make_engine)
    out = say(engine, WORKER, text)
    assert out.capability == "staff" and joined(out) == T.DESK_QUEUE_EMPTY
    assert engine.handoff.active(WORKER) is None  # never read as the worker asking for a social worker


def test_the_worker_role_comes_first_over_lessons_and_next_step(make_engine):
    engine = worker_engine(make_engine)
    t = queued(engine, "a", "我要找社工 帮我看看买菜软件")
    out = say(engine, WORKER, "头一单是什么事")  # not a 防骗 lesson, not a hand-off
    assert out.capability == "staff" and f"{t.id}号单" in joined(out) and T.DESK_SUMMARY_TAKE in joined(out)
    assert engine.handoff.get(t.id).status == "waiting"  # looking is not taking
    out = say(engine, WORKER, "行 这个我接了")
    assert out.capability == "staff" and engine.handoff.get(t.id).worker_id == WORKER
    out = say(engine, WORKER, "这单到底是啥情况")
    assert f"{t.id}号单" in joined(out) and "买菜软件" in joined(out)


def test_the_oldest_is_taken_when_asked_for_not_the_urgent_one(make_engine):
    engine = worker_engine(make_engine)
    first = queued(engine, "a")
    urgent = say(engine, "b", "有人让我把钱转到安全账户").new_ticket
    out = say(engine, WORKER, "排得最早的那位给我吧")
    assert out.capability == "staff"
    assert engine.handoff.get(first.id).worker_id == WORKER
    assert engine.handoff.get(urgent.id).status == "waiting"
    out = say(engine, WORKER, "还剩急的没")
    assert out.capability == "staff" and f"#{urgent.id}" in joined(out)


def test_close_in_words_closes_the_workers_ticket_and_tells_the_person(make_engine):
    engine = worker_engine(make_engine)
    t = queued(engine, "a")
    say(engine, WORKER, "接下一个")
    out = say(engine, WORKER, "这单办好了 关了吧")
    assert out.capability == "staff" and joined(out) == T.DESK_CLOSED.format(ticket=t.id)
    assert engine.handoff.get(t.id).status == "closed"
    assert any("结束" in m["text"] for m in engine.handoff.outbox("a"))
    out = say(engine, WORKER, "单子怎么关")  # a question: how, nothing done
    assert "/close" in joined(out)


def test_hand_back_puts_the_ticket_in_the_queue_again(make_engine):
    engine = worker_engine(make_engine)
    t = queued(engine, "a")
    say(engine, WORKER, "接下一个")
    out = say(engine, WORKER, "这个不是我这块的 退回排队")
    assert out.capability == "staff" and joined(out) == T.DESK_HANDED_BACK.format(ticket=t.id)
    ticket = engine.handoff.get(t.id)
    assert ticket.status == "waiting" and not ticket.worker_id
    assert any("交回" in m["text"] for m in engine.handoff.outbox("a"))
    out = say(engine, WORKER, "退回去的单别人能接到吗")
    assert out.capability == "staff" and T.DESK_HANDBACK_HOW in joined(out)
    assert Desk(engine.handoff).claim(t.id, WORKER) is not None  # it can be taken again


def test_close_or_hand_back_with_nothing_in_hand(make_engine):
    engine = worker_engine(make_engine)
    out = say(engine, WORKER, "结了吧")
    assert out.capability == "staff" and joined(out) == T.DESK_MINE_NONE_TO.format(what="结")


def test_a_worker_never_gets_the_hand_off_offer(make_engine):
    engine = worker_engine(make_engine)
    for text in ("嗯嗯嗯", "啊这个那个", "哦哦"):
        out = say(engine, WORKER, text)
        assert T.OFFER_HUMAN not in joined(out)


def test_a_worker_asking_which_hotline_for_a_neighbour_opens_no_ticket(make_engine):
    engine = worker_engine(make_engine)
    out = say(engine, WORKER, "对门阿姨被骗转了钱 该让她打110还是96110")
    assert "110" in joined(out) and engine.handoff.active(WORKER) is None
    out = say(engine, WORKER, "好 接下一个")
    assert out.capability == "staff"


def test_staff_words_from_a_resident_are_not_staff_answers(make_engine):
    engine = make_engine()
    out = say(engine, "r", "把排头那个转给我")
    assert out.capability != "staff" and "单子" not in joined(out)


def test_staff_intents_have_their_own_capability():
    assert capability_of("staff_claim") == "staff"
    assert set(expectations("staff")["intents"].values()) <= {"queue", "urgent", "claim", "summary", "close", "handback"}


# ---- consent to a hand-off ----------------------------------------------------------------

HANDOFF_ACTION = re.compile(cues(expectations("handoff")["consent_action"]).pattern)
DELETE_ACTION = re.compile(cues(expectations("privacy")["delete_action"]).pattern)


@pytest.mark.parametrize("text", ["中 那你帮我叫一个吧", "好 喊人吧", "得行", "行 联系社工吧", "可以 辛苦你们了",
                                  "只要不收钱就行 找吧", "对 真人就行"])
def test_consent_yes_in_dialect_or_with_the_action(text):
    assert explicit_yes(text, CONSENT_YES, HANDOFF_ACTION)


@pytest.mark.parametrize("text", ["嗯嗯", "好", "好嘞", "嗯嗯 那地址咋填", "不要钱就中", "好 等会再说", "找啥找"])
def test_vague_or_other_words_are_no_consent(text):
    assert not explicit_yes(text, CONSENT_YES, HANDOFF_ACTION)


@pytest.mark.parametrize("text", ["中 删 俺想好了", "行 删吧", "好 都删了吧 我决定了", "中 清掉"])
# (today the NLU reads 中 删 俺想好了 as self-harm before the question is asked; the urgent layer decides that)
def test_deletion_yes_with_the_action(text):
    assert explicit_yes(text, DELETE_YES, DELETE_ACTION)


@pytest.mark.parametrize("text", ["中", "嗯嗯", "好 下一步", "删了还能用吗"])
def test_no_deletion_yes(text):
    assert not explicit_yes(text, DELETE_YES, DELETE_ACTION)


@pytest.mark.parametrize("question", ["社工是做什么的 收费不", "社工来了能帮俺干点啥"])
def test_a_question_about_the_hand_off_keeps_the_consent_question(make_engine, question):
    engine = make_engine()
    say(engine, "p", "叫个社工来吧")
    out = say(engine, "p", question)
    assert out.capability == "handoff" and out.state["pending"] == "handoff_consent"
    assert T.CONSENT_FAQ in joined(out) and engine.handoff.active("p") is None
    out = say(engine, "p", "好 那就找吧")
    assert out.capability == "handoff" and engine.handoff.active("p") is not None


def test_an_ambiguous_yes_to_another_question_shares_nothing(make_engine):
    engine = make_engine()
    say(engine, "p", "叫个社工来吧")
    out = say(engine, "p", "嗯嗯 那个验证码是啥")
    assert engine.handoff.active("p") is None and (out.state or {}).get("pending") != "handoff_consent"


@pytest.mark.parametrize("first", ["你是人还是程序 我要跟活人聊", "你们那能说了算的叫来", "能不能叫社区的人上门教教我妈"])
def test_every_way_of_asking_for_a_person_is_a_hand_off(make_engine, first):
    engine = make_engine()
    out = say(engine, "p", first)
    assert out.capability == "handoff" and out.state["pending"] == "handoff_consent"


def test_consent_after_a_complaint_in_dialect(make_engine):
    engine = make_engine()
    say(engine, "p", "你说的一点用没有")
    out = say(engine, "p", "不弄了 你们那说了算的叫过来")
    assert out.capability == "handoff" and engine.handoff.active("p") is None
    assert out.state["pending"] == "handoff_consent"
    out = say(engine, "p", "中 麻烦你们了")
    assert engine.handoff.active("p") is not None


# ---- while the ticket waits ---------------------------------------------------------------

@pytest.mark.parametrize("text", ["轮到我还要多久", "我前边排着几个", "怎么这么慢 还要等多会", "社工咋还没来"])
def test_questions_about_the_wait_get_the_place(make_engine, text):
    engine = make_engine()
    queued(engine, "p")
    out = say(engine, "p", text)
    assert out.capability == "handoff" and "编号" in joined(out)
    assert engine.handoff.active("p").status == "waiting"


@pytest.mark.parametrize("text", ["我去楼下拿个快递 回来还排着不", "先去做饭 回来再等", "好 我继续等"])
def test_stepping_away_keeps_the_place(make_engine, text):
    engine = make_engine()
    queued(engine, "p")
    out = say(engine, "p", text)
    assert out.capability == "handoff" and T.WAIT_KEPT in joined(out)
    assert engine.handoff.active("p").status == "waiting"


# ---- a deletion question waiting ----------------------------------------------------------

@pytest.mark.parametrize("text", ["删了以后我存的收货地址还有吗", "那我学到第几步也清掉了？", "删完还能重新学不"])
def test_questions_about_a_pending_deletion_keep_it(make_engine, text):
    engine = make_engine()
    say(engine, "p", "删除我的信息")
    out = say(engine, "p", text)
    assert out.capability == "privacy" and out.state["pending"] == "confirm_delete"
    assert T.PRIVACY_CONFIRM_STILL in joined(out)
    out = say(engine, "p", "行 删掉")
    assert joined(out) == T.PRIVACY_DELETED


def test_asking_again_soon_after_no_needs_one_question_only(make_engine):
    engine = make_engine()
    say(engine, "p", "删除我的信息")
    say(engine, "p", "不删了")
    say(engine, "p", "算了 还是删了吧")
    out = say(engine, "p", "确定")
    assert joined(out) == T.PRIVACY_DELETED


def test_not_deleting_said_with_no_question_waiting(make_engine):
    engine = make_engine()
    say(engine, "p", "你们存了我哪些信息")
    out = say(engine, "p", "先不删 随便问问")
    assert out.capability == "privacy" and joined(out) == T.PRIVACY_NOT_DONE


def test_a_merchant_keeping_a_number_for_deliveries_gets_consent_and_withdrawal(make_engine):
    engine = make_engine()
    out = say(engine, "m", "有个熟客叫我把他电话删掉 我必须删吗")
    assert out.capability == "policy" and out.state["pending"] is None
    out = say(engine, "m", "留他号码是用来送菜的 这也不行？")
    assert joined(out) == T.CUSTOMER_PURPOSE and out.state["pending"] is None


def test_staff_intents_are_taken_out_for_anyone_else():
    from dialogues.skills.staff import for_role
    from dialogues.state import new_state
    from nlu.result import ParseResult

    parse = ParseResult("这单我不要了 退了吧", "staff_handback", "staff", 0.98,
                        ranking=(("staff_handback", 0.98, "staff"), ("refund_aftersale", 0.015, "teach"),
                                 ("deny", 0.005, "smalltalk")))
    resident = for_role(new_state(), parse)
    assert resident.intent == "refund_aftersale" and resident.capability == "teach"
    assert all(cap != "staff" for _, _, cap in resident.ranking)
    registered = {**new_state(), "worker": {"id": WORKER, "name": "李老师"}}
    assert for_role(registered, parse) is parse
    waiting = {**new_state(), "handoff": {"ticket": 3, "status": "waiting"}}
    assert for_role(waiting, parse) is parse  # their queue words are about their own place
    unsure = dataclasses.replace(parse, ranking=(("staff_handback", 0.98, "staff"), ("deny", 0.01, "smalltalk"),
                                                 ("refund_aftersale", 0.01, "teach")))
    assert for_role(new_state(), unsure).is_fallback


def test_a_residents_order_words_are_about_the_order(make_engine):
    engine = make_engine()
    out = say(engine, "r", "这单我不要了 退了吧")
    assert out.capability != "staff"
