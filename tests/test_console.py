"""The social workers' console (issue 15): sign-in, sessions, CSRF, the queue, ticket cards and actions."""

from __future__ import annotations

import io
import json
import re
import warnings

import pytest

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from starlette.testclient import TestClient

from bot import messages
from bot.handoff import Handoff
from bot.web import texts
from bot.web.app import create_app
from bot.web.auth import LoginLimiter, hash_password, verify_password

PASSWORD = "correct horse 9"


@pytest.fixture()
def engine(make_engine):
    return make_engine()


@pytest.fixture()
def app(settings, engine):
    h = Handoff(engine.store.db)
    h.add_worker("7", "王老师")
    h.set_password_hash("7", hash_password(PASSWORD, n=2 ** 10))
    h.add_worker("8", "李老师")
    h.set_password_hash("8", hash_password(PASSWORD, n=2 ** 10))
    application = create_app(settings, engine)
    yield application
    application.state.channel.close()


def browser(app) -> TestClient:
    c = TestClient(app, follow_redirects=False)
    c.__enter__()
    return c


def sign_in(c: TestClient, login: str = "7", password: str = PASSWORD):
    page = c.get("/console/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return c.post("/console/login", data={"worker": login, "password": password, "csrf": token})


def csrf(c: TestClient) -> str:
    return re.search(r'"csrf": ?"([^"]+)"', c.get("/console").text).group(1)


def act(c: TestClient, ticket: int, action: str, body: dict | None = None, token: str | None = None):
    return c.post(f"/console/api/tickets/{ticket}/{action}", json=body or {},
                  headers={"X-CSRF-Token": token if token is not None else csrf(c)})


def person_asks_for_help(app, text: str = "我想学用手机买菜") -> tuple[TestClient, int]:
    """A person on the chat page asks a question, then for a social worker, and consents."""
    p = browser(app)
    p.get("/api/start")
    p.post("/api/chat", json={"message": text})
    p.post("/api/chat", json={"message": "找社工"})
    out = p.post("/api/chat", json={"message": "可以"}).json()
    ticket = int(re.search(r"编号 (\d+)", " ".join(m["text"] for m in out["messages"])).group(1))
    return p, ticket


# ---- passwords, sign-in, sessions --------------------------------------------------------------

def test_passwords_are_salted_scrypt_hashes():
    a, b = hash_password("秘密密码123", n=2 ** 10), hash_password("秘密密码123", n=2 ** 10)
    assert a != b and a.startswith("scrypt$1024$8$1$") and "秘密" not in a
    assert verify_password("秘密密码123", a) and not verify_password("秘密密码124", a)
    assert not verify_password("x", "") and not verify_password("x", "md5$abc") and not verify_password("x", "scrypt$1$2")


def test_only_the_hash_is_stored(app, engine):
    row = engine.store.db.execute("SELECT password_hash FROM workers WHERE worker_id = '7'").fetchone()
    assert row[0].startswith("scrypt$") and PASSWORD not in row[0]


def test_console_is_refused_without_a_session(app):
    c = browser(app)
    r = c.get("/console")
    assert r.status_code == 303 and r.headers["location"] == "/console/login"
    assert c.get("/console/api/queue").status_code == 401
    assert c.get("/console/api/tickets/1").status_code == 401
    assert c.post("/console/api/tickets/1/claim", json={}).status_code == 401
    c.cookies.set("linli_console", "forged-token", path="/console")
    assert c.get("/console/api/queue").status_code == 401


def test_sign_in_by_id_or_name_and_out(app, engine):
    c = browser(app)
    r = sign_in(c, "王老师")
    assert r.status_code == 303 and r.headers["location"] == "/console"
    cookie = [v for v in r.headers.get_list("set-cookie") if v.startswith("linli_console=")][0]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    page = c.get("/console")
    assert page.status_code == 200 and "王老师" in page.text
    assert c.get("/console/api/queue").status_code == 200
    assert c.post("/console/logout", data={"csrf": csrf(c)}).status_code == 303
    assert c.get("/console/api/queue").status_code == 401
    stored = engine.store.db.execute("SELECT token_hash FROM worker_sessions").fetchall()
    assert all(len(r[0]) == 64 for r in stored)  # only the token's SHA-256 is kept


def test_a_non_worker_and_a_wrong_password_are_refused(app):
    c = browser(app)
    for login, password in (("99", PASSWORD), ("张三", PASSWORD), ("7", "wrong password"), ("", "")):
        r = sign_in(c, login, password)
        assert r.status_code == 401 and texts.LOGIN_FAILED in r.text
        assert c.get("/console").status_code == 303


def test_sign_in_without_the_forms_csrf_token_is_refused(app):
    c = browser(app)
    c.get("/console/login")
    r = c.post("/console/login", data={"worker": "7", "password": PASSWORD, "csrf": "made-up"})
    assert r.status_code == 403 and c.get("/console").status_code == 303


def test_sign_in_is_rate_limited(app):
    c = browser(app)
    for _ in range(5):
        assert sign_in(c, "7", "wrong password").status_code == 401
    r = sign_in(c, "7", PASSWORD)  # even the right password waits now
    assert r.status_code == 429 and "分钟后再试" in r.text


def test_limiter_window_passes():
    lim = LoginLimiter(2, 60)
    lim.failed("a", now=0)
    lim.failed("a", now=1)
    assert lim.blocked("a", now=2) == pytest.approx(58)
    assert lim.blocked("a", now=61) == 0 and lim.blocked("b", now=2) == 0


def test_changes_need_the_sessions_csrf_token(app):
    _, ticket = person_asks_for_help(app)
    c = browser(app)
    sign_in(c)
    assert act(c, ticket, "claim", token="").status_code == 403
    assert act(c, ticket, "claim", token="wrong").status_code == 403
    other = browser(app)
    sign_in(other, "8")
    assert act(c, ticket, "claim", token=csrf(other)).status_code == 403  # another session's token
    assert act(c, ticket, "claim").status_code == 200


def test_a_removed_worker_is_signed_out(app, engine):
    c = browser(app)
    sign_in(c)
    Handoff(engine.store.db).remove_worker("7")
    assert c.get("/console/api/queue").status_code == 401


# ---- the queue and the ticket card -------------------------------------------------------------

def test_queue_urgent_first_with_channel_and_waiting_time(app, engine):
    _, normal = person_asks_for_help(app)
    urgent_person = browser(app)
    urgent_person.get("/api/start")
    urgent_person.post("/api/chat", json={"message": "有人冒充公安让我转账到安全账户"})
    c = browser(app)
    sign_in(c)
    q = c.get("/console/api/queue").json()
    assert [t["urgent"] for t in q["open"]] == [True, False] and q["urgent_waiting"] == 1
    assert q["open"][1]["id"] == normal
    row = q["open"][1]
    assert row["channel"] == "网页" and row["status_label"] == "等待接单" and row["waited"].startswith("已等")
    assert row["asked"]


def test_ticket_card_is_in_chinese_without_intent_ids(app):
    _, ticket = person_asks_for_help(app, "孙子不在家，我想在手机上买点菜")
    c = browser(app)
    sign_in(c)
    card = c.get(f"/console/api/tickets/{ticket}?open=1").json()
    shown = [card["persona"], card["asked_full"], card["channel"], *card["tried"],
             *[m["from"] + m["text"] for m in card["messages"]]]
    assert card["asked_full"] and "买" in card["asked_full"]
    assert any("孙子不在家" in m["text"] for m in card["messages"])
    for text in shown:
        assert not re.search(r"[a-z]+_[a-z_]+|\((teach|urgent|handoff|smalltalk)\)|nlu_fallback", text), text
    assert not re.search(r"[A-Za-z]{3,}", " ".join(card["tried"])), card["tried"]


def test_claim_reply_live_note_close_reopen(app, engine):
    person, ticket = person_asks_for_help(app)
    c = browser(app)
    sign_in(c)
    card = act(c, ticket, "claim").json()
    assert card["status"] == "claimed" and card["mine"] and card["can_reply"]
    assert act(c, ticket, "claim").status_code == 409  # already claimed
    card = act(c, ticket, "reply", {"text": "您好，我是王老师，<b>别急</b>"}).json()
    got = [m["text"] for m in person.get("/api/poll").json()["messages"]]
    assert got == [messages.CLAIMED_NOTICE.format(name="王老师"),
                   messages.WORKER_PREFIX.format(name="王老师") + "您好，我是王老师，<b>别急</b>"]
    # The person's new message shows on the card (the console polls it).
    person.post("/api/chat", json={"message": "我不会付款"})
    card = c.get(f"/console/api/tickets/{ticket}").json()
    assert card["messages"][-1] == {**card["messages"][-1], "from": "居民", "text": "我不会付款"}
    # A note stays with the ticket, never with the person.
    card = act(c, ticket, "note", {"text": "下周上门教"}).json()
    assert [n["text"] for n in card["notes"]] == ["下周上门教"]
    assert person.get("/api/poll").json()["messages"] == []
    assert act(c, ticket, "reply", {"text": "  "}).json()["why"] == texts.WHY["empty"]
    # Closing needs an outcome.
    assert act(c, ticket, "close", {"outcome": "done"}).json()["why"] == texts.WHY["outcome"]
    card = act(c, ticket, "close", {"outcome": "解决", "text": "教会了"}).json()
    assert card["status"] == "closed" and card["outcome"] == "解决" and card["close_note"] == "教会了"
    assert [m["text"] for m in person.get("/api/poll").json()["messages"]] == [messages.CLOSED_NOTICE]
    assert person.get("/api/poll").json()["handoff"] is None
    # Reopened: claimed by this worker again, and the person is told.
    card = act(c, ticket, "reopen").json()
    assert card["status"] == "claimed" and card["mine"] and card["outcome"] == ""
    assert [m["text"] for m in person.get("/api/poll").json()["messages"]] == [
        texts.REOPENED_NOTICE.format(name="王老师")]
    actions = [(a["worker_id"], a["action"], a["ticket_id"]) for a in Handoff(engine.store.db).actions()]
    assert ("7", "claim", ticket) in actions and ("7", "reply", ticket) in actions
    assert ("7", "note", ticket) in actions and ("7", "close", ticket) in actions
    assert ("7", "reopen", ticket) in actions and ("7", "view", None) not in actions
    assert ("7", "login", None) in actions


def test_another_workers_ticket_needs_a_take_over(app, engine):
    person, ticket = person_asks_for_help(app)
    wang, li = browser(app), browser(app)
    sign_in(wang, "7")
    sign_in(li, "8")
    act(wang, ticket, "claim")
    r = act(li, ticket, "reply", {"text": "我来"})
    assert r.status_code == 409 and r.json()["why"] == texts.WHY["not_yours"]
    assert act(li, ticket, "close", {"outcome": "其他"}).status_code == 409
    card = act(li, ticket, "take_over").json()
    assert card["worker"] == "李老师" and card["can_reply"]
    assert messages.TAKEN_OVER_NOTICE.format(name="李老师") in [
        m["text"] for m in person.get("/api/poll").json()["messages"]]
    assert ("8", "take_over", ticket) in [(a["worker_id"], a["action"], a["ticket_id"])
                                          for a in Handoff(engine.store.db).actions()]


def test_console_tickets_are_the_same_queue_as_the_terminal(app, engine, settings, tmp_path, capsys):
    from bot import cli

    _, ticket = person_asks_for_help(app)
    c = browser(app)
    sign_in(c)
    act(c, ticket, "claim")
    db = str(tmp_path / "linli.db")  # make_engine's file
    assert cli.main(["--db", db, "handoff", "list"]) == 0
    assert f"#{ticket}" in capsys.readouterr().out and "王老师" in c.get("/console/api/queue").text
    assert cli.main(["--db", db, "handoff", "reply", str(ticket), "终端也能回", "--worker", "7"]) == 0
    card = c.get(f"/console/api/tickets/{ticket}").json()
    assert card["messages"][-1]["text"].endswith("终端也能回")


def test_user_text_in_the_console_is_escaped(app):
    _, ticket = person_asks_for_help(app, "<img src=x onerror=alert(1)>我想买菜")
    c = browser(app)
    sign_in(c)
    page = c.get("/console").text
    assert "<img src=x" not in page
    assert "innerHTML" not in c.get("/static/console.js").text
    card = c.get(f"/console/api/tickets/{ticket}")
    assert card.headers["content-type"].startswith("application/json")


def test_unknown_ticket_and_action(app):
    c = browser(app)
    sign_in(c)
    assert c.get("/console/api/tickets/999").status_code == 404
    assert act(c, 999, "claim").status_code == 404
    _, ticket = person_asks_for_help(app)
    assert act(c, ticket, "explode").status_code == 404
    r = c.post(f"/console/api/tickets/{ticket}/claim", content=b"{", headers={
        "X-CSRF-Token": csrf(c), "Content-Type": "application/json"})
    assert r.status_code == 400 and "JSON" in r.json()["error"]


# ---- setting passwords from the command line ---------------------------------------------------

def test_workers_add_with_password_and_passwd(tmp_path, monkeypatch, capsys):
    from bot import cli

    db = str(tmp_path / "w.db")
    monkeypatch.setattr("sys.stdin", io.StringIO("a good password\n"))
    assert cli.main(["--db", db, "workers", "add", "42", "--name", "赵老师", "--password"]) == 0
    assert "with a console password" in capsys.readouterr().out
    from bot.store import open_db

    h = Handoff(open_db(db))
    first = h.password_hash("42")
    assert verify_password("a good password", first)
    monkeypatch.setattr("sys.stdin", io.StringIO("another password\n"))
    assert cli.main(["--db", db, "workers", "passwd", "42"]) == 0
    assert verify_password("another password", h.password_hash("42"))
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["--db", db, "workers", "passwd", "42"]) == 1
    assert "at least 8 characters" in capsys.readouterr().err
    assert cli.main(["--db", db, "workers", "passwd", "nobody"]) == 1
    assert json.loads(json.dumps(h.workers()))[0]["name"] == "赵老师"


# ---- the content, read-only, and the needs report -----------------------------------------------

def test_library_and_report_are_refused_without_a_session(app):
    c = browser(app)
    for path in ("/console/library", "/console/library?q=110", "/console/report"):
        r = c.get(path)
        assert r.status_code == 303 and r.headers["location"] == "/console/login", path


def test_queue_page_links_to_the_library_and_the_report(app):
    c = browser(app)
    sign_in(c)
    page = c.get("/console").text
    assert 'href="/console/library"' in page and 'href="/console/report"' in page


def test_library_shows_real_entries_with_sources_and_review_dates(app, engine):
    c = browser(app)
    sign_in(c)
    r = c.get("/console/library")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    page = r.text
    hotline = engine.kb.get("hotline_96110")
    assert hotline["title"] in page and hotline["use"] in page
    tutorial = next(f for f in engine.manager.flows.values() if f.kind == "tutorial")
    assert tutorial.title in page and tutorial.steps[-1].text in page  # every step of a tutorial
    policy = engine.kb.get("policy_online_offline_2015")
    assert policy["doc_number"] in page and "已核实" in page and f"核对日期：{policy['reviewed']}" in page
    # Sources are the documents cited, never the internal reference: no file names, section marks or ids.
    assert "http://big5.www.gov.cn/" in page
    assert "facts.md" not in page and "§" not in page and ".yml" not in page
    for internal in ("hotline_96110", "policy_online_offline_2015", tutorial.id, "urgent_scam", "choose_grocery_app"):
        assert internal not in page
    assert engine.handoff.actions()[-1]["action"] == "library"


def test_library_search_finds_by_words_and_by_number(app, engine):
    c = browser(app)
    sign_in(c)
    by_number = c.get("/console/library", params={"q": "96110"}).text
    assert engine.kb.get("hotline_96110")["title"] in by_number
    assert engine.kb.get("policy_online_offline_2015")["title"] not in by_number
    by_words = c.get("/console/library", params={"q": "营业执照"}).text
    assert "营业执照" in by_words and "共 0 条" not in by_words
    hotlines = c.get("/console/library", params={"kind": "hotline"}).text
    assert engine.kb.get("hotline_110")["title"] in hotlines
    assert engine.kb.get("policy_online_offline_2015")["title"] not in hotlines
    nothing = c.get("/console/library", params={"q": "xyzqqq"}).text
    assert texts.LIB_NOTHING in nothing
    c.get("/console/library", params={"q": "13812345678"})
    assert "13812345678" not in engine.handoff.actions()[-1]["detail"]  # the log masks numbers


def test_library_escapes_the_query_and_the_content(app, monkeypatch):
    from bot.web.library import Item, Library

    c = browser(app)
    sign_in(c)
    evil = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    page = c.get("/console/library", params={"q": evil}).text
    assert "<script>alert" not in page and "<img src=x" not in page and "&lt;script&gt;" in page
    item = Item(anchor="k0", kind="hotline", title=evil, audience="", fields=[("说明", evil), ("要点", [evil])],
                sources=[{"n": "1", "text": evil, "url": ""}], source_note="", status="", reviewed="",
                related=[("k0", evil)], haystack=evil.lower())
    monkeypatch.setattr(Library, "items", lambda self: [item])
    page = c.get("/console/library").text
    assert "<script>alert" not in page and "<img src=x" not in page and page.count("&lt;script&gt;") == 5


def test_report_is_the_needs_report_from_the_live_database(app, engine):
    p, ticket = person_asks_for_help(app, "<b>怎么给手机充话费</b>")
    c = browser(app)
    sign_in(c)
    r = c.get("/console/report")
    assert r.status_code == 200 and "邻里助手服务报告" in r.text
    assert "script-src" not in r.headers["content-security-policy"]  # no script may run in it
    assert "<script" not in r.text and "<b>怎么" not in r.text
    assert 'id="totals"' in r.text
    week = c.get("/console/report", params={"days": "7"}).text
    assert "共 7 天" in week
    assert [a["action"] for a in engine.handoff.actions()][-2:] == ["report", "report"]
