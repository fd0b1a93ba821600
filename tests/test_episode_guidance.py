"""Episode guidance by kind, and prevention after an episode (issue 13, item 4).

Each kind of urgent episode answers the practical questions people ask during it (declared as
cues in dialogues/episodes.yml), and once it is over a question about preventing it next time
gets prevention help whatever the NLU guessed: never the alarm again, never marketing tips.
The parses are given by hand, in words other than the conversation sets'.
"""

from __future__ import annotations

import pytest

from dialogues.cues import CueError
from dialogues.skills.urgent.episodes import default_episodes, load_episodes
from tests.test_urgent_episodes import Chat, manager  # noqa: F401  (the module's fixture)

# kind: (the alarm, its intent, words that say it is over)
OVER = {
    "medical": ("我妈突然晕倒了 叫不醒", "urgent_medical", "救护车来了 医生到了"),
    "scam": ("有人冒充公安让我转钱到安全账户", "urgent_scam", "已经报了警 做了笔录"),
    "self_harm": ("我真的不想活了", "urgent_self_harm", "我女儿来了 陪着我呢"),
    "missing": ("我奶奶出门到现在还没回家", "urgent_missing", "人接回来了"),
    "abuse": ("他又动手打我了", "urgent_abuse", "我已经到安全的地方了"),
    "danger": ("厨房着火了 烟很大", "urgent_danger", "消防员来了 火灭了"),
}
# kind: (a prevention question in new words, a word its answer needs)
PREVENTION = {
    "medical": ("往后平时要注意点啥", "120"),
    "scam": ("今后咋提防这种骗子", "96110"),
    "self_harm": ("往后我该怎么陪着她", "12356"),
    "missing": ("今后怎么才能不让她再跑丢", "定位"),
    "abuse": ("往后他再这样 我该找谁", "12338"),
    "danger": ("往后家里怎么防火", "灭火器"),
}


def over(manager, kind: str) -> Chat:  # noqa: F811
    chat = Chat(manager)
    alarm, intent, done = OVER[kind]
    assert chat.say(alarm, intent).urgent
    chat.say(done, "out_of_scope", 0.4)
    assert chat.state["episode"]["over_turn"] is not None, kind
    return chat


@pytest.mark.parametrize("kind", sorted(OVER))
@pytest.mark.parametrize("guess", [("mk_repeat_customers", 0.9, "marketing"), ("out_of_scope", 0.3, "")])
def test_prevention_after_an_episode_is_help_not_marketing_or_an_alarm(manager, kind, guess):  # noqa: F811
    chat = over(manager, kind)
    question, needed = PREVENTION[kind]
    turn = chat.say(question, *guess)
    assert turn.capability != "marketing" and not turn.urgent, (kind, turn.text)
    assert needed in turn.text and "⚠️" not in turn.text, (kind, turn.text)


def test_prevention_guessed_as_urgent_after_the_episode_is_no_new_alarm(manager):  # noqa: F811
    chat = over(manager, "missing")
    turn = chat.say("今后怎么才能不让她再跑丢", "urgent_missing", 0.9)
    assert not turn.urgent and "联系卡" in turn.text


def test_missing_property_management_and_cameras(manager):  # noqa: F811
    chat = Chat(manager)
    chat.say("我外公中午出去了 到现在人不见了", "urgent_missing")
    turn = chat.say("要不要去跟保安说一声", "out_of_scope", 0.3)
    assert turn.capability == "urgent" and "物业" in turn.text and "监控" in turn.text
    police = chat.say("已经去派出所登记过了 我们还可以干点什么", "nlu_fallback", 0.2)
    assert "照片" in police.text and "邻居" in police.text
    photo = chat.say("他穿的啥我记不太清了", "nlu_fallback", 0.2)
    assert "衣服" in photo.text and "照片" in photo.text
    where = chat.say("上哪找去啊", "nlu_fallback", 0.2)
    assert "常去" in where.text
    assert not any(t.urgent for t in (turn, police, photo, where))


def test_medical_what_to_bring(manager):  # noqa: F811
    chat = Chat(manager)
    chat.say("老伴摔倒了起不来", "urgent_medical")
    turn = chat.say("去医院得带点啥东西", "nlu_fallback", 0.3)
    assert turn.capability == "urgent" and "身份证" in turn.text and "药" in turn.text


def test_scam_stop_paying_calls_again_and_money_not_sent(manager):  # noqa: F811
    chat = Chat(manager)
    chat.say("有人说我快递丢了要赔我钱 让我开屏幕共享", "urgent_scam")
    fee = chat.say("他又让我先交一笔手续费", "nlu_fallback", 0.3)
    assert "别" in fee.text and "骗子" in fee.text
    again = chat.say("要是他换个号又打过来呢", "nlu_fallback", 0.3)
    assert "挂" in again.text and "96110" in again.text
    safe = chat.say("还好我还没付钱", "nlu_fallback", 0.3)
    assert "别转" in safe.text and "96110" in safe.text


def test_abuse_police_took_him_legal_aid_and_a_safe_place(manager):  # noqa: F811
    chat = Chat(manager)
    chat.say("他喝醉了又打我", "urgent_abuse")
    place = chat.say("我没地方去啊", "nlu_fallback", 0.3)
    assert "社工" in place.text and "110" in place.text
    taken = chat.say("警察来了 把他抓走了", "urgent_self_harm", 0.3)
    assert chat.state["episode"]["over_turn"] is not None and "安全" in taken.text
    legal = chat.say("我想跟他离了 可是请不起律师", "request_human", 0.6, "handoff")
    assert "12348" in legal.text and "法律援助" in legal.text and "12338" in legal.text


def test_danger_prevention_inside_the_episode_keeps_the_guidance(manager):  # noqa: F811
    chat = Chat(manager)
    chat.say("楼下着火了 烟往上冒", "urgent_danger")
    trapped = chat.say("门口全是烟 我出不去", "nlu_fallback", 0.3)
    assert "119" in trapped.text and "灭火器" not in trapped.text


def test_every_kind_has_prevention_and_the_shared_words():
    book = default_episodes()
    for kind in book.kinds.values():
        assert kind.after and kind.after[-1].name == "prevention", kind.name
        assert kind.after[-1].matches("往后咋办才好"), kind.name


def test_a_kind_prevention_needs_words(tmp_path):
    bad = tmp_path / "episodes.yml"
    bad.write_text(
        "kinds:\n  medical:\n    intents: [urgent_medical]\n    hotline: '120'\n    check: 打 120。\n"
        "    again: 打 120。\n    cues: [{name: a, when: [x], say: y, ends: true}]\n"
        "    prevention: {say: 平时注意。}\n", encoding="utf-8")
    with pytest.raises(CueError, match="prevention"):
        load_episodes(bad)
    good = bad.read_text(encoding="utf-8") + "prevention:\n  when: ['以后']\n"
    bad.write_text(good, encoding="utf-8")
    assert load_episodes(bad).after("medical")[0].matches("以后呢")


def test_abuse_he_may_come_back_is_prevention_not_a_handoff_or_the_neighbour_advice(manager):  # noqa: F811
    chat = Chat(manager)
    chat.say("他又动手打我了", "urgent_abuse")
    turn = chat.say("往后他要是再找上门闹怎么办", "nlu_fallback", 0.3)
    assert "110" in turn.text and "12338" in turn.text and "先别自己上门" not in turn.text
    assert not turn.urgent  # no second ticket: 找上门 is no request for a person


def test_wanting_to_die_again_inside_a_self_harm_episode_is_never_read_as_prevention(manager):  # noqa: F811
    chat = Chat(manager)
    chat.say("撑不下去了 想吃安眠药", "urgent_self_harm")
    turn = chat.say("以后也不想活了", "urgent_self_harm", 0.9)
    assert "以后心里难受了" not in turn.text and ("110" in turn.text or "12356" in turn.text)
