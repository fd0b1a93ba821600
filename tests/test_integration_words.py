"""Words that belong to one skill must not be taken by another (found while merging the issue 13 branches).

- 就是问问 alone is about anything; only with 删 in the message is it "do not delete" (先别删 我就是问问).
- 那抖音呢 after a marketing answer is a follow-up on that topic with another platform, even when the
  NLU reads it as 下一步 (a navigation intent outside a tutorial).
"""

from __future__ import annotations

import dataclasses

from bot.models import IncomingMessage
from dialogues.state import new_state
from nlu.result import ParseResult
from nlu.training_data import Entity


def say(engine, text):
    return engine.handle(IncomingMessage(user_id="u", text=text, channel="terminal"))


def test_just_asking_without_deleting_words_is_not_about_deletion(make_engine):
    engine = make_engine()
    say(engine, "上个月有人冒充平台客服给我打电话 让我交保证金")
    out = say(engine, "我就是问问 那怎么分辨是不是平台的人")
    assert out.capability != "privacy"
    assert "没有删除" not in "\n".join(r.text for r in out.replies)


def test_do_not_delete_i_am_only_asking_is_still_answered(make_engine):
    out = say(make_engine(), "先别删 我就是问问")
    assert out.capability == "privacy" and "没有删除" in "\n".join(r.text for r in out.replies)


def test_another_platform_after_a_topic_is_a_follow_up_even_read_as_next(make_engine):
    engine = make_engine()
    first = engine.manager.advance(new_state(), ParseResult("回头客越来越少 怎么留住老顾客", "mk_repeat_customers",
                                                            "marketing", 0.95), "回头客越来越少 怎么留住老顾客")
    parse = dataclasses.replace(ParseResult("那抖音呢", "nav_next", "smalltalk", 0.7),
                                entities=(Entity("platform", "抖音", 1, 3, "抖音"),))
    out = engine.manager.advance(first.state, parse, "那抖音呢")
    assert out.capability == "marketing" and "抖音" in "\n".join(r.text for r in out.replies)


def test_an_unclear_message_leaning_to_a_tutorial_that_declares_it_gets_that_step(make_engine):
    """Neither reading is sure, but the group leader's tutorial declares how to sort orders: it answers."""
    engine = make_engine()
    text = "明天一早好几十份 分货老是弄混 咋办"
    parse = ParseResult(text, "nlu_fallback", "out_of_scope", 0.3,
                        ranking=(("mk_repeat_customers", 0.3, "marketing"), ("mk_group_orders", 0.27, "marketing")))
    out = engine.manager.advance(new_state(), parse, text)
    assert out.capability == "teach" and out.state["flow"] is not None
    weak = ParseResult(text, "nlu_fallback", "out_of_scope", 0.3, ranking=(("mk_repeat_customers", 0.1, "marketing"),))
    assert engine.manager.advance(new_state(), weak, text).state["flow"] is None
