"""Step questions asked where a calm look-alike lands (issue 13, calm conversations).

A question a tutorial step declares is answered wherever the message lands: when the
tutorial starts and asks which app first, when a marketing intent's tutorial is the answer,
and inside the tutorial. 从头说 goes back to the first step. The last tests read the real
flows with questions in words of their own (not the conversation tests' sentences).
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

KITS = """kits:
  cart:
    cues: [购物车]
    questions:
      - match: [购物车+去掉]
        answer: 打开购物车，点减号减到没有就去掉了。
"""

APP = """flow: app_{name}
kind: tutorial
title: 用{name}买菜
audience: resident
intents: [grocery_order]
when: {{platform: {name}}}
source: facts.md §3.2
reviewed: 2026-11-22
steps:
  - id: get_app
    text: 第1步：装{name}。
    cues: [装]
  - id: find
    text: 第2步：找东西。
    cues: [搜]
  - id: cart
    kit: cart
    text: 第3步：放进购物车。
  - id: pay
    text: 第4步：付钱。
    cues: [付]
"""

GROUP = """flow: group
kind: tutorial
title: 当团长
audience: merchant
intents: [mk_repeat_customers]
source: facts.md §4
reviewed: 2026-11-22
intro: 好的，讲讲怎么当团长。
steps:
  - id: purpose
    text: 第1步：想好卖什么。
  - id: sort
    text: 第2步：分货。
    cues: [分货]
    questions:
      - match: [分拣+错]
        answer: 每单编号，贴上名字，取货时当面点清。
"""

CAPABILITIES = {"grocery_order": "teach", "mk_repeat_customers": "marketing", "followup_howto": "teach",
                "out_of_scope": "out_of_scope"}


@pytest.fixture()
def manager(tmp_path):
    d = tmp_path / "flows"
    (d / "shared").mkdir(parents=True)
    (d / "shared" / "step_kits.yml").write_text(KITS, encoding="utf-8")
    for name in ("甲买菜", "乙买菜"):
        (d / f"{name}.yml").write_text(APP.format(name=name), encoding="utf-8")
    (d / "group.yml").write_text(GROUP, encoding="utf-8")
    return DialogueManager(load_flows(d), EmptyKB())


def _turn(manager, state, text, intent):
    return manager.advance(state, ParseResult(text, intent, CAPABILITIES[intent], 0.9), text)


def test_a_step_question_is_answered_before_asking_which_app(manager):
    turn = _turn(manager, None, "哎呀 购物车里多了好些东西 怎么去掉", "grocery_order")
    texts = [r.text for r in turn.replies]
    assert "减号" in texts[0] and texts[-1] == T.ASK_PLATFORM
    assert turn.state["pending"]["type"] == "choose_platform" and turn.capability == "teach"


def test_no_step_question_asks_only_which_app(manager):
    turn = _turn(manager, None, "教我在手机上买菜", "grocery_order")
    assert [r.text for r in turn.replies] == [T.ASK_PLATFORM]


def test_a_marketing_intent_whose_tutorial_declares_the_question_starts_it_and_answers(manager):
    turn = _turn(manager, None, "货到了 分拣总出错 咋办", "mk_repeat_customers")
    texts = [r.text for r in turn.replies]
    assert turn.state["flow"] == "group" and turn.capability == "teach"
    assert "编号" in texts[0] and "第1步" in texts[-1]  # the answer first, the step (and its buttons) last


@pytest.mark.parametrize(("text", "at"), [
    ("从头讲吧", 0),
    ("那你从最开始教", 0),
    ("从头到尾都没看到付钱", None),  # a problem, not where they want to be
    ("从头怎么弄", None),  # a question
])
def test_from_the_start_names_the_first_step(manager, text, at):
    assert F.read(manager.flows["app_甲买菜"], 2, text).at == at


def test_teach_me_from_the_start_inside_a_tutorial_goes_back_to_step_one(manager):
    st = _turn(manager, None, "教我用甲买菜", "grocery_order").state
    st = {**st, "slots": {**st["slots"], "platform": "甲买菜"}}
    st = _turn(manager, st, "教我用甲买菜", "grocery_order").state
    st["step"] = 2
    turn = _turn(manager, st, "教我 从头讲", "followup_howto")
    assert turn.state["step"] == 0 and "第1步" in turn.replies[-1].text and "下一步" in turn.replies[-1].buttons


# ---- the real flows, asked in words of their own ---------------------------------------------

@pytest.fixture(scope="module")
def real():
    return load_flows(Path(__file__).resolve().parents[1] / "dialogues" / "flows")


def _asked(flow, text):
    found = F.best_question(flow, text, 0)
    return flow.steps[found[0]].id if found else None


@pytest.mark.parametrize(("flow", "text", "step"), [
    ("grocery_general", "不小心加了一堆进购物车 怎么去掉", "add_to_cart"),
    ("grocery_hema", "我想改数量 只要一盒", "add_to_cart"),
    ("grocery_duoduo", "想在网上买副手套 这里能买吗", "find_goods"),
    ("live_stream_tutorial", "弹幕太快了 我一个人看不过来", "during_live"),
    ("live_stream_tutorial", "开播要不要请个帮手在旁边看弹幕", "during_live"),
    ("live_stream_tutorial", "有人在弹幕里骂我 说我卖假货", "during_live"),
    ("community_groupbuy_leader_tutorial", "货到了 分拣老是出错", "orders_pickup"),
    ("scam_safe_shopping", "打电话的说我店铺违规 要我交罚款", "fake_customer_service"),
    ("scam_safe_shopping", "怎么核实打电话的是不是真客服", "check_yourself"),
    ("scam_safe_shopping", "顾客说转错钱了 叫我退给他", "fake_customer_service"),
    ("scam_safe_shopping", "怎么知道是不是官方打来的", "check_yourself"),
    ("grocery_xiaoxiang", "想买根拐杖 这上面有卖吗", "find_goods"),
    ("community_groupbuy_leader_tutorial", "发货的时候总搞混", "orders_pickup"),
])
def test_the_real_flows_declare_these_step_questions(real, flow, text, step):
    assert _asked(real[flow], text) == step


@pytest.mark.parametrize(("flow", "text"), [
    ("grocery_duoduo", "教我在手机上买菜"),  # buying groceries is the tutorial itself, no daily-goods answer
    ("scam_safe_shopping", "拼多多开店要多少保证金"),  # a shop fee, not a fake platform call
    ("community_groupbuy_leader_tutorial", "会员积分怎么分"),  # not sorting orders
])
def test_near_misses_ask_no_step_question(real, flow, text):
    assert _asked(real[flow], text) is None
