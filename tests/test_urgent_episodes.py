"""Urgent episodes, the safety check and worries without danger (issue 13, items 4-6).

The parses are given by hand (the model's guesses change as it is retrained), so these tests
check the dialogue: an alarm opens an episode of its kind, the messages after it get that
kind's guidance until the person says it is over, prevention afterwards never raises the alarm
again, a weak guess no rule backs in a calm conversation gets a safety check, and loneliness
gets a warm answer. The content files are checked too: a bad one is refused with a clear error.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.models import IncomingMessage
from dialogues import texts as T
from dialogues.cues import CueError, plain_text
from bot.flows import load_flows
from dialogues.manager import DialogueManager, new_state
from dialogues.skills import wellbeing
from dialogues.skills.urgent import check
from dialogues.skills.urgent.episodes import default_episodes, load_episodes
from dialogues.state import in_episode
from nlu.result import ParseResult
from tests.test_manager import EmptyKB

KINDS = ("medical", "scam", "self_harm", "missing", "abuse", "danger")


def parse(text: str, intent: str, confidence: float = 1.0, capability: str = "") -> ParseResult:
    cap = capability or ("urgent" if intent.startswith("urgent_") else "smalltalk")
    return ParseResult(text, intent, cap, confidence, (), ((intent, confidence, cap),))


@pytest.fixture(scope="module")
def manager(settings, pipeline) -> DialogueManager:
    flows = load_flows(settings.flows_dir, set(pipeline.capabilities))
    return DialogueManager(flows, EmptyKB(), 2, urgent_episode_turns=3, urgent_episode_minutes=60,
                           urgent_check_below=float(settings.dialogue["urgent_check_below"]))  # the configured one


class Chat:
    """One person talking to the manager: each message with the parse the test gives it."""

    def __init__(self, manager: DialogueManager, state=None):
        self.manager, self.state = manager, state

    def say(self, text: str, intent: str = "out_of_scope", confidence: float = 1.0, capability: str = ""):
        turn = self.manager.advance(self.state, parse(text, intent, confidence, capability), text)
        self.state = turn.state
        turn.text = "\n".join(r.text for r in turn.replies)
        turn.urgent = [e for e in turn.events if e["type"] == "help_request" and e["priority"] == "urgent"]
        return turn


# ---- the content files ---------------------------------------------------------------------

def test_every_urgent_intent_opens_a_kind_and_every_button_names_a_tutorial(settings, pipeline):
    book = default_episodes()
    assert set(book.kinds) == set(KINDS)
    urgent_intents = {i for i, cap in pipeline.capabilities.items() if cap == "urgent"}
    assert urgent_intents and all(book.of_intent(i) is not None for i in urgent_intents)
    flows = load_flows(settings.flows_dir, set(pipeline.capabilities))
    assert book.flows() and book.flows() <= set(flows)
    for kind in book.kinds.values():
        assert kind.cues and kind.hotline in "110 119 120 96110 12356 12338".split()
        assert any(c.ends for c in kind.cues), f"{kind.name}: nothing says the episode is over"


def test_hotlines_in_the_content_are_the_verified_ones():
    """Every number said inside an episode or to a lonely person is in facts.md §2 (12110 and 12348,
    only partly verified there, with their caveats)."""
    import re

    allowed = {"110", "119", "120", "96110", "12356", "12338", "12110", "12348"}
    for name in ("episodes.yml", "wellbeing.yml"):
        text = (Path(__file__).resolve().parents[1] / "dialogues" / name).read_text(encoding="utf-8")
        said = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
        numbers = set(re.findall(r"(?<![0-9])[0-9]{3,5}(?![0-9])", said))
        assert numbers <= allowed, numbers - allowed
        if "12110" in said:
            assert said.count("12110") == said.count("看当地有没有开通")
        for line in said.splitlines():
            assert "12348" not in line or "以当地为准" in line, line


@pytest.mark.parametrize("bad, message", [
    ("kinds: {medical: {intents: [urgent_medical], hotline: '120', check: x, again: y, cues: "
     "[{name: c, when: ['('], say: z}]}}", "cue 'c' when: pattern '(' is invalid"),
    ("kinds: {medical: {intents: [urgent_medical], hotline: '120', check: x, again: y, cues: "
     "[{name: c, when: [a], say: z, switch: fire}]}}", "switch 'fire' is not a known kind"),
    ("kinds: {medical: {intents: [urgent_medical], hotline: '120', check: x, again: y, cues: "
     "[{name: c, when: [a], say: '打 {number}'}]}}", "unknown placeholder(s) ['number']"),
    ("kinds: {medical: {intents: [urgent_medical], hotline: '120', check: x, again: y, cues: "
     "[{name: c, when: [a], say: z, buttons: [{label: b, flow: f, intent: i}]}]}}", "exactly one of 'flow' or 'intent'"),
    ("kinds: {medical: {intents: [medical], hotline: '120', check: x, again: y}}", "'intents' must list urgent intents"),
    ("kinds: {medical: {intents: [urgent_medical], hotline: '120', check: x, again: y, cues: "
     "[{name: c, when: [a], say: z, sey: w}]}}", "cue 'c': unknown key(s) ['sey']"),
])
def test_a_bad_episodes_file_is_refused_with_the_place(tmp_path, bad, message):
    path = tmp_path / "episodes.yml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(CueError) as err:
        load_episodes(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_a_bad_wellbeing_file_is_refused(tmp_path):
    path = tmp_path / "wellbeing.yml"
    path.write_text("moods: [{name: sad, when: ['[x'], say: y}]\notherwise: z\n", encoding="utf-8")
    with pytest.raises(CueError, match="moods cue 'sad' when"):
        wellbeing.load_moods(path)
    assert wellbeing.default_moods().moods


def test_the_texts_are_stored_as_said():
    """Hotlines next to 验证码 (96110) are no code to mask: the transcript keeps the bot's words."""
    from bot.privacy import mask

    book, moods = default_episodes(), wellbeing.default_moods()
    texts = [t for k in book.kinds.values() for t in (k.again, k.check, k.resume.format(hotline=k.hotline))]
    texts += [c.say.format(hotline=k.hotline) for k in book.kinds.values() for c in k.cues + k.after + book.common]
    texts += [c.say for c in moods.moods + moods.followups] + [moods.otherwise, T.SAFETY_OK, T.SAFETY_CHECK]
    assert len(texts) > 60 and [t for t in texts if mask(t) != t] == []


def test_cues_read_the_words_as_the_nlu_does():
    assert plain_text("我 掛了 然後呢") == "我挂了然后呢"


# ---- episodes ------------------------------------------------------------------------------

def test_a_medical_episode_keeps_to_its_kind_until_the_ambulance_comes(manager):
    chat = Chat(manager)
    first = chat.say("我家老头子胸口疼得厉害 喘不上气", "urgent_medical")
    assert first.urgent and "120" in first.text and chat.state["episode"]["kind"] == "medical"
    # The classifier guesses another kind; inside the episode it is read as the medical one.
    waiting = chat.say("救护车叫了 现在做什么", "urgent_scam", 0.56)
    assert waiting.capability == "urgent" and "楼下" in waiting.text and "96110" not in waiting.text
    assert not waiting.urgent  # the ticket is open already: no second alarm
    refuses = chat.say("他不肯去医院 说躺一会儿就好了")
    assert refuses.capability == "urgent" and "120" in refuses.text
    drink = chat.say("能给他喝点水不")
    assert "医生" in drink.text
    arrived = chat.say("车到了 我跟着上车了", "urgent_self_harm", 0.36)
    assert arrived.capability == "urgent" and "社工" in arrived.text and not arrived.urgent
    assert chat.state["episode"]["over_turn"] == chat.state["turns"]


def test_after_a_missing_person_is_found_prevention_is_help_not_an_alarm(manager):
    chat = Chat(manager)
    assert chat.say("我家老爷子出去买菜到现在都没回来", "urgent_missing").urgent
    reported = chat.say("已经报警了 还能做什么", "bot_capabilities", 0.7)
    assert reported.capability == "urgent" and "物业" in reported.text and "监控" in reported.text
    found = chat.say("找到了 人没事", "urgent_missing", 0.49)
    assert "太好了" in found.text and not found.urgent
    prevention = chat.say("以后怎么防止他再走丢", "urgent_missing", 0.96)
    assert prevention.capability == "teach" and not prevention.urgent and "联系卡" in prevention.text


def test_scam_prevention_inside_the_episode_offers_the_tutorial(manager):
    chat = Chat(manager)
    chat.say("有人让我把钱转到安全账户", "urgent_scam")
    hung_up = chat.say("我挂了 然后呢", "nav_next")
    assert hung_up.capability == "urgent" and "银行" in hung_up.text and "证据" in hung_up.text
    lesson = chat.say("以后再接到这种电话咋分辨", "scam_prevention", 0.98, "teach")
    assert lesson.capability == "teach" and "96110" in lesson.text
    assert "网上买菜防骗" in lesson.replies[-1].buttons
    assert chat.say("网上买菜防骗").capability != "urgent"  # the button starts the lesson


def test_asking_for_company_in_a_self_harm_episode_is_an_urgent_handoff(manager):
    chat = Chat(manager)
    chat.say("活着真没意思 想跳下去", "urgent_self_harm")
    company = chat.say("能找个人陪我聊聊吗", "request_human", capability="handoff")
    assert company.capability == "urgent" and company.urgent and "社工" in company.text
    assert T.CONSENT_ASK not in company.text  # no consent question: urgent is the exception


def test_a_rule_backed_alarm_of_another_kind_opens_a_new_episode(manager):
    chat = Chat(manager)
    chat.say("楼道里着火了 全是烟", "urgent_danger")
    text = "我老伴吸了烟 咳得厉害 喘不上气"
    assert check.rule_fired(parse(text, "urgent_medical"), text)
    cough = chat.say(text, "urgent_medical")
    assert cough.urgent and "120" in cough.text and chat.state["episode"]["kind"] == "medical"


def test_a_cue_can_turn_the_episode_into_another_kind(manager):
    chat = Chat(manager)
    chat.say("她把一瓶安眠药都吃了 说不想活了", "urgent_self_harm")
    drowsy = chat.say("她现在迷迷糊糊的 叫她也不怎么应")
    assert "120" in drowsy.text and chat.state["episode"]["kind"] == "medical"
    assert "药瓶" in chat.say("药瓶要带上不").text


def test_an_episode_lapses_after_the_configured_turns_or_time(manager):
    chat = Chat(manager)
    chat.say("有人在撬我家门", "urgent_danger")
    for _ in range(3):
        assert chat.say("这个那个吧", "nlu_fallback", 0.3, "out_of_scope").capability == "urgent"
    assert chat.say("这个那个吧", "nlu_fallback", 0.3, "out_of_scope").capability == "out_of_scope"
    chat = Chat(manager)
    chat.say("有人在撬我家门", "urgent_danger")
    assert in_episode(chat.state)
    chat.state["episode"]["until"] = 0  # the configured minutes have passed
    assert not in_episode(chat.state)
    assert chat.say("这个那个吧", "nlu_fallback", 0.3, "out_of_scope").capability == "out_of_scope"


def test_a_confident_other_request_inside_an_episode_is_answered_as_usual(manager):
    chat = Chat(manager)
    chat.say("有人在撬我家门", "urgent_danger")
    learn = chat.say("教我用多多买菜", "grocery_order", 0.95, "teach")
    assert learn.capability == "teach" and chat.state["episode"]["over_turn"] is None


def test_a_correction_right_after_the_alarm_drops_the_episode(manager):
    chat = Chat(manager)
    chat.say("有人在拧我家门锁", "urgent_danger")
    sorry = chat.say("不是 我说错了 是我孙子回来了", "deny", 0.92)
    assert {"type": "not_urgent"} in sorry.events and sorry.capability == "urgent"
    assert "episode" not in chat.state


# ---- the safety check ----------------------------------------------------------------------

def calm_chat(manager: DialogueManager) -> Chat:
    state = new_state()
    state["topic"] = {"intent": "mk_copywriting_help"}
    return Chat(manager, state)


WEAK = "血亏也得清啊 不然全砸手里了"  # no urgent rule fires on it


def test_a_weak_guess_in_a_calm_topic_asks_instead_of_alarming(manager):
    assert not check.rule_fired(parse(WEAK, "urgent_medical", 0.45), WEAK)
    chat = calm_chat(manager)
    asked = chat.say(WEAK, "urgent_medical", 0.45)
    assert not asked.urgent and "您现在安全吗" in asked.text and "120" in asked.text
    assert asked.replies[-1].buttons == (T.SAFETY_YES, T.SAFETY_NO)
    assert "episode" not in chat.state and "您是不是想问" not in asked.text  # no calmer reading: only the question
    unsafe = chat.say(T.SAFETY_NO)
    assert unsafe.urgent and "120" in unsafe.text and chat.state["episode"]["kind"] == "medical"


def test_the_calm_reading_answers_before_the_question(manager):
    chat = calm_chat(manager)
    guess = ParseResult(WEAK, "urgent_medical", "urgent", 0.45, (),
                        (("urgent_medical", 0.45, "urgent"), ("mk_copywriting_help", 0.42, "marketing")))
    turn = manager.advance(chat.state, guess, WEAK)
    assert turn.capability == "marketing" and not turn.events
    assert "您现在安全吗" in turn.replies[-1].text and len(turn.replies) > 1


def test_a_safe_answer_is_thanked_and_not_asked_again_at_once(manager):
    chat = calm_chat(manager)
    chat.say(WEAK, "urgent_medical", 0.45)
    safe = chat.say("没事 我很安全")
    assert not safe.urgent and safe.text == T.SAFETY_OK
    again = chat.say(WEAK, "urgent_medical", 0.45)
    assert not again.urgent and "您现在安全吗" not in again.text


def test_a_typed_unsafe_answer_raises_the_alarm(manager):
    chat = calm_chat(manager)
    chat.say(WEAK, "urgent_medical", 0.45)
    assert chat.say("不安全 快来人").urgent


@pytest.mark.parametrize("state_of, confidence", [
    (lambda m: Chat(m), 0.45),            # no calm conversation around it
    (calm_chat, 0.9),                      # a confident guess
])
def test_alarms_the_calm_does_not_outweigh(manager, state_of, confidence):
    assert state_of(manager).say(WEAK, "urgent_medical", confidence).urgent


def test_a_rule_backed_weak_guess_alarms_at_once(manager):
    text = "我妈摔倒了 起不来"
    assert check.rule_fired(parse(text, "urgent_medical", 0.45), text)
    assert calm_chat(manager).say(text, "urgent_medical", 0.45).urgent


# ---- loneliness and worry ------------------------------------------------------------------

def test_loneliness_read_as_a_shop_question_gets_a_warm_answer(manager):
    chat = Chat(manager)
    lonely = chat.say("一个人住 孩子都不来 心里闷", "mk_no_staff", 0.65, "marketing")
    assert lonely.capability == "smalltalk" and "社工" in lonely.text and "推广" not in lonely.text
    assert T.HUMAN in lonely.replies[-1].buttons and not lonely.events
    activities = chat.say("社区里有啥老年人的活动不", "nlu_fallback", 0.4, "out_of_scope")
    assert "社区" in activities.text and activities.capability == "smalltalk"


def test_sadness_gets_12356_and_a_weak_urgent_guess_a_safety_check(manager):
    chat = Chat(manager)
    sad = chat.say("半夜睡不着 心里难受得很", "urgent_self_harm", 0.38)
    assert "12356" in sad.text and not sad.urgent and "您现在安全吗" in sad.text


def test_words_of_danger_are_never_a_mood(manager):
    assert wellbeing.mood(None, new_state(), "心里闷 不想活了") is None
    chat = Chat(manager)
    assert chat.say("心里闷得慌 不想活了", "urgent_self_harm", 0.45).urgent


def test_a_concrete_request_is_not_taken_for_a_mood(manager):
    chat = Chat(manager)
    learn = chat.say("以前都是他拿手机买菜 我啥也不会 心里难受", "grocery_order", 0.99, "teach")
    assert learn.capability == "teach"


# ---- through the engine --------------------------------------------------------------------

def test_asking_for_a_person_inside_an_episode_reaches_the_dialogue(make_engine):
    """The engine's "already waiting" shortcut does not take a request for company from the episode."""
    engine = make_engine()
    first = engine.handle(IncomingMessage(user_id="u1", text="活着真没意思 今晚想从楼顶跳下去算了", channel="terminal"))
    assert first.capability == "urgent" and first.handoff["priority"] == "urgent"
    company = engine.handle(IncomingMessage(user_id="u1", text="能找个人陪我聊聊吗", channel="terminal"))
    assert company.capability == "urgent" and company.handoff["priority"] == "urgent"
    assert any("社工" in r.text for r in company.replies)


# ---- recall, at the level of the dialogue ----------------------------------------------------

def urgent_messages() -> list[str]:
    """The urgent messages of both urgent sets and the QA rounds' must-fire list."""
    import json

    root = Path(__file__).resolve().parents[1]
    texts = [x.strip() for x in (root / "tests" / "data" / "urgent_must_fire.txt").read_text(encoding="utf-8")
             .splitlines() if x.strip()]
    for name in ("urgent_eval.jsonl", "urgent_eval_blind.jsonl"):
        rows = [json.loads(x) for x in (root / "bench" / name).read_text(encoding="utf-8").splitlines() if x.strip()]
        texts += [r["text"] for r in rows if r["urgent"]]
    return texts


def test_every_urgent_message_alarms_at_once_even_in_a_calm_tutorial(manager, pipeline):
    """The safety check never stands between a real emergency and its ticket: on both urgent sets
    and the must-fire list, each message opens an urgent ticket on its own and in a calm tutorial."""
    texts = urgent_messages()
    assert len(texts) > 300
    calm = new_state()
    calm["flow"], calm["topic"], calm["turns"] = "grocery_duoduo", {"intent": "grocery_order"}, 3
    assert calm["flow"] in manager.flows
    missed = []
    for text, parsed in zip(texts, pipeline.parse_batch(texts)):
        if parsed.capability != "urgent":
            continue  # the NLU's recall is bench/urgent_eval.py's to measure
        for state in (None, calm):
            turn = manager.advance(None if state is None else {**state, "slots": dict(state["slots"])}, parsed, text)
            if not any(e["type"] == "help_request" and e["priority"] == "urgent" for e in turn.events):
                missed.append(text)
    assert missed == []


def test_a_correction_read_weakly_as_urgent_is_still_a_correction(manager):
    chat = Chat(manager)
    chat.say("有人在拧我家门锁", "urgent_danger")
    sorry = chat.say("不是 我说错了 是我孙子在开门", "urgent_danger", 0.4)
    assert {"type": "not_urgent"} in sorry.events and not sorry.urgent


def test_saying_it_is_over_ends_any_kind_but_a_refusal_does_not(manager):
    chat = Chat(manager)
    chat.say("我妈摔倒了 起不来", "urgent_medical")
    refusal = chat.say("她说没事不用叫车 非要自己起来")
    assert "120" in refusal.text and chat.state["episode"]["over_turn"] is None
    over = chat.say("现在没事了 她缓过来了")
    assert over.capability == "urgent" and chat.state["episode"]["over_turn"] == chat.state["turns"]


def test_someone_else_in_danger_gets_stay_with_them(manager):
    chat = Chat(manager)
    chat.say("我负责的一位老人说今晚准备喝药", "urgent_self_harm")
    assert "陪在他身边" in chat.say("我现在该怎么做").text
