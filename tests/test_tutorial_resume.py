"""Going back to a paused tutorial after any interruption (issue 13): 接着学吧 / 刚才学到哪了 shows the
step that was left, and 下一步 then goes on, whether the interruption was an urgent episode, a talk
about loneliness, a safety check or an answer about something else.

The pure tests hand the dialogue a parse made by hand (the model's guesses change as it is
retrained); one engine test uses the project's model for a policy question in the middle.
"""

from __future__ import annotations

import pytest

from bot.flows import load_flows
from bot.models import IncomingMessage
from dialogues import texts as T
from dialogues.manager import DialogueManager, new_state
from dialogues.skills import tutorial
from dialogues.skills.urgent.episodes import default_episodes, load_episodes
from dialogues.state import in_episode
from tests.test_manager import EmptyKB
from tests.test_urgent_episodes import Chat

FLOW = "grocery_duoduo"
LEFT = 1  # the step the person was on (第2步, the login step) when the interruption came


@pytest.fixture(scope="module")
def manager(settings, pipeline) -> DialogueManager:
    flows = load_flows(settings.flows_dir, set(pipeline.capabilities))
    return DialogueManager(flows, EmptyKB(), 2, urgent_episode_turns=8, urgent_episode_minutes=60,
                           urgent_check_below=float(settings.dialogue["urgent_check_below"]))


def learning(manager: DialogueManager) -> Chat:
    """Someone on step 2 of the 多多买菜 tutorial."""
    state = new_state()
    state["flow"], state["step"], state["turns"] = FLOW, LEFT, 2
    state["topic"] = {"intent": "grocery_order", "flow": FLOW}
    assert FLOW in manager.flows
    return Chat(manager, state)


def step_text(manager: DialogueManager, index: int) -> str:
    return f"第{index + 1}步（共{len(manager.flows[FLOW].steps)}步）"


def assert_back_at_the_step_left(manager: DialogueManager, chat: Chat, turn) -> None:
    assert turn.capability == "teach" and turn.skill == "tutorial"
    assert chat.state["flow"] == FLOW and chat.state["step"] == LEFT and not chat.state["paused"]
    assert step_text(manager, LEFT) in turn.text and "下一步" in turn.replies[-1].buttons


def assert_goes_on(manager: DialogueManager, chat: Chat) -> None:
    nxt = chat.say("下一步", "nav_next", 0.97)
    assert nxt.capability == "teach" and chat.state["step"] == LEFT + 1 and step_text(manager, LEFT + 1) in nxt.text


@pytest.mark.parametrize(("text", "asks"), [
    ("那接着学吧 刚才学到哪了", True), ("算了 接着学吧", True), ("好 继续教我", True), ("刚才教到哪一步了", True),
    ("咱们回到刚才的教程", True), ("接着往下学", True),
    ("不想接着学了", False), ("今天学不动了", False), ("别教了", False), ("下一步", False), ("继续", False),
    ("学这个干啥", False),
])
def test_words_that_ask_to_go_on_learning(text, asks):
    assert tutorial.said_resume(text) is asks


# ---- an urgent episode ------------------------------------------------------------------------

def test_inside_an_episode_going_on_learning_gets_the_step_left_and_a_hotline_line(manager):
    chat = learning(manager)
    alarm = chat.say("有人冒充客服要我的验证码", "urgent_scam")
    assert alarm.urgent and chat.state["flow"] is None and chat.state["paused"]["step"] == LEFT
    chat.say("我没告诉他 挂了", "nlu_fallback", 0.3, "out_of_scope")
    back = chat.say("那接着学吧 刚才学到哪了", "nav_next", 0.6)
    assert_back_at_the_step_left(manager, chat, back)
    kind = default_episodes().kinds["scam"]
    assert back.replies[0].text == kind.resume.format(hotline=kind.hotline) and "96110" in back.text
    assert in_episode(chat.state) and not back.urgent  # the episode stays open; no second ticket
    assert_goes_on(manager, chat)
    # A message about the scam is still the episode's, tutorial or not.
    threat = chat.say("他又打来说要保密 不然抓我", "nlu_fallback", 0.3, "out_of_scope")
    assert threat.capability == "urgent" and "保密" in threat.text
    assert chat.say("他又打来了", "nlu_fallback", 0.3, "out_of_scope").capability == "urgent"


def test_inside_an_episode_a_bare_next_stays_with_the_episode(manager):
    chat = learning(manager)
    chat.say("我老伴突然晕倒了 叫不醒", "urgent_medical")
    nxt = chat.say("下一步", "nav_next", 0.97)
    assert nxt.capability == "urgent" and "120" in nxt.text and chat.state["flow"] is None
    assert step_text(manager, LEFT) not in nxt.text


def test_going_on_learning_with_news_of_the_emergency_gets_the_guidance_first(manager):
    chat = learning(manager)
    chat.say("有人冒充客服要我的验证码", "urgent_scam")
    news = chat.say("他让我保密 接着学吧", "nlu_fallback", 0.3, "out_of_scope")
    assert news.capability == "urgent" and chat.state["flow"] is None  # the kind's own cue comes first


def test_a_tutorial_started_inside_an_episode_is_walked_by_next(manager):
    chat = Chat(manager)
    chat.say("有人冒充客服要我的验证码", "urgent_scam")
    chat.state["slots"]["platform"] = "多多买菜"  # as the NLU's entity would fill it
    assert chat.say("教我用多多买菜", "grocery_order", 0.95, "teach").capability == "teach"
    assert chat.state["flow"] == FLOW and chat.state["step"] == 0
    nxt = chat.say("下一步", "nav_next", 0.97)
    assert nxt.capability == "teach" and chat.state["step"] == 1 and in_episode(chat.state)


def test_after_an_episode_is_over_going_on_learning_gets_the_step_left(manager):
    chat = learning(manager)
    chat.say("我家老人走丢了", "urgent_missing")
    chat.say("找到了 在邻居家", "nlu_fallback", 0.3, "out_of_scope")
    assert chat.state["episode"]["over_turn"] is not None
    assert_back_at_the_step_left(manager, chat, chat.say("接着学吧", "nav_next", 0.8))
    assert_goes_on(manager, chat)


def test_every_kind_has_a_line_for_going_back_to_learning_with_its_hotline():
    book = default_episodes()
    for kind in book.kinds.values():
        assert kind.hotline in kind.resume.format(hotline=kind.hotline), kind.name
    assert book.kinds["missing"].resume == book.resume  # no line of its own: the default one


def test_a_bad_resume_line_is_refused(tmp_path):
    from dialogues.cues import CueError

    path = tmp_path / "episodes.yml"
    path.write_text("resume: '打 {number}'\nkinds: {medical: {intents: [urgent_medical], hotline: '120', check: x, "
                    "again: y}}\n", encoding="utf-8")
    with pytest.raises(CueError, match="resume: unknown placeholder"):
        load_episodes(path)


# ---- loneliness, a safety check, an answer about something else -------------------------------

def test_after_a_talk_about_loneliness_giving_up_the_talk_is_no_giving_up_the_tutorial(manager):
    chat = learning(manager)
    sigh = chat.say("哎 学这个干啥 反正也没人跟我一块吃饭", "nlu_fallback", 0.3, "out_of_scope")
    assert sigh.capability == "smalltalk" and chat.state["paused"]["flow"] == FLOW
    chat.say("老伴走了以后 家里就剩我一个", "nlu_fallback", 0.3, "out_of_scope")
    back = chat.say("算了 接着学吧", "nav_next", 0.7)
    assert_back_at_the_step_left(manager, chat, back)
    assert back.text != T.OK_REPLY
    assert_goes_on(manager, chat)


def test_a_safe_answer_that_asks_to_go_on_learning_gets_the_step_too(manager):
    chat = learning(manager)
    asked = chat.say("半夜睡不着 心里难受得很", "urgent_self_harm", 0.38)  # a mood and a weak guess: the check
    assert "您现在安全吗" in asked.text and not asked.urgent and chat.state["paused"]["flow"] == FLOW
    back = chat.say("好 接着学吧", "nav_next", 0.7)
    assert T.SAFETY_OK in back.text and not back.urgent
    assert_back_at_the_step_left(manager, chat, back)


@pytest.mark.parametrize("text", ["算了 接着学吧", "刚才学到哪了"])
def test_the_resume_offer_is_taken_by_asking_to_go_on_learning(manager, text):
    chat = learning(manager)
    st = chat.state
    st["paused"], st["flow"] = {"flow": FLOW, "step": LEFT, "offers": 1}, None  # as after a policy answer
    st["pending"] = {"type": "resume"}
    assert_back_at_the_step_left(manager, chat, chat.say(text, "nlu_fallback", 0.3, "out_of_scope"))


def test_declining_the_tutorial_still_drops_it(manager):
    chat = learning(manager)
    st = chat.state
    st["paused"], st["flow"], st["pending"] = {"flow": FLOW, "step": LEFT, "offers": 1}, None, {"type": "resume"}
    chat.say("不想接着学了", "deny", 0.9)
    assert chat.state["flow"] is None and not chat.state["paused"]


def test_another_tutorial_named_surely_starts_that_one(manager):
    chat = learning(manager)
    chat.say("一个人住 心里闷", "nlu_fallback", 0.3, "out_of_scope")
    other = chat.say("接着学防骗吧", "scam_prevention", 0.93, "teach")
    assert chat.state["flow"] != FLOW and other.capability == "teach"


def test_after_a_policy_answer_going_on_learning_gets_the_step_left(make_engine):
    engine = make_engine()

    def say(text):
        out = engine.handle(IncomingMessage(channel="cli", chat_id="r1", user_id="r1", text=text))
        return out, "\n".join(r.text for r in out.replies)

    say("教我用多多买菜")
    _, step2 = say("下一步")
    out, said = say("小规模纳税人一个月卖多少以内不用交增值税")
    assert out.capability == "policy" and "第2步吗" in said
    out, said = say("算了 接着学吧")
    assert out.capability == "teach" and step2.split("：")[0] in said
    out, said = say("下一步")
    assert out.capability == "teach" and "第3步" in said
