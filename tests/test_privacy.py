"""PIPL: personal numbers never reach the database or the log; people can see and delete their data."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest

from bot.config import PROJECT_ROOT
from bot.models import IncomingMessage
from bot.privacy import MaskingFilter, mask

SECRETS = ["13812345678", "110101199003071234", "6222021234567890123", "483920"]


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("我的手机号13812345678", "我的手机号*******5678"),
        ("手机 138 1234 5678", "手机 *******5678"),
        ("+86 13812345678", "+*********5678"),
        ("身份证110101199003071234", "身份证**************1234"),
        ("身份证号11010119900307123X", "身份证号**************123X"),
        ("卡号6222 0212 3456 7890 123", "卡号***************0123"),
        ("验证码是 483920 快点", "验证码是 ****** 快点"),
        ("座机 010-12345678", "座机 *******5678"),
        ("预算500块，2026年11月22日，订单号1234567", "预算500块，2026年11月22日，订单号1234567"),
        ("", ""),
    ],
)
def test_mask(text, masked):
    assert mask(text) == masked


def _db_dump(engine) -> str:
    db = engine.store.db
    return "\n".join(json.dumps(list(db[t].rows), ensure_ascii=False, default=str) for t in db.table_names())


def test_numbers_never_reach_the_database(make_engine):
    engine = make_engine()
    for text in ("我手机13812345678收不到验证码", "身份证110101199003071234要给客服吗",
                 "有人要我银行卡号6222021234567890123和验证码483920", "找社工"):
        engine.handle(IncomingMessage(user_id="p1", text=text))
    engine.handle(IncomingMessage(user_id="p1", text="可以"))
    ticket = engine.handoff.active("p1")
    engine.handoff.add_worker("9", "王")
    engine.handoff.claim(ticket.id, "9")
    engine.handle(IncomingMessage(user_id="p1", text="我的电话是13812345678"))
    dump = _db_dump(engine)
    for secret in SECRETS:
        assert secret not in dump
    assert "*******5678" in dump and "****" in dump


def test_numbers_never_reach_the_log_file(tmp_path, make_engine, settings):
    log = tmp_path / "linli.log"
    db = tmp_path / "cli.db"
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "--db", str(db), "-v", "chat", "--jsonl"],
        input="\n".join(json.dumps({"user": "x", "text": t}, ensure_ascii=False) for t in
                        ("我手机13812345678", "验证码是483920", "卡号6222021234567890123")).encode("utf-8"),
        capture_output=True, cwd=PROJECT_ROOT, timeout=180,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    log.write_bytes(proc.stderr)
    text = log.read_text(encoding="utf-8")
    assert "chat=x" in text  # the log has lines about this chat...
    for secret in SECRETS[:1] + SECRETS[2:]:
        assert secret not in text  # ...but no numbers, even at DEBUG


def test_masking_filter_masks_any_logger(caplog):
    logger = logging.getLogger("somewhere")
    handler = logging.StreamHandler()
    handler.addFilter(MaskingFilter())
    record = logger.makeRecord("somewhere", logging.INFO, __file__, 1, "user said %s", ("13812345678",), None)
    handler.filter(record)
    assert record.getMessage() == "user said *******5678"


def test_export_and_purge(make_engine, tmp_path, capsys):
    from bot.cli import main

    engine = make_engine()
    engine.handle(IncomingMessage(user_id="tg:5", text="我想学买菜"))
    db = str(tmp_path / "linli.db")
    assert main(["--db", db, "privacy", "export", "tg:5"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["messages"][0]["text"] == "我想学买菜" and data["dialogue_state"]["turns"] == 1
    assert main(["--db", db, "privacy", "export", "nobody"]) == 1
    assert main(["--db", db, "privacy", "purge", "--older-than", "30d"]) == 0
    assert "messages 0" in capsys.readouterr().out  # nothing that old yet
    engine.store.db.execute("UPDATE transcript SET created_at = '2020-01-01T00:00:00+00:00'")
    engine.store.db.execute("UPDATE dialogue_states SET updated_at = '2020-01-01T00:00:00+00:00'")
    engine.store.db.conn.commit()
    assert main(["--db", db, "privacy", "purge"]) == 0
    assert "messages 2, states 1" in capsys.readouterr().out
    assert engine.store.load_state("tg:5") is None
    assert main(["--db", db, "privacy", "purge", "--older-than", "soon"]) == 1
