"""Questions asked ahead, before learning (issue 13, calm conversations).

A resident who has not started yet asks what to do if something goes wrong: the money is paid
and the food never comes, a slip of the finger fills the cart, someone pretends to be customer
service. The answer comes first (after-sale and refund, cancel or remove before paying, the scam
warning), then the tutorial offer; no alarm. Inside another tutorial, a question its steps do
not declare but another tutorial's do is answered in place when the NLU does not know it.
Phrasings are the tests' own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.flows import load_flows
from dialogues import texts as T
from dialogues.manager import DialogueManager
from dialogues.skills.tutorial import reading as F
from nlu.result import ParseResult
from tests.test_manager import EmptyKB

CAPABILITIES = {"grocery_order": "teach", "scam_prevention": "teach", "nlu_fallback": "out_of_scope",
                "nav_next": "teach", "mk_repeat_customers": "marketing"}


@pytest.fixture(scope="module")
def real():
    return load_flows(Path(__file__).resolve().parents[1] / "dialogues" / "flows")


@pytest.fixture(scope="module")
def manager(real) -> DialogueManager:
    return DialogueManager(real, EmptyKB(), 2)


def say(manager, state, text, intent, confidence=0.9):
    turn = manager.advance(state, ParseResult(text, intent, CAPABILITIES[intent], confidence), text)
    return turn, [r.text for r in turn.replies]


def alarmed(turn) -> bool:
    return any(e["type"] == "help_request" and e.get("priority") == "urgent" for e in turn.events)


@pytest.mark.parametrize(("flow", "text", "step"), [
    ("grocery_dingdong", "要是交了钱 东西老也不送到 怎么弄", "aftersale"),
    ("grocery_hema", "钱付了以后一直没到货咋办", "aftersale"),
    ("grocery_general", "要是我不小心买错了好多东西呢", "add_to_cart"),
    ("grocery_xiaoxiang", "手抖多下了单怎么办", "add_to_cart"),
    ("scam_safe_shopping", "要是有人冒充客服打电话来呢", "fake_customer_service"),
])
def test_the_real_flows_declare_the_what_if_questions(real, flow, text, step):
    found = F.best_question(real[flow], text, 0)
    assert found is not None and real[flow].steps[found[0]].id == step


def test_not_delivered_asked_ahead_is_answered_before_which_app(manager):
    turn, said = say(manager, None, "我还没学呢 想先问下 交了钱菜要是一直没送到怎么办", "grocery_order")
    assert "售后" in said[0] and "退款" in said[0] and said[-1] == T.ASK_PLATFORM
    assert not alarmed(turn) and "110" not in "".join(said)


def test_a_fake_customer_service_call_asked_ahead_gets_the_warning_first(manager):
    turn, said = say(manager, None, "要是有人冒充客服打电话来呢", "scam_prevention")
    assert "96110" in said[0] and "挂" in said[0] and "第1步" in said[-1]
    assert turn.state["flow"] == "scam_safe_shopping" and not alarmed(turn)


def test_a_cart_slip_asked_inside_the_scam_lesson_is_answered_in_place(manager):
    turn, _ = say(manager, None, "教我防骗", "scam_prevention")
    st = turn.state
    turn, said = say(manager, st, "要是我不小心买错了好多东西呢", "nlu_fallback", 0.2)
    assert "购物车" in said[-1] and "取消订单" in said[-1] and not alarmed(turn)
    assert turn.state["flow"] == "scam_safe_shopping" and turn.state["step"] == st["step"]


def test_a_confident_reading_is_not_taken_by_another_tutorials_question(manager):
    turn, _ = say(manager, None, "教我防骗", "scam_prevention")
    turn, said = say(manager, turn.state, "要是我不小心买错了好多东西呢", "mk_repeat_customers", 0.95)
    assert not any("取消订单" in t for t in said)
