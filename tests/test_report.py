"""Reports for social workers: numbers checked against the database, privacy, formats, ratings."""

from __future__ import annotations

import csv
import datetime as dt
import re
import statistics
from pathlib import Path
from typing import Any

import pytest

from bot import cli, messages
from bot.models import IncomingMessage
from bot.report import MIN_GROUP, collect, group_similar, needs_rows
from bot.report_render import fmt_minutes
from bot.store import Store, open_db
from tests.report_seed import FALLBACK_TEXTS, PRIVATE_TEXT, seed

OCT = ["--days", "31", "--until", "2026-10-31"]
LO, HI = "2026-09-30T16:00:00+00:00", "2026-10-31T16:00:00+00:00"  # October in Asia/Shanghai, as UTC


@pytest.fixture()
def seeded(tmp_path: Path) -> Path:
    path = tmp_path / "seeded.db"
    seed(path)
    return path


def values(html: str) -> dict[str, str]:
    """Every number the page marks with data-key."""
    return {k: v.strip() for k, v in re.findall(r'data-key="([^"]+)">([^<]*)<', html)}


def one(db: Any, sql: str, *args: Any) -> Any:
    return db.execute(sql, list(args)).fetchone()[0]


def render(seeded: Path, tmp_path: Path, *extra: str) -> str:
    out = tmp_path / "report.out"
    assert cli.main(["--db", str(seeded), "report", *OCT, "--out", str(out), *extra]) == 0
    return out.read_text(encoding="utf-8")


def test_html_numbers_match_the_database(seeded, tmp_path):
    html = render(seeded, tmp_path)
    v = values(html)
    db = open_db(seeded)
    inbound = "FROM transcript WHERE direction = 'in' AND created_at >= ? AND created_at < ?"
    assert v["totals.messages"] == str(one(db, f"SELECT COUNT(*) {inbound}", LO, HI))
    assert v["totals.people"] == str(one(db, f"SELECT COUNT(DISTINCT user_id) {inbound}", LO, HI))
    assert v["totals.handoffs"] == str(one(db, "SELECT COUNT(*) FROM tickets WHERE created_at >= ? AND created_at < ?",
                                           LO, HI))
    assert v["totals.urgent"] == str(one(db, f"SELECT COUNT(*) {inbound} AND capability = 'urgent'", LO, HI))
    assert v["unanswered.total"] == str(one(db, f"SELECT COUNT(*) {inbound} AND intent = 'nlu_fallback'", LO, HI))
    # One day, in local time: 2026-10-09 is 2026-10-08T16:00Z .. 2026-10-09T16:00Z.
    day = ("2026-10-08T16:00:00+00:00", "2026-10-09T16:00:00+00:00")
    assert v["day.2026-10-09.messages"] == str(one(db, f"SELECT COUNT(*) {inbound}", *day))
    assert v["day.2026-10-09.people"] == str(one(db, f"SELECT COUNT(DISTINCT user_id) {inbound}", *day))
    # Capabilities with enough people, with their message and people counts.
    assert v["capability.政策.count"] == str(one(db, f"SELECT COUNT(*) {inbound} AND capability = 'policy'", LO, HI))
    assert v["capability.政策.people"] == str(
        one(db, f"SELECT COUNT(DISTINCT user_id) {inbound} AND capability = 'policy'", LO, HI))
    assert v["intent.手机买菜.count"] == str(
        one(db, f"SELECT COUNT(*) {inbound} AND intent = 'grocery_order'", LO, HI))
    assert v["urgent.正在被骗.count"] == "6"
    # Tutorials: started and finished per tutorial title.
    title = "用小象超市买菜（原来的美团买菜）"
    assert v[f"tutorial.{title}.started"] == str(
        one(db, "SELECT COUNT(*) FROM tutorial_runs WHERE flow = 'grocery_xiaoxiang'"))
    assert v[f"tutorial.{title}.finished"] == str(
        one(db, "SELECT COUNT(*) FROM tutorial_runs WHERE flow = 'grocery_xiaoxiang' AND finished_at IS NOT NULL"))
    assert v[f"tutorial.{title}.dropoff"].startswith("第4步（找您要买的东西")  # where people stop
    assert v["tutorial.网上开店入门（抖店、快手小店、拼多多、微信小店、美团）.finished"] == "2"
    # Handoffs: waiting and handling time, median and p90, from the ticket times.
    rows = list(db.query("SELECT created_at, claimed_at, closed_at FROM tickets"))

    def minutes(a: str, b: str) -> float:
        return (dt.datetime.fromisoformat(b) - dt.datetime.fromisoformat(a)).total_seconds() / 60

    waits = [minutes(r["created_at"], r["claimed_at"]) for r in rows if r["claimed_at"]]
    handling = [minutes(r["claimed_at"], r["closed_at"]) for r in rows if r["closed_at"]]
    assert v["handoffs.wait_median"] == fmt_minutes(statistics.median(waits))
    assert v["handoffs.handling_median"] == fmt_minutes(statistics.median(handling))
    assert v["handoffs.waiting"] == str(one(db, "SELECT COUNT(*) FROM tickets WHERE status = 'waiting'"))
    assert v["handoffs.urgent"] == str(one(db, "SELECT COUNT(*) FROM tickets WHERE priority = 'urgent'"))
    # Ratings per kind.
    assert v["feedback.教程.yes"] == str(one(db, "SELECT SUM(helpful) FROM feedback WHERE kind = 'tutorial'"))
    assert v["feedback.教程.no"] == str(one(db, "SELECT COUNT(*) - SUM(helpful) FROM feedback WHERE kind = 'tutorial'"))
    assert v["feedback.total"] == str(one(db, "SELECT COUNT(*) FROM feedback"))


def test_nothing_personal_and_small_groups_are_not_broken_out(seeded, tmp_path):
    html = render(seeded, tmp_path)
    md = render(seeded, tmp_path, "--format", "md")
    for page in (html, md):
        assert "tg:" not in page and "terminal-" not in page  # no user ids
        assert PRIVATE_TEXT not in page  # no raw text of answered messages
        assert "13812345678" not in page and "*******5678" in page  # fallback samples are masked
        assert "个人信息" not in page  # privacy requests came from 2 people
        assert "想不开" not in page  # one self-harm message: never broken out
        assert "老年模式" not in page
    v = values(html)
    assert "feedback.政策解读.yes" not in v  # three people rated policies: too few
    assert not any(k.startswith("tutorial.") and "长辈模式" in k for k in v)  # three people started it
    assert "九月的消息" not in html and "十一月的消息" not in html
    for key, value in v.items():
        if key.startswith("unanswered.") and key.endswith(".people"):
            assert value == f"不足{MIN_GROUP}人" or int(value.split()[0]) >= MIN_GROUP, key
        elif key.endswith(".people"):
            assert int(value) >= MIN_GROUP, key


def test_html_is_self_contained(seeded, tmp_path):
    html = render(seeded, tmp_path)
    assert "<script" not in html and "<link" not in html and "src=" not in html and "url(" not in html
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) == {"http://www.w3.org/2000/svg"}  # a namespace, not a fetch
    assert html.count("<svg") >= 6 and 'lang="zh-CN"' in html and "Noto Sans CJK SC" in html


def test_unanswered_questions_are_grouped_by_similarity():
    pairs = [(f"u{i}", t) for i, t in enumerate(FALLBACK_TEXTS)]
    clusters = group_similar(pairs)
    by_text = {s: n for n, c in enumerate(clusters) for s in c["samples"]}
    assert by_text["电费怎么在手机上交"] == by_text["手机交电费在哪里"]
    assert by_text["社保卡怎么激活"] == by_text["社保卡激活不了"]
    assert by_text["电费怎么在手机上交"] != by_text["社保卡怎么激活"]
    assert sum(c["count"] for c in clusters) == len(FALLBACK_TEXTS)


def test_markdown_has_the_same_totals(seeded, tmp_path):
    html_values = values(render(seeded, tmp_path))
    md = render(seeded, tmp_path, "--format", "md")
    totals_row = md.split("## 总览")[1].splitlines()[4]
    assert totals_row.startswith(f"| {html_values['totals.messages']} | {html_values['totals.people']} | ")


def test_needs_csv_rolls_up_small_groups(seeded, tmp_path):
    out = tmp_path / "needs.csv"
    assert cli.main(["--db", str(seeded), "report", "--needs-csv", str(out)]) == 0
    with out.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and set(rows[0]) == {"月份", "类别", "需求", "身份", "地区", "人数", "消息数"}
    assert all(int(r["人数"]) >= MIN_GROUP for r in rows)
    db = open_db(seeded)
    # A big cell is exact: residents in 朝阳区 asking how to buy groceries, in October.
    people, count = db.execute(
        "SELECT COUNT(DISTINCT user_id), COUNT(*) FROM transcript WHERE direction = 'in' AND intent = 'grocery_order' "
        "AND persona = 'resident' AND region = '朝阳区' AND created_at >= ? AND created_at < ?", [LO, HI]).fetchone()
    cell = [r for r in rows if (r["月份"], r["需求"], r["身份"], r["地区"]) == ("2026-10", "手机买菜", "居民", "朝阳区")]
    assert cell and (int(cell[0]["人数"]), int(cell[0]["消息数"])) == (people, count)
    # Every message is counted at most once; smalltalk and privacy are not needs.
    needs = one(db, "SELECT COUNT(*) FROM transcript WHERE direction = 'in' AND capability NOT IN ('smalltalk', 'privacy')")
    assert sum(int(r["消息数"]) for r in rows) <= needs
    assert not any(r["类别"] in ("闲聊/操作词", "个人信息") for r in rows)
    assert {r["月份"] for r in rows} <= {"2026-09", "2026-10", "2026-11"}


def test_report_on_an_empty_database_and_bad_arguments(tmp_path, capsys):
    empty = tmp_path / "empty.db"
    open_db(empty)
    out = tmp_path / "r.html"
    assert cli.main(["--db", str(empty), "report", "--out", str(out)]) == 0
    v = values(out.read_text(encoding="utf-8"))
    assert v["totals.messages"] == "0" and v["handoffs.wait_median"] == "—"
    assert cli.main(["--db", str(empty), "report", "--until", "31/10/2026"]) == 1
    assert "--until takes a date" in capsys.readouterr().err
    assert cli.main(["--db", str(tmp_path / "missing.db"), "report"]) == 1
    assert "database not found" in capsys.readouterr().err
    assert not (tmp_path / "missing.db").exists()


def test_collect_counts_only_the_period(seeded):
    db = open_db(seeded)
    report = collect(db, days=1, until=dt.date(2026, 11, 1))
    assert report.totals["messages"] == 1  # only the message from 1 November


# ---- ratings and tutorial runs through the real bot -------------------------------------------------


def say(engine: Any, text: str, user: str = "u1") -> list[Any]:
    return engine.handle(IncomingMessage(user, text)).replies


def test_rating_is_asked_after_a_policy_answer_and_stored(make_engine):
    engine = make_engine()
    replies = say(engine, "开小店有啥补贴政策")
    assert replies[-1].text == messages.FEEDBACK_ASK and replies[-1].kind == "feedback"
    assert replies[-1].buttons == (messages.FEEDBACK_YES, messages.FEEDBACK_NO)
    assert say(engine, messages.FEEDBACK_YES)[0].text == messages.FEEDBACK_THANKS
    rows = list(engine.store.db["feedback"].rows)
    assert [(r["kind"], r["helpful"], r["user_id"]) for r in rows] == [("policy", 1, "u1")]
    assert rows[0]["title"]
    assert say(engine, "👍")[0].text == messages.FEEDBACK_ALREADY  # not counted twice
    assert engine.store.db["feedback"].count == 1


def test_rating_is_never_asked_twice_in_a_row(make_engine):
    engine = make_engine()
    first = say(engine, "做海报有没有免费的软件")
    assert first[-1].kind == "feedback"
    second = say(engine, "剪视频用什么软件好")  # another tool answer right after: no second question
    assert all(r.kind != "feedback" for r in second) and "剪" in second[0].text + "视频"
    third = say(engine, "开小店有啥补贴政策")
    assert third[-1].kind == "feedback"
    # The menu number of the 👎 button works too, and a 👎 offers a social worker.
    reply = say(engine, str(len(engine.store.load_state("u1")["buttons"])))
    assert reply[0].text == messages.FEEDBACK_SORRY and "找社工" in reply[0].buttons
    assert [r["helpful"] for r in engine.store.db["feedback"].rows] == [0]


def test_tutorial_runs_record_start_drop_off_and_finish(make_engine):
    engine = make_engine()
    say(engine, "教我在多多买菜上买菜")
    for _ in range(3):
        say(engine, "下一步")
    run = next(engine.store.db["tutorial_runs"].rows)
    assert run["flow"] and run["finished_at"] is None and run["last_step"] >= 3
    replies: list[Any] = []
    for _ in range(20):
        replies = say(engine, "下一步")
        if any(r.kind == "feedback" for r in replies):
            break
    run = next(engine.store.db["tutorial_runs"].rows)
    assert run["finished_at"] is not None
    assert replies[-1].text == messages.FEEDBACK_ASK  # asked after the tutorial is finished
    # A person who deletes their data: ratings and runs stay only as anonymous counts.
    say(engine, messages.FEEDBACK_NO)
    store = Store(engine.store.db)
    assert store.export_user("u1")["ratings"] and store.export_user("u1")["tutorials"]
    store.delete_user("u1")
    assert {r["user_id"] for r in engine.store.db["tutorial_runs"].rows} == {""}
    assert {r["user_id"] for r in engine.store.db["feedback"].rows} == {""}
    assert store.export_user("u1")["ratings"] == []


def test_messages_store_persona_and_region_for_the_needs_table(make_engine):
    engine = make_engine()
    say(engine, "我在朝阳区开水果店，想做点推广，预算500")
    row = next(engine.store.db.query("SELECT persona, region FROM transcript WHERE direction = 'in'"))
    assert (row["persona"], row["region"]) == ("merchant", "朝阳区")
