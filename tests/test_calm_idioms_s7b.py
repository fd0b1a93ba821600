"""Calm idioms with 死/命/救/杀 are no emergency, and go where they belong (issue 13, branch r2-calm).

Sentences in words other than the training data (nlu/data/calm_s7b.yml) and the conversation sets:
a sigh of 救命/要命 before an ordinary how-to, a merchant asked for triple compensation, a customer
saying a shop charges regulars more (杀熟), haggling, and what a group-buy leader does. Also the
missing-person episode: a description and a photo go to neighbours, property management and groups.
"""

from __future__ import annotations

import pytest

from tests.test_urgent_episodes import Chat, manager  # noqa: F401  (the module's fixture)

CALM = [
    # (message, the capability it belongs to)
    ("救命 我儿子把手机字设得太小了 怎么调大", "teach"),
    ("买主说我卖的是假货 让我退一赔三 我得照赔吗", "policy"),
    ("老客人怪我们杀熟 说比新来的还贵 这违法不", "policy"),
    ("客人砍价砍得我头晕 总说别的摊便宜", "marketing"),
    ("团长一天到晚都干些啥活", "marketing"),
    ("笑死 把芹菜买成香菜了 能退不", "teach"),
]


@pytest.mark.parametrize(("text", "capability"), CALM)
def test_calm_idioms_are_no_alarm_and_find_their_topic(pipeline, text, capability):
    parse = pipeline.parse(text)
    assert not parse.intent.startswith("urgent_"), (text, parse.intent)
    assert parse.capability == capability, (text, parse.intent)


def test_missing_photo_and_clothes_go_to_neighbours_and_groups(manager):  # noqa: F811
    chat = Chat(manager)
    chat.say("我姥爷早上出门 到现在人不见了", "urgent_missing")
    chat.say("报了警了", "nlu_fallback", 0.2)
    turn = chat.say("他戴个灰帽子 相片我手机里有", "nlu_fallback", 0.2)
    assert turn.capability == "urgent" and "照片" in turn.text
    assert all(word in turn.text for word in ("邻居", "物业", "群")), turn.text
