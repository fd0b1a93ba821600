"""The state reads an urgent guess first (issue 13, items 1, 5 and 6).

A classifier-only urgent guess (no urgent rule fires) that the state expects (a report on the
tutorial step, a whole answer to the pending question, loneliness or grief) is answered so and
followed by the safety check; a guess a rule backs, words of danger, or nothing the state expects
alarm at once. Parses are given by hand (the model's guesses change as it is retrained).
"""

from __future__ import annotations

import pytest

from bot.flows import load_flows
from dialogues import texts as T
from dialogues.cues import CueError
from dialogues.manager import new_state
from dialogues.skills import wellbeing
from dialogues.skills.urgent import check
from tests.test_urgent_episodes import Chat, manager  # noqa: F401  (the fixture)


@pytest.fixture(scope="module")
def flows(settings, pipeline):
    return load_flows(settings.flows_dir, set(pipeline.capabilities))


def in_tutorial(manager, flow_id: str, step_id: str) -> Chat:  # noqa: F811
    st = new_state()
    st.update(flow=flow_id, step=manager.flows[flow_id].step_index(step_id), turns=3)
    return Chat(manager, st)


def checked(turn) -> bool:
    return any(T.SAFETY_CHECK.split("\n")[0] in r.text for r in turn.replies)


# ---- the tutorial step -----------------------------------------------------------------------

@pytest.mark.parametrize("flow_id, step_id, text", [
    ("grocery_xiaoxiang", "address", "写好了 也点了保存"),  # a bare done in the step's own words
    ("grocery_hema", "get_app", "这个我晓得的 早就装好了 也登进去了"),  # steps named by their cues
])
def test_a_step_report_fits_the_tutorial(flows, flow_id, step_id, text):
    flow = flows[flow_id]
    assert check.fits_step(flow, flow.step_index(step_id), text)


@pytest.mark.parametrize("text", [
    "我把后事都安排好了 跟你说一声",  # a done, but not the step's
    "有人进我家了",
    "写好了",  # nothing names the step
    "那个我就是想问一下手机上的字怎么调大一点然后也没关系了反正我用不了多久了",  # a long run-on
])
def test_other_reports_do_not_fit_the_tutorial(flows, text):
    flow = flows["grocery_xiaoxiang"]
    assert not any(check.fits_step(flow, i, text) for i in range(len(flow.steps)))


def test_a_step_report_read_as_self_harm_moves_the_tutorial_on_and_asks_the_check(manager):  # noqa: F811
    chat = in_tutorial(manager, "grocery_xiaoxiang", "address")
    turn = chat.say("写好了 也点了保存", "urgent_self_harm", 0.93)
    assert not turn.urgent and turn.capability == "teach" and checked(turn)
    assert chat.state["flow"] == "grocery_xiaoxiang" and chat.state["step"] == 3  # on to find_goods
    assert "12356" in turn.text  # the hotline line of the guessed kind
    unsafe = chat.say("不安全")
    assert unsafe.urgent and unsafe.capability == "urgent"


def test_a_safe_answer_keeps_the_tutorial(manager):  # noqa: F811
    chat = in_tutorial(manager, "grocery_xiaoxiang", "address")
    chat.say("写好了 也点了保存", "urgent_self_harm", 0.93)
    safe = chat.say("我很安全")
    assert not safe.urgent and T.SAFETY_OK in safe.text
    nxt = chat.say("下一步", "nav_next", 1.0, "smalltalk")
    assert nxt.capability == "teach" and not nxt.urgent


def test_the_same_words_with_no_tutorial_still_alarm(manager):  # noqa: F811
    assert Chat(manager).say("写好了 也点了保存", "urgent_self_harm", 0.93).urgent


@pytest.mark.parametrize("text, intent", [
    ("装好了 不想活了", "urgent_self_harm"),  # words of danger (and a rule)
    ("装好了 钱也转过去了 他说是安全账户", "urgent_scam"),
    ("登进去了 我在楼顶", "urgent_self_harm"),
])
def test_danger_beside_a_step_report_alarms_at_once(manager, text, intent):  # noqa: F811
    chat = in_tutorial(manager, "grocery_hema", "login")
    turn = chat.say(text, intent, 0.9)
    assert turn.urgent and not checked(turn)


# ---- a pending question --------------------------------------------------------------------

def test_a_yes_to_the_pending_deletion_is_answered_by_the_question(manager):  # noqa: F811
    st = new_state()
    st.update(pending={"type": "confirm_delete"}, turns=4)
    turn = Chat(manager, st).say("中 删 俺想好了", "urgent_self_harm", 0.62)
    assert not turn.urgent and turn.skill == "privacy" and checked(turn)


@pytest.mark.parametrize("text, fits", [
    ("中 删 俺想好了", True), ("不用了", True), ("确定 我决定了", True),
    ("我想好了 就这几天", False), ("删吧 反正我也用不了多久了", False),
])
def test_a_whole_answer_is_only_yes_no_and_decided_words(text, fits):
    assert check.answers_question(text) is fits


# ---- loneliness, grief and worry -------------------------------------------------------------

def test_grief_read_as_self_harm_gets_the_warm_reply_and_the_check(manager):  # noqa: F811
    turn = Chat(manager).say("老伴走了半年了 店还开着 就是没啥心思", "urgent_self_harm", 0.97)
    assert not turn.urgent and turn.capability == "smalltalk" and checked(turn)
    assert "12356" in turn.text and "社工" in turn.text


@pytest.mark.parametrize("text", [
    "我想去找我老伴了 他在那边等我",
    "老伴走了以后我一个人活着也没啥意思了",
    "我一个人在家 突然站不起来了 腿没知觉",
    "谁都嫌我烦 我还不如消失了算了",
])
def test_despair_or_danger_beside_a_mood_alarms(manager, text):  # noqa: F811
    assert Chat(manager).say(text, "urgent_self_harm", 0.9).urgent


@pytest.mark.parametrize("text, words, never", [
    ("闺女去外地念书了 今天一天没回俺微信 俺老惦记着", "回个话", "120"),
    ("体检说血压有点高 医生讲不要紧 可我这心里老犯嘀咕", "报个平安", "120"),
])
def test_worry_read_as_out_of_scope_gets_the_warm_reply(manager, text, words, never):  # noqa: F811
    turn = Chat(manager).say(text, "out_of_scope", 1.0, "out_of_scope")
    assert turn.capability == "smalltalk" and words in turn.text and never not in turn.text
    assert "营销" not in turn.text


def test_blaming_oneself_is_no_complaint_about_the_bot(manager):  # noqa: F811
    turn = Chat(manager).say("你说人老了咋这么没用 连个手机都玩不转", "complain_bot", 0.65, "handoff")
    assert turn.capability == "smalltalk" and "慢慢教您" in turn.text and not turn.events


def test_a_complaint_about_the_bot_is_still_one(manager):  # noqa: F811
    turn = Chat(manager).say("你说的都没用", "complain_bot", 1.0, "handoff")
    assert turn.capability == "handoff"


def test_someone_to_talk_to_beside_loneliness_is_the_moods(manager):  # noqa: F811
    lonely = Chat(manager).say("我一个人在家看电视也没意思想找个人说说话", "out_of_scope", 1.0, "out_of_scope")
    assert lonely.capability == "smalltalk" and "找社工" in [str(b) for r in lonely.replies for b in r.buttons]
    named = Chat(manager).say("你们那有社工能陪俺说说话不", "request_human", 1.0, "handoff")
    assert named.capability == "handoff"


def test_next_after_the_which_app_question_starts_the_general_tutorial(manager):  # noqa: F811
    chat = Chat(manager)
    chat.say("那你教我用手机买个菜 也算学点东西", "grocery_order", 1.0, "teach")
    assert (chat.state["pending"] or {}).get("type") == "choose_platform"
    nxt = chat.say("下一步", "nav_next", 1.0, "smalltalk")
    assert nxt.capability == "teach" and chat.state["flow"] == "grocery_general"


def test_a_self_blame_mood_must_be_a_mood(tmp_path):
    path = tmp_path / "wellbeing.yml"
    path.write_text("self_blame: [nobody]\nmoods:\n  - {name: sad, when: ['难过'], say: 嗯}\notherwise: 嗯\n",
                    encoding="utf-8")
    with pytest.raises(CueError, match="self_blame"):
        wellbeing.load_moods(path)


def test_words_of_danger_stop_the_weak_path_too(manager):  # noqa: F811
    """A weak guess in a calm tutorial is checked, not alarmed, unless it holds words of danger."""
    calm = in_tutorial(manager, "grocery_xiaoxiang", "address").say("血亏也得清啊 不然全砸手里了", "urgent_medical", 0.45)
    assert not calm.urgent and checked(calm)
    danger = in_tutorial(manager, "grocery_xiaoxiang", "address").say("我妈刚才摔倒了 这会儿不吭声", "urgent_medical", 0.45)
    assert danger.urgent and not checked(danger)


@pytest.mark.parametrize("said, dangerous", [
    ("我死在屋里都没人知道", True), ("钱转过去了", True), ("楼顶风大", True),
    ("累死了", False), ("西瓜砸手里了", False), ("有人在评论里骂我", False), ("看电视也没意思", False),
])
def test_danger_words_are_specific(said, dangerous):
    assert check.dangerous(said) is dangerous
