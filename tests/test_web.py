"""The web channel (issue 15): the Rasa REST channel, the chat page's API, identity and escaping."""

from __future__ import annotations

import re
import warnings

import pytest

with warnings.catch_warnings():
    # Starlette 1.x would like httpx2 for its test client; httpx (which python-telegram-bot uses) works.
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from starlette.testclient import TestClient

from bot import messages
from bot.handoff import Handoff
from bot.web import texts
from bot.web.app import create_app

@pytest.fixture()
def engine(make_engine):
    """An engine on a fresh SQLite file."""
    return make_engine()


@pytest.fixture()
def client(settings, engine):
    """A client of the web app (one browser: it keeps its cookies)."""
    app = create_app(settings, engine)
    with TestClient(app) as c:
        yield c
    app.state.channel.close()


def new_browser(client: TestClient) -> TestClient:
    """A second browser on the same app: its own cookie jar."""
    other = TestClient(client.app)
    other.__enter__()
    return other


def rest(client: TestClient, sender: object, message: object) -> list[dict]:
    r = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": message})
    assert r.status_code == 200, r.text
    return r.json()


def chat(client: TestClient, text: str) -> dict:
    r = client.post("/api/chat", json={"message": text})
    assert r.status_code == 200, r.text
    return r.json()


def ask_worker(c: TestClient) -> int:
    """Ask for a social worker and consent; returns the ticket number."""
    chat(c, "找社工")
    data = chat(c, "可以")
    assert data["handoff"] is not None and data["handoff"]["status"] == "waiting"
    return int(re.search(r"编号 (\d+)", " ".join(m["text"] for m in data["messages"])).group(1))


# ---- the Rasa REST channel ---------------------------------------------------------------------

def test_rest_webhook_answers_in_rasas_format(client):
    out = rest(client, "u1", "孙子不在家，我想在手机上买点菜")
    assert out and all(set(m) <= {"recipient_id", "text", "buttons"} for m in out)
    assert all(m["recipient_id"] == "u1" and isinstance(m["text"], str) and m["text"] for m in out)
    with_buttons = [m for m in out if "buttons" in m]
    assert with_buttons, out
    for b in with_buttons[-1]["buttons"]:
        assert set(b) == {"title", "payload"} and b["payload"] == b["title"]


def test_rest_button_payload_sent_back_is_understood_as_the_button(client):
    out = rest(client, "u2", "孙子不在家，我想在手机上买点菜")
    button = [m for m in out if "buttons" in m][-1]["buttons"][0]
    again = rest(client, "u2", button["payload"])
    assert again and again[0]["text"] != out[0]["text"]


def test_rest_health_like_rasa(client):
    assert client.get("/webhooks/rest/").json() == {"status": "ok"}


def test_rest_integer_sender_is_taken_as_text(client):
    out = rest(client, 12345, "你好")
    assert out and out[0]["recipient_id"] == "12345"


@pytest.mark.parametrize("body, reason", [
    ('{"sender": "a", "message": ', "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    ('{"sender": "a"}', "'message' must be a string, got missing"),
    ('{"sender": "a", "message": 5}', "'message' must be a string, got a int"),
    ('{"sender": "a", "message": null}', "'message' must be a string, got missing"),
    ('{"message": "你好"}', "'sender' must be a string, got missing"),
    ('{"sender": ["a"], "message": "你好"}', "'sender' must be a string, got a list"),
    ('{"sender": true, "message": "你好"}', "'sender' must be a string, got a bool"),
    ('{"sender": "", "message": "你好"}', "'sender' must have 1 to 128 characters"),
    ('{"sender": "a\\nb", "message": "你好"}', "control characters"),
    ("[" * 100000 + "]" * 100000, "too large"),
])
def test_rest_bad_requests_get_a_400_in_english(client, body, reason):
    r = client.post("/webhooks/rest/webhook", content=body.encode(), headers={"Content-Type": "application/json"})
    assert r.status_code in (400, 413), r.text
    assert reason in r.json()["error"]
    assert "Traceback" not in r.text


def test_rest_bad_bytes_and_wrong_content_type(client):
    r = client.post("/webhooks/rest/webhook", content=b'{"sender": "a", "message": "\xff"}',
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "UTF-8" in r.json()["error"]
    r = client.post("/webhooks/rest/webhook", content=b"sender=a&message=hi",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415 and "application/json" in r.json()["error"]
    assert client.get("/webhooks/rest/webhook").status_code == 405


def test_rest_empty_and_odd_messages_get_a_kind_chinese_reply(client):
    assert rest(client, "odd", "   ") == [{"recipient_id": "odd", "text": messages.EMPTY_MESSAGE}]
    for text in ("\x00\x01", "😀😀", "a" * 10000):
        out = rest(client, "odd", text)
        assert out and all(m["text"] for m in out)
    # A lone surrogate from a broken client, in the text and in the sender.
    r = client.post("/webhooks/rest/webhook", content=b'{"sender": "s\\ud800", "message": "\\ud800\\u4e70\\u83dc"}',
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.json()[0]["recipient_id"] == "s\ufffd"


def test_rest_long_message_is_cut_and_said_so(client, settings):
    out = rest(client, "long", "我想买菜" * 1000)
    assert out[0]["text"] == texts.TOO_LONG.format(chars=settings.web["max_message_chars"])


def test_an_error_inside_the_engine_is_a_kind_reply_not_a_500(client, engine, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(engine.manager, "advance", broken)
    r = client.post("/webhooks/rest/webhook", json={"sender": "e1", "message": "我想学买菜"})
    assert r.status_code == 200 and "Traceback" not in r.text
    assert r.json()[-1]["text"] in (messages.SORRY_GENERIC, messages.SORRY_NOT_STORED)


def test_unknown_api_path_is_a_json_404(client):
    r = client.get("/api/nothing")
    assert r.status_code == 404 and r.json() == {"error": "not found"}


# ---- the chat page and its API -----------------------------------------------------------------

def test_page_is_served_by_linli_with_nothing_external(client):
    r = client.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    html = r.text
    assert texts.FIND_WORKER in html and texts.BIG_TEXT in html
    assert 'type="text"' in html  # a normal text field: the phone keyboard's voice input works
    assert 'name="viewport"' in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # no CDN, fonts or scripts from elsewhere
    assert "script-src 'self'" in r.headers["content-security-policy"]
    for asset in ("/static/chat.js", "/static/chat.css"):
        got = client.get(asset)
        assert got.status_code == 200 and "http://" not in got.text and "https://" not in got.text


def test_first_visit_gets_an_id_cookie_and_the_privacy_notice_once(client, settings):
    first = client.get("/api/start")
    assert first.json()["notice"] == messages.START_TEXT.format(days=settings.retention_days)
    cookie = first.headers.get_list("set-cookie")
    assert any(c.startswith("linli_id=") and "HttpOnly" in c and "SameSite=lax" in c for c in cookie)
    assert client.get("/api/start").json()["notice"] is None


def test_page_chat_answers_with_buttons_and_keeps_the_conversation(client):
    client.get("/api/start")
    data = chat(client, "孙子不在家，我想在手机上买点菜")
    assert any(m.get("buttons") for m in data["messages"])
    history = client.get("/api/start").json()["history"]
    assert history[0] == {"from": "me", "text": "孙子不在家，我想在手机上买点菜"}
    assert [h["text"] for h in history[1:]] == [m["text"] for m in data["messages"]]


def test_page_user_ids_are_random_web_ids(client, engine):
    client.get("/api/start")
    chat(client, "你好")
    users = [r["user_id"] for r in engine.store.db.query("SELECT user_id FROM users")]
    assert len(users) == 1 and re.fullmatch(r"web:[A-Za-z0-9_-]{24}", users[0])


def test_a_forged_cookie_value_is_replaced_by_a_new_random_id(client, engine):
    client.cookies.set("linli_id", "../../etc")
    chat(client, "你好")
    users = [r["user_id"] for r in engine.store.db.query("SELECT user_id FROM users")]
    assert users != ["web:../../etc"] and users[0].startswith("web:")


def test_page_bad_requests(client):
    assert client.post("/api/chat", content=b"{", headers={"Content-Type": "application/json"}).status_code == 400
    assert client.post("/api/chat", json={"message": 3}).status_code == 400
    # A plain HTML form from another site cannot post as the person.
    assert client.post("/api/chat", data={"message": "删除我的信息"}).status_code == 415


def test_user_text_is_never_html(client):
    client.get("/api/start")
    chat(client, "<script>alert(1)</script>")
    page = client.get("/").text
    assert "<script>alert(1)</script>" not in page
    js = client.get("/static/chat.js").text
    assert "innerHTML" not in js  # every text is set with textContent


def test_delete_my_data_works_on_the_web(client, engine):
    client.get("/api/start")
    chat(client, "我想学用手机买菜")
    first = chat(client, "删除我的信息")
    assert messages.PRIVACY_CONFIRM in [m["text"] for m in first["messages"]]
    done = chat(client, "确定删除")
    assert messages.PRIVACY_DELETED in [m["text"] for m in done["messages"]]
    assert client.get("/api/start").json()["history"] == []
    assert engine.store.db.execute("SELECT COUNT(*) FROM transcript WHERE text LIKE '%买菜%'").fetchone()[0] == 0


# ---- a social worker's words reach the open page, and only that page ---------------------------

def test_a_poll_with_nothing_waiting_never_waits_for_the_engine_thread(client, engine):
    """An open page's poll is read from its own connection: a busy engine thread does not hold it up."""
    import threading

    client.get("/api/start")
    ask_worker(client)
    channel = client.app.state.channel
    assert channel.reader is not None
    release, finished = threading.Event(), threading.Event()

    def busy() -> None:  # the engine thread, busy with someone else's long turn
        release.wait(10)
        finished.set()

    channel.executor.submit(busy)
    try:
        got = client.get("/api/poll").json()
        assert not finished.is_set()  # answered while the engine thread was still busy
        assert got == {"messages": [], "handoff": {"status": "waiting", "worker": "",
                                                   "label": texts.WORKER_WAITING}}
    finally:
        release.set()
    with pytest.raises(Exception, match="readonly"):
        channel.reader.conn.execute("DELETE FROM transcript")  # the poll's connection cannot write


def test_worker_reply_reaches_the_open_page_by_polling(client, engine):
    client.get("/api/start")
    ticket = ask_worker(client)
    assert client.get("/api/poll").json()["handoff"]["status"] == "waiting"
    h = Handoff(engine.store.db)
    h.add_worker("7", "王老师")
    h.claim(ticket, "7")
    h.add_message(ticket, "system", messages.CLAIMED_NOTICE.format(name="王老师"), delivered=False)
    h.add_message(ticket, "worker", "您好，我来帮您", delivered=False)
    got = client.get("/api/poll").json()
    assert [m["text"] for m in got["messages"]] == [messages.CLAIMED_NOTICE.format(name="王老师"),
                                                  messages.WORKER_PREFIX.format(name="王老师") + "您好，我来帮您"]
    assert got["handoff"] == {"status": "claimed", "worker": "王老师",
                              "label": texts.WORKER_CHATTING.format(name="王老师")}
    assert client.get("/api/poll").json()["messages"] == []  # delivered once
    # Reloading the page still shows the worker's words.
    history = [m["text"] for m in client.get("/api/start").json()["history"]]
    assert messages.WORKER_PREFIX.format(name="王老师") + "您好，我来帮您" in history
    # What the person writes now goes to the worker.
    data = chat(client, "我不会下单")
    assert [m["text"] for m in data["messages"]] == [messages.HANDOFF_CONTINUED]
    assert h.messages(ticket)[-1]["text"] == "我不会下单"


def test_one_person_can_never_read_anothers_messages(client, engine):
    client.get("/api/start")
    ticket = ask_worker(client)
    h = Handoff(engine.store.db)
    h.add_worker("7", "王老师")
    h.claim(ticket, "7")
    h.add_message(ticket, "worker", "只给甲看的话", delivered=False)
    other = new_browser(client)
    try:
        other.get("/api/start")
        # The other browser's poll, chat, and history never show it ...
        assert other.get("/api/poll").json()["messages"] == []
        assert all("只给甲看的话" not in m["text"] for m in chat(other, "你好")["messages"])
        assert all("只给甲看的话" not in m["text"] for m in other.get("/api/start").json()["history"])
        # ... nor do query parameters or a sender naming the first person.
        pid = client.cookies.get("linli_id")
        assert other.get(f"/api/poll?sender={pid}&user=web:{pid}").json()["messages"] == []
        leaked = rest(other, pid, "你好") + rest(other, f"web:{pid}", "你好")
        assert all("只给甲看的话" not in m["text"] for m in leaked)
        # A request with no cookie at all sees nothing either.
        bare = TestClient(client.app)
        assert bare.get("/api/poll").json() == {"messages": [], "handoff": None}
    finally:
        other.__exit__(None, None, None)
    assert [m["text"] for m in client.get("/api/poll").json()["messages"]] == [
        messages.WORKER_PREFIX.format(name="王老师") + "只给甲看的话"]


def test_rest_sender_gets_a_workers_words_with_its_next_message(client, engine):
    out = rest(client, "rest-person", "找社工")
    out = rest(client, "rest-person", "可以")
    ticket = int(re.search(r"编号 (\d+)", out[0]["text"]).group(1))
    h = Handoff(engine.store.db)
    assert h.require(ticket).user_id == "rest:rest-person" and h.require(ticket).channel == "web"
    h.add_worker("7", "王老师")
    h.claim(ticket, "7")
    h.add_message(ticket, "worker", "我是王老师", delivered=False)
    out = rest(client, "rest-person", "你好")
    assert out[0]["text"] == messages.WORKER_PREFIX.format(name="王老师") + "我是王老师"


def test_nothing_is_lost_across_a_restart(settings, make_engine):
    app = create_app(settings, make_engine())
    with TestClient(app) as c:
        c.get("/api/start")
        ticket = ask_worker(c)
        cookies = dict(c.cookies)
    app.state.channel.close()
    engine = make_engine()  # the same database file, as after a restart
    h = Handoff(engine.store.db)
    assert h.require(ticket).status == "waiting"
    h.add_worker("7", "王老师")
    h.claim(ticket, "7")
    h.add_message(ticket, "worker", "重启后也能看到", delivered=False)
    app = create_app(settings, engine)
    with TestClient(app, cookies=cookies) as c:
        got = c.get("/api/poll").json()
        assert [m["text"] for m in got["messages"]][-1].endswith("重启后也能看到")
        assert c.get("/api/start").json()["history"][0]["text"] == "找社工"
    app.state.channel.close()


# ---- configuration and the command line --------------------------------------------------------

@pytest.mark.parametrize("web, fragment", [
    ("{port: 0}", "'channels.web.port' must be between 1 and 65535"),
    ("{poll_seconds: 0}", "'channels.web.poll_seconds' must be more than 0"),
    ("{secure_cookies: yes please}", "'channels.web.secure_cookies' must be bool"),
    ("{colour: red}", "unknown key 'channels.web.colour'"),
])
def test_web_config_errors_name_the_key(tmp_path, web, fragment):
    from bot.config import DEFAULT_CONFIG_PATH, load_config
    from bot.errors import ConfigError

    text = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")
    text = text.replace("channels:\n", f"channels:\n  web: {web}\n", 1)
    text = re.sub(r"\n  web:\s+#[^\n]*\n(    [^\n]*\n)+", "\n", text, count=1)  # the file's own web section
    cfg = tmp_path / "config.yml"
    cfg.write_text(text.replace("nlu/data", str(DEFAULT_CONFIG_PATH.parent / "nlu/data")), encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        load_config(cfg)


def test_serve_command_has_help_and_is_in_the_readme(capsys):
    from bot import cli
    from bot.config import PROJECT_ROOT

    for command in (["serve"], ["workers", "passwd"]):
        with pytest.raises(SystemExit) as exc:
            cli.main([*command, "--help"])
        assert exc.value.code == 0 and "--config" in capsys.readouterr().out
    docs = "".join((PROJECT_ROOT / "docs" / name).read_text(encoding="utf-8") for name in ("cli.md", "web.md"))
    for text in ("linli serve", "linli workers passwd", "--password", "/webhooks/rest/webhook", "# Web chat and console"):
        assert text in docs, text


def test_serve_uses_host_and_port_from_options_or_config(monkeypatch, tmp_path):
    from bot import cli

    seen = {}
    monkeypatch.setattr(cli, "_engine", lambda args: "engine")
    monkeypatch.setattr("bot.web.app.serve", lambda settings, engine, host, port: seen.update(host=host, port=port))
    assert cli.main(["--db", str(tmp_path / "x.db"), "serve"]) == 0
    assert seen == {"host": "127.0.0.1", "port": 8080}
    assert cli.main(["serve", "--db", str(tmp_path / "x.db"), "--host", "0.0.0.0", "--port", "9000"]) == 0
    assert seen == {"host": "0.0.0.0", "port": 9000}
