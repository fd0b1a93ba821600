"""Crash safety: kill -9 a real `linli chat --jsonl` process mid-conversation, restart, nothing lost."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bot.config import PROJECT_ROOT


def _start(db: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "--db", str(db), "chat", "--jsonl"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=PROJECT_ROOT,
    )


def _kill(proc: subprocess.Popen[bytes]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            try:
                stream.close()
            except BrokenPipeError:
                pass


def _say(proc: subprocess.Popen[bytes], user: str, text: str) -> dict:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write((json.dumps({"user": user, "text": text}, ensure_ascii=False) + "\n").encode("utf-8"))
    proc.stdin.flush()
    return json.loads(proc.stdout.readline())


def test_kill_9_mid_conversation_and_open_handoff(tmp_path):
    db = tmp_path / "linli.db"
    proc = _start(db)
    try:
        assert "第1步" in "".join(_say(proc, "u1", "教我用盒马买菜")["replies"])
        _say(proc, "u1", "下一步")
        assert "第3步" in "".join(_say(proc, "u1", "下一步")["replies"])
        _say(proc, "u2", "我要找社工")
        ticket = _say(proc, "u2", "可以")["handoff"]["ticket"]
        subprocess.run([sys.executable, "-m", "bot", "--db", str(db), "workers", "add", "7", "--name", "李"],
                       check=True, cwd=PROJECT_ROOT, capture_output=True)
        subprocess.run([sys.executable, "-m", "bot", "--db", str(db), "handoff", "claim", str(ticket),
                        "--worker", "7"], check=True, cwd=PROJECT_ROOT, capture_output=True)
        # A burst of messages, then kill -9 while they are being handled.
        assert proc.stdin is not None
        for i in range(30):
            proc.stdin.write((json.dumps({"user": f"burst{i}", "text": "你好"}, ensure_ascii=False) + "\n").encode())
        proc.stdin.flush()
        time.sleep(0.3)
    finally:
        _kill(proc)

    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()

    proc = _start(db)
    try:
        # The tutorial resumes exactly where it was.
        assert "第4步" in "".join(_say(proc, "u1", "下一步")["replies"])
        # The claimed ticket still relays to the social worker.
        out = _say(proc, "u2", "李老师您好")
        assert out["handoff"] == {"ticket": ticket, "priority": "normal", "status": "claimed"}
        assert "转给社工" in "".join(out["replies"])
    finally:
        _kill(proc)
    conn = sqlite3.connect(db)
    # Every burst message that got an answer before the kill is stored whole: one inbound row and
    # its replies, never half a turn.
    for (user,) in conn.execute("SELECT DISTINCT user_id FROM transcript WHERE user_id LIKE 'burst%'"):
        ins = conn.execute("SELECT COUNT(*) FROM transcript WHERE user_id = ? AND direction = 'in'", [user]).fetchone()
        outs = conn.execute("SELECT COUNT(*) FROM transcript WHERE user_id = ? AND direction = 'out'", [user]).fetchone()
        state = conn.execute("SELECT COUNT(*) FROM dialogue_states WHERE user_id = ?", [user]).fetchone()
        assert ins[0] == 1 and outs[0] >= 1 and state[0] == 1
    relayed = conn.execute("SELECT text FROM ticket_messages WHERE ticket_id = ?", [ticket]).fetchall()
    assert ("李老师您好",) in relayed
    conn.close()
