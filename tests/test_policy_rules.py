"""Policies read from what their entries declare (issue 13): the next recourse when a step fails, a
question naming a rule, what serves a kind of ask, words explained inside the last answer, and the
which-app answer grouped by how the food comes.

Each behaviour is checked on the pure function first, then through the engine with phrasings other
than the conversation files' own.
"""

from __future__ import annotations

import pytest

from bot.models import IncomingMessage
from dialogues import texts as T
from dialogues.skills.answers import by_delivery
from knowledge import topics
from knowledge.schema import check_entry

RECOURSE = {"recourse": [
    {"parties": ["商家", "卖家"], "text": "先找商家"},
    {"parties": ["平台"], "text": "再找平台"},
    {"parties": ["12315"], "text": "打12315"},
]}


def _chat(engine, *texts: str, user: str = "p1") -> list[tuple[str, str, tuple[str, ...]]]:
    """(capability, all reply texts, the buttons of every reply) per message."""
    out = []
    for text in texts:
        got = engine.handle(IncomingMessage(channel="cli", chat_id=user, user_id=user, text=text))
        out.append((got.capability, "\n".join(r.text for r in got.replies),
                    tuple(b for r in got.replies for b in r.buttons)))
    return out


# ---- the next recourse --------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "reached", "step"), [
    ("商家不理我咋办", 0, 1),  # the party named failed: the step after it
    ("要是平台不管呢", 0, 2),
    ("还是不行", 1, 2),  # no party named: after the last step given
    ("12315也不管", 0, 2),  # nothing after the last step: the last one again
])
def test_the_recourse_after_the_step_that_failed(text, reached, step):
    assert topics.recourse(RECOURSE, text, reached) == (step, RECOURSE["recourse"][step]["text"])


def test_no_recourse_declared_is_none():
    assert topics.recourse({}, "平台不管", 0) is None


def test_every_kind_a_message_asks_is_found_not_only_the_first():
    asks = {"where": ["去哪"], "fails": ["不管"], "relief": ["房租"]}
    assert topics.kinds_of("房租涨了 平台不管 去哪说", asks) == {"where", "fails", "relief"}


def test_a_recourse_needs_two_steps_and_known_keys():
    base = {"id": "p", "kind": "policy", "title": "t", "source": "facts.md §1", "reviewed": "2026-12-07",
            "summary": "s", "how": "h", "caveat": "c"}
    one = check_entry({**base, "topic": {"recourse": [{"parties": ["商家"], "text": "先找商家"}]}})
    assert one == ["field 'topic.recourse': needs at least two steps (the one that failed and the next)"]
    typo = check_entry({**base, "topic": {"recourse": [{"party": ["商家"], "text": "a"}, {"text": "b"}]}})
    assert typo and "unknown key" in typo[0]
    assert check_entry({**base, "rules": ["七天无理由"], "serves": ["relief"], "topic": RECOURSE}) == []


@pytest.mark.parametrize("first", ["网上买的东西坏了 消费者权益保护法咋说", "那能七天无理由退吗"])
def test_each_failed_step_gets_the_next_recourse_from_the_policy(make_engine, first):
    turns = _chat(make_engine(), first, "卖家不搭理我", "平台也不管呢", "投诉了还是不行")
    assert [c for c, _, _ in turns[1:]] == ["policy"] * 3
    assert "平台" in turns[1][1] and "www.12315.cn" not in turns[1][1]  # 12315 named as the next step only
    assert "12315" in turns[2][1] and "www.12315.cn" in turns[2][1]
    assert "12348" in turns[3][1]


def test_a_failed_step_of_another_policy_gets_that_policy_s_recourse(make_engine):
    turns = _chat(make_engine(), "快递员不打招呼放驿站合规矩吗", "快递公司也不管呢")
    assert turns[1][0] == "policy" and "邮政管理部门" in turns[1][1] and "12345" in turns[1][1]


# ---- a question naming a rule -------------------------------------------------------------------

@pytest.mark.parametrize(("text", "said"), [
    ("买的一箱橘子坏了一半 能退吗 不是说七天无理由么", "鲜活易腐"),
    ("在拼多多买的梨烂了 7天无理由能退不", "鲜活易腐"),
    ("想在抖音上卖自己做的辣椒酱 没有执照能卖吗", "许可"),
])
def test_a_question_naming_a_rule_gets_the_rule_first(make_engine, text, said):
    (capability, reply, buttons), = _chat(make_engine(), text)
    assert capability == "policy" and said in reply
    assert "第1步" not in reply and "第5步" not in reply  # the rule, not a tutorial step


def test_the_tutorial_the_nlu_chose_follows_as_a_button(make_engine):
    engine = make_engine()
    (capability, _, buttons), = _chat(engine, "在多多上买的一箱苹果 打开一半是烂的 能退吗 不是说七天无理由么")
    label = next(b for b in buttons if "售后" in b)  # the after-sale tutorial, by its title
    assert capability == "policy"
    (capability, reply, _), = _chat(engine, label)
    assert capability == "teach" and "申请售后" in reply  # the step where that tutorial enters


def test_a_rule_named_in_a_report_or_on_the_way_is_no_rule_question():
    from dialogues.skills.policy import RULE_ASK_RE

    assert not RULE_ASK_RE.search("营业执照我已经办好了")
    assert not RULE_ASK_RE.search("没执照 怎么拉顾客")  # a rule on the way to another question
    for asked in ("不是说七天无理由么", "7天无理由能退不", "开网店要营业执照吗", "假一赔三是真的吗"):
        assert RULE_ASK_RE.search(asked), asked


# ---- what serves a kind of ask ------------------------------------------------------------------

@pytest.mark.parametrize("text", ["房租涨了有啥政策能帮帮小店不", "生意不好做 成本太高了 有啥扶持政策"])
def test_help_with_costs_gets_what_the_content_has_for_small_shops(make_engine, text):
    (capability, reply, buttons), = _chat(make_engine(), text)
    assert capability == "policy" and "个体户" in reply and "贷款" in reply
    assert "互联网+流通" not in reply.split("\n")[0]
    assert any("融资" in b for b in buttons)  # the financing mechanism for 个体户, one tap away
    assert "减半" not in reply  # 个体户 tax cuts are UNVERIFIED in facts.md: never stated
    assert reply.startswith(T.POLICY_SERVES_LEAD["relief"])  # a rent subsidy is not in the content: said first


# ---- a word explained inside the last answer ----------------------------------------------------

def test_a_glossary_word_after_a_tool_is_explained_inside_that_answer(make_engine):
    turns = _chat(make_engine(), "开网店以后看店铺数据用啥工具", "t+1是什么意思")
    assert turns[0][0] == "tool"
    assert turns[1][0] == "tool" and "第二天" in turns[1][1] and "实时" in turns[1][1]


def test_the_t_plus_one_explanation_says_what_facts_md_says():
    assert "第二天" in T.GLOSSARY["T+1"] and "当天的实时数据" in T.GLOSSARY["T+1"]


# ---- which app: by how the food comes -----------------------------------------------------------

def test_apps_are_grouped_by_delivery_then_how_to_choose():
    apps = [{"name": "甲", "delivery": "home"}, {"name": "乙", "delivery": "pickup"}, {"name": "丙"},
            {"name": "丁", "delivery": "home"}]
    assert by_delivery(apps) == [
        "・" + T.APPS_BY_DELIVERY["home"].format(names="甲、丁"),
        "・" + T.APPS_BY_DELIVERY["pickup"].format(names="乙"),
        "・丙",
        T.APPS_CHOOSE,
        T.APPS_ADDRESS,
    ]
    only_home = [{"name": "甲", "delivery": "home"}]
    assert by_delivery(only_home) == ["・" + T.APPS_BY_DELIVERY["home"].format(names="甲"), T.APPS_ADDRESS]
    assert by_delivery([{"name": "丙"}]) == ["・丙"]  # no way known: no advice on one


@pytest.mark.parametrize(("text", "shown", "left_out"), [
    ("我就想要送到家的 我腿不好 用哪个买菜", "小象超市", "多多买菜"),
    ("有没有能自提的买菜软件", "多多买菜", "小象超市"),
])
def test_which_app_for_one_way_lists_only_those(make_engine, text, shown, left_out):
    (capability, reply, buttons), = _chat(make_engine(), text)
    assert capability == "teach" and shown in reply and left_out not in reply and left_out not in buttons
    assert "地址" in reply


@pytest.mark.parametrize("text", ["手机里装了好几个买菜的 到底用哪个好", "买菜软件哪个好用"])
def test_which_app_says_door_or_pickup_and_the_address(make_engine, text):
    (capability, reply, buttons), = _chat(make_engine(), text)
    assert capability == "teach" and "送到家" in reply and "自提点" in reply and "地址" in reply
    assert "美团优选" not in reply  # closed
    assert "小象超市" in buttons


# ---- a tutorial step's own question: has the money arrived --------------------------------------

@pytest.mark.parametrize("question", ["钱到底到没到账 我咋看", "我咋查收款记录"])
def test_has_the_money_arrived_is_answered_in_the_scam_tutorial(make_engine, question):
    turns = _chat(make_engine(), "我想学防骗", question, "下一步")
    assert turns[1][0] == "teach" and "账单" in turns[1][1] and "截图" in turns[1][1]
    assert "我的订单" not in turns[1][1]  # not the pickup tutorial
    assert "第2步" in turns[2][1]  # the scam tutorial goes on


# ---- an unclear message asking which tool -------------------------------------------------------

def test_an_unclear_message_asking_which_tool_gets_the_tools_of_its_best_match(make_engine, monkeypatch):
    """开店以后看数据用啥 read as a fallback inside the shop checklist: the data tools, not the best matches."""
    import dataclasses

    engine = make_engine()
    parse = engine.pipeline.parse

    def unsure(text):
        got = parse(text)
        return dataclasses.replace(got, intent="nlu_fallback", capability="out_of_scope", confidence=0.3) \
            if "用啥" in text else got

    monkeypatch.setattr(engine.pipeline, "parse", unsure)
    turns = _chat(engine, "我想网上开店", "下一步", "开店以后看数据用啥", "T+1是啥意思")
    assert turns[2][0] == "tool" and "电商罗盘" in turns[2][1] and "您是不是想问" not in turns[2][1]
    assert turns[3][0] == "tool" and "第二天" in turns[3][1]


def test_asking_which_tool_needs_a_tool_as_the_best_match(make_engine):
    from dialogues.skills import tools

    ctx = make_engine().manager.ctx
    assert tools.asked_for(ctx, "做海报用啥")
    assert not tools.asked_for(ctx, "用什么买菜")  # the best match is an app, not a tool
    assert not tools.asked_for(ctx, "看店铺数据")  # no question which tool


@pytest.mark.parametrize("food", ["咸鸭蛋算食品吗 要办啥", "自己做的辣椒酱也算吃的吧 要啥证"])
def test_selling_food_after_the_licence_rules_gets_the_permit_rule(make_engine, food):
    turns = _chat(make_engine(), "个人网店没执照能卖东西吗", food)
    assert turns[1][0] == "policy" and "第12条" in turns[1][1] and "市场监管" in turns[1][1]
