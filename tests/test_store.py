"""The SQLite store: WAL, migrations that upgrade an old database in place without loss."""

from __future__ import annotations

import sqlite3

import sqlite_utils

from bot.store import MIGRATIONS, TICKETS, open_db


def test_v1_database_upgrades_in_place(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(sqlite3.connect(path))
    MIGRATIONS[0](db)  # schema version 1, as an earlier Linli wrote it
    db.execute("PRAGMA user_version=1")
    db["help_requests"].insert({"user_id": "u1", "reason": "asked", "priority": "urgent", "status": "waiting",
                                "summary": "想找社工", "created_at": "2026-11-01T00:00:00+00:00"})
    db["transcript"].insert({"user_id": "u1", "direction": "in", "text": "你好", "created_at": "2026-11-01"})
    db.conn.commit()
    db.conn.close()

    upgraded = open_db(path)
    assert upgraded.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert upgraded.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    rows = list(upgraded[TICKETS].rows)
    assert [(r["user_id"], r["priority"], r["summary"]) for r in rows] == [("u1", "urgent", "想找社工")]
    assert not upgraded["help_requests"].exists()
    assert upgraded.execute("SELECT text FROM transcript").fetchone()[0] == "你好"
    # Opening again is a no-op.
    assert open_db(path).execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
