"""Follow-ups inside a policy or tool topic (issue 13, "Topic follow-ups use the details given"):
amounts said in Chinese numerals fill the money slot, a topic's own cue words answer from its
entry (short weight, complaining online, a neighbour's produce, what a shop page shows, a tool's
watermark), a hotline from the verified list is no searched number, and a message naming the
tool just recommended is about that tool, not one's data here.

Pure functions first, then through the engine with phrasings other than the conversation files'.
"""

from __future__ import annotations

import pytest

from dialogues.understand import parse_amount
from knowledge import topics
from nlu.training_data import Entity
from tests.factories import chat


def _chat(engine, *texts: str, user: str = "s7") -> list[tuple[str, str]]:
    return chat(engine, *texts, user=user)


# ---- amounts ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("said", "yuan"), [
    ("十二万", 120000), ("二十三万", 230000), ("一万二", 12000), ("两万五", 25000), ("十万零五千", 105000),
    ("一万二千五百", 12500), ("一万零五", 10005), ("八九万", 80000), ("三百五", 350), ("一百二十", 120),
    ("两三千", 2000), ("几百块", 300), ("15万", 150000), ("1.5万", 15000), ("120000", 120000),
])
def test_amounts_in_chinese_numerals_and_digits(said, yuan):
    assert parse_amount(said) == yuan


@pytest.mark.parametrize(("text", "yuan"), [
    ("旺季那个月卖了二十三万", 230000),
    ("一个月出了一万五的货", 15000),
    ("这个月营业额98000", 98000),
    ("上个月流水十万零五千", 105000),
])
def test_the_pipeline_finds_the_amount(pipeline, text, yuan):
    amounts = [parse_amount(str(e.value)) for e in pipeline.parse(text).entities if e.entity == "money"]
    assert amounts == [yuan]


@pytest.mark.parametrize("text", ["万一商家不给退呢", "千万别点那个链接", "卖了12000斤苹果", "我手机号13812345678"])
def test_no_amount_where_there_is_none(pipeline, text):
    assert not any(e.entity == "money" and parse_amount(str(e.value)) for e in pipeline.parse(text).entities)


def test_a_sales_figure_needs_a_sales_word():
    spec = {"sales": {"type": "money", "cues": ["卖", "走了", "出货"]}}
    money = [Entity("money", "十五万", 0, 3, "十五万")]
    assert topics.read_slots(spec, "一个月走了十五万的货", money) == {"sales": 150000}
    assert topics.read_slots(spec, "预算十五万", money) == {}


# ---- VAT: the figure compared with the threshold -----------------------------------------------

def test_sales_in_chinese_numerals_are_compared_with_the_threshold(make_engine):
    turns = _chat(make_engine(), "个体户一个月卖多少不用交增值税", "要是旺季一个月卖出去二十三万呢",
                  "我一季度流水二十五万 要交吗")
    assert turns[1][0] == "policy" and "23万元" in turns[1][1] and "10万元" in turns[1][1]
    assert "税务局" in turns[1][1]  # where to confirm
    assert turns[2][0] == "policy" and "25万元" in turns[2][1] and "30万元" in turns[2][1] and "没到" in turns[2][1]


def test_a_figure_given_as_goods_moved_is_sales(make_engine):
    turns = _chat(make_engine(), "小规模纳税人起征点是多少", "淡季一个月就出了八万的货 这个怎么算")
    assert turns[1][0] == "policy" and "8万元" in turns[1][1] and "没到起征点" in turns[1][1]


# ---- consumer rights ----------------------------------------------------------------------------

def test_short_weight_is_a_quality_problem_for_after_sale(make_engine):
    turns = _chat(make_engine(), "网上买的水果能不能七天无理由退", "买的排骨缺斤少两咋办")
    assert turns[1][0] == "policy" and "质量问题" in turns[1][1] and "售后" in turns[1][1]


def test_a_merchant_ignoring_gets_the_platform_and_names_12315_next(make_engine):
    turns = _chat(make_engine(), "网上买的东西坏了 消费者权益保护法咋说", "店家一直不回消息 也不理人")
    assert turns[1][0] == "policy" and "平台" in turns[1][1] and "12315" in turns[1][1]


def test_a_verified_hotline_named_is_no_searched_number(make_engine):
    turns = _chat(make_engine(), "网购的东西能退吗 七天无理由是真的吗", "在网上怎么找12315投诉 电话里讲不清楚")
    assert turns[1][0] == "policy" and "www.12315.cn" in turns[1][1]
    assert "骗子" not in turns[1][1]


def test_a_searched_number_still_gets_the_warning(make_engine):
    (capability, reply), = _chat(make_engine(), "网上搜到个快递客服电话 能打吗")
    assert capability == "policy" and "骗子" in reply


def test_fraud_after_the_consumer_topic_gets_three_times_at_least_500(make_engine):
    turns = _chat(make_engine(), "网上买的菜烂了能退吗", "在网上怎么投诉12315", "商家成心骗人的话 能赔多少钱")
    assert turns[2][0] == "policy" and "三倍" in turns[2][1] and "500" in turns[2][1]


# ---- the licence rules --------------------------------------------------------------------------

def test_selling_a_relative_s_produce_is_not_said_to_be_exempt(make_engine):
    turns = _chat(make_engine(), "个人网店要办营业执照吗", "我替亲戚捎带着卖点蜂蜜 也不用办吗")
    assert turns[1][0] == "policy" and "市场监管部门" in turns[1][1] and "自产" in turns[1][1]


def test_what_a_shop_page_shows_is_the_licence_or_the_exemption(make_engine):
    turns = _chat(make_engine(), "在网上卖自家做的腊肉要办执照吗", "网店首页上得放啥")
    assert turns[1][0] == "policy" and "免登记" in turns[1][1] and "营业执照" in turns[1][1]


# ---- tools --------------------------------------------------------------------------------------

def test_a_tool_s_own_question_is_answered_from_its_entry(make_engine):
    turns = _chat(make_engine(), "剪视频用啥软件好", "剪映导出的视频带水印 能去掉不")
    assert turns[1][0] == "tool" and "水印" in turns[1][1] and "官方" in turns[1][1]


def test_exporting_in_the_tool_just_named_is_no_copy_of_one_s_data(make_engine):
    turns = _chat(make_engine(), "剪视频用啥软件好", "剪映怎么导出")
    assert turns[1][0] in ("tool", "teach") and "导出" in turns[1][1] and "社工" not in turns[1][1]


def test_a_copy_of_one_s_records_is_still_privacy(make_engine):
    turns = _chat(make_engine(), "剪视频用啥软件好", "把我的聊天记录导出一份")
    assert turns[1][0] == "privacy"


VAT = {
    "slots": {"sales": {"type": "money"},
              "period": {"type": "choice", "choices": {"quarter": ["季度"], "month": ["月"]},
                         "labels": {"quarter": "一个季度", "month": "一个月"}, "default": "month"}},
    "compare": [{"slot": "sales", "per": "period", "limits": {"month": 100000, "quarter": 300000},
                 "below": "{period}{sales}没到{limit}", "reached": "{period}{sales}超过{limit}",
                 "per_changed": "按{period}是{limit}"}],
}


def test_only_the_period_changed_says_the_new_threshold_not_the_old_figure():
    slots = {"sales": 120000, "period": "quarter"}
    assert topics.compare(VAT, slots, {"period": "quarter"}) == ["按一个季度是30万元"]
    assert topics.compare(VAT, slots, {"sales": 120000, "period": "quarter"}) == ["一个季度12万元没到30万元"]
    assert topics.compare(VAT, slots) == ["一个季度12万元没到30万元"]


def test_asking_by_quarter_after_a_month_s_figure(make_engine):
    turns = _chat(make_engine(), "个体户一个月卖多少不用交增值税", "有个月卖了十三万", "那要是按季度报呢")
    assert "13万元" in turns[1][1]
    assert turns[2][0] == "policy" and "30万元" in turns[2][1] and "13万元" not in turns[2][1]


def test_compensation_asked_about_short_weight_is_the_compensation(make_engine):
    turns = _chat(make_engine(), "网购的菜能七天无理由退吗", "商家要是存心少给分量 能赔几倍")
    assert turns[1][0] == "policy" and "三倍" in turns[1][1]


def test_a_merchant_refusing_to_pay_back_is_a_failed_step(make_engine):
    turns = _chat(make_engine(), "网购的菜能七天无理由退吗", "卖家就是不退钱 怎么弄")
    assert turns[1][0] == "policy" and "平台" in turns[1][1] and "12315" in turns[1][1]
