"""Tutorials read what people type, not only textbook Mandarin (issue 13, fresh2 round).

Glossary words typed with a homophone (验正码), dialect inside the steps (点算 / 唔理 / 影相),
an order someone else placed (the find-order tutorial, not installing the app), a mistake with the
quantity (the cart's fix), and a lesson the content does not have (a video call: said plainly).
The parse is made by hand (other phrasings than the dev set's), so these test the dialogue data
and its reading, not the classifier.
"""

from __future__ import annotations

import pytest

from bot.errors import FlowError
from bot.flows import load_flows
from dialogues.manager import DialogueManager, new_state
from dialogues.skills.tutorial import glossary_term, missing
from dialogues.skills.tutorial.reading import question_score
from tests.test_manager import EmptyKB
from tests.test_tutorial_follow import KITS, SHOP, _write
from tests.test_urgent_episodes import Chat

PICKUP = "pickup_refund_tutorial"


@pytest.fixture(scope="module")
def manager(settings, pipeline) -> DialogueManager:
    flows = load_flows(settings.flows_dir, set(pipeline.capabilities))
    return DialogueManager(flows, EmptyKB(), 2, urgent_episode_turns=8, urgent_episode_minutes=60,
                           urgent_check_below=float(settings.dialogue["urgent_check_below"]))


def at(manager: DialogueManager, flow: str, step_id: str) -> Chat:
    """Someone inside ``flow`` at the step ``step_id``."""
    state = new_state()
    state["flow"], state["step"], state["turns"] = flow, manager.flows[flow].step_index(step_id), 2
    state["topic"] = {"intent": manager.flows[flow].intents[0], "flow": flow}
    return Chat(manager, state)


@pytest.mark.parametrize("typed, term", [("验正码", "验证码"), ("验证马", "验证码"), ("自题点", "自提点"),
                                         ("取货码", "取货码"), ("购物车", "购物车"), ("t+1", "T+1")])
def test_glossary_words_typed_with_a_homophone_are_found(typed, term):
    assert glossary_term(typed) == term


@pytest.mark.parametrize("words", ["今天天气", "外卖", "a+b"])
def test_other_words_are_no_glossary_word(words):
    assert glossary_term(words) is None


def test_a_homophone_glossary_question_is_explained_in_place(manager):
    chat = at(manager, "grocery_general", "address_or_pickup")
    turn = chat.say("验正马是什么意思", "account_login", capability="teach")
    assert "短信" in turn.text and chat.state["flow"] == "grocery_general"
    assert chat.state["step"] == manager.flows["grocery_general"].step_index("address_or_pickup")


def test_pickup_code_is_explained_and_the_pickup_tutorial_stays(manager):
    chat = at(manager, PICKUP, "go_collect")
    turn = chat.say("提货的时候那个取货码是什么", "order_pickup", capability="teach")
    assert "取货码" in turn.text and "团长" in turn.text
    assert chat.state["flow"] == PICKUP and not chat.state.get("paused")


@pytest.mark.parametrize("text, intent", [
    ("我儿子帮我在多多买菜下了单 订单找不着了", "app_install"),
    ("孙女昨天给我下的单 现在在哪看啊", "grocery_order"),
    ("手机上写着待取货 我该咋办", "grocery_order"),
])
def test_an_order_already_placed_starts_the_find_order_tutorial(manager, text, intent):
    chat = Chat(manager, new_state())
    turn = chat.say(text, intent, capability="teach")
    assert chat.state["flow"] == PICKUP and "订单" in turn.text


def test_learning_to_install_still_starts_the_buying_tutorial(manager):
    chat = Chat(manager, new_state())
    chat.say("我想装个多多买菜 不会下载", "app_install", capability="teach")
    assert chat.state["flow"] != PICKUP


def test_a_wrong_quantity_gets_the_carts_fix_not_cancelling(manager):
    chat = at(manager, "grocery_general", "pay")
    turn = chat.say("前面数量点成了5份 咋改回来", "nav_prev", capability="teach")
    assert "购物车" in turn.text and "－" in turn.text
    assert turn.text.index("购物车") < turn.text.find("取消") or "取消" not in turn.text


@pytest.mark.parametrize("text, intent, words", [
    ("呢啲菜系唔系七日无理由退㗎", "refund_aftersale", ("生鲜", "质量")),
    ("使唔使影相先", "deny", ("拍",)),
    ("商家一直唔理我 点算好", "out_of_scope", ("平台", "12315")),
    ("卖家不搭理我 咋整", "nlu_fallback", ("平台", "12315")),
])
def test_after_sale_questions_in_dialect_get_the_steps_answer(manager, text, intent, words):
    chat = at(manager, PICKUP, "fill_reason")
    turn = chat.say(text, intent, capability="teach" if intent == "refund_aftersale" else "")
    assert turn.capability == "teach" and all(w in turn.text for w in words), turn.text
    assert chat.state["flow"] == PICKUP


def test_step_questions_match_the_mandarin_reading_too():
    from dialogues.schema import StepQuestion
    q = StepQuestion(match=(("怎么办",),), answer="")
    assert question_score(q, "点算") == 3 and question_score(q, "今天") == 0


@pytest.mark.parametrize("text", ["你能教我跟闺女视频吗", "咋跟孙子打视频", "教教我视频通话"])
def test_a_video_call_lesson_is_said_to_be_missing(manager, text):
    chat = Chat(manager, new_state())
    turn = chat.say(text, "bot_capabilities")
    assert turn.capability == "teach" and "视频" in turn.text and "社工" in turn.text
    assert "第1步" not in turn.text and not chat.state.get("flow")


@pytest.mark.parametrize("text", ["我又不会发视频", "教我拍短视频卖货", "抖音直播怎么开"])
def test_no_missing_lesson_without_asking_for_a_video_call(text):
    assert missing.asked(text) is None


def test_takes_over_needs_its_words(tmp_path):
    shop = SHOP.replace("steps:", "takes_over: [grocery_order]\nsteps:", 1)
    with pytest.raises(FlowError, match="'takes_over' and 'said' go together"):
        load_flows(_write(tmp_path, shop, KITS), {"grocery_order"})


@pytest.mark.parametrize("text", ["在多多买菜把香菜买成芹菜了 能退不", "韭菜买错了 能不能换"])
def test_a_wrong_item_bought_gets_the_after_sale_answer_first(manager, text):
    chat = Chat(manager, new_state())
    turn = chat.say(text, "grocery_order", capability="teach")
    assert "售后" in turn.replies[0].text and "生鲜" in turn.replies[0].text
