"""Privacy at rest (issue 12, items 7 and 8): no personal number, in any way of writing it, reaches
the database file, its write-ahead log or the log output, whichever path it takes through the bot.
"""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from bot.engine import safe_handle
from bot.models import IncomingMessage
from bot.privacy import MaskingFilter, mask_data
from tests.test_privacy import PERSONAL

# Characters that write a digit (ASCII, full-width, Chinese numerals) and what people put between digits.
_DIGIT = "0-9０-９〇零○一幺壹二两兩贰貳三叁参參四肆五伍六陆陸七柒八捌九玖Xx"
_RUN = re.compile(f"[{_DIGIT}](?:[ \u3000.\\-－]{{0,3}}[{_DIGIT}])+")
# "Budgets" that are really a phone or account number: 11 digits still parse as an amount for the slot.
BUDGETS = ["15923456780", "1234567890123"]


def probes(text: str, digits: str) -> list[str]:
    """What must never be stored or logged: the number as written and as ASCII digits.

    For phone, ID and card numbers (kept as their last 4 digits) it is everything before the
    last 4 digits; for codes, the whole number.
    """
    run = max(_RUN.findall(text), key=len)
    keep = 4 if len(digits) >= 11 else 0
    places = [i for i, c in enumerate(run) if c not in " \u3000.-－"]
    written = run[: places[-keep] if keep else len(run)].strip(" \u3000.-－")
    return list(dict.fromkeys([written, digits[: len(digits) - keep]]))


ALL_PROBES = [(text, p) for text, digits, _ in PERSONAL for p in probes(text, digits)] + [
    ("a budget", b[:-4]) for b in BUDGETS]


def _stored_bytes(path) -> bytes:
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def _leaks(blob: bytes, found_in: str) -> list[str]:
    leaks = []
    for text, probe in ALL_PROBES:
        forms = {probe.encode("utf-8"), json.dumps(probe).strip('"').encode("ascii")}
        if any(f in blob for f in forms):
            leaks.append(f"{probe!r} (from {text!r}) in {found_in}")
    return leaks


@pytest.fixture()
def log_output():
    """The log as an operator sees it: the root handler with the filter `linli` installs (bot/cli.py)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskingFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_probes_cover_the_written_forms():
    assert probes("我的电话幺三八幺二三四五六七八", "13812345678") == ["幺三八幺二三四", "1381234"]
    assert probes("卡号6222\u30000212\u30003456\u30007890\u3000123", "6222021234567890123") == [
        "6222\u30000212\u30003456\u3000789", "622202123456789"]
    assert probes("验证码 7 8 2 9 1 3", "782913") == ["7 8 2 9 1 3", "782913"]


def test_every_format_through_every_path_leaves_no_trace(tmp_path, make_engine, log_output, monkeypatch):
    engine = make_engine()
    db_path = tmp_path / "linli.db"
    assert _leaks(_stored_bytes(db_path), "a new database") == []  # the probes are specific to this test
    texts = [t for t, _, _ in PERSONAL]

    def say(text):
        return engine.handle(IncomingMessage(user_id="p1", text=text, channel="telegram", chat_id="p1"))

    # 1. Slot values in the dialogue state: a budget of 11+ digits is dropped, the rest still works.
    for budget in BUDGETS:
        assert say(f"预算{budget}块，抖音怎么推广").intent == "mk_low_budget"
        state = engine.store.load_state("p1")
        assert budget[:-4] not in json.dumps(state) and state["slots"].get("budget") is None
        assert state["slots"].get("platform") == "抖音"
    say("预算500块，抖音怎么推广")
    assert engine.store.load_state("p1")["slots"]["budget"] == 500

    # 2. Every format in an ordinary conversation (transcript, dialogue state, bot replies).
    for text in texts:
        say(text)

    # 3. A ticket: waiting messages, relayed messages, a worker's replies and close note.
    say("我要找社工")
    say("可以")  # a ticket opens here, or one opened earlier (a pasted 验证码 may read as a scam) is the one
    ticket = engine.handoff.active("p1")
    assert ticket is not None
    for text in texts[:10]:
        say(text)  # waiting: the worker will see these in the ticket
    engine.handoff.add_worker("9", "王老师")
    engine.handoff.claim(ticket.id, "9")
    for text, digits, _ in PERSONAL:
        say(text)  # relayed to the worker
        # A worker quoting it back (a code is masked where its message says it is a code).
        reply = f"好的，我记下了：{text}" if len(digits) >= 11 else f"这个验证码千万别告诉别人：{text}"
        engine.handoff.add_message(ticket.id, "worker", reply, delivered=False)
    say("好的")  # the worker's replies are delivered (and stored as the bot's replies)
    engine.handoff.close(ticket.id, "9", "已回电，号码和卡号：" + "；".join(texts))
    assert "*" in engine.handoff.get(ticket.id).close_note

    # 4. An unexpected error whose message and traceback carry the person's words.
    def broken(msg, intent=None):
        raise RuntimeError(f"could not handle {msg.text!r}")

    monkeypatch.setattr(engine, "handle", broken)
    for text in texts:
        safe_handle(engine, IncomingMessage(user_id="p1", text=text))
    logging.getLogger("bot.test").warning("last words: %s", texts[-1], stack_info=True)

    stored = _stored_bytes(db_path)
    assert db_path.with_name("linli.db-wal").exists()
    assert b"*******5678" in stored  # the masked numbers are there...
    log = log_output.getvalue()
    assert "could not handle" in log and "Traceback" in log and "*******5678" in log
    # ...and no raw number, in any way of writing it, anywhere.
    assert _leaks(stored, "the database or its WAL") == []
    assert _leaks(log.encode("utf-8"), "the log") == []


def test_a_traceback_is_masked_by_the_logging_filter(log_output):
    try:
        raise ValueError("用户说：我的卡号是6222 0212 3456 7890 123，验证码483920")
    except ValueError:
        logging.getLogger("somewhere").exception("failed for 138.1234.5678")
    log = log_output.getvalue()
    assert "ValueError" in log and "***************0123" in log
    for raw in ("6222 0212", "483920", "138.1234"):
        assert raw not in log


def test_close_note_is_masked(make_engine):
    engine = make_engine()
    engine.handle(IncomingMessage(user_id="c1", text="我要找社工"))
    ticket = engine.handle(IncomingMessage(user_id="c1", text="可以")).new_ticket
    engine.handoff.add_worker("9", "王老师")
    closed = engine.handoff.close(ticket.id, "9", "已回电 138 1234 5678，验证码 482914 已作废")
    assert closed.close_note == "已回电 *******5678，验证码 ****** 已作废"


def test_dialogue_state_is_masked_but_keeps_working():
    state = {"flow": None, "step": 0, "turns": 3, "persona_asked": True, "last": ["电话13812345678"],
             "slots": {"budget": 13812345678, "product": "卡号6222021234567890123", "region": "朝阳", "small": 500},
             "buttons": {"下一步": {"nav": "nav_next"}}, "ratio": 0.5}
    assert mask_data(state) == {
        "flow": None, "step": 0, "turns": 3, "persona_asked": True, "last": ["电话*******5678"],
        "slots": {"product": "卡号***************0123", "region": "朝阳", "small": 500},
        "buttons": {"下一步": {"nav": "nav_next"}}, "ratio": 0.5}
