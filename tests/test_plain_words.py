"""Jargon explained to residents the first time it is used, once per conversation (issue 14 item 5)."""

from __future__ import annotations

from types import SimpleNamespace

from dialogues import texts as T
from dialogues.plain_words import explain
from dialogues.state import new_state
from dialogues.turn import Reply, Turn

FLOWS = {"groceries": SimpleNamespace(audience="resident"), "shop": SimpleNamespace(audience="merchant")}


def turn(state, *texts):
    return Turn([Reply(t) for t in texts], state)


def resident():
    st = new_state()
    st["slots"]["persona"] = "resident"
    return st


def test_the_first_use_is_explained_once_per_conversation():
    st = resident()
    t = turn(st, "打开APP，点“结算”。", "再打开APP看看。")
    explain(FLOWS, t)
    assert t.replies[0].text == f"打开APP（{T.JARGON['APP']}），点“结算（{T.JARGON['结算']}）”。"
    assert t.replies[1].text == "再打开APP看看。"
    later = turn(t.state, "APP里找到结算")
    explain(FLOWS, later)
    assert later.replies[0].text == "APP里找到结算"  # already explained to this person


def test_merchants_get_the_words_as_they_are():
    st = new_state()
    st["slots"]["persona"] = "merchant"
    t = turn(st, "在APP里结算")
    explain(FLOWS, t)
    assert t.replies[0].text == "在APP里结算"


def test_someone_in_a_residents_tutorial_counts_as_a_resident():
    st = new_state()
    st["flow"] = "groceries"
    t = turn(st, "点小程序")
    explain(FLOWS, t)
    assert T.JARGON["小程序"] in t.replies[0].text
    st2 = new_state()
    st2["flow"] = "shop"
    t2 = turn(st2, "点小程序")
    explain(FLOWS, t2)
    assert t2.replies[0].text == "点小程序"


def test_an_answer_that_explains_the_word_itself_gets_no_second_explanation():
    t = turn(resident(), "到“自提点”去取，自提点就是帮大家收菜的小店。")
    explain(FLOWS, t)
    assert t.replies[0].text == "到“自提点”去取，自提点就是帮大家收菜的小店。"
    assert "自提点" in t.state["explained"]
