"""Merchant follow-ups (issue 13, kinds followups/calm/mixed), in phrasings other than the dev sets':
a question asked in an entry's own cue words gets that answer (a shop-front photo, a bad review,
where to post a poster, what to write on it with the person's own product, clearing stock when
closing down), a merchant asked to pay triple damages hears when that applies, and a start-up
loan's interest is a follow-up of the loan topic.
"""

from __future__ import annotations

from tests.factories import chat
from knowledge import topics


def _chat(engine, *texts: str, user: str = "s7b") -> list[tuple[str, str]]:
    return chat(engine, *texts, user=user)


def test_a_product_slot_is_read_from_the_entities():
    from nlu.training_data import Entity
    spec = {"product": {"type": "product", "unknown": "您的货"}}
    assert topics.read_slots(spec, "想写橘子打折", [Entity("product", "橘子", 2, 4, "橘子")]) == {"product": "橘子"}
    assert topics.fill("{product}特价", spec, {}) == "您的货特价"


def test_shop_front_photo_is_not_the_video_tutorial(make_engine):
    cap, reply = _chat(make_engine(), "开外卖店要的门头照片应该咋个拍")[0]
    assert cap == "marketing"
    assert "招牌" in reply and "第1步" not in reply


def test_a_bad_review_gets_how_to_reply(make_engine):
    cap, reply = _chat(make_engine(), "有顾客在外卖平台上说饭里有虫 给了个差评 怎么弄")[0]
    assert cap == "marketing"
    assert "道歉" in reply and "回复" in reply
    assert "110" not in reply and "120" not in reply


def test_poster_words_use_the_product_they_named(make_engine):
    cap, reply = _chat(make_engine(), "海报上写啥字好 我想写周六橘子打折")[0]
    assert cap == "marketing"
    assert "橘子" in reply


def test_where_to_post_a_finished_poster(make_engine):
    cap, reply = _chat(make_engine(), "图做完了 发到哪里看的人多")[0]
    assert cap == "marketing"
    assert "朋友圈" in reply and "店门口" in reply


def test_clearing_stock_when_closing_down(make_engine):
    cap, reply = _chat(make_engine(), "店要关了 剩下的货咋清掉")[0]
    assert cap == "marketing"
    assert "清仓" in reply and "30日" in reply


def test_a_merchant_asked_for_triple_damages_hears_when_it_applies(make_engine):
    turns = _chat(make_engine(), "顾客说菜里有沙子 要我退一赔三 我必须赔吗")
    cap, reply = turns[-1]
    assert cap == "policy"
    assert "欺诈" in reply and "质量问题" in reply and "协商" in reply
    assert "您可以要求三倍" not in reply  # not the customer's side


def test_loan_interest_is_a_follow_up_of_the_loan(make_engine):
    turns = _chat(make_engine(), "创业担保贷款要什么条件", "我在重庆 贷款的利息谁出")
    cap, reply = turns[-1]
    assert cap == "policy"
    assert "贴息" in reply and "重庆" in reply and "人社" in reply



def test_a_complaint_from_someone_not_known_as_a_merchant_is_not_the_shop_rules(make_engine):
    cap, reply = _chat(make_engine(), "客服不搭理我")[-1]
    assert cap == "policy"
    assert "收集顾客信息" not in reply and "12315" in reply


def test_a_leader_whose_group_does_not_buy_gets_advice_not_the_tutorial(make_engine):
    cap, reply = _chat(make_engine(), "社区团长 群里好几百人 都不下单 咋整")[0]
    assert cap == "marketing"
    assert "第1步" not in reply and "接龙" in reply


def test_being_a_leader_on_a_platform_says_where_to_ask(make_engine):
    turns = _chat(make_engine(), "怎么当好一个社区团长", "兴盛优选上能不能当团长")
    cap, reply = turns[-1]
    assert "兴盛优选" in reply and "官方" in reply
    assert "第1步" not in reply


def test_how_to_be_a_leader_still_starts_the_tutorial(make_engine):
    cap, reply = _chat(make_engine(), "怎么当好一个社区团长")[0]
    assert cap == "teach" and "第1步" in reply
