"""The linli command: ask, ask --jsonl, nlu train/test, help."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import pytest

from bot import cli
from bot.config import PROJECT_ROOT
from bot.models import Reply

JSONL_INPUT = "\n".join(
    [
        json.dumps({"text": "你好"}, ensure_ascii=False),
        "this is not json",
        json.dumps({"text": ""}),
        json.dumps({"txt": "缺字段"}, ensure_ascii=False),
        json.dumps(["a", "list"]),
        json.dumps({"text": 42}),
        json.dumps({"text": "\ud83d断了的表情"}),
        json.dumps({"text": "有人要我的验证码", "user": "u1"}, ensure_ascii=False),
        "",
    ]
) + "\n"


def test_ask_jsonl_one_line_out_per_line_in(mini_pipeline):
    out = io.StringIO()
    cli._ask_jsonl(mini_pipeline, io.StringIO(JSONL_INPUT), out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) == 9
    assert rows[0]["intent"] == "greet"
    assert set(rows[0]) == {"text", "intent", "capability", "confidence", "entities", "ranking"}
    assert "error" in rows[1] and "line 2" in rows[1]["error"]
    assert rows[2]["intent"] == "nlu_fallback"
    assert all("error" in rows[i] for i in (3, 4, 5, 8))
    assert rows[6]["text"].endswith("断了的表情")
    assert rows[7]["capability"] == "urgent"


def test_ask_jsonl_through_the_real_command(mini_project):
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(mini_project), "ask", "--jsonl"],
        input=JSONL_INPUT.encode("utf-8"),
        capture_output=True,
        cwd=PROJECT_ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    lines = proc.stdout.decode("utf-8").splitlines()
    assert len(lines) == 9
    assert [("error" in json.loads(x)) for x in lines] == [False, True, False, True, True, True, False, False, True]


def test_ask_human_readable_and_json(mini_project, mini_pipeline, capsys):
    assert cli.main(["ask", "在拼夕夕买菜", "--config", str(mini_project)]) == 0
    text = capsys.readouterr().out
    assert "intent:" in text and "platform = 拼多多" in text
    assert cli.main(["--config", str(mini_project), "ask", "--json", "你好"]) == 0
    assert json.loads(capsys.readouterr().out)["intent"] == "greet"


def test_ask_without_model_says_how_to_train(tmp_path, capsys):
    from tests.factories import write_project

    cfg = write_project(tmp_path)
    assert cli.main(["--config", str(cfg), "ask", "你好"]) == 1
    assert "run `linli nlu train`" in capsys.readouterr().err


def test_nlu_train_skips_when_current(mini_project, mini_pipeline, capsys):
    assert cli.main(["nlu", "train", "--config", str(mini_project)]) == 0
    assert "up to date" in capsys.readouterr().out


def test_nlu_test_writes_reports(mini_project, tmp_path, capsys):
    out = tmp_path / "results"
    assert cli.main(["--config", str(mini_project), "nlu", "test", "--cross-validation", "2", "--out", str(out)]) == 0
    assert "2-fold cross-validation" in capsys.readouterr().out
    for name in ("intent_report.json", "capability_report.json", "entity_report.json", "intent_errors.json",
                 "calibration.json", "intent_confusion_matrix.svg", "summary.txt"):
        assert (out / name).is_file(), name
    report = json.loads((out / "intent_report.json").read_text(encoding="utf-8"))
    assert {"greet", "grocery_order", "urgent_scam", "accuracy", "macro avg"} <= set(report)
    assert all(isinstance(report[i]["confused_with"], dict) for i in ("greet", "grocery_order"))
    assert (out / "intent_confusion_matrix.svg").read_text(encoding="utf-8").startswith("<svg")


def test_terminal_chat_answers_each_line_and_numbers_buttons(make_engine):
    out = io.StringIO()
    script = "你好\n\n1\n有人要我的验证码\n/quit\n不会读到这里\n"
    cli.terminal_chat(make_engine(), io.StringIO(script), out, interactive=False)
    text = out.getvalue()
    assert "邻里助手> 您好，我是邻里助手" in text and "[1] 学用手机买菜" in text
    assert "哪个软件" in text  # "1" pressed the first button
    assert "110" in text and "96110" in text
    assert "您好像还没有输入文字" in text and text.rstrip().endswith("有事随时来找我。")
    assert "不会读到这里" not in text


def test_chat_jsonl_keeps_state_per_user_and_never_crashes(make_engine):
    lines = [
        {"user": "a", "text": "教我用盒马买菜"},
        {"user": "b", "text": "你好"},
        {"user": "a", "text": "下一步"},
        "not json",
        {"user": "a", "text": ""},
        {"user": "c", "text": "有人让我开屏幕共享退款"},
        {"text": "\u0000\u0001"},
    ]
    raw = "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n"
    out = io.StringIO()
    cli.chat_jsonl(make_engine(), io.StringIO(raw), out)
    rows = [json.loads(x) for x in out.getvalue().splitlines()]
    assert len(rows) == len(lines)
    for row in rows:
        assert "error" in row or set(row) == {"user", "text", "intent", "capability", "skill", "replies", "buttons",
                                              "handoff", "state"}
    assert "第2步" in rows[2]["replies"][0]
    assert "error" in rows[3]
    assert rows[4]["replies"] and rows[4]["handoff"] is None
    assert rows[5]["capability"] == "urgent" and rows[5]["handoff"]["priority"] == "urgent"
    assert rows[6]["replies"]


@pytest.mark.parametrize(
    "command",
    [[], ["run"], ["chat"], ["ask"], ["nlu"], ["nlu", "train"], ["nlu", "test"], ["flows", "validate"],
     ["knowledge", "build"], ["knowledge", "validate"], ["knowledge", "search"], ["workers", "add"], ["workers", "list"],
     ["handoff", "list"], ["handoff", "claim"], ["handoff", "reply"], ["handoff", "close"], ["handoff", "show"],
     ["privacy", "export"], ["privacy", "purge"], ["handoff", "outbox"], ["test", "conversations"],
     ["handoff", "remind"], ["handoff", "reminders"], ["handoff", "note"], ["handoff", "release"]],
)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([*command, "--help"])
    assert exc.value.code == 0
    assert "--config" in capsys.readouterr().out


def test_readme_is_short_and_the_command_list_names_every_command():
    """The README is what a newcomer reads (at most about 250 lines); docs/cli.md lists every command."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    for text in ("make run", "make test", "docs/cli.md", "linli run", "linli serve", "linli chat --jsonl"):
        assert text in readme, text
    for doc in re.findall(r"\(docs/([a-z_]+\.md)\)", readme):
        assert (PROJECT_ROOT / "docs" / doc).is_file(), doc
    cli_doc = (PROJECT_ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for cmd in ("make run", "make test", "linli run", "linli chat", "linli chat --jsonl", "linli ask", "linli ask --jsonl",
                "linli nlu train", "linli nlu test", "linli flows validate", "linli knowledge build",
                "linli knowledge validate", "linli knowledge search", "linli workers add", "linli workers list",
                "linli handoff list", "linli handoff claim", "linli handoff reply", "linli handoff close",
                "linli privacy export", "linli privacy purge", "linli handoff outbox", "linli test conversations",
                "linli handoff remind", "linli handoff reminders", "linli backup", "linli serve", "linli handoff note"):
        assert cmd in cli_doc, cmd


def test_terminal_numbers_buttons_on_across_replies():
    out = io.StringIO()
    cli._show([Reply("甲", ("下一步", "菜单")), Reply("乙"), Reply("丙", ("我开店", "我买东西"))], out)
    assert [line.strip() for line in out.getvalue().splitlines() if line.startswith("    [")] == [
        "[1] 下一步", "[2] 菜单", "[3] 我开店", "[4] 我买东西"]


def test_bare_linli_prints_help_and_version_works(capsys):
    assert cli.main([]) == 0
    assert "usage: linli" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.startswith("linli ")


def _seeded(make_engine, tmp_path):
    """A database with one worker and one Telegram person's ticket, and its path."""
    from bot.models import IncomingMessage

    engine = make_engine()
    for text in ("找社工", "可以"):
        engine.handle(IncomingMessage(user_id="tg:424242", text=text, channel="telegram", chat_id="424242"))
    db = str(tmp_path / "linli.db")
    assert cli.main(["--db", db, "workers", "add", "77", "--name", "陈老师"]) == 0
    return engine, db


def test_listings_as_json_and_csv_in_local_time(make_engine, tmp_path, capsys):
    import csv
    import datetime as dt

    engine, db = _seeded(make_engine, tmp_path)
    capsys.readouterr()
    assert cli.main(["--db", db, "handoff", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    ticket = engine.handoff.queue()[0]
    assert rows[0]["id"] == ticket.id and rows[0]["user_id"] == "tg:424242" and rows[0]["channel"] == "telegram"
    utc = dt.datetime.fromisoformat(ticket.created_at)
    local = utc.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")  # Asia/Shanghai
    assert rows[0]["created_at"] == local
    assert cli.main(["--db", db, "workers", "list", "--csv"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert table[0]["worker_id"] == "77" and table[0]["name"] == "陈老师"
    assert cli.main(["--db", db, "handoff", "show", str(ticket.id)]) == 0
    shown = capsys.readouterr().out
    assert "user: tg:424242" in shown and local in shown
    with pytest.raises(SystemExit):
        cli.main(["--db", db, "workers", "add", "78"])  # a worker needs a name people will see


def test_privacy_export_takes_the_user_as_shown_and_names_the_forms(make_engine, tmp_path, capsys):
    _, db = _seeded(make_engine, tmp_path)
    capsys.readouterr()
    assert cli.main(["--db", db, "privacy", "export", "424242"]) == 0  # the bare Telegram number
    assert json.loads(capsys.readouterr().out)["user_id"] == "tg:424242"
    assert cli.main(["--db", db, "privacy", "export", "tg:424242", "--json"]) == 0
    capsys.readouterr()
    assert cli.main(["--db", db, "privacy", "export", "nobody"]) == 1
    assert "tg:123456789" in capsys.readouterr().err


def test_privacy_purge_dry_run_and_asks_unless_yes(make_engine, tmp_path, capsys, monkeypatch):
    engine, db = _seeded(make_engine, tmp_path)
    engine.store.db.execute("UPDATE transcript SET created_at = '2020-01-01T00:00:00+00:00'")
    engine.store.db.conn.commit()
    before = engine.store.db["transcript"].count
    capsys.readouterr()
    assert cli.main(["--db", db, "privacy", "purge", "--older-than", "30d", "--dry-run"]) == 0
    assert f"messages {before}" in capsys.readouterr().out and engine.store.db["transcript"].count == before
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # no terminal: no question can be asked
    assert cli.main(["--db", db, "privacy", "purge", "--older-than", "30d"]) == 1
    assert "--yes" in capsys.readouterr().err and engine.store.db["transcript"].count == before
    assert cli.main(["--db", db, "privacy", "purge", "--older-than", "30d", "--yes"]) == 0
    assert engine.store.db["transcript"].count == 0


def test_terminal_chat_help(make_engine):
    from bot import messages

    out = io.StringIO()
    cli.terminal_chat(make_engine(), io.StringIO("/help\n/quit\n"), out, interactive=False)
    assert messages.TERMINAL_HELP in out.getvalue()


def test_confused_with_and_entity_report_figures():
    from nlu.evaluate import Prediction, build_report

    def pred(intent, predicted, ents=(), found=()):
        return Prediction("x", intent, "teach", predicted, "teach", 0.9, False, ents, found)

    preds = [pred("a", "a"), pred("a", "b"), pred("a", "b"), pred("a", "c"), pred("b", "b"),
             pred("b", "b", (("platform", 0, 2),), (("platform", 0, 2), ("money", 3, 5))),
             pred("b", "b", (("platform", 1, 3),), ())]
    rep = build_report("t", preds)
    assert rep.intent_report["a"]["confused_with"] == {"b": 2, "c": 1}
    assert rep.intent_report["b"]["confused_with"] == {}
    ents = rep.entity_report
    assert ents["platform"] == {"precision": 1.0, "recall": 0.5, "f1-score": 2 / 3, "support": 2}
    assert ents["money"]["precision"] == 0.0 and ents["micro avg"]["precision"] == 0.5


def test_backup_copies_a_consistent_database_and_log_file(make_engine, tmp_path, capsys):
    import sqlite3

    engine, db = _seeded(make_engine, tmp_path)
    dest = tmp_path / "backups" / "linli-copy.db"
    log = tmp_path / "logs" / "linli.log"
    assert cli.main(["--db", db, "--log-file", str(log), "backup", str(dest)]) == 0
    assert "integrity ok" in capsys.readouterr().out
    copy = sqlite3.connect(dest)
    assert copy.execute("SELECT COUNT(*) FROM transcript").fetchone()[0] == engine.store.db["transcript"].count > 0
    assert copy.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 1
    assert cli.main(["--db", db, "backup", str(dest)]) == 1  # never overwrite by surprise
    assert "--force" in capsys.readouterr().err
    assert cli.main(["--db", db, "backup", str(dest), "--force"]) == 0
    assert cli.main(["--db", str(tmp_path / "none.db"), "backup", str(tmp_path / "x.db")]) == 1
    for handler in list(__import__("logging").getLogger().handlers):
        if getattr(handler, "baseFilename", "") == str(log):
            handler.close()
            __import__("logging").getLogger().removeHandler(handler)
    assert log.is_file()


def test_terminal_chat_prints_no_info_lines(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "bot", "--db", str(tmp_path / "new.db"), "chat"], input="你好\n/quit\n",
                          capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT)
    assert proc.returncode == 0 and "邻里助手>" in proc.stdout
    assert " INFO " not in proc.stderr and " INFO " not in proc.stdout  # a new database migrates quietly


def test_a_worker_sets_and_lists_followups(make_engine, tmp_path, capsys):
    engine, db = _seeded(make_engine, tmp_path)
    ticket = engine.handoff.queue()[0]
    capsys.readouterr()
    assert cli.main(["--db", db, "handoff", "remind", str(ticket.id), "2099-01-02 10:00", "电话回访", "--worker", "77"]) == 0
    assert f"on ticket #{ticket.id} at 2099-01-02 10:00" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="cannot read '昨天' as a time to come"):
        cli.main(["--db", db, "handoff", "remind", str(ticket.id), "昨天", "--worker", "77"])
    assert cli.main(["--db", db, "handoff", "remind", str(ticket.id), "明天", "--worker", "nobody"]) == 1
    assert "nobody is not a registered social worker" in capsys.readouterr().err
    assert cli.main(["--db", db, "handoff", "reminders", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["ticket_id"] == ticket.id and row["due"] == "2099-01-02 10:00" and row["task"] == "电话回访"


def test_a_worker_gives_a_ticket_back_to_the_queue(make_engine, tmp_path, capsys):
    engine, db = _seeded(make_engine, tmp_path)
    ticket = engine.handoff.queue()[0]
    assert cli.main(["--db", db, "handoff", "claim", str(ticket.id), "--worker", "77"]) == 0
    assert cli.main(["--db", db, "handoff", "release", str(ticket.id), "--worker", "77"]) == 0
    assert "back in the queue" in capsys.readouterr().out
    again = engine.handoff.get(ticket.id)
    assert again.status == "waiting" and not again.worker_id
    assert any("交回" in m["text"] for m in engine.handoff.outbox("tg:424242"))
    assert cli.main(["--db", db, "handoff", "release", str(ticket.id), "--worker", "77"]) == 1  # not claimed now
