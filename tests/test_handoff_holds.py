"""Confirmations and hand-offs hold (issue 13): any way of asking for a person, the wait in the
queue, a pending deletion, a customer's data, and the ``chat --jsonl`` contract (served capability,
skill, state)."""

from __future__ import annotations

import io
import json

import pytest

from bot.cli import chat_jsonl
from bot.engine import state_view
from bot.models import IncomingMessage
from dialogues import texts as T
from dialogues.skills.privacy import DELETE_YES, only_words


def say(engine, user, text, channel="terminal"):
    return engine.handle(IncomingMessage(user_id=user, text=text, channel=channel))


def joined(out):
    return "\n".join(r.text for r in out.replies)


def test_bot_identity_and_a_wish_for_a_person_asks_consent_then_yes_opens_the_ticket(make_engine):
    engine = make_engine()
    out = say(engine, "u", "你是机器人吗 我想找真人")
    assert out.capability == "handoff" and T.CONSENT_ASK in joined(out) and T.IDENTITY_SHORT in joined(out)
    assert engine.handoff.active("u") is None  # nothing shared before the yes
    out = say(engine, "u", "好的")
    assert out.new_ticket is not None and out.new_ticket.consent == 1 and out.capability == "handoff"


def test_after_a_complaint_suanle_call_a_person_asks_consent_plainly(make_engine):
    engine = make_engine()
    say(engine, "u", "你说的都没用 越说我越糊涂")
    out = say(engine, "u", "算了 叫个人来")
    assert out.capability == "handoff" and joined(out) == T.CONSENT_ASK
    assert engine.handoff.active("u") is None
    assert say(engine, "u", "可以").new_ticket is not None


@pytest.mark.parametrize("text", ["不找社工了", "算了", "不用了"])
def test_a_refusal_at_the_consent_question_shares_nothing(make_engine, text):
    engine = make_engine()
    say(engine, "u", "找社工")
    out = say(engine, "u", text)
    assert engine.handoff.active("u") is None and out.capability == "handoff"


@pytest.mark.parametrize("text", ["还要等多久啊", "咋还没人理我", "还有几个人排我前面", "社工啥时候来", "下一步"])
def test_while_queued_questions_about_the_wait_get_the_place(make_engine, text):
    engine = make_engine()
    say(engine, "first", "找社工")
    say(engine, "first", "可以")
    say(engine, "u", "找社工")
    ticket = say(engine, "u", "可以").new_ticket
    out = say(engine, "u", text)
    assert out.capability == "handoff" and out.skill == "handoff"
    assert T.WAIT_PLACE.format(ticket=ticket.id, place=T.WAIT_AHEAD.format(ahead=1)) in joined(out)
    assert "验证码" not in joined(out)


def test_while_queued_asking_again_opens_no_second_ticket(make_engine):
    engine = make_engine()
    say(engine, "u", "找社工")
    ticket = say(engine, "u", "可以").new_ticket
    out = say(engine, "u", "再给我找一次社工")
    assert T.WAIT_ALREADY in joined(out) and f"编号 {ticket.id}" in joined(out)
    assert out.new_ticket is None and engine.handoff.active("u").id == ticket.id


def test_while_queued_other_questions_are_answered_as_usual(make_engine):
    engine = make_engine()
    say(engine, "u", "找社工")
    say(engine, "u", "可以")
    out = say(engine, "u", "教我用盒马买菜")
    assert out.capability == "teach" and "盒马" in joined(out)
    out = say(engine, "u", "下一步")  # inside the tutorial, 下一步 is the tutorial's
    assert out.capability == "teach" and out.state["step"] == 2


def test_find_a_worker_inside_a_tutorial_keeps_the_step(make_engine):
    engine = make_engine()
    say(engine, "u", "教我用盒马买菜")
    say(engine, "u", "下一步")
    say(engine, "u", "找社工")
    out = say(engine, "u", "下一步")  # no answer to the consent question: dropped, the tutorial goes on
    assert out.capability == "teach" and out.state["step"] == 3 and engine.handoff.active("u") is None


@pytest.mark.parametrize("text,yes", [
    ("确定 删吧", True), ("确定删除吧", True), ("是的 删了吧", True), ("确定不删", False), ("好", False),
    ("确定 下一步", False), ("删了以后还能用吗", False),
])
def test_only_yes_words_make_a_compound_yes(text, yes):
    assert only_words(text, DELETE_YES) is yes


def test_a_question_about_a_pending_deletion_keeps_it_and_a_compound_yes_deletes(make_engine):
    engine = make_engine()
    say(engine, "u", "删除我的信息")
    out = say(engine, "u", "删了以后还能用吗")
    assert out.capability == "privacy" and out.state["pending"] == "confirm_delete"
    out = say(engine, "u", "确定 删吧")
    assert joined(out) == T.PRIVACY_DELETED and engine.store.load_state("u") is None


def test_a_merchant_asking_about_a_customers_deletion_gets_the_law_not_a_deletion(make_engine):
    engine = make_engine()
    out = say(engine, "m", "顾客要我删他的电话 我必须删吗")
    assert out.capability == "policy" and "个人信息保护法" in joined(out)
    assert out.state["pending"] is None and T.PRIVACY_CONFIRM not in joined(out)
    out = say(engine, "m", "他之前是同意我存的呀 我还有他签字的登记表")
    assert joined(out) == T.CUSTOMER_CONSENT
    out = say(engine, "m", "那我微信里跟他的聊天记录也得删吗")
    assert joined(out) == T.CUSTOMER_COPIES and out.state["pending"] is None
    out = say(engine, "m", "顺便问下 我自己在你这的聊天记录咋删")
    assert out.state["pending"] == "confirm_delete"  # one's own data here: the usual question


def test_deleting_for_someone_else_is_refused(make_engine):
    engine = make_engine()
    out = say(engine, "w", "有个居民让我帮他把聊天记录删了 我能替他删吗")
    assert out.capability == "privacy" and "本人" in joined(out) and out.state["pending"] is None


def test_state_view_reads_an_episode_defensively():
    assert state_view(None) == {"flow": None, "step": None, "episode": None, "pending": None}
    st = {"flow": "grocery_hema", "step": 2, "episode": {"kind": "medical", "turn": 3}, "pending": {"type": "resume"}}
    assert state_view(st) == {"flow": "grocery_hema", "step": 3, "episode": "medical", "pending": "resume"}
    assert state_view({"episode": "scam"})["episode"] == "scam"
    assert state_view({"episode": {"open": True}})["episode"] is None


def test_chat_jsonl_reports_what_served_the_turn(make_engine):
    engine = make_engine()
    lines = [{"user": "j", "text": t} for t in ("教我用盒马买菜", "下一步", "找社工", "可以", "还要等多久")]
    stdin = io.BytesIO("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines).encode("utf-8"))
    stdout = io.StringIO()
    chat_jsonl(engine, stdin, stdout)
    out = [json.loads(x) for x in stdout.getvalue().splitlines()]
    assert [o["capability"] for o in out] == ["teach", "teach", "handoff", "handoff", "handoff"]
    assert [o["skill"] for o in out] == ["tutorial", "tutorial", "handoff", "handoff", "handoff"]
    assert out[1]["intent"] == "nav_next"  # the NLU's reading stays
    assert out[1]["state"] == {"flow": "grocery_hema", "step": 2, "episode": None, "pending": None}
    assert out[2]["state"]["pending"] == "handoff_consent"
    assert out[4]["handoff"]["status"] == "waiting" and out[4]["intent"] != "request_human"


@pytest.mark.parametrize("text,opens", [("可以 麻烦你了", True), ("好的 谢谢", True), ("好", False), ("可以吗", False)])
def test_consent_takes_yes_words_only(make_engine, text, opens):
    engine = make_engine()
    say(engine, "u", "找社工")
    out = say(engine, "u", text)
    assert (out.new_ticket is not None) is opens, joined(out)


def test_asking_who_sees_the_conversation_is_answered_not_taken_as_a_request(make_engine):
    engine = make_engine()
    out = say(engine, "u", "那找社工的时候会给他看吗")
    assert out.capability == "privacy" and joined(out) == T.PRIVACY_SHARING
    assert out.state["pending"] is None and engine.handoff.active("u") is None


def test_dialect_yes_and_wait_question(make_engine):
    engine = make_engine()
    say(engine, "u", "社区那个社工妹儿能来屋头坐坐不")
    assert say(engine, "u", "要得").new_ticket is not None
    out = say(engine, "u", "好久来嘛")
    assert out.capability == "handoff" and T.WAIT_FIRST in joined(out)
