"""The linli command: ask, ask --jsonl, nlu train/test, help."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from bot import cli
from bot.config import PROJECT_ROOT

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
    for name in ("intent_report.json", "capability_report.json", "intent_errors.json", "calibration.json",
                 "intent_confusion_matrix.svg", "summary.txt"):
        assert (out / name).is_file(), name
    report = json.loads((out / "intent_report.json").read_text(encoding="utf-8"))
    assert {"greet", "grocery_order", "urgent_scam", "accuracy", "macro avg"} <= set(report)
    assert (out / "intent_confusion_matrix.svg").read_text(encoding="utf-8").startswith("<svg")


def test_terminal_chat_answers_each_line(mini_pipeline):
    out = io.StringIO()
    cli.terminal_chat(mini_pipeline, io.StringIO("你好\n\n有人要我的验证码\n退出\n不会读到这里\n"), out, interactive=False)
    text = out.getvalue()
    assert "intent:     greet" in text and "urgent_scam (urgent)" in text
    assert "您好像还没有输入文字" in text and text.rstrip().endswith("有事随时来找我。")


@pytest.mark.parametrize("command", [[], ["run"], ["ask"], ["nlu"], ["nlu", "train"], ["nlu", "test"]])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([*command, "--help"])
    assert exc.value.code == 0
    assert "--config" in capsys.readouterr().out


def test_readme_mentions_every_command():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    for cmd in ("make run", "make test", "linli run", "linli ask", "linli ask --jsonl", "linli nlu train", "linli nlu test"):
        assert cmd in readme, cmd
