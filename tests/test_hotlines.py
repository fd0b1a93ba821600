"""Hotline questions about a situation (issue 13): 万一家里老人走丢了 一般打什么电话 gets the number for
that situation, picked from data: the urgent kinds' words (dialogues/episodes.yml ``signals``) name
the situation, the hotline entries (knowledge/content/hotlines.yml ``intents``, ``keywords``) serving
it give the number. The dialogue gets an ask_hotline parse made by hand (with the project's
knowledge base), so these check the dialogue, not the NLU.
"""

from __future__ import annotations

import pytest

from dialogues.skills.urgent.episodes import default_episodes
from nlu.result import ParseResult


def ask(engine, text: str):
    turn = engine.manager.advance(None, ParseResult(text, "ask_hotline", "policy", 0.9), text)
    return turn, "\n".join(r.text for r in turn.replies)


@pytest.mark.parametrize(("question", "number", "not_said"), [
    ("问一下啊 万一家里老人走丢了 一般打什么电话 我先记本子上", "110", "12345"),  # missing
    ("孩子找不到了打啥电话", "110", "12345"),                                  # missing
    ("楼里要是着火了该打啥电话", "119", "没有核实"),                             # fire
    ("家里老人突然晕倒了 一般打什么电话", "120", "没有核实"),                      # medical
    ("接到可疑电话 怀疑是骗子 打哪个号问问", "96110", "没有核实"),                  # scam, not sure yet
    ("要是有人让我开屏幕共享 打什么电话", "110", "没有核实"),                       # scam
    ("邻居天天打老婆 该打什么电话", "110", "没有核实"),                            # abuse, danger now
    ("要是碰上家暴 打啥电话能咨询", "12338", "没有核实"),                          # abuse, counselling
    ("心里难受想找人说说 打什么电话", "12356", "没有核实"),                        # psychological
])
def test_a_situation_gets_its_hotline(make_engine, question, number, not_said):
    out, said = ask(make_engine(), question)
    assert out.capability == "policy" and said.startswith(f"{number}：") and not_said not in said
    assert not out.events  # a question about a number: no alarm, no ticket


def test_every_situation_the_episodes_know_has_a_verified_hotline(make_engine):
    """Each urgent kind names a hotline that a hotline entry serving that kind has (so a question about
    the situation can always be answered from the content)."""
    engine = make_engine()
    hotlines = engine.kb.by_kind("hotline")
    for kind in default_episodes().kinds.values():
        serving = [h for h in hotlines if set(h.get("intents") or ()) & set(kind.intents)]
        assert any(str(h["number"]) == kind.hotline for h in serving), kind.name


def test_a_question_that_names_no_situation_still_gets_no_guess(make_engine):
    _, said = ask(make_engine(), "税务局电话多少")
    assert "12345" in said and "110" not in said


@pytest.mark.parametrize(("second", "number"), [("妇女维权那个呢", "12338"), ("那法律援助的电话呢", "12348"),
                                                ("还有反诈的", "96110")])
def test_right_after_a_hotline_another_one_is_asked_for_by_its_words(make_engine, second, number):
    """"妇女维权那个呢" right after a hotline names another one: that hotline, whatever the NLU read."""
    engine = make_engine()
    first, _ = ask(engine, "心理援助热线是多少")
    parse = ParseResult(second, "policy_consumer_rights", "policy", 0.6)
    out = engine.manager.advance(first.state, parse, second)
    said = "\n".join(r.text for r in out.replies)
    assert said.startswith(f"{number}：") and out.skill == "hotlines" and not out.events


def test_a_later_or_unrelated_message_is_not_read_as_another_hotline(make_engine):
    engine = make_engine()
    first, _ = ask(engine, "心理援助热线是多少")
    other = engine.manager.advance(first.state, ParseResult("那我的快递呢", "order_pickup", "teach", 0.9), "那我的快递呢")
    assert other.skill != "hotlines"
    later = engine.manager.advance(other.state, ParseResult("妇女维权那个呢", "policy_consumer_rights", "policy", 0.6),
                                   "妇女维权那个呢")
    assert later.skill != "hotlines"  # two messages on: no longer "right after a hotline"
