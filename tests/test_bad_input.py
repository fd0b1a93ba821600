"""Bad input never crashes a batch and never gets the error reply (issue 12, item 12).

Every interface -- ``ask --jsonl``, ``chat --jsonl`` (as functions and as the real command)
and the Telegram handler -- gets the same deterministic set of hostile inputs and must give
one well-formed answer per input: a JSON object per line (an English ``error`` naming the
line for lines that are not a request, a kind Chinese reply for the rest), or at least one
Telegram message, with no ERROR log record (so no traceback and no ``SORRY_GENERIC``).
"""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
from typing import Any

import pytest

from bot import cli, messages
from bot.config import PROJECT_ROOT
from bot.engine import safe_handle
from bot.models import IncomingMessage
from dialogues.manager import DialogueManager, parse_amount, typed_number

CJK = re.compile(r"[\u4e00-\u9fff]")
# The error replies (SORRY_GENERIC and its kin): what a person sees when handling crashed.
SORRY = {v for k, v in vars(messages).items() if k.startswith("SORRY") and isinstance(v, str)}

# isdigit() is true for most of these and int() reads none of them, or they are digits of
# another script: ① ² ５ 𝟓 (NFKC gives 1, 2, 5, 5), ⑩ (NFKC 10), Arabic-Indic ٣, Javanese ꧕, N'Ko ߃.
ODD_DIGITS = ["①", "②", "③", "⑩", "²", "³", "٣", "５", "１２", "𝟓", "〇", "Ⅻ", "꧕", "߃"]
BIG = "1" * 5000  # over Python's 4,300-digit limit for int(str)


def _base_texts() -> list[str]:
    return [
        # numbers too long for int(), and numbers int() does not read
        BIG, "9" * 4301, f"预算{'9' * 5000}块", f"{'9' * 1000}块钱", f"我只有{'8' * 4400}元", f"1.{'5' * 5000}万",
        f"{'2' * 400}k", f"12366{'0' * 5000}", f"预算{BIG}", f"{'7' * 3000}左右",
        *ODD_DIGITS, *(d * 3 for d in ODD_DIGITS), *(f"预算{d * 3}块" for d in ODD_DIGITS),
        "①②③", "²³", "٣٠٠块", "５００块钱", "预算５００",
        # button-like numbers
        "1", "7", "99", "0", "-1", "001", "1e5", " 2 ", "1.5", "1 2",
        # lone surrogates and half an emoji
        "\ud800", "a\udfffb", "\udc80\udcff", "买菜\ud83d", "\ude00你好",
        # NUL and control characters
        "\x00", "买\x00菜", "\x00" * 100, "\x01\x02\x03\x1b[31m红字\x1b[0m", "\x7f\x08\x0c", "\x85", "\u2028\u2029",
        "a\rb", "\t\t",
        # very long
        "买" * 100_000, "a" * 100_000, "我想学买菜。" * 20_000, "😀" * 50_000,
        # right-to-left marks and zero-width characters
        "\u202e我要买菜\u202c", "\u200f\u200e", "\u200b\u200c\u200d\ufeff", "买\u200b菜", "\u2066abc\u2069", "\u061c",
        # emoji only
        "😀😀😀", "👍", "🙏🏻", "👨‍👩‍👧", "🇨🇳", "❤️",
        # only whitespace
        "", " ", "\t", "\u3000", "\u00a0", "\n", " \n ", "\u3000" * 1000,
        # SQL, YAML, format strings, HTML and markdown
        "'; DROP TABLE states; --", "1' OR '1'='1", "Robert'); DROP TABLE messages;--", "%' AND 1=1 --",
        "\\'; SELECT * FROM sqlite_master", "key: value", "- !!python/object/apply:os.system ['ls']", "&a [*a, *a]",
        "---\n...\n", "? complex\n: key", "{a: 1, b: [2]}", "{0}", "{ticket}", "%s %d %r", "{}", "{text}", "%(name)s",
        "{0.__class__}", "${HOME}", "{{}}", "{name!r:>{width}}", "<script>alert(1)</script>", "<b>粗</b>", "**粗体**",
        "[链接](http://example.com)", "`code`", "_a_ *b*", "&amp;&lt;", "<!--", "</html>",
        # slash commands
        "/start", "/help", "/menu", "/human", "/close 1", "/queue", "/export", "/delete_my_data", "/", "//",
        "/start@linli_test_bot", "/quit",
        # text that looks like JSON, literals or nesting
        "null", "[]", "{}", "true", "NaN", '{"text": "嵌套"}', "\\ud800", "[" * 10000, "{" * 10000,
    ]


def hostile_texts() -> list[str]:
    """Every base text alone, and the shorter ones inside an ordinary sentence."""
    bases = _base_texts()
    return bases + [f"我想学买菜{b}怎么办" for b in bases if len(b) <= 1000]


HOSTILE_TEXTS = hostile_texts()

# On Telegram the slash commands go to the command handlers, stray ones included (item 11).
TELEGRAM_TEXTS = HOSTILE_TEXTS

DEEP = "[" * 10000 + "]" * 10000
BUTTON_TEXTS = [*ODD_DIGITS, "5", "1", BIG]


def hostile_lines() -> list[tuple[bytes, str]]:
    """(one input line, what it must give).

    "ok": a reply (chat) or a parse (ask); "error": an error line; "user-error": an error line from
    ``chat --jsonl``, which needs a usable user id, and a parse from ``ask --jsonl``, which ignores it.
    """
    lines: list[tuple[str | bytes, str]] = []
    for i, text in enumerate(HOSTILE_TEXTS):
        # A handful of users, so each message meets the state (and buttons) the last one left.
        lines.append((json.dumps({"user": f"u{i % 5}", "text": text}), "ok"))
    for d in BUTTON_TEXTS:  # as button numbers, right after a menu
        lines += [(json.dumps({"user": "buttons", "text": "菜单"}), "ok"),
                  (json.dumps({"user": "buttons", "text": d}), "ok")]
    lines += [
        # nesting, numbers beyond Python's limits, JSON extensions
        (DEEP, "error"), ('{"text": ' + DEEP + "}", "error"),
        ('{"text": "你好", "extra": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}", "error"),
        ('{"text": ' + BIG + "}", "error"), ('{"text": "你好", "n": ' + BIG + "}", "error"),
        ('{"user": ' + BIG + ', "text": "你好"}', "error"), ('{"text": -' + BIG + "}", "error"),
        ('{"text": 1e999999}', "error"), ('{"text": NaN}', "error"), ('{"text": Infinity}', "error"),
        # user ids: lone surrogates, NUL, marks, very long, wrong types
        ('{"user": "\\ud800", "text": "你好"}', "ok"), ('{"user": "\\udfff\\u0000", "text": "教我用盒马买菜"}', "ok"),
        ('{"user": "a\\ud800b", "text": "下一步"}', "ok"), ('{"user": "\\u0000", "text": "你好"}', "ok"),
        ('{"user": "\\u202e\\u200b", "text": "你好"}', "ok"), ('{"user": "\\ud83d", "text": "①"}', "ok"),
        (json.dumps({"user": "长" * 256, "text": "你好"}), "ok"), (json.dumps({"user": "x" * 100_000, "text": "你好"}), "user-error"),
        (json.dumps({"user": "a" * 257, "text": "你好"}), "user-error"),
        ('{"user": 42, "text": "你好"}', "ok"), ('{"user": 0, "text": "你好"}', "ok"), ('{"user": null, "text": "你好"}', "ok"),
        ('{"user": "", "text": "你好"}', "ok"), ('{"user": 1.5, "text": "你好"}', "user-error"),
        ('{"user": [1], "text": "你好"}', "user-error"), ('{"user": {"a": 1}, "text": "你好"}', "user-error"),
        ('{"user": true, "text": "你好"}', "user-error"),
        # text of the wrong type, missing fields
        ('{"text": 5}', "error"), ('{"text": 1.5}', "error"), ('{"text": [1, 2]}', "error"), ('{"text": null}', "error"),
        ('{"text": {"a": "b"}}', "error"), ('{"text": true}', "error"), ('{"text": ["你好"]}', "error"),
        ('{"user": "u1"}', "error"), ("{}", "error"), ("[]", "error"), ("null", "error"), ('"just a string"', "error"),
        ("42", "error"), ("", "error"), ("   ", "error"), ("\t", "error"),
        # duplicate keys (the last one wins, as in json.loads), and broken JSON
        ('{"text": "你好", "text": 5}', "error"), ('{"text": 5, "text": "你好"}', "ok"),
        ('{"user": "a", "user": "b", "text": "你好"}', "ok"), ('{"text": "你好"} trailing', "error"),
        ('{"text": "你好"', "error"), ("{'text': '你好'}", "error"), ('{"text": "\\x41"}', "error"),
        ('{"text": "\\ud800"}', "ok"), ('{"text": "\\udc00\\ud800"}', "ok"),
        # bytes that are not UTF-8, or not one line of JSON
        (b"\xff\xfe\xfd", "error"), (b'{"text": "\xe4\xb9"}', "error"), (b'{"text": "caf\xe9"}', "error"),
        (b'{"text": "\xed\xa0\x80"}', "error"), (b"\xef\xbb\xbf" + '{"text": "你好"}'.encode(), "error"),
        (b'{"text": "\xe4\xbd\xa0\xe5\xa5\xbd"}\r', "ok"), (b'{"text": "a"}\r{"text": "b"}', "error"),
        (b"\x00\x00\x00", "error"), (b'{"text": "\x00"}', "error"), (b'{"text": "\x1f"}', "error"),
        (b'{"text": "\xc2\x85\xe2\x80\xa8"}', "ok"),
    ]
    return [(x if isinstance(x, bytes) else x.encode("utf-8"), want) for x, want in lines]


HOSTILE_LINES = hostile_lines()
HOSTILE_INPUT = b"".join(line + b"\n" for line, _ in HOSTILE_LINES)


def test_there_are_at_least_200_hostile_inputs_per_interface():
    assert len(HOSTILE_TEXTS) >= 200 and len(TELEGRAM_TEXTS) >= 200 and len(HOSTILE_LINES) >= 300
    assert HOSTILE_INPUT.count(b"\n") == len(HOSTILE_LINES)


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name}: {r.getMessage()[:200]}" for r in caplog.records if r.levelno >= logging.ERROR]


def check_error_row(n: int, row: dict[str, Any]) -> None:
    assert row["line"] == n and row["error"].startswith(f"line {n}: "), row
    assert row["error"].isascii(), row  # English, for operators


def check_rows(out: str, kind: str) -> list[dict[str, Any]]:
    """One JSON object per input line, in order; errors name their line, the rest are answers."""
    lines = out.split("\n")
    assert lines[-1] == "" and len(lines) - 1 == len(HOSTILE_LINES)
    rows = []
    for n, (line, (raw, want)) in enumerate(zip(lines, HOSTILE_LINES), start=1):
        line.encode("utf-8")  # no lone surrogate reaches the output
        row = json.loads(line)
        assert isinstance(row, dict), (n, raw[:80])
        if want == "error" or (want == "user-error" and kind == "chat"):
            check_error_row(n, row)
        elif kind == "ask":
            assert "error" not in row, (n, raw[:80], row)
            assert set(row) == {"text", "intent", "capability", "confidence", "entities", "ranking"}
        else:
            assert "error" not in row, (n, raw[:80], row)
            assert row["intent"] != "error" and row["replies"], (n, raw[:80], row)
            assert not SORRY & set(row["replies"]), (n, raw[:80])
            assert all(CJK.search(r) for r in row["replies"]), (n, raw[:80], row["replies"])
        rows.append(row)
    return rows


# ---- the pieces that crashed ------------------------------------------------------------------


@pytest.mark.parametrize("text, number", [
    ("3", 3), (" 12 ", 12), ("５", 5), ("１２", 12), ("①", 1), ("²", 2), ("𝟓", 5),
    ("٣", None), ("꧕", None), ("〇", None), ("Ⅻ", None), ("⑩", 10), ("-1", None), ("1.5", None), ("1e5", None),
    ("1234", None), (BIG, None), ("", None), ("\ud800", None),
])
def test_a_typed_number_is_ascii_digits_after_nfkc(text, number):
    assert typed_number(text) == number


@pytest.mark.parametrize("text", ["①", "²", "٣", "⑩", BIG, "9" * 4301, "\ud800"])
def test_pressed_label_never_raises(text):
    state = {"button_labels": ["学用手机买菜", "小店生意经", "政策问答"]}
    label = DialogueManager.pressed_label(state, text)
    assert label == {"①": "学用手机买菜", "²": "小店生意经"}.get(text)


@pytest.mark.parametrize("text, amount", [
    ("500块", 500), ("５００块", 500), ("1.5万", 15000), ("2.5k", 2500), ("两三千", 2000), (f"{'9' * 1000}块", None),
    (f"{BIG}元", None), (f"1.{'5' * 5000}万", None), ("٣٠٠块", None), ("1" * 13 + "块", None),
    ("1" * 12 + "块", 111_111_111_111),
])
def test_parse_amount_reads_ascii_digits_of_a_sane_length(text, amount):
    assert parse_amount(text) == amount


def test_a_lone_surrogate_in_a_user_id_is_cleaned_like_text(make_engine, caplog):
    engine = make_engine()
    out = safe_handle(engine, IncomingMessage(user_id="a\ud800b", text="教我用盒马买菜", chat_id="\udfff"))
    assert out.intent != "error" and not SORRY & {r.text for r in out.replies}
    again = safe_handle(engine, IncomingMessage(user_id="a\ud800b", text="下一步"))
    assert any("第2步" in r.text for r in again.replies)  # the same conversation, remembered
    assert engine.store.load_state("a\ufffdb") is not None  # stored under the cleaned id
    assert not errors_logged(caplog)


def test_jsonl_line_replaces_lone_surrogates():
    line = cli.jsonl_line({"text": "a\ud800b\U0001f600", "user": "\udfff"})
    assert line.encode("utf-8") and json.loads(line) == {"text": "a\ufffdb\U0001f600", "user": "\ufffd"}


# ---- every interface, every hostile input -------------------------------------------------------


def test_ask_jsonl_survives_every_hostile_line(pipeline, caplog):
    out = io.StringIO()
    cli._ask_jsonl(pipeline, io.BytesIO(HOSTILE_INPUT), out)
    check_rows(out.getvalue(), "ask")
    assert not errors_logged(caplog)


def test_chat_jsonl_survives_every_hostile_line(make_engine, caplog):
    out = io.StringIO()
    cli.chat_jsonl(make_engine(), io.BytesIO(HOSTILE_INPUT), out)
    rows = check_rows(out.getvalue(), "chat")
    assert not errors_logged(caplog)
    # Typed button numbers right after a menu: ① and ５ press a button, ٣ and 5,000 digits do not.
    start = len(HOSTILE_TEXTS)
    presses = {d: rows[start + 2 * i + 1] for i, d in enumerate(BUTTON_TEXTS)}
    assert all(json.loads(HOSTILE_LINES[start + 2 * i][0])["text"] == "菜单" for i in range(len(BUTTON_TEXTS)))
    assert presses["①"]["replies"] == presses["1"]["replies"] and "哪个软件" in presses["1"]["replies"][0]
    assert presses["５"]["replies"] == presses["5"]["replies"]
    for stray in ("٣", "⑩", "꧕"):  # a number, but of no button: the buttons again, not a guess
        assert messages.NO_SUCH_BUTTON in presses[stray]["replies"], stray


def test_terminal_chat_survives_every_hostile_text(make_engine, caplog):
    out = io.StringIO()
    script = "".join(t.replace("\n", " ") + "\n" for t in HOSTILE_TEXTS if t.strip() not in ("/quit",))
    cli.terminal_chat(make_engine(), io.StringIO(script), out, interactive=False)
    assert not any(s in out.getvalue() for s in SORRY)
    assert not errors_logged(caplog)


def _run(args: list[str], data: bytes, tmp_path: Any) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "bot", "--db", str(tmp_path / "bad.db"), *args], input=data,
                          capture_output=True, cwd=PROJECT_ROOT, timeout=600)


@pytest.mark.parametrize("command", [["ask", "--jsonl"], ["chat", "--jsonl"]])
def test_the_real_command_gives_one_line_per_hostile_line(command, pipeline, tmp_path):
    proc = _run(command, HOSTILE_INPUT, tmp_path)
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 0, err[-3000:]
    assert "Traceback" not in err and " ERROR " not in err, err[-3000:]
    check_rows(proc.stdout.decode("utf-8"), command[0])


def test_the_terminal_chat_reads_bytes_that_are_not_utf8(pipeline, tmp_path):
    data = b"\xff\xfe\n" + "教我用盒马买菜\n".encode() + b"\xe4\xb9\n" + "①\n".encode()
    proc = _run(["chat"], data, tmp_path)
    out, err = proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 0 and "Traceback" not in err, err[-3000:]
    assert "第1步" in out and not any(s in out for s in SORRY)


# ---- Telegram -----------------------------------------------------------------------------------


class _AsciiJson:
    """``json`` for the fake Bot API, escaping non-ASCII: a lone surrogate has no UTF-8 bytes."""

    loads = staticmethod(json.loads)
    JSONDecodeError = json.JSONDecodeError

    @staticmethod
    def dumps(obj: Any, **kwargs: Any) -> str:
        return json.dumps(obj, **{**kwargs, "ensure_ascii": True})


@pytest.mark.telegram
def test_telegram_answers_every_hostile_text(make_engine, settings, caplog, monkeypatch):
    from tests import fake_telegram
    from tests.test_telegram import run, texts

    monkeypatch.setattr(fake_telegram, "json", _AsciiJson)
    chats = {10_000 + i: text for i, text in enumerate(TELEGRAM_TEXTS)}  # one chat each: no flood control

    with fake_telegram.FakeBotAPI() as fake:

        async def scenario(engine: Any) -> None:
            batch = list(chats)
            while batch:  # 25 at a time: the fake server is a small one
                now, batch = batch[:25], batch[25:]
                for chat in now:
                    fake.user_text(chat, chats[chat])
                await fake.wait_for(lambda: all(texts(fake, chat) for chat in now), timeout=60)  # noqa: B023

        run(make_engine, settings, fake, scenario)
        for chat, text in chats.items():
            sent = texts(fake, chat)
            assert sent and not SORRY & set(sent), (text[:80], sent)
    # No traceback (the error handler's or the engine's); a send the outbox retries is no failure of ours.
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR and (r.exc_info or r.name == "bot.engine")]
    assert not failures, [r.getMessage()[:200] for r in failures]


@pytest.mark.telegram
def test_telegram_flood_path_takes_a_lone_surrogate(make_engine, settings, caplog, monkeypatch):
    from tests import fake_telegram
    from tests.test_telegram import run, texts

    monkeypatch.setattr(fake_telegram, "json", _AsciiJson)
    chat = 20_000
    with fake_telegram.FakeBotAPI() as fake:

        async def scenario(engine: Any) -> None:
            for i in range(settings.telegram["flood_messages"] + 3):
                fake.user_text(chat, f"你好\ud800{i}")
            await fake.wait_for(lambda: SORRY & set(texts(fake, chat)) or messages.SLOW_DOWN in texts(fake, chat),
                                timeout=60)

        run(make_engine, settings, fake, scenario)
        assert messages.SLOW_DOWN in texts(fake, chat) and not SORRY & set(texts(fake, chat))
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR and (r.exc_info or r.name == "bot.engine")]
    assert not failures, [r.getMessage()[:200] for r in failures]
