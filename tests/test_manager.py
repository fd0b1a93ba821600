"""The dialogue manager on its own: branching flows, slot questions, amounts. Pure logic, no database."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.flows import load_flows
from dialogues.manager import BUTTON_CHARS, DialogueManager, Turn, button_label, new_state, parse_amount
from nlu.result import ParseResult
from nlu.training_data import Entity

BRANCHING = """flow: pick_app
kind: flow
title: 选软件
intents: [grocery_order]
steps:
  - id: which
    text: 您用哪个软件？
    ask: platform
    buttons:
      - {label: 盒马, set: {platform: 盒马}}
      - {label: 其他, set: {platform: 其他}}
    next:
      - if: {platform: 盒马}
        goto: hema
      - goto: other
  - id: hema
    text: 盒马的步骤
    end: true
  - id: other
    text: 其他软件的步骤
"""


class EmptyKB:
    def search(self, *a, **k):
        return []

    def by_intent(self, *a, **k):
        return []

    def by_kind(self, *a, **k):
        return []

    def get(self, *a, **k):
        return None

    def asks(self):
        return {}


def _parse(intent: str, text: str, entities: tuple[Entity, ...] = ()) -> ParseResult:
    return ParseResult(text, intent, "teach" if intent == "grocery_order" else "smalltalk", 0.9, entities)


@pytest.fixture()
def manager(tmp_path: Path) -> DialogueManager:
    d = tmp_path / "flows"
    d.mkdir()
    (d / "pick_app.yml").write_text(BRANCHING, encoding="utf-8")
    return DialogueManager(load_flows(d, {"grocery_order"}), EmptyKB())


def test_button_sets_slot_and_branches(manager):
    turn = manager.advance(None, _parse("grocery_order", "买菜"), "买菜")
    assert turn.replies[-1].buttons[:2] == ("盒马", "其他")
    turn = manager.advance(turn.state, _parse("nlu_fallback", "盒马"), "盒马")
    assert turn.state["slots"]["platform"] == "盒马"
    assert "盒马的步骤" in turn.replies[-1].text


def test_entity_answers_the_question_and_default_branch(manager):
    turn = manager.advance(None, _parse("grocery_order", "买菜"), "买菜")
    ent = (Entity("platform", "叮咚买菜", 0, 4, "叮咚买菜"),)
    turn = manager.advance(turn.state, _parse("choose_grocery_app", "叮咚买菜", ent), "叮咚买菜")
    assert turn.state["slots"]["platform"] == "叮咚买菜"
    assert "其他软件的步骤" in turn.replies[-1].text


def test_end_step_finishes_the_flow(manager):
    turn = manager.advance(None, _parse("grocery_order", "买菜"), "买菜")
    turn = manager.advance(turn.state, _parse("nlu_fallback", "盒马"), "盒马")
    turn = manager.advance(turn.state, _parse("nav_next", "下一步"), "下一步")
    assert turn.state["flow"] is None
    assert any(e["type"] == "flow_finished" for e in turn.events)


@pytest.mark.parametrize(
    ("text", "amount"),
    [("500块", 500), ("几百块", 300), ("两三千块钱", 2000), ("1.5万", 15000), ("一千五百元", 1500),
     ("2000", 2000), ("五百块", 500), ("十块", 10), ("没有数字", None)],
)
def test_parse_amount(text, amount):
    assert parse_amount(text) == amount


@pytest.mark.parametrize(
    ("title", "label"),
    [
        ("网上开店入门（抖店、快手小店、拼多多、微信小店、美团）", "网上开店入门"),
        ("用小象超市买菜（原来的美团买菜）", "用小象超市买菜（原来的美团买菜）"),  # fits: unchanged
        ("推进线上线下互动、加快商贸流通创新发展的意见（国办发〔2015〕72号）", "推进线上线下互动"),
        ("《消费者权益保护法实施条例》（2024年7月1日起施行）", "《消费者权益保护法实施条例》"),
        ("12349 地方为老便民服务热线（不是全国统一）", "12349 地方为老便民服务热线"),
        ("12348 公共法律服务和法律援助咨询", "12348 公共法律服务和法律…"),  # "12348" alone says too little
        ("民政部、财政部《关于加快推进社区社会工作服务的意见》", "民政部、财政部《关于加快推进社…"),
        ("  多余的\n空白  ", "多余的 空白"),
    ],
)
def test_button_label_cuts_at_a_natural_break(title, label):
    assert button_label(title) == label
    assert len(label) <= BUTTON_CHARS


def test_buttons_that_shorten_alike_stay_apart(manager):
    turn = Turn(replies=[], state=new_state())
    manager._say(turn, "您是不是想问：", (
        ("AI写作助手：帮您起草商品介绍、朋友圈文案", {"entry": "ai_copy"}),
        ("AI写作助手：帮您写短视频脚本、直播话术、活动通知", {"entry": "ai_script"}),
    ))
    labels = turn.replies[-1].buttons
    assert len(set(labels)) == 2 and all(len(x) <= BUTTON_CHARS for x in labels)
    assert [turn.state["buttons"][x] for x in labels] == [{"entry": "ai_copy"}, {"entry": "ai_script"}]


def test_button_numbers_run_on_across_the_replies_of_a_turn(manager):
    turn = Turn(replies=[], state=new_state())
    manager._say(turn, "相关政策", (("政策甲", {"entry": "a"}), ("找社工", {"intent": "request_human"})))
    manager._say(turn, "您是开店的还是买东西的？", (("我开店", {"persona": "merchant"}), ("我买东西", {"persona": "resident"})))
    assert turn.state["button_labels"] == ["政策甲", "找社工", "我开店", "我买东西"]
    assert DialogueManager.pressed_label(turn.state, "4") == "我买东西"
    assert DialogueManager.pressed_label(turn.state, "5") is None
    assert DialogueManager.pressed_label(turn.state, "我买东西") is None  # words are not numbers
    nxt = manager.advance(turn.state, _parse("nlu_fallback", "4"), "4")
    assert nxt.state["slots"]["persona"] == "resident"
