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
from bot.config import REPORTS_DEFAULTS, load_config
from bot.errors import ConfigError
from bot.models import IncomingMessage
from bot.report import (FALLBACK_INTENTS, MIN_GROUP, collect, ended_without_answer, group_similar, needs_rows,
                        repeated_simpler)
from bot.report_render import _text_width, fmt_minutes, render_html, render_markdown
from bot.store import Store, open_db
from tests.report_seed import FALLBACK_TEXTS, GLOSSARY_QUESTION, PRIVATE_TEXT, SUGGESTED_QUESTION, seed

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
    # Unanswered: a fallback whose next bot reply is 没听明白, or suggestions the next message did not settle.
    not_understood = one(db, f"SELECT COUNT(*) {inbound} AND intent = 'nlu_fallback' AND (SELECT o.text FROM transcript o "
                             "WHERE o.user_id = transcript.user_id AND o.id = transcript.id + 1) = ?", LO, HI,
                         messages.NOT_UNDERSTOOD)
    assert v["unanswered.total"] == str(not_understood + 3)
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
    rows = list(db.query("SELECT created_at, claimed_at, closed_at FROM tickets WHERE created_at >= ? AND created_at < ?",
                         [LO, HI]))

    def minutes(a: str, b: str) -> float:
        return (dt.datetime.fromisoformat(b) - dt.datetime.fromisoformat(a)).total_seconds() / 60

    waits = [minutes(r["created_at"], r["claimed_at"]) for r in rows if r["claimed_at"]]
    handling = [minutes(r["claimed_at"], r["closed_at"]) for r in rows if r["closed_at"]]
    assert v["handoffs.wait_median"] == fmt_minutes(statistics.median(waits))
    assert v["handoffs.handling_median"] == fmt_minutes(statistics.median(handling))
    tickets = "FROM tickets WHERE created_at >= ? AND created_at < ?"
    assert v["handoffs.waiting"] == str(one(db, f"SELECT COUNT(*) {tickets} AND status = 'waiting'", LO, HI))
    assert v["handoffs.urgent"] == str(one(db, f"SELECT COUNT(*) {tickets} AND priority = 'urgent'", LO, HI))
    # Ratings per kind.
    ratings = "FROM feedback WHERE kind = 'tutorial' AND created_at >= ? AND created_at < ?"
    assert v["feedback.教程.yes"] == str(one(db, f"SELECT SUM(helpful) {ratings}", LO, HI))
    assert v["feedback.教程.no"] == str(one(db, f"SELECT COUNT(*) - SUM(helpful) {ratings}", LO, HI))
    assert v["feedback.total"] == str(one(db, "SELECT COUNT(*) FROM feedback WHERE created_at >= ? AND created_at < ?",
                                          LO, HI))


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
        assert "1391234" not in page and "已电话回访 *******5678" in page  # closing notes are masked too
        assert "九月的备注" not in page and "ended by the person" not in page
    v = values(html)
    assert "feedback.政策解读.yes" not in v  # three people rated policies: too few
    assert not any(k.startswith("tutorial.") and "长辈模式" in k for k in v)  # three people started it
    assert "九月的消息" not in html and "十一月的消息" not in html
    for key, value in v.items():
        if key.endswith(".people"):
            assert value == f"不足{MIN_GROUP}人" or int(value.split()[0]) >= MIN_GROUP, key


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
    assert totals_row == "| 610 | 62 | 14 | 7 | 47 | 10/21 | 67% |"
    assert totals_row.startswith(f"| {html_values['totals.messages']} | {html_values['totals.people']} | ")
    for heading in ("## 没帮上忙的地方", "## 和上一期比", "## 来的人", "## 各地区的需求", "## 每位社工的工作量",
                    "## 工单的结果", "## 结束时的备注"):
        assert heading in md
    assert "| 王芳 | 4 | 4 | 36 分钟 | 34 分钟 |" in md
    assert "| 没听懂、也没答上的问题 | 33 | 33 人 |" in md


def test_needs_csv_rolls_up_small_groups(seeded, tmp_path):
    out = tmp_path / "needs.csv"
    assert cli.main(["--db", str(seeded), "report", "--needs-csv", str(out)]) == 0
    with out.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and set(rows[0]) == {"月份", "类别", "需求", "身份", "地区", "人数", "消息数"}
    assert all(int(r["人数"]) >= MIN_GROUP for r in rows)
    db = open_db(seeded)
    # The page shows the same table for October, without the month column.
    html = render(seeded, tmp_path)
    page = set(re.findall(r'<tr data-need="([^"]+)">', html))
    with out.open(encoding="utf-8-sig") as fh:
        october = list(csv.reader(fh))[1:]
    assert page == {"|".join([r[4], r[1], r[2], r[3], r[5], r[6]]) for r in october if r[0] == "2026-10"}
    assert "|".join(["朝阳区", "学用手机/平台", "手机买菜", "居民", "17", "35"]) in page
    # Unanswered needs are the fallbacks that ended without an answer: 33 in October, none answered.
    unanswered = [r for r in rows if r["月份"] == "2026-10" and r["需求"] == "没能回答的问题"]
    assert sum(int(r["消息数"]) for r in unanswered) == 30  # 33 less three from people too few to show
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


# ---- issue 16: reports that are true ----------------------------------------------------------------


def test_report_shows_the_exact_figures_of_the_seeded_database(seeded, tmp_path):
    html = render(seeded, tmp_path)
    v = values(html)
    assert [v[f"totals.{k}"] for k in ("messages", "people", "handoffs", "urgent", "unhelped", "helpful")] == [
        "610", "62", "14", "7", "47", "67%"]
    # Where the bot did not help: 30 fallbacks answered 没听明白 and 3 suggestions that led nowhere
    # (the six glossary answers, four typed button numbers and three taken suggestions are not
    # counted); seven 👎; three repeated 没看懂; four tickets after failures.
    assert [(v[f"unhelped.{k}.count"], v[f"unhelped.{k}.people"])
            for k in ("fallback", "thumbs_down", "simpler_again", "handoff")] == [
        ("33", "33 人"), ("7", "7 人"), ("3", "不足5人"), ("4", "不足5人")]
    assert v["unanswered.total"] == "33" and (v["unanswered.1.count"], v["unanswered.1.people"]) == ("12", "12 人")
    assert SUGGESTED_QUESTION in html and GLOSSARY_QUESTION not in html
    # Caseload per worker: claimed, closed, median minutes to claim and from claim to close.
    assert [[v[f"worker.{name}.{k}"] for k in ("claimed", "closed", "claim_median", "close_median")]
            for name in ("王芳", "李强", "没登记姓名的社工1")] == [
        ["4", "4", "36 分钟", "34 分钟"], ["4", "3", "44 分钟", "32 分钟"], ["4", "3", "50 分钟", "35 分钟"]]
    assert html.index('data-key="worker.王芳.claimed"') < html.index('data-key="worker.李强.claimed"')
    # Outcomes of the 14 October tickets, and the six closing notes, oldest first, masked.
    assert [v[f"outcome.{k}"] for k in ("waiting", "claimed", "closed_note", "closed_no_note", "person_ended")] == [
        "2", "2", "6", "2", "2"]
    notes = re.findall(r'<tr data-note="(\d+)"><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>', html)
    assert [n[1:] for n in notes] == [
        ("2026-10-01", "王芳", "本人要找社工", "已教会用小象超市下单"),
        ("2026-10-03", "李强", "本人要找社工", "已电话回访 *******5678，问题解决"),
        ("2026-10-09", "李强", "紧急：正在被骗", "转介到街道办，补贴申请材料已递交"),
        ("2026-10-11", "没登记姓名的社工1", "机器人没帮上", "帮忙联系了平台客服，已退款"),
        ("2026-10-13", "王芳", "机器人没帮上", "已教会"),
        ("2026-10-17", "没登记姓名的社工1", "对机器人不满意", "陪同去银行办了手机银行"),
    ]
    # This period against the 31 days before (2026-08-31 .. 2026-09-30).
    assert "2026-08-31 至 2026-09-30" in html
    assert [(v[f"compare.{k}.now"], v[f"compare.{k}.before"], v[f"compare.{k}.change"])
            for k in ("messages", "people", "handoffs", "urgent", "unhelped", "ratings")] == [
        ("610", "13", "+597（+4592%）"), ("62", "12", "+50（+417%）"), ("14", "2", "+12（+600%）"),
        ("7", "0", "+7"), ("47", "2", "+45（+2250%）"), ("21", "2", "+19（+950%）")]
    # Returning people: the twelve who also wrote in September.
    assert [v[f"returning.{k}"] for k in ("people", "returning", "new", "several_days")] == ["62", "12", "50", "62"]


def test_previous_period_figures(seeded):
    report = collect(open_db(seeded), days=31, until=dt.date(2026, 10, 31))
    before = report.previous
    assert before is not None and (before.start, before.end) == (dt.date(2026, 8, 31), dt.date(2026, 9, 30))
    assert {k: before.totals[k] for k in ("messages", "people", "handoffs", "unhelped", "ratings", "helpful")} == {
        "messages": 13, "people": 12, "handoffs": 2, "unhelped": 2, "ratings": 2, "helpful": 1}
    assert before.previous is None  # one period back only


NOT_UNDERSTOOD = [messages.NOT_UNDERSTOOD, messages.MENU_TEXT]
ANSWER = ["团长就是负责自提点的人，一般是附近小店的店主。货到了他会通知大家来取。"]


@pytest.mark.parametrize(("replies", "next_replies", "unanswered"), [
    (NOT_UNDERSTOOD, None, True),
    ([messages.OUT_OF_SCOPE], ANSWER, True),
    ([messages.OUT_OF_SCOPE, messages.OFFER_HUMAN], None, True),
    ([messages.OFFER_HUMAN], None, True),
    (ANSWER, None, False),  # a glossary answer, a typed button number, a follow-up: answered
    (ANSWER + ["我们接着看刚才这一步："], NOT_UNDERSTOOD, False),
    ([], None, False),  # no bot reply: the chat was with a social worker
    ([messages.DID_YOU_MEAN], ANSWER, False),  # a suggestion taken and answered
    ([messages.DID_YOU_MEAN], [messages.MENU_TEXT], True),  # 都不是: only the menu
    ([messages.DID_YOU_MEAN], NOT_UNDERSTOOD, True),
    ([messages.DID_YOU_MEAN], None, True),  # nothing after the suggestions
])
def test_fallback_ends_without_an_answer_only_when_the_bot_said_so(replies, next_replies, unanswered):
    assert ended_without_answer(replies, next_replies) is unanswered


def test_unanswered_through_the_real_bot(make_engine):
    engine = make_engine()
    say(engine, "我家猫不吃饭怎么办", "u1")  # out of scope: 这个我还不太懂
    say(engine, "孙子不在家，我想在手机上买点菜", "u2")  # asks which app, with numbered buttons
    say(engine, "1", "u2")  # the NLU cannot place "1", but it picks the first app: answered
    rows = list(engine.store.db.query("SELECT user_id, intent, capability FROM transcript WHERE direction = 'in'"))
    assert all(r["intent"] in FALLBACK_INTENTS or r["capability"] == "out_of_scope" for r in rows if r["user_id"] == "u1")
    # "1" is read as the first app's name (whatever intent the NLU gives that name): it was answered.
    assert rows[-1]["user_id"] == "u2" and rows[-1]["capability"] != "out_of_scope"
    report = collect(engine.store.db, days=1)
    assert report.unanswered_total == 1  # only the question about the cat went unanswered
    assert [g["samples"] for g in report.unanswered] == [["我家猫不吃饭怎么办"]]


def test_repeated_simpler_counts_once_per_step():
    def row(user: str, intent: str, step: str, flow: str | None = "f") -> dict[str, Any]:
        return {"user_id": user, "intent": intent, "flow": flow, "step": step}

    rows = [row("a", "nav_simpler", "1"), row("b", "nav_simpler", "1"), row("a", "nav_simpler", "1"),
            row("a", "nav_simpler", "1"), row("b", "nav_next", "2"), row("b", "nav_simpler", "2"),
            row("c", "nav_simpler", "0", None), row("c", "nav_simpler", "0", None),  # outside a tutorial
            row("a", "nav_next", "2"), row("a", "nav_simpler", "2"), row("a", "ask", "2"), row("a", "nav_simpler", "2")]
    assert repeated_simpler(rows) == ["a", "a"]


def _one_rating_db(tmp_path: Path) -> Any:
    db = open_db(tmp_path / "one.db")
    db["feedback"].insert({"user_id": "u1", "kind": "policy", "subject": "subsidy", "title": "补贴", "helpful": 1,
                           "persona": "", "created_at": "2026-10-10T02:00:00+00:00"})
    return db


def test_one_rating_is_shown_as_a_count_not_a_share(tmp_path):
    report = collect(_one_rating_db(tmp_path), days=31, until=dt.date(2026, 10, 31))
    html = render_html(report)
    v = values(html)
    feedback = html.split('id="feedback"')[1]
    assert v["totals.helpful"] == "1 次评价" and "100%" not in feedback
    assert f"评价不足 {REPORTS_DEFAULTS['min_ratings'][0]} 次，不算比例" in html
    assert "这段时间还没有数据" not in feedback and "本期 1 次评价" in feedback  # the section agrees with the headline
    md = render_markdown(report)
    assert "100%" not in md and "| 1 次评价 |" in md


def test_min_ratings_comes_from_the_config(seeded, tmp_path):
    config = tmp_path / "config.yml"
    root = Path(__file__).resolve().parent.parent
    text = (root / "config.yml").read_text(encoding="utf-8")
    for key in ("training_data: nlu/data", "model_dir: nlu/models", "flows_dir: dialogues/flows",
                "content_dir: knowledge/content"):
        name, value = key.split(": ")
        text = text.replace(key, f"{name}: {root / value}")
    config.write_text(text + "\nreports:\n  min_ratings: 30\n", encoding="utf-8")
    html = render(seeded, tmp_path, "--config", str(config))
    v = values(html)
    assert v["totals.helpful"] == "21 次评价" and "评价不足 30 次，不算比例" in html
    assert "90%" not in html.split('id="feedback"')[1]  # the tutorial's 9 of 10 is not a share under 30 ratings
    assert values(render(seeded, tmp_path))["totals.helpful"] == "67%"  # default: 10


def test_config_reports_section(tmp_path):
    assert load_config().reports == {"min_ratings": 10}

    def with_reports(body: str) -> Path:
        path = tmp_path / "c.yml"
        path.write_text(f"language: zh\npipeline:\n  - name: JiebaTokenizer\nnlu:\n  training_data: {tmp_path}\n"
                        f"reports:\n{body}", encoding="utf-8")
        return path

    assert load_config(with_reports("  min_ratings: 3\n")).reports["min_ratings"] == 3
    with pytest.raises(ConfigError, match="unknown key 'reports.min_rating'. Valid keys: min_ratings"):
        load_config(with_reports("  min_rating: 3\n"))
    with pytest.raises(ConfigError, match="'reports.min_ratings' must be 1 or more, got 0"):
        load_config(with_reports("  min_ratings: 0\n"))


def test_table_headers_sit_over_their_numbers(seeded, tmp_path):
    html = render(seeded, tmp_path)
    tables = re.findall(r"<table>(.*?)</table>", html, re.S)
    for table in tables:
        heads = re.findall(r"<th( class=\"n\")?>", table)
        for row in re.findall(r"<tr[^>]*>((?:<td.*?</td>)+)</tr>", table):
            cells = re.findall(r"<td( class=\"n\")?[^>]*>", row)
            assert len(cells) == len(heads)
            assert cells == heads, table[:200]  # a right-aligned number has a right-aligned header
    assert len(tables) >= 10
    kinds = html.split('id="feedback"')[1]
    assert '<th class="n">有帮助（次）</th><th class="n">没帮助（次）</th>' in kinds
    assert '<td class="n" data-key="feedback.教程.yes">9</td><td class="n" data-key="feedback.教程.no">1</td>' in kinds


@pytest.mark.parametrize("days", [1, 7, 30, 31, 32, 90])
def test_chart_date_labels_fit_inside_the_chart(tmp_path, days):
    db = open_db(tmp_path / "empty.db")
    html = render_html(collect(db, days=days, until=dt.date(2026, 10, 31)))
    charts = re.findall(r'<svg [^>]*viewBox="0 0 (\d+) (\d+)"(.*?)</svg>', html, re.S)
    dated = 0
    for width, height, svg in charts:
        # Date labels sit on the line 12px above the chart's bottom edge.
        ticks = re.findall(rf'<text x="([\d.]+)" y="{int(height) - 12}" text-anchor="middle"[^>]*>(\d+月\d+日)<', svg)
        if not ticks:
            continue
        dated += 1
        spans = sorted((float(x) - _text_width(t, 13) / 2, float(x) + _text_width(t, 13) / 2) for x, t in ticks)
        assert all(0 <= a and b <= int(width) for a, b in spans), spans  # nothing cut off at either edge
        assert all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:]))  # no overlaps
        assert ticks[-1][1] == "10月31日"  # the last day is always labelled
    assert dated == 2  # messages per day, handoffs per day
