"""End-to-end tests of the web chat and the console in a real browser (issue 15).

Chromium and its driver come from the distribution's packages (`chromium`, `chromium-driver`;
`.ci/run` installs them when missing). The app runs in a real uvicorn server on a free port of
127.0.0.1; screenshots are written to results/.
"""

from __future__ import annotations

import dataclasses
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from bot.handoff import Handoff
from bot.web import texts
from bot.web.auth import hash_password

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs the chromium and chromium-driver packages"),
]
RESULTS = PROJECT_ROOT / "results"
PASSWORD = "browser test 1"


@pytest.fixture()
def server(settings, make_engine):
    """A real HTTP server on 127.0.0.1 with one registered worker; yields its base URL and the engine."""
    import uvicorn

    from bot.web.app import create_app

    engine = make_engine()
    h = Handoff(engine.store.db)
    h.add_worker("7", "王老师")
    h.set_password_hash("7", hash_password(PASSWORD, n=2 ** 10))
    fast = dataclasses.replace(settings, web={**settings.web, "poll_seconds": 1.0})
    app = create_app(fast, engine)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    assert srv.started, "the web server did not start"
    yield f"http://127.0.0.1:{port}", engine
    srv.should_exit = True
    thread.join(10)
    app.state.channel.close()


def _browser(width: int, height: int, mobile: bool, extra: tuple[str, ...] = ()):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=zh-CN",
                f"--window-size={width},{height}", "--autoplay-policy=no-user-gesture-required", *extra):
        options.add_argument(arg)
    if mobile:  # a phone: the page is laid out 360 CSS pixels wide, as on a small Android phone
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": {
            "width": width, "height": height, "pixelRatio": 2.0}, "userAgent": (
            "Mozilla/5.0 (Linux; Android 12; Phone) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile "
            "Safari/537.36 MicroMessenger/8.0.40")})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.implicitly_wait(0)
    return driver


@pytest.fixture()
def phone():
    driver = _browser(360, 740, mobile=True)
    yield driver
    driver.quit()


@pytest.fixture()
def desktop():
    driver = _browser(1200, 900, mobile=False)
    yield driver
    driver.quit()


def wait_for(check, timeout: float = 10.0, what: str = ""):
    """Poll ``check()`` until it returns something true; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = check()
            if last:
                return last
        except Exception as exc:  # the element is not there yet
            last = exc
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what or check}: {last!r}")


def shot(driver, name: str) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / name
    driver.save_screenshot(str(path))
    return path


def bubbles(driver, who: str = "bot") -> list[str]:
    from selenium.webdriver.common.by import By

    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, f"#log .msg.{who}")]


def buttons(driver):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, "#log .buttons button")


def type_and_send(driver, text: str) -> None:
    from selenium.webdriver.common.by import By

    box = driver.find_element(By.ID, "text")
    box.send_keys(text)
    driver.find_element(By.ID, "send").click()


def press(driver, title: str) -> None:
    """Scroll to a reply button (as a person would) and tap it."""
    button = wait_for(lambda: [b for b in buttons(driver) if b.text == title], what=f"a button {title}")[0]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()


def sign_in(driver, base: str, login: str = "7", password: str = PASSWORD) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/console/login")
    driver.find_element(By.ID, "worker").send_keys(login)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login").click()


def test_resident_tutorial_with_buttons_at_360px(server, phone):
    from selenium.webdriver.common.by import By

    base, _ = server
    phone.get(base + "/")
    wait_for(lambda: any("隐私提示" in t for t in bubbles(phone, "notice")), what="the privacy notice")
    type_and_send(phone, "我想学用手机买菜")
    wait_for(lambda: len(buttons(phone)) >= 3, what="app buttons")
    # Big tap targets, one per row, nothing wider than the screen.
    width = phone.execute_script("return document.documentElement.clientWidth")
    assert width == 360
    assert phone.execute_script("return document.documentElement.scrollWidth") <= 360
    rows = {b.location["y"] for b in buttons(phone)}
    assert len(rows) == len(buttons(phone))  # one per row
    for b in buttons(phone):
        assert b.size["height"] >= 60 and b.size["width"] >= 300
    size = float(phone.execute_script(
        "return parseFloat(getComputedStyle(document.querySelector('#log .msg.bot')).fontSize)"))
    assert size >= 18
    human = phone.find_element(By.ID, "human")
    assert human.is_displayed() and human.text == texts.FIND_WORKER
    assert phone.find_element(By.ID, "text").get_attribute("type") == "text"
    shot(phone, "web_chat_buttons_360.png")
    press(phone, "多多买菜")
    wait_for(lambda: any("第1步" in t for t in bubbles(phone)), what="the first step")
    press(phone, "下一步")
    wait_for(lambda: any("第2步" in t for t in bubbles(phone)), what="the second step")
    assert phone.find_element(By.ID, "human").is_displayed()  # always there, even after a long answer
    shot(phone, "web_chat_tutorial_360.png")
    # 大字 makes the text larger and is remembered.
    phone.find_element(By.ID, "bigtext").click()
    bigger = float(phone.execute_script(
        "return parseFloat(getComputedStyle(document.querySelector('#log .msg.bot')).fontSize)"))
    assert bigger > size
    assert phone.execute_script("return document.documentElement.scrollWidth") <= 360
    shot(phone, "web_chat_big_text_360.png")
    phone.refresh()
    wait_for(lambda: any("第2步" in t for t in bubbles(phone)), what="the conversation after a reload")
    assert "big" in phone.execute_script("return document.documentElement.className")
    assert not any("隐私提示" in t for t in bubbles(phone, "notice"))  # the notice is shown once


def test_handoff_worker_claims_and_replies_live(server, phone, desktop):
    from selenium.webdriver.common.by import By

    base, engine = server
    phone.get(base + "/")
    wait_for(lambda: bubbles(phone, "notice"), what="the page")
    type_and_send(phone, "我想学用手机买菜")
    wait_for(lambda: buttons(phone), what="buttons")
    phone.find_element(By.ID, "human").click()
    press(phone, "可以")
    wait_for(lambda: any("已经交给社工" in t for t in bubbles(phone)), what="the ticket number")
    wait_for(lambda: phone.find_element(By.ID, "handoff").is_displayed(), what="the waiting banner")
    ticket = Handoff(engine.store.db).queue()[0].id

    sign_in(desktop, base)
    wait_for(lambda: desktop.find_element(By.ID, f"ticket-{ticket}"), what="the ticket in the queue").click()
    wait_for(lambda: desktop.find_element(By.ID, "claim"), what="the claim button").click()
    box = wait_for(lambda: desktop.find_element(By.ID, "reply") if desktop.find_element(
        By.ID, "reply-form").is_displayed() else None, what="the reply box")
    card = desktop.find_element(By.ID, "card").text
    assert "我想学用手机买菜" in card and "居民" in card
    box.send_keys("您好，我是王老师，我来教您。")
    desktop.find_element(By.ID, "reply-send").click()
    # The person sees the reply without reloading.
    wait_for(lambda: any("您好，我是王老师，我来教您。" in t for t in bubbles(phone, "worker")), timeout=8,
             what="the worker's reply on the open page")
    assert texts.WORKER_CHATTING.format(name="王老师") in phone.find_element(By.ID, "handoff").text
    shot(phone, "web_chat_worker_reply_360.png")
    # And what the person writes now shows on the worker's card.
    type_and_send(phone, "谢谢王老师")
    wait_for(lambda: "谢谢王老师" in desktop.find_element(By.ID, "messages").text, timeout=8,
             what="the person's message on the card")
    desktop.set_window_size(1200, 1300)
    desktop.execute_script("window.scrollTo(0, 0)")
    shot(desktop, "console_ticket.png")
    desktop.find_element(By.ID, "outcome-0").click()
    desktop.find_element(By.ID, "close").click()
    wait_for(lambda: "已结束" in desktop.find_element(By.ID, "card-title").text, what="the closed ticket")
    wait_for(lambda: not phone.find_element(By.ID, "handoff").is_displayed(), timeout=8, what="the banner gone")


def test_non_worker_is_refused(server, desktop):
    from selenium.webdriver.common.by import By

    base, _ = server
    desktop.get(base + "/console")
    assert desktop.current_url.endswith("/console/login")
    sign_in(desktop, base, "12345", PASSWORD)
    assert wait_for(lambda: desktop.find_element(By.ID, "error").text) == texts.LOGIN_FAILED
    assert desktop.current_url.endswith("/console/login")
    sign_in(desktop, base, "7", "not the password")
    assert wait_for(lambda: desktop.find_element(By.ID, "error").text) == texts.LOGIN_FAILED
    desktop.get(base + "/console")
    assert desktop.current_url.endswith("/console/login")
    shot(desktop, "console_refused.png")


def test_urgent_message_alerts_the_console_within_5_seconds(server, phone, desktop):
    from selenium.webdriver.common.by import By

    base, _ = server
    sign_in(desktop, base)
    wait_for(lambda: desktop.find_element(By.ID, "me").is_displayed(), what="the console")
    assert desktop.find_element(By.ID, "alert").is_displayed() is False
    phone.get(base + "/")
    wait_for(lambda: bubbles(phone, "notice"), what="the page")
    type_and_send(phone, "有人冒充公安让我转账到安全账户")
    wait_for(lambda: any("96110" in t or "110" in t for t in bubbles(phone)), what="the hotline answer")
    start = time.time()
    wait_for(lambda: desktop.find_element(By.ID, "alert").is_displayed(), timeout=5, what="the urgent banner")
    wait_for(lambda: desktop.title == texts.URGENT_ALERT_TITLE, timeout=5 - (time.time() - start) + 1.5,
             what="the flashing title")
    assert time.time() - start <= 5
    shot(desktop, "console_urgent_alert.png")
    # Claimed: the alert stops.
    desktop.find_element(By.CSS_SELECTOR, "#open button.urgent").click()
    wait_for(lambda: desktop.find_element(By.ID, "claim"), what="the claim button").click()
    wait_for(lambda: not desktop.find_element(By.ID, "alert").is_displayed(), timeout=5, what="the alert to stop")
    time.sleep(1.2)
    assert desktop.title == texts.CONSOLE_TITLE


def _png() -> bytes:
    """A real 8x8 PNG (orange), so the browser can show it."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xff\x88\x00" * 8 for _ in range(8))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.fixture()
def phone_with_mic():
    """A phone whose browser has a fake microphone (a tone) and grants it without asking."""
    driver = _browser(360, 740, mobile=True,
                      extra=("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"))
    yield driver
    driver.quit()


def test_photo_and_voice_note_then_a_worker_replies_with_a_picture(server, phone_with_mic, desktop, tmp_path):
    from selenium.webdriver.common.by import By

    from bot.media import PHOTO_NO_HANDOFF, PHOTO_WAITING, SpeechToText
    from tests.fake_stt import FakeSpeech

    base, engine = server
    phone = phone_with_mic
    picture = tmp_path / "letter.png"
    picture.write_bytes(_png())
    with FakeSpeech() as stt:
        stt.default = "我想找社工"
        engine.speech = SpeechToText(url=stt.url, timeout=5.0)
        phone.get(base + "/")
        wait_for(lambda: bubbles(phone, "notice"), what="the page")
        # A photo from the album (no hand-off yet): kept, and the bot says what it can read.
        phone.find_element(By.ID, "photo").send_keys(str(picture))
        wait_for(lambda: PHOTO_NO_HANDOFF in bubbles(phone), what="the answer to a photo")
        assert phone.execute_script("return document.querySelector('#log .msg.me img').naturalWidth") == 8
        # A voice note: recorded with the (fake) microphone, heard by the fake speech-to-text server.
        phone.find_element(By.ID, "voice").click()
        wait_for(lambda: phone.find_element(By.ID, "voice").text == texts.VOICE_STOP, what="recording")
        time.sleep(1.0)
        phone.find_element(By.ID, "voice").click()
        wait_for(lambda: any("我听到您说：「我想找社工」" in t for t in bubbles(phone)), timeout=15,
                 what="the voice note's words")
        assert stt.requests and stt.requests[-1]["path"] == "/v1/audio/transcriptions"
        press(phone, "可以")
        wait_for(lambda: any("已经交给社工" in t for t in bubbles(phone)), what="the ticket")
        phone.find_element(By.ID, "photo").send_keys(str(picture))
        wait_for(lambda: PHOTO_WAITING in bubbles(phone), what="the photo kept for the worker")
        shot(phone, "web_chat_photo_voice_360.png")
    ticket = Handoff(engine.store.db).queue()[0]
    kinds = [m.kind for m in engine.media.of_user(ticket.user_id)]
    assert kinds == ["photo", "voice", "photo"]
    sign_in(desktop, base)
    wait_for(lambda: desktop.find_element(By.ID, f"ticket-{ticket.id}"), what="the ticket").click()
    wait_for(lambda: desktop.find_element(By.ID, "claim"), what="the claim button").click()
    wait_for(lambda: desktop.find_element(By.ID, "reply-form").is_displayed(), what="the reply form")
    # The card shows the person's pictures and voice note through the signed-in route.
    wait_for(lambda: desktop.execute_script(
        "return Array.from(document.querySelectorAll('#media img')).filter(i => i.naturalWidth === 8).length") == 2,
        what="the person's pictures on the card")
    assert desktop.find_elements(By.CSS_SELECTOR, "#media audio")
    assert "我想找社工" in desktop.find_element(By.ID, "media").text
    desktop.find_element(By.ID, "reply-photo").send_keys(str(picture))
    wait_for(lambda: [m for m in engine.media.of_user(ticket.user_id) if m.sender == "worker"], timeout=8,
             what="the worker's picture stored")
    # The claim notice and the picture arrive in one poll: both are shown.
    wait_for(lambda: phone.execute_script(
        "return Array.from(document.querySelectorAll('#log .msg.worker img')).filter(i => i.naturalWidth === 8)"
        ".length") == 1, timeout=8, what="the worker's picture on the open page")
    shot(phone, "web_chat_worker_picture_360.png")
    desktop.set_window_size(1200, 1400)
    shot(desktop, "console_media.png")


def test_worker_opens_the_content_and_the_needs_report_from_the_queue(server, desktop):
    from selenium.webdriver.common.by import By

    base, engine = server
    sign_in(desktop, base)
    wait_for(lambda: desktop.current_url.endswith("/console"))
    desktop.find_element(By.ID, "library-link").click()
    wait_for(lambda: desktop.current_url.endswith("/console/library"), what="the content page")
    box = desktop.find_element(By.ID, "q")
    box.send_keys("96110")
    box.submit()
    title = engine.kb.get("hotline_96110")["title"]
    wait_for(lambda: title in desktop.find_element(By.TAG_NAME, "main").text, what="the hotline found")
    assert desktop.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(desktop, "console_library.png")
    desktop.get(base + "/console")
    desktop.find_element(By.ID, "report-link").click()
    wait_for(lambda: "邻里助手服务报告" in desktop.find_element(By.TAG_NAME, "h1").text, what="the report")
    # Its own inline styles apply (its CSP allows them, and no script).
    assert desktop.execute_script("return getComputedStyle(document.querySelector('main')).maxWidth") != "none"
    shot(desktop, "console_report.png")
