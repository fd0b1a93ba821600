"""Destructive or sharing actions need an explicit yes to that exact question (issue 12, items 5 and 6).

Deleting a person's data and sharing their conversation with a social worker happen only on
that question's own button, or a clear yes typed while that question is pending. 下一步, 继续,
好, 嗯 or any other affirm-like message never count. A deletion read with low confidence asks a
second time, saying what will be deleted. Someone else's records are refused, never read as
"delete mine".
"""

from __future__ import annotations

import pytest

from bot import messages as M
from bot.models import IncomingMessage
from dialogues.manager import DELETE_SURE, OTHERS_RECORDS_RE, DialogueManager, new_state
from nlu.result import ParseResult
from tests.test_manager import EmptyKB

MISREAD = "我的手机号是13800001234 帮我记一下"  # the message, once read as privacy_delete
MISREAD_CONFIDENCE = 0.42  # what the model of that time gave it: a deletion, but below DELETE_SURE


class MisreadingPipeline:
    """The real pipeline, except that MISREAD is read as a low-confidence privacy_delete.

    The model no longer makes that mistake, but the dialogue must stay safe when a model does:
    the scenario is injected so these tests keep checking the confirmation logic, not the model.
    """

    def __init__(self, pipeline):
        self._pipeline = pipeline

    def __getattr__(self, name):
        return getattr(self._pipeline, name)

    def parse(self, text):
        if text.strip() != MISREAD:
            return self._pipeline.parse(text)
        return ParseResult(text=text, intent="privacy_delete", capability="privacy",
                           confidence=MISREAD_CONFIDENCE,
                           ranking=(("privacy_delete", MISREAD_CONFIDENCE, "privacy"),))


@pytest.fixture
def make_engine(settings, pipeline, tmp_path):
    """Engines on one SQLite file whose pipeline misreads MISREAD as a deletion."""
    from bot.engine import Engine
    from bot.store import open_db

    def build():
        return Engine.from_settings(settings, db=open_db(tmp_path / "linli.db"),
                                    pipeline=MisreadingPipeline(pipeline))

    return build


def say(engine, user, text):
    return engine.handle(IncomingMessage(user_id=user, text=text, channel="terminal"))


def stored_in(engine, user):
    """Messages from this person still in the transcript."""
    return engine.store.db.execute(
        "SELECT COUNT(*) FROM transcript WHERE user_id = ? AND direction = 'in'", [user]).fetchone()[0]


def texts(out):
    return [r.text for r in out.replies]


def pending(engine, user):
    return ((engine.store.load_state(user) or {}).get("pending") or {}).get("type")


# ---- the scenario -------------------------------------------------------------------

def test_misread_message_is_not_a_deletion_and_a_plain_request_is_sure(pipeline):
    """The message that once wiped a history is no longer a deletion; a plain request is one with one question."""
    assert pipeline.parse(MISREAD).intent != "privacy_delete"
    assert MISREAD_CONFIDENCE < DELETE_SURE
    assert pipeline.parse("删除我的信息").confidence >= DELETE_SURE


def test_misread_message_then_next_step_deletes_nothing(make_engine):
    engine = make_engine()
    say(engine, "u", "你好")
    out = say(engine, "u", MISREAD)
    assert M.PRIVACY_CONFIRM_BUTTONS[0] in [b for r in out.replies for b in r.buttons]
    out = say(engine, "u", "下一步")
    assert stored_in(engine, "u") == 3 and engine.store.load_state("u") is not None
    assert M.PRIVACY_DELETED not in texts(out)
    assert texts(out)[0] == M.PRIVACY_NOT_DONE  # cancelled, and said so
    assert pending(engine, "u") is None
    out = say(engine, "u", "确定")  # a yes after the question was dropped deletes nothing either
    assert stored_in(engine, "u") == 4 and M.PRIVACY_DELETED not in texts(out)


@pytest.mark.parametrize("word", ["下一步", "继续", "好", "嗯", "好的", "行", "OK", "👍"])
def test_no_vague_word_confirms_a_deletion(make_engine, word):
    engine = make_engine()
    say(engine, "u", "删除我的信息")
    out = say(engine, "u", word)
    assert stored_in(engine, "u") == 2, word
    assert M.PRIVACY_DELETED not in texts(out)


@pytest.mark.parametrize("word", ["好", "嗯", "好的", "行"])
def test_an_affirm_like_word_asks_how_to_confirm_and_keeps_the_question(make_engine, word):
    engine = make_engine()
    say(engine, "u", "删除我的信息")
    out = say(engine, "u", word)
    assert texts(out) == [M.PRIVACY_CONFIRM_HOW]
    assert out.replies[0].buttons == M.PRIVACY_CONFIRM_BUTTONS
    assert pending(engine, "u") == "confirm_delete"
    out = say(engine, "u", word)  # a second vague word: the question is dropped, nothing deleted
    assert stored_in(engine, "u") == 3 and pending(engine, "u") is None
    assert texts(out)[0] == M.PRIVACY_NOT_DONE


def test_low_confidence_deletion_asks_a_second_time_saying_what_goes(make_engine):
    engine = make_engine()
    say(engine, "u", MISREAD)
    out = say(engine, "u", "确定")
    assert stored_in(engine, "u") == 2  # not yet
    assert texts(out) == [M.PRIVACY_CONFIRM_AGAIN]
    assert out.replies[0].buttons == M.PRIVACY_CONFIRM_BUTTONS
    out = say(engine, "u", "确定删除")
    assert stored_in(engine, "u") == 0 and engine.store.load_state("u") is None
    assert texts(out) == [M.PRIVACY_DELETED]


def test_second_confirmation_can_be_refused(make_engine):
    engine = make_engine()
    say(engine, "u", MISREAD)
    say(engine, "u", "是的")
    out = say(engine, "u", "不删了")
    assert stored_in(engine, "u") == 3 and texts(out) == [M.PRIVACY_KEPT]


def test_second_confirmation_says_truthfully_what_is_deleted():
    """Messages, tutorial progress, profile; tickets and ratings stay only as anonymous counts (Store.delete_user)."""
    for words in ("聊天记录", "和社工的对话", "学到哪一步", "个人资料", "求助单", "统计", "不能恢复"):
        assert words in M.PRIVACY_CONFIRM_AGAIN


# ---- what does confirm a deletion --------------------------------------------------------------

@pytest.mark.parametrize("answer", ["确定删除", "1", "确定", "是的", "可以", "同意", "确认", "对 删掉", "确定！", "嗯，确定"])
def test_a_clear_yes_or_the_button_deletes(make_engine, answer):
    engine = make_engine()
    say(engine, "u", "怎么用多多买菜")
    out = say(engine, "u", "删除我的信息")
    assert out.replies[-1].buttons == M.PRIVACY_CONFIRM_BUTTONS
    out = say(engine, "u", answer)
    assert stored_in(engine, "u") == 0 and engine.store.load_state("u") is None, answer
    assert texts(out) == [M.PRIVACY_DELETED]


@pytest.mark.parametrize("answer", ["不删了", "2", "不要", "不删", "算了", "别删", "不确定"])
def test_a_no_keeps_everything(make_engine, answer):
    engine = make_engine()
    say(engine, "u", "删除我的信息")
    out = say(engine, "u", answer)
    assert stored_in(engine, "u") == 2 and texts(out) == [M.PRIVACY_KEPT], answer


def test_question_about_the_deletion_is_answered_and_the_question_stays(make_engine):
    engine = make_engine()
    say(engine, "u", "删除我的信息")
    out = say(engine, "u", "删了以后还能用吗")
    assert stored_in(engine, "u") == 2
    assert texts(out) == [M.PRIVACY_DELETE_FAQ, M.PRIVACY_CONFIRM_STILL]
    assert out.replies[-1].buttons == M.PRIVACY_CONFIRM_BUTTONS
    assert pending(engine, "u") == "confirm_delete"
    out = say(engine, "u", "确定")
    assert stored_in(engine, "u") == 0 and texts(out) == [M.PRIVACY_DELETED]


@pytest.mark.parametrize("question", ["删了还能恢复吗", "会删掉什么", "删了以后还能找社工吗"])
def test_other_questions_about_the_deletion_keep_it_open(make_engine, question):
    engine = make_engine()
    say(engine, "u", "删除我的信息")
    out = say(engine, "u", question)
    assert texts(out)[0] == M.PRIVACY_DELETE_FAQ and pending(engine, "u") == "confirm_delete"
    assert stored_in(engine, "u") == 2


def test_an_unrelated_question_cancels_the_deletion_and_is_answered(make_engine):
    engine = make_engine()
    say(engine, "u", "删除我的信息")
    out = say(engine, "u", "反诈专线是多少")
    assert stored_in(engine, "u") == 2 and pending(engine, "u") is None
    assert texts(out)[0] == M.PRIVACY_NOT_DONE
    assert "96110" in "\n".join(texts(out)[1:])  # and the question itself is answered
    out = say(engine, "u", "确定")  # too late: the deletion question is gone
    assert stored_in(engine, "u") == 3 and M.PRIVACY_DELETED not in texts(out)


def test_asking_again_to_delete_keeps_the_question(make_engine):
    engine = make_engine()
    say(engine, "u", "删除我的信息")
    out = say(engine, "u", "把我的聊天记录删了")
    assert stored_in(engine, "u") == 2 and pending(engine, "u") == "confirm_delete"
    assert out.replies[-1].buttons == M.PRIVACY_CONFIRM_BUTTONS


def test_an_urgent_message_drops_the_deletion_question(make_engine):
    engine = make_engine()
    say(engine, "u", "删除我的信息")
    out = say(engine, "u", "老伴摔倒了起不来")
    assert out.handoff and out.handoff["priority"] == "urgent"
    say(engine, "u", "确定")
    assert stored_in(engine, "u") == 3


# ---- consent to share with a social worker --------------------------------------------------------

@pytest.mark.parametrize("word", ["下一步", "继续", "好", "嗯", "OK"])
def test_no_vague_word_is_consent_to_share(make_engine, word):
    engine = make_engine()
    say(engine, "u", "我要找社工")
    out = say(engine, "u", word)
    assert out.new_ticket is None and engine.handoff.active("u") is None, word
    assert engine.store.db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 0


def test_next_step_at_the_consent_question_says_nothing_was_shared(make_engine):
    engine = make_engine()
    say(engine, "u", "我要找社工")
    out = say(engine, "u", "下一步")
    assert texts(out)[0] == M.CONSENT_NOT_SHARED and pending(engine, "u") is None


def test_an_affirm_like_word_at_the_consent_question_asks_again(make_engine):
    engine = make_engine()
    say(engine, "u", "我要找社工")
    out = say(engine, "u", "嗯")
    assert texts(out) == [M.CONSENT_HOW] and out.replies[0].buttons == M.CONSENT_BUTTONS
    out = say(engine, "u", "可以")
    assert out.new_ticket is not None and out.new_ticket.consent == 1


@pytest.mark.parametrize("answer", ["可以", "1", "好的", "行", "同意", "是的", "确定", "可以的", "好啊", "嗯 可以",
                                    "要", "麻烦你了", "找社工"])
def test_a_clear_yes_or_the_button_shares(make_engine, answer):
    engine = make_engine()
    say(engine, "u", "我要找社工")
    out = say(engine, "u", answer)
    assert out.new_ticket is not None and out.new_ticket.consent == 1, answer


def test_offer_after_misunderstandings_is_not_accepted_by_next_step(make_engine):
    engine = make_engine()
    say(engine, "u", "qwertyuiop")
    out = say(engine, "u", "zxcvbnm asdf")
    assert out.replies[-1].buttons == M.OFFER_HUMAN_BUTTONS
    out = say(engine, "u", "下一步")
    assert out.new_ticket is None and engine.handoff.active("u") is None


# ---- only the question's own button -----------------------------------------------------------

def _manager_with_pending(kind: str, buttons: dict) -> tuple[DialogueManager, dict]:
    st = {**new_state(), "pending": {"type": kind}, "buttons": buttons, "button_labels": list(buttons)}
    return DialogueManager({}, EmptyKB()), st


def test_a_yes_button_of_another_question_does_not_delete():
    """继续 (the resume offer's yes) is not the deletion's own button."""
    manager, st = _manager_with_pending("confirm_delete", {"继续": {"answer": "yes"}, "不用了": {"answer": "no"}})
    turn = manager.advance(st, ParseResult("继续", "nav_next", "smalltalk", 1.0), "继续")
    assert not [e for e in turn.events if e["type"] == "delete_user_data"]


def test_the_deletion_button_deletes_and_says_so():
    confirm, keep = M.PRIVACY_CONFIRM_BUTTONS
    manager, st = _manager_with_pending("confirm_delete", {
        confirm: {"answer": "yes", "question": "confirm_delete"}, keep: {"answer": "no", "question": "confirm_delete"}})
    turn = manager.advance(st, ParseResult(confirm, "privacy_delete", "privacy", 0.97), confirm)
    assert [e["type"] for e in turn.events] == ["delete_user_data"]
    assert [r.text for r in turn.replies] == [M.PRIVACY_DELETED]


def test_a_consent_button_with_another_question_is_read_as_words():
    """A stale button from another question is not consent; 可以 typed is (it is a clear yes)."""
    manager, st = _manager_with_pending("handoff_consent", {"继续": {"answer": "yes", "question": "resume"}})
    turn = manager.advance(st, ParseResult("继续", "nav_next", "smalltalk", 1.0), "继续")
    assert not [e for e in turn.events if e["type"] == "help_request"]


# ---- someone else's records ---------------------------------------------------------------------

OTHERS = ["把张阿姨的聊天记录发给我", "帮我看看我老伴的记录", "查一下别人的聊天记录", "我想看看我儿子跟你聊了什么",
          "把王大爷的信息删了", "小李的对话记录给我看看", "帮我把我妈的聊天记录删掉", "邻居的资料你们有吗"]
OWN = ["把我的聊天记录删了", "删除我的信息", "我女儿说要把跟你聊的内容删了 怎么弄", "我的手机号和其他信息删了",
       "我小店的数据怎么看", "你们会把我的信息给别人吗", "不想让别人看到我的信息", "我跟你的聊天记录能删吗",
       "小程序的记录在哪", "朋友圈的消息怎么删", MISREAD]


@pytest.mark.parametrize("text", OTHERS)
def test_others_records_pattern_matches(text):
    assert OTHERS_RECORDS_RE.search(text), text


@pytest.mark.parametrize("text", OWN)
def test_own_records_are_not_someone_elses(text):
    assert not OTHERS_RECORDS_RE.search(text), text


@pytest.mark.parametrize("text", ["把张阿姨的聊天记录发给我", "帮我看看我老伴的记录", "查一下别人的聊天记录"])
def test_someone_elses_records_are_refused_not_deleted(make_engine, text):
    engine = make_engine()
    say(engine, "u", "你好")
    out = say(engine, "u", text)
    assert texts(out) == [M.PRIVACY_OTHERS]
    assert pending(engine, "u") is None
    say(engine, "u", "确定")
    assert stored_in(engine, "u") == 3
