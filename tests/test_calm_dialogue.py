"""Calm conversations the dialogue must follow (issue 13): the wait in the queue and the office
hours, a yes right after the offer of a social worker, a request for a visit, a "what can you do"
question that names a topic, signing off to go and try something, and a policy follow-up asked in
the entry's own words.

The pure tests hand the dialogue a parse made by hand; the engine tests use the project's model.
"""

from __future__ import annotations

import pytest

from bot.models import IncomingMessage
from dialogues import texts as T
from dialogues.manager import DialogueManager
from dialogues.skills import handoff, smalltalk
from dialogues.state import new_state
from knowledge import topics
from nlu.result import ParseResult
from tests.test_manager import EmptyKB

HOURS = {"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00"}


def waiting_state(**ticket):
    st = new_state()
    st["handoff"] = {"ticket": 7, "status": "waiting", "priority": "normal", "ahead": 0, **ticket}
    return st


def advance(st, text, intent="nlu_fallback", capability="out_of_scope", confidence=0.4):
    manager = DialogueManager({}, EmptyKB())
    return manager.advance(st, ParseResult(text, intent, capability, confidence), text)


@pytest.mark.parametrize(("days", "said"), [
    ([1, 2, 3, 4, 5], "周一到周五"), ([1, 3], "周一、周三"), ([1, 2, 3, 4, 5, 6, 7], "每天"), ([6, 7], "周六、周日"),
])
def test_days_are_said_plainly(days, said):
    assert handoff.days_text(days) == said


@pytest.mark.parametrize("text", ["社工晚上也上班吗", "我明天早上还在这等回复行吗", "周末有人回吗"])
def test_while_queued_a_question_about_the_hours_gets_the_configured_hours(text):
    turn = advance(waiting_state(office_hours=HOURS), text, "request_human", "handoff", 0.95)
    said = "\n".join(r.text for r in turn.replies)
    assert turn.capability == "handoff" and "周一到周五 09:00到18:00" in said and T.WAIT_STAY in said
    assert not any(e["type"] == "help_request" for e in turn.events)


def test_hours_nobody_configured_are_never_guessed():
    turn = advance(waiting_state(), "社工晚上也上班吗", "request_human", "handoff", 0.95)
    said = "\n".join(r.text for r in turn.replies)
    assert T.WAIT_HOURS_UNKNOWN in said and ":00" not in said


def test_after_hours_the_reply_says_when_workers_are_back():
    turn = advance(waiting_state(office_hours=HOURS, office_open=False, next_open="周一 09:00"), "社工晚上也上班吗",
                   "request_human", "handoff", 0.95)
    assert "周一 09:00上班后" in "\n".join(r.text for r in turn.replies)


@pytest.mark.parametrize("text", ["可以", "好的"])
def test_a_bare_yes_while_queued_is_noted_by_the_hand_off(text):
    turn = advance(waiting_state(), text, "affirm", "smalltalk", 1.0)
    assert turn.capability == "handoff" and turn.replies[0].text == T.WAIT_NOTED.format(ticket=7)
    assert not any(e["type"] == "help_request" for e in turn.events)  # one ticket is enough


@pytest.mark.parametrize(("text", "wants"), [
    ("社区能不能隔三差五来看看我", True), ("社工能上门来陪陪我不", True), ("社区活动来看看", False),
    ("不用社工来看我", False),
])
def test_a_visit_asked_for_is_a_request_for_a_person(text, wants):
    assert handoff.wants_person(text) is wants


def test_a_yes_right_after_the_offer_of_a_social_worker_asks_consent_then_opens():
    st = advance(None, "一个人住 孩子都不来 心里闷").state
    assert st["wellbeing"]["offered"]
    turn = advance(st, "行 那你帮我问问")
    assert turn.capability == "handoff" and turn.state["pending"]["type"] == "handoff_consent"
    assert not any(e["type"] == "help_request" for e in turn.events)  # nothing shared before the yes to that question
    turn = advance(turn.state, "可以", "affirm", "smalltalk", 1.0)
    assert [e for e in turn.events if e["type"] == "help_request"][0]["consent"] is True


def test_a_yes_two_messages_after_the_offer_is_no_request():
    st = advance(None, "一个人住 孩子都不来 心里闷").state
    st = advance(st, "你好", "greet", "smalltalk", 0.99).state
    turn = advance(st, "可以", "affirm", "smalltalk", 1.0)
    assert turn.capability != "handoff" and not turn.state.get("pending")


@pytest.mark.parametrize(("text", "intent"), [
    ("生意上的事你有啥建议没", "mk_strategy"), ("买菜的事你能帮我啥", "grocery_order"), ("你都会干啥", None),
])
def test_what_can_you_do_about_a_named_topic(text, intent):
    assert smalltalk.about_capability(text) == intent


@pytest.mark.parametrize(("text", "intent", "off"), [
    ("行 我回去改改", "nlu_fallback", True), ("好的我去试试", "affirm", True), ("好吧 心平气和 下回改进", "nlu_fallback", True),
    ("好的 去哪办", "affirm", False), ("好", "affirm", False), ("好的 下一步", "nav_next", False),
])
def test_signing_off_to_go_and_try(text, intent, off):
    turn = advance(new_state(), text, intent, "smalltalk", 0.9)
    assert (turn.replies[0].text == smalltalk.expectations("smalltalk")["SIGN_OFF_REPLY"]) is off


def test_a_topics_own_cue_words_make_a_follow_up():
    topic = {"questions": [{"cues": ["零星小额"], "answer": "问当地市场监管部门。"}]}
    assert topics.cued(topic, "一个月就卖几百块 算不算零星小额") and not topics.cued(topic, "怎么推广")


def say(engine, text):
    return engine.handle(IncomingMessage(user_id="u", text=text, channel="terminal"))


def test_licence_follow_ups_stay_on_the_licence_rules(make_engine):
    engine = make_engine()
    say(engine, "我在小区门口摆了个水果摊 想在美团上也挂着卖卖 要营业执照不")
    out = say(engine, "一个月就卖个几百块钱 算不算零星小额")  # the NLU is sure it is a marketing question
    assert out.capability == "policy" and "零星小额" in "\n".join(r.text for r in out.replies)
    out = say(engine, "他自家种的菜我帮着卖 也算我的吗")
    assert out.capability == "policy" and "自产" in "\n".join(r.text for r in out.replies)


def test_agreement_naming_what_one_button_names_presses_it():
    from dialogues.policy import named_button
    from nlu.training_data import Entity

    buttons = {"教我用兴盛优选": {"flow": "grocery_xingsheng"}, "菜单": {"nav": "nav_menu"}}
    labels = list(buttons)
    said = ParseResult("行 就学兴盛优选", "affirm", "smalltalk", 0.58, (Entity("platform", "兴盛优选", 3, 7, "兴盛优选"),))
    assert named_button(buttons, labels, said) == {"flow": "grocery_xingsheng"}
    assert named_button(buttons, labels, ParseResult("行", "affirm", "smalltalk", 1.0)) is None
    asked = ParseResult("兴盛优选收费吗", "followup_cost", "tool", 0.9, said.entities)
    assert named_button(buttons, labels, asked) is None  # a question about it is no agreement


def test_a_tutorial_named_by_its_own_words_is_found():
    from pathlib import Path

    from bot.flows import load_flows
    from dialogues.policy import make_context
    from dialogues.skills import tutorial

    flows = load_flows(Path(__file__).resolve().parents[1] / "dialogues" / "flows")
    ctx = make_context(flows, EmptyKB())
    assert tutorial.named_flow(ctx, "我想当个社区团长 拉个小区买菜群 从哪开始弄").id == "community_groupbuy_leader_tutorial"
    assert tutorial.named_flow(ctx, "怎么当团长", "mk_repeat_customers") is not None
    assert tutorial.named_flow(ctx, "怎么当团长", "mk_low_budget") is None
    assert tutorial.named_flow(ctx, "教我用多多买菜") is None


@pytest.mark.parametrize(("text", "customer"), [
    ("群里有人退群了 还让我把他登记的信息删了", True), ("顾客要我删他的电话 我必须删吗", True), ("删除我的信息", False),
])
def test_a_group_members_deletion_request_is_their_right_not_ours(text, customer):
    from dialogues.skills import privacy

    assert privacy.about_customer(text) is customer


def test_an_app_chosen_by_name_starts_its_tutorial(make_engine):
    engine = make_engine()
    out = say(engine, "我想用美团买菜 美团我点外卖用过的")
    assert out.capability == "teach" and "下一步" in [b for r in out.replies for b in r.buttons]
    out = say(engine, "美团有 也登着呢 地址也是现成的")  # installed, logged in, address: on to 闪购
    assert "闪购" in "\n".join(r.text for r in out.replies)


def test_a_city_after_the_apps_compared_gets_the_apps_there(make_engine):
    engine = make_engine()
    say(engine, "多多买菜跟小象超市哪个好啊 我都没用过")
    out = say(engine, "我在长沙")
    assert out.capability == "teach" and "兴盛优选在长沙有服务" in "\n".join(r.text for r in out.replies)
    out = say(engine, "那我用多多买菜吧 教我")  # a new question the NLU is sure of: that tutorial
    assert "下一步" in [b for r in out.replies for b in r.buttons]


def test_a_shop_question_about_the_law_gets_the_policy(make_engine):
    engine = make_engine()
    out = say(engine, "店里想搞个会员储值卡 充500送50那种 法律上有啥要注意的")
    assert out.capability == "policy" and "30天" in "\n".join(r.text for r in out.replies)
    out = say(engine, "刚才储值卡那个事 还有啥要注意的")
    assert out.capability == "policy" and "停止收预付款" in "\n".join(r.text for r in out.replies)


def test_a_verified_hotline_named_in_a_question_is_answered_as_that_hotline(make_engine):
    engine = make_engine()
    out = say(engine, "刚才有个96110打过来 我没敢接 是不是骗子")  # the NLU hears the anti-scam lesson
    said = "\n".join(r.text for r in out.replies)
    assert out.capability == "policy" and "一定要接听" in said and out.handoff is None


def test_after_where_customer_service_is_a_searched_number_and_the_way_in_the_app(make_engine):
    engine = make_engine()
    say(engine, "美团客服电话多少")
    out = say(engine, "我网上搜到一个400开头的 能打吗")
    assert out.capability == "policy" and "骗子" in "\n".join(r.text for r in out.replies)
    out = say(engine, "那我在APP里咋找客服")
    assert out.capability == "teach" and "我的" in "\n".join(r.text for r in out.replies)


def test_teach_me_when_one_button_starts_a_tutorial_presses_it():
    from dialogues.policy import named_button

    buttons = {"教我用多多买菜": {"flow": "grocery_duoduo"}, "菜单": {"nav": "nav_menu"}}
    asked = ParseResult("教我 从头说", "nlu_fallback", "out_of_scope", 0.4)
    assert named_button(buttons, list(buttons), asked, "教我 从头说") == {"flow": "grocery_duoduo"}
    two = {**buttons, "教我用盒马": {"flow": "grocery_hema"}}
    assert named_button(two, list(two), asked, "教我 从头说") is None  # which one? not guessed
    assert named_button(buttons, list(buttons), asked, "你教的我没听懂") is None


def test_a_report_that_something_is_there_too_is_progress():
    from pathlib import Path

    from bot.flows import load_flows
    from dialogues.skills.tutorial import reading

    flows = load_flows(Path(__file__).resolve().parents[1] / "dialogues" / "flows")
    duoduo = flows["grocery_duoduo"]
    read = reading.read(duoduo, 0, "装了 登了 自提点也有")
    assert reading.reached(read, 0) == duoduo.step_index("find_goods")


def test_how_to_open_a_named_shop_platform_starts_the_shop_tutorial(make_engine):
    engine = make_engine()
    out = say(engine, "抖店怎么开啊 我卖自己做的辣椒酱和腊肉 老顾客都催我上网卖 不知道从哪下手")  # an NLU fallback
    assert out.capability == "teach" and "第1步" in "\n".join(r.text for r in out.replies)
