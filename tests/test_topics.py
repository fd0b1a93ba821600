"""Follow-ups on a topic: slots from the details a message gives, answers from the entry's ``topic``.

Pure functions (``knowledge/topics.py``), the schema's checks of a ``topic`` with the file and
key named, and the dialogue: after an answer, a follow-up fills the topic's slots and is
answered inside it (issue 13, item 3).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import KnowledgeBaseError
from bot.models import IncomingMessage
from knowledge import topics
from knowledge.importer import load_entries
from nlu.training_data import Entity

VAT = {
    "slots": {
        "sales": {"type": "money"},
        "period": {"type": "choice", "choices": {"quarter": ["季度"], "month": ["月"]},
                   "labels": {"quarter": "一个季度", "month": "一个月"}, "default": "month"},
    },
    "compare": [{"slot": "sales", "per": "period", "limits": {"month": 100000, "quarter": 300000},
                 "below": "{period}{sales}，没到{limit}", "reached": "{period}{sales}，超过{limit}", "at": "正好{limit}"}],
}
LOAN = {
    "slots": {
        "age": {"type": "age"},
        "city": {"type": "region", "unknown": "当地"},
        "registered": {"type": "flag", "cues": ["失业登记"], "negations": ["没", "未"], "if_yes": "办了", "if_no": "没办"},
    },
    "checklist": {"intro": "清单：", "lines": [{"text": "年龄{age}"}, {"text": "在{city}"}, {"text": "登记：{registered}"}],
                  "outro": "问{city}的人社部门"},
    "questions": [{"ask": "documents", "answer": "材料问{city}"}, {"cues": ["贴息"], "answer": "贴息问银行"}],
}
ASKS = {"documents": ["带什么", "材料"], "where": ["去哪", "找谁"], "conditions": ["能申请"]}


def money(value: str) -> Entity:
    return Entity("money", value, 0, len(value))


def test_money_age_place_choice_and_flag_are_read():
    assert topics.read_slots(VAT["slots"], "要是有个月卖了15万呢", [money("15万")]) == {"sales": 150000, "period": "month"}
    assert topics.read_slots(VAT["slots"], "一个季度加起来27万", [money("27万")]) == {"sales": 270000, "period": "quarter"}
    said = "我今年45了 在成都 办了失业登记的 我能申请吗"
    assert topics.read_slots(LOAN["slots"], said, [Entity("region", "成都", 7, 9)]) == {
        "age": 45, "city": "成都", "registered": True}
    assert topics.read_slots(LOAN["slots"], "我五十岁 还没办失业登记", []) == {"age": 50, "registered": False}


def test_a_count_of_people_is_no_sum_of_money():
    assert topics.read_slots(VAT["slots"], "群里两百来人 发啥好", [money("两百")]) == {}


def test_figures_are_compared_with_the_threshold_of_their_period():
    assert topics.compare(VAT, {"sales": 150000}) == ["一个月15万元，超过10万元"]
    assert topics.compare(VAT, {"sales": 60000, "period": "month"}) == ["一个月6万元，没到10万元"]
    assert topics.compare(VAT, {"sales": 270000, "period": "quarter"}) == ["一个季度27万元，没到30万元"]
    assert topics.compare(VAT, {"sales": 100000}) == ["正好10万元"]
    assert topics.compare(VAT, {}) == []


def test_the_checklist_uses_the_details_and_leaves_out_what_is_unknown():
    full = topics.checklist(LOAN, {"age": 45, "city": "成都", "registered": True})
    assert full == "清单：\n・年龄45岁\n・在成都\n・登记：办了\n问成都的人社部门"
    assert topics.checklist(LOAN, {}) == "清单：\n・在当地\n问当地的人社部门"


def test_questions_by_the_entry_s_own_words_then_by_kind():
    assert topics.ask_of("那要带什么", ASKS) == "documents"
    assert topics.ask_of("去哪里办", ASKS) == "where"
    assert topics.ask_of("你好", ASKS) is None
    assert topics.question(LOAN, "documents", "那要带什么", {"city": "成都"}) == "材料问成都"
    assert topics.question(LOAN, None, "贴息怎么算", {}) == "贴息问银行"
    assert topics.question(LOAN, "where", "去哪里办", {}) is None


def test_the_best_line_needs_shared_words():
    points = ["一般要办营业执照。", "店铺首页要一直放着营业执照、许可证信息。"]
    assert topics.best_line(points, "店铺首页要挂个啥东西吗") == points[1]
    assert topics.best_line(points, "今天天气好") is None


# ---- the schema: a topic's mistakes are named by file and key -------------------------------

ENTRY = """entries:
- id: policy_demo
  kind: policy
  title: 演示政策
  summary: 演示
  how: 问当地
  caveat: 以官方为准
  source: facts.md §1.9
  reviewed: 2026-11-22
  topic:
    slots:
      sales: {type: money}
    compare:
      - slot: sales
        limits: {any: 100000}
        below: 没到{limit}
        reached: 超过{limit}
    questions:
      - ask: where
        answer: 问当地
"""
ASKS_FILE = "asks:\n  where: [去哪, 找谁]\n"


def _content(tmp_path: Path, entry: str, asks: str = ASKS_FILE) -> Path:
    d = tmp_path / "content"
    d.mkdir(exist_ok=True)
    (d / "policies.yml").write_text(entry, encoding="utf-8")
    (d / "asks.yml").write_text(asks, encoding="utf-8")
    return d


def test_a_valid_topic_loads(tmp_path):
    entries = load_entries(_content(tmp_path, ENTRY))
    assert entries[0].get("topic")["slots"] == {"sales": {"type": "money"}}


@pytest.mark.parametrize(
    ("change", "asks", "message"),
    [
        (lambda t: t.replace("超过{limit}", "超过{amount}"), ASKS_FILE,
         r"policies.yml:10: entry 'policy_demo': field 'topic.compare.0.reached': unknown slot '\{amount\}'"),
        (lambda t: t.replace("- slot: sales", "- slot: income"), ASKS_FILE,
         r"field 'topic.compare.0.slot': unknown slot 'income'"),
        (lambda t: t.replace("ask: where", "ask: wherever"), ASKS_FILE,
         r"field 'topic.questions.0.ask' names unknown kind 'wherever' \(kinds in asks.yml: where\)"),
        (lambda t: t.replace("{type: money}", "{type: cash}"), ASKS_FILE, r"field 'topic.slots.sales.type'"),
        (lambda t: t.replace("{type: money}", "{type: flag}"), ASKS_FILE,
         r"field 'topic.slots.sales': a flag slot needs 'cues'"),
        (lambda t: t.replace("{type: money}", "{type: money, yes: 有}"), ASKS_FILE, r"if_yes"),
        (lambda t: t, "asks: {where: []}\n", r"asks.yml: field 'asks.where': needs at least one cue word"),
    ],
)
def test_topic_problems_name_the_file_and_key(tmp_path, change, asks, message):
    with pytest.raises(KnowledgeBaseError, match=message):
        load_entries(_content(tmp_path, change(ENTRY), asks))


# ---- the dialogue: follow-ups answered inside the topic ---------------------------------------

def _chat(engine, *texts: str) -> list[tuple[str, str]]:
    out = []
    for text in texts:
        got = engine.handle(IncomingMessage(channel="cli", chat_id="t1", user_id="t1", text=text))
        out.append((got.capability, "\n".join(r.text for r in got.replies)))
    return out


def test_monthly_sales_are_compared_with_the_vat_threshold(make_engine):
    turns = _chat(make_engine(), "小规模纳税人增值税咋交", "要是有个月卖了15万呢", "那淡季一个月就卖6万来块钱呢",
                  "一个季度加起来27万 算超没超", "这些我去哪问准")
    assert turns[1][0] == "policy" and "15万元" in turns[1][1] and "全部" in turns[1][1] and "税务局" in turns[1][1]
    assert turns[2][0] == "policy" and "免征" in turns[2][1]
    assert "30万元" in turns[3][1]
    assert turns[4][0] == "policy" and "税务局" in turns[4][1]
    assert not any("facts.md" in reply or "§" in reply for _, reply in turns)


def test_the_start_up_loan_checklist_uses_age_city_and_registration(make_engine):
    turns = _chat(make_engine(), "创业担保贷款是个啥", "我今年45了 在成都 办了失业登记的 我能申请吗", "那要带什么",
                  "去哪里办", "最多能贷多少")
    capabilities = [c for c, _ in turns[1:]]
    assert capabilities == ["policy"] * 4
    checklist = turns[1][1]
    assert "45岁" in checklist and "成都" in checklist and "办了失业登记" in checklist and "人社" in checklist
    assert "身份证" in turns[2][1] and "成都" in turns[2][1]
    assert "人社" in turns[3][1] and "20万元" in turns[4][1] and "没有核实" in turns[4][1]


def test_a_tool_follow_up_teaches_that_tool(make_engine):
    turns = _chat(make_engine(), "有没有免费做海报的软件", "第一个收费吗", "教我用它做一张海报", "做好了咋发到朋友圈")
    first = turns[0][1].split("\n")[1]
    name = first.split("：")[0].split(". ")[1]
    assert turns[2][0] == "teach" and name in turns[2][1] and "模板" in turns[2][1]
    assert turns[2][1].count("上手难度") == 0  # not the list of tools again
    assert turns[3][0] == "teach" and "朋友圈" in turns[3][1]


def test_tools_of_a_need_follow_the_words_of_the_question(make_engine):
    (_, reply), = _chat(make_engine(), "修商品照片用啥软件 拍出来灰蒙蒙的")
    assert reply.split("\n")[1].startswith("1. 美图秀秀")


def test_a_new_question_is_not_taken_for_a_follow_up(make_engine):
    turns = _chat(make_engine(), "小规模纳税人增值税咋交", "社工能帮我看看吗")
    assert turns[1][0] == "handoff"


def test_a_tip_follow_up_is_answered_within_the_tips(make_engine):
    turns = _chat(make_engine(), "小区门口开小卖部 来的人少 咋拉新顾客", "群里发啥")
    assert turns[1][0] == "marketing"
    assert "到货" in turns[1][1] and "刷屏" in turns[1][1] and "这一步确实不容易" not in turns[1][1]


def test_the_law_around_a_tool_is_its_related_policy(make_engine):
    turns = _chat(make_engine(), "想在群里搞水果接龙团购 用啥工具", "快团团咋用", "收钱吗", "用这个收顾客的电话地址要注意啥")
    assert "快团团" in turns[2][1]  # the tool just taught, not the first one recommended
    assert turns[3][0] == "policy" and "个人信息保护法" in turns[3][1] and "同意" in turns[3][1]


def test_a_tool_named_keeps_the_question_about_the_tool(make_engine):
    turns = _chat(make_engine(), "建个群用啥工具管顾客好", "企业微信给顾客群发有次数限制不")
    assert turns[1][0] == "tool"


# ---- answer choice: what is not in the content is said to be missing, never substituted --------

@pytest.mark.parametrize("question", ["税务局电话多少", "邮政管理局电话是多少"])
def test_an_office_s_number_is_never_another_hotline(make_engine, question):
    (_, reply), = _chat(make_engine(), question)
    assert "12345" in reply and "96110" not in reply and "12356" not in reply


def test_a_benefit_none_of_our_policies_covers_is_said_to_be_missing(make_engine):
    (capability, reply), = _chat(make_engine(), "高龄补贴怎么领")
    assert capability == "policy" and "没有核实" in reply and "线上线下" not in reply


def test_a_platform_s_state_is_answered_from_its_entry(make_engine):
    (capability, reply), = _chat(make_engine(), "盒马会员店还开着吗")
    assert capability == "teach" and "盒马" in reply and "您是不是想问" not in reply


def test_another_policy_moves_on_and_then_says_there_is_no_more(make_engine):
    turns = _chat(make_engine(), "网上开店必须办营业执照吗", *["还有别的政策吗"] * 6)
    titles = [reply.split("\n")[0] for _, reply in turns]
    shown = [t for t in titles if t.startswith("【")]
    assert len(shown) == len(set(shown))  # never the same one again
    assert all(c == "policy" for c, _ in turns[1:])
    assert "就是这几条了" in turns[-1][1]


@pytest.mark.parametrize(("first", "then", "capability"), [
    ("小规模纳税人增值税咋交", "预算500怎么推广", "marketing"),  # a budget is no sales figure
    ("创业担保贷款是啥", "我在成都 想学手机买菜", "teach"),  # a new question that names a city
    ("快递员不打招呼放驿站合规矩吗", "我想学防骗", "teach"),
])
def test_a_new_question_with_details_leaves_the_topic(make_engine, first, then, capability):
    turns = _chat(make_engine(), first, then)
    assert turns[1][0] == capability


def test_a_residents_policy_answer_is_two_short_messages_with_the_rest_on_a_button(make_engine):
    """Issue 14 item 5: about 150 characters a message for residents; 要注意什么 brings the caveat and source."""
    from bot.models import IncomingMessage
    from dialogues import texts as T

    engine = make_engine()

    def say(text):
        return engine.handle(IncomingMessage(user_id="r", text=text, channel="terminal"))

    say("我是退休老人")
    out = say("消费者权益保护法有啥规定")
    answer = [r for r in out.replies if r.kind != "feedback"][:2]
    assert all(len(r.text) <= 150 for r in answer), [len(r.text) for r in answer]
    assert answer[1].text.startswith("怎么办") and T.POLICY_NOTE_BUTTON in answer[1].buttons
    note = say(T.POLICY_NOTE_BUTTON)
    assert note.replies[0].text.startswith("提醒：") and "来源" in note.replies[0].text
    # A merchant gets it all in the second message.
    merchant = make_engine()
    merchant.handle(IncomingMessage(user_id="m", text="我是开小卖部的", channel="terminal"))
    out = merchant.handle(IncomingMessage(user_id="m", text="消费者权益保护法有啥规定", channel="terminal"))
    assert any(r.text.startswith("怎么办") and "提醒：" in r.text for r in out.replies)


@pytest.mark.parametrize("text, found", [
    ("72号文是什么政策", "国办发〔2015〕72号"),
    ("国务院令第755号说了啥", "促进个体工商户发展条例"),
    ("国发〔2025〕3号文件讲的啥", None),
    ("我们这边的88号文有补贴吗", None),
])
def test_a_document_named_by_number_is_that_one_or_plainly_missing(make_engine, text, found):
    """Issue 14 item 4: never the nearest other entry; when the content lacks it, say so and where to ask."""
    from bot.models import IncomingMessage
    from dialogues import texts as T

    out = make_engine().handle(IncomingMessage(user_id="d", text=text, channel="terminal"))
    first = out.replies[0].text
    assert out.capability == "policy"
    if found:
        assert found in first
    else:
        assert first.endswith(T.DOC_MISSING.split("”", 1)[1]) and "12345" in first


def test_numbers_that_are_no_document_are_left_alone(make_engine):
    from bot.models import IncomingMessage

    out = make_engine().handle(IncomingMessage(user_id="d", text="12月10号提醒我交电费", channel="terminal"))
    assert out.capability == "reminder"
