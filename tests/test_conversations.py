"""The conversation tests in tests/conversations/*.yml, one pytest case per conversation.

A conversation marked ``xfail: reason`` is a known gap: it must still fail (strict), so a fix
that makes it pass is noticed and the mark removed. tests/conversations/dev/ (two sets written
blind from scenario cards, then worked from) is run too. The held-out files in
tests/conversations/heldout/ are never run here: they are measured with
``linli test conversations tests/conversations/heldout/heldout.yml`` (and heldout2.yml) and never
tuned to.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.conversations import CAPABILITIES, FreshEngines, check_turn, load_file, run_conversation, summary
from bot.errors import ConfigError

HERE = Path(__file__).parent / "conversations"
FILES = sorted(HERE.glob("*.yml")) + sorted((HERE / "dev").glob("*.yml"))  # dev/: written blind, then worked from
CASES = [(path, i, conv) for path in FILES for i, conv in enumerate(load_file(path), start=1)]


@pytest.fixture(scope="module")
def fresh_engines(settings, pipeline):
    return FreshEngines(settings, pipeline)


@pytest.mark.parametrize(("path", "index", "conv"), CASES,
                         ids=[f"{p.stem}:{i}:{c['conversation'][:60]}" for p, i, c in CASES])
def test_conversation(path, index, conv, fresh_engines):
    result = run_conversation(fresh_engines(), conv, index)
    failed = [f"turn {n} ({t.user!r}): {'; '.join(t.failures)}\n    replies: {t.replies}"
              for n, t in enumerate(result.turns, start=1) if t.failures]
    if conv.get("xfail"):
        if failed:
            pytest.xfail(conv["xfail"])
        pytest.fail(f"{path.name} #{index} now passes: remove its xfail ({conv['xfail']})")
    assert not failed, "\n".join(failed)


def test_there_are_enough_conversations():
    assert len(CASES) >= 100, f"issue 13 asks for at least 100 conversations, there are {len(CASES)}"


def test_the_heldout_file_is_valid_and_not_run_by_make_test():
    heldout = HERE / "heldout" / "heldout.yml"
    convs = load_file(heldout)
    assert len(convs) >= 30 and all(5 <= len(c["turns"]) <= 10 for c in convs)
    assert heldout not in FILES


def test_checks_fail_when_they_should():
    from bot.conversations import TurnResult

    result = TurnResult(user="x", replies=["请打120"], capability="urgent", intent="urgent_medical", skill="",
                        handoff="urgent")
    assert check_turn({"capability": "urgent", "mentions_all": ["120"], "handoff": "urgent"}, result, False) == []
    failures = check_turn({"capability": "teach", "mentions_any": ["110", "96110"], "not_mentions": ["120"],
                           "handoff": "none", "deleted": True}, result, False)
    assert len(failures) == 5
    assert set(CAPABILITIES) >= {"teach", "urgent", "staff"}


def test_a_bad_file_names_the_conversation_and_turn(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("conversations:\n- conversation: x\n  turns:\n  - user: 你好\n    expect: {capability: teaching}\n",
                   encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.yml: conversation 1, turn 1: capability 'teaching'"):
        load_file(bad)
    bad.write_text("conversations:\n- conversation: x\n  turns:\n  - user: 你好\n    expect: {mention: [a]}\n",
                   encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown expectation"):
        load_file(bad)


def test_summary_counts_turns_and_conversations():
    from bot.conversations import ConversationResult, TurnResult

    ok = TurnResult("a", [], "teach", "x", "", "none")
    bad = TurnResult("b", [], "teach", "x", "", "none", ["capability"])
    s = summary([ConversationResult("c1", "k", "f", None, [ok, ok]), ConversationResult("c2", "k", "f", None, [ok, bad])])
    assert s["all"] == {"conversations": 2, "conversations_passed": 1, "turns": 4, "turns_passed": 3}


def test_fresh_engines_share_nothing_but_the_content(fresh_engines):
    from bot.models import IncomingMessage

    first, second = fresh_engines(), fresh_engines()
    for text in ("找社工", "可以"):
        first.handle(IncomingMessage(user_id="same", text=text))
    assert first.handoff.active("same") is not None
    assert second.handoff.active("same") is None and second.store.load_state("same") is None
    assert second.kb.search("自提点") and second.kb.db is not first.kb.db


def test_deleted_stays_true_after_the_deletion_for_the_messages_written_since(fresh_engines):
    """After a confirmed deletion the old data is gone; the next message (删干净了没) is stored as new data,
    so ``deleted`` still holds. Before the deletion it does not."""
    conv = {"conversation": "delete, then ask", "source": "t", "turns": [
        {"user": "把我的聊天记录都删了", "expect": {"deleted": False}},
        {"user": "确定删除", "expect": {"deleted": True}},
        {"user": "删干净了没", "expect": {"deleted": True}},
    ]}
    result = run_conversation(fresh_engines(), conv, 1)
    assert [t.failures for t in result.turns] == [[], [], []]
