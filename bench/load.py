"""Load: many simulated users through the full bot, with every message and ticket counted.

Usage:
    python bench/load.py                       # 1,000 users x 20 messages through the engine
    python bench/load.py --mode telegram --users 100 --messages 5
                                               # through the real Telegram Application and a fake Bot API
    python bench/load.py --mode web [--concurrency 8]
                                               # through `linli serve`'s HTTP API, with a worker in the console

Engine mode drives Engine.handle (NLU + dialogue + SQLite file in WAL mode) one message at
a time, as the Telegram handlers do. Telegram mode pushes updates into the fake Bot API
server of the tests and waits until every reply is sent; there PTB's rate limiter (Telegram's
own limits, ~30 messages/s) dominates the figures. Target (engine mode, 2-core machine):
p95 <= 50 ms per message, 0 errors, nothing lost.

Engine mode also counts, per user, every message it sent against the transcript rows stored
for that user (and the replies and tickets), and mixes in the traffic that once lost whole
histories (issue 12): a message misread as "delete my data" followed by 下一步/好/嗯/继续, a request
for a social worker followed by the same words, and a few deletions it does ask for (删除我的信息,
then the 确定删除 button). A deletion it did not ask for, a requested one not done, a ticket opened
without a clear yes, or any count mismatch is an error: the script then exits with status 1.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from _common import ROOT, peak_rss_mb, project_settings

from bot import messages
from bot.engine import Engine
from bot.models import IncomingMessage
from bot.store import open_db
from nlu.pipeline import load_pipeline, train_model
from nlu.training_data import load_training_data

SCRIPT = ["你好", "教我用多多买菜买菜", "下一步", "下一步", "没看懂", "再说一遍", "上一步", "下一步",
          "预算就几百块怎么推广", "那抖音呢", "做海报用啥软件好", "这个收费吗", "开网店要交税吗", "谢谢"]


# Messages the NLU reads as "delete my data" though they are not (the first two are issue 12's
# misreading; the third asks for someone else's records), and words that are no answer to
# "确定要删除…？" or "我可以把对话发给社工吗？".
MISREAD_DELETE = ("我的手机号是13800001234 帮我记一下", "我的手机号13800001234 帮我记一下", "把张阿姨的聊天记录发给我")
ASK_HUMAN = ("我要找社工", "转人工", "你太笨了说半天没用")
VAGUE = ("下一步", "好", "嗯", "继续")
ASK_DELETE, CONFIRM_DELETE = "删除我的信息", messages.PRIVACY_CONFIRM_BUTTONS[0]


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q / 100 * len(s))) - 1))]


def messages_for(user: int, n: int, pool: list[str], rng: random.Random) -> list[str]:
    """A realistic mix: a scripted conversation, then messages drawn from the held-out set."""
    out = SCRIPT[: n // 2]
    while len(out) < n:
        out.append(rng.choice(pool))
    return out


def plan_for(user: int, n: int, pool: list[str], rng: random.Random) -> list[tuple[str, str]]:
    """``messages_for`` with each message's role; some users get a risky pair or ask for a deletion.

    Roles: "plain", "misread" then "vague" (1 user in 20), "ask_human" then "vague" (1 in 20),
    "ask_delete" then "confirm_delete" (1 in 50, the only deletions the bench asks for).
    """
    plan = [(text, "plain") for text in messages_for(user, n, pool, rng)]
    first = len(SCRIPT[: n // 2])
    if n - first < 2:
        return plan
    pairs = {3: ((rng.choice(MISREAD_DELETE), "misread"), (rng.choice(VAGUE), "vague")),
             11: ((rng.choice(ASK_HUMAN), "ask_human"), (rng.choice(VAGUE), "vague"))}
    pair = pairs.get(user % 20)
    if user % 50 == 7:
        pair = ((ASK_DELETE, "ask_delete"), (CONFIRM_DELETE, "confirm_delete"))
    if pair:
        at = rng.randrange(first, n - 1)
        plan[at:at + 2] = pair
    return plan


def engine_mode(args: argparse.Namespace) -> int:
    settings = project_settings()
    train_model(settings)
    pipeline = load_pipeline(settings)
    # Without random "delete my data" requests: the only deletions asked for are plan_for's, so
    # any other one is an error.
    pool = [e.text for e in load_training_data(ROOT / "tests" / "heldout" / "heldout.yml").examples
            if e.intent != "privacy_delete"]
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(Path(tmp) / "load.db")
        engine = Engine.from_settings(settings, db=db, pipeline=pipeline)
        plan = {u: plan_for(u, args.messages, pool, rng) for u in range(args.users)}
        # Interleave users, as real traffic does.
        order = [(u, i) for i in range(args.messages) for u in range(args.users)]
        lat, errors, replies = [], 0, 0
        # What each user's rows should be: everything sent, minus what a requested deletion removed.
        want_in, want_out, want_tickets = Counter(), Counter(), Counter()
        want_anonymous = 0  # tickets of people who deleted their data keep no user id
        gone = set()  # users whose last message was a requested deletion: no state row
        requested, done, unrequested, vague_tickets = 0, 0, [], []
        t0 = time.perf_counter()
        for u, i in order:
            text, role = plan[u][i]
            user = f"load{u}"
            s = time.perf_counter()
            try:
                out = engine.handle(IncomingMessage(user_id=user, text=text, channel="load"))
            except Exception:  # counted, not hidden
                errors += 1
                lat.append((time.perf_counter() - s) * 1000)
                continue
            lat.append((time.perf_counter() - s) * 1000)
            replies += len(out.replies)
            deleted = any(r.text == messages.PRIVACY_DELETED for r in out.replies)
            requested += role == "confirm_delete"
            if deleted and role == "confirm_delete":
                done += 1
                want_anonymous += want_tickets.pop(user, 0)
                want_in[user] = want_out[user] = 0
                gone.add(user)
                continue
            if deleted:
                unrequested.append((user, plan[u][i - 1][0] if i else "", text))
            gone.discard(user)
            want_in[user] += 1
            want_out[user] += len(out.replies)
            if out.new_ticket is not None:
                want_tickets[user] += 1
                if out.new_ticket.priority == "normal" and role == "vague":
                    vague_tickets.append((user, plan[u][i - 1][0], text))
        wall = time.perf_counter() - t0

        def per_user(sql: str) -> Counter:
            return Counter({row[0]: row[1] for row in db.execute(sql)})

        got_in = per_user("SELECT user_id, COUNT(*) FROM transcript WHERE direction = 'in' GROUP BY user_id")
        got_out = per_user("SELECT user_id, COUNT(*) FROM transcript WHERE direction = 'out' GROUP BY user_id")
        got_tickets = per_user("SELECT user_id, COUNT(*) FROM tickets GROUP BY user_id")
        anonymous = got_tickets.pop("", 0)
        states = {row[0] for row in db.execute("SELECT user_id FROM dialogue_states")}
    users = [f"load{u}" for u in range(args.users)]
    bad = [(u, want_in[u], got_in[u], want_out[u], got_out[u], want_tickets[u], got_tickets[u]) for u in users
           if (want_in[u], want_out[u], want_tickets[u]) != (got_in[u], got_out[u], got_tickets[u])]
    lost = sum(max(0, b[1] - b[2]) for b in bad)
    lost_users = sum(1 for b in bad if b[2] < b[1])
    want_states = set(users) - gone
    total = len(order)
    risky = Counter(role for u in range(args.users) for _, role in plan[u])
    print(f"load, engine mode: {args.users} users x {args.messages} messages = {total} messages (SQLite file, WAL)")
    print(f"throughput      {total / wall:.0f} messages/s ({wall:.1f} s)")
    print(f"latency         p50 {pct(lat, 50):.2f} ms  p95 {pct(lat, 95):.2f} ms  p99 {pct(lat, 99):.2f} ms  "
          f"max {max(lat):.1f} ms   target p95 <= 50 ms")
    print(f"errors          {errors}")
    print(f"mixed in        {risky['misread']} misread-as-delete + vague word, {risky['ask_human']} ask-for-a-person + "
          f"vague word, {risky['ask_delete']} requested deletions")
    print(f"count check     messages stored {sum(got_in.values())}/{sum(want_in.values())} "
          f"({total} sent, {total - sum(want_in.values())} removed by requested deletions), "
          f"replies stored {sum(got_out.values())}/{sum(want_out.values())}, tickets stored "
          f"{sum(got_tickets.values())}/{sum(want_tickets.values())} (+{anonymous}/{want_anonymous} anonymous), "
          f"users with state {len(states & set(users))}/{len(want_states)}")
    print(f"per user        {len(bad)} of {args.users} users differ; {lost} messages lost from {lost_users} users")
    for u, wi, gi, wo, go, wt, gt in bad[:10]:
        print(f"                {u}: messages {gi}/{wi}, replies {go}/{wo}, tickets {gt}/{wt}")
    print(f"deletions       asked for {requested}, done {done}; NOT asked for {len(unrequested)}")
    for u, before, text in unrequested[:10]:
        print(f"                {u}: {before!r} then {text!r} deleted the history")
    print(f"consent         tickets opened by a vague word ({'/'.join(VAGUE)}): {len(vague_tickets)}")
    for u, before, text in vague_tickets[:10]:
        print(f"                {u}: {before!r} then {text!r}")
    print(f"peak RSS        {peak_rss_mb():.0f} MB")
    problems = {
        "errors": errors, "users with a count mismatch": len(bad), "deletions not asked for": len(unrequested),
        "requested deletions not done": requested - done, "tickets without a clear yes": len(vague_tickets),
        "state rows": int(states & set(users) != want_states or anonymous != want_anonymous),
    }
    failed = {k: v for k, v in problems.items() if v}
    print("result          " + ("OK" if not failed else "FAIL: " + ", ".join(f"{k} {v}" for k, v in failed.items())))
    return 1 if failed else 0


def telegram_mode(args: argparse.Namespace) -> None:
    import asyncio
    import dataclasses
    import sys

    sys.path.insert(0, str(ROOT))
    from bot.telegram_channel import TelegramChannel
    from tests.fake_telegram import STAFF_CHAT, FakeBotAPI

    settings = project_settings()
    train_model(settings)
    pipeline = load_pipeline(settings)
    pool = [e.text for e in load_training_data(ROOT / "tests" / "heldout" / "heldout.yml").examples]
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp, FakeBotAPI() as fake:
        db = open_db(Path(tmp) / "load.db")
        engine = Engine.from_settings(settings, db=db, pipeline=pipeline)
        tg = {**settings.telegram, "staff_chat_id": STAFF_CHAT, "base_url": fake.base_url, "jobs_interval": 1.0}
        channel = TelegramChannel(engine, dataclasses.replace(settings, telegram=tg))
        total = args.users * args.messages

        async def run() -> float:
            app = channel.build("123:LOAD")
            await app.initialize()
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0.0, timeout=0)
            t0 = time.perf_counter()
            for i in range(args.messages):
                for u in range(args.users):
                    fake.user_text(10_000 + u, messages_for(u, args.messages, pool, rng)[i])
            await fake.wait_for(
                lambda: db.execute("SELECT COUNT(*) FROM transcript WHERE direction = 'in'").fetchone()[0] >= total,
                timeout=3600)
            wall = time.perf_counter() - t0
            await app.updater.stop()
            await app.stop()
            await app.shutdown()
            return wall

        wall = asyncio.run(run())
        stored = db.execute("SELECT COUNT(*) FROM transcript WHERE direction = 'in'").fetchone()[0]
        sent = len([p for p in fake.sent() if int(p["chat_id"]) > 0])
    print(f"load, telegram mode: {args.users} users x {args.messages} messages = {total} updates via the fake Bot API")
    print(f"throughput      {total / wall:.1f} messages/s ({wall:.1f} s; PTB's rate limiter caps sending)")
    print(f"count check     messages stored {stored}/{total}, replies sent {sent}  "
          f"{'OK' if stored == total else 'MISMATCH'}")


def web_mode(args: argparse.Namespace) -> int:
    """Sessions of the chat page against a real `linli serve` (its own process), a worker in the console.

    Each session is a cookie (``linli_id``); 1 in 20 asks for a social worker and consents. A
    worker signed in to /console claims every waiting ticket and replies once; the pages poll
    /api/poll now and then, as an open page does. Counted: every message stored, every reply
    stored, every ticket, and every worker reply delivered exactly once (by a poll or before the
    next answer). Latency is per POST /api/chat as the client sees it, queueing included.
    """
    import asyncio
    import re
    import secrets
    import socket
    import subprocess

    import httpx

    from bot.handoff import Handoff
    from bot.web.auth import hash_password

    settings = project_settings()
    train_model(settings)
    pool = [e.text for e in load_training_data(ROOT / "tests" / "heldout" / "heldout.yml").examples
            if e.intent not in ("privacy_delete", "request_human") and not e.intent.startswith("urgent")]
    rng = random.Random(7)
    password = "load test password"
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "load.db"
        h = Handoff(open_db(db_path))
        h.add_worker("900", "压测社工")
        h.set_password_hash("900", hash_password(password))
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--db", str(db_path), "--port", str(port)],
                                  cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sessions = {u: secrets.token_urlsafe(18) for u in range(args.users)}
        plan = {u: messages_for(u, args.messages, pool, rng) for u in range(args.users)}
        for u in range(args.users):
            if u % 20 == 11 and args.messages >= 4:
                at = rng.randrange(1, args.messages - 2)
                plan[u][at:at + 2] = ["找社工", "可以"]
        lat: list[float] = []
        errors = 0
        replies = Counter()
        delivered = Counter()  # worker replies seen by each person
        worker_sent = Counter()
        asked = {f"web:{sessions[u]}" for u in range(args.users) if "可以" in plan[u]}
        opened = Counter()  # hand-offs each page saw start (asked for, or urgent words in the pool)
        in_handoff: dict[str, bool] = {}
        done = asyncio.Event()

        async def wait_up(client: httpx.AsyncClient) -> None:
            for _ in range(600):
                try:
                    if (await client.get(base + "/webhooks/rest/")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
            raise SystemExit("linli serve did not start")

        def count_worker(user: str, msgs: list[dict]) -> None:
            delivered[user] += sum(1 for m in msgs if "我是压测社工" in m["text"])

        async def person(client: httpx.AsyncClient, u: int, gate: asyncio.Semaphore) -> None:
            nonlocal errors
            cookie = {"Cookie": f"linli_id={sessions[u]}"}
            user = f"web:{sessions[u]}"
            for i, text in enumerate(plan[u]):
                async with gate:
                    s = time.perf_counter()
                    try:
                        r = await client.post(base + "/api/chat", json={"message": text}, headers=cookie)
                        r.raise_for_status()
                        data = r.json()
                    except (httpx.HTTPError, ValueError):
                        errors += 1
                        continue
                    finally:
                        lat.append((time.perf_counter() - s) * 1000)
                    replies[user] += len(data["messages"])
                    count_worker(user, data["messages"])
                    if data["handoff"] is not None and not in_handoff.get(user):
                        opened[user] += 1  # the page showed a new hand-off
                    in_handoff[user] = data["handoff"] is not None
                    if i % 5 == 4:
                        r = await client.get(base + "/api/poll", headers=cookie)
                        count_worker(user, r.json()["messages"])

        async def worker(client: httpx.AsyncClient) -> None:
            page = await client.get(base + "/console/login")
            token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
            await client.post(base + "/console/login", data={"worker": "900", "password": password, "csrf": token})
            csrf = re.search(r'"csrf": ?"([^"]+)"', (await client.get(base + "/console")).text).group(1)
            headers = {"X-CSRF-Token": csrf}
            while True:
                queue = (await client.get(base + "/console/api/queue")).json()
                for t in queue["open"]:
                    if t["status"] == "waiting":
                        await client.post(f"{base}/console/api/tickets/{t['id']}/claim", json={}, headers=headers)
                        card = await client.post(f"{base}/console/api/tickets/{t['id']}/reply",
                                                 json={"text": "您好，我是压测社工"}, headers=headers)
                        if card.status_code == 200:
                            worker_sent[t["id"]] += 1
                if done.is_set() and not any(t["status"] == "waiting" for t in queue["open"]):
                    return
                await asyncio.sleep(0.5)

        async def run() -> float:
            limits = httpx.Limits(max_connections=args.concurrency + 4)
            async with httpx.AsyncClient(timeout=60, limits=limits) as client, \
                    httpx.AsyncClient(timeout=60) as staff:
                await wait_up(client)
                gate = asyncio.Semaphore(args.concurrency)
                t0 = time.perf_counter()
                staff_task = asyncio.create_task(worker(staff))
                await asyncio.gather(*(person(client, u, gate) for u in range(args.users)))
                wall = time.perf_counter() - t0
                done.set()
                await staff_task
                for u in range(args.users):  # the open pages' last look
                    r = await client.get(base + "/api/poll", headers={"Cookie": f"linli_id={sessions[u]}"})
                    count_worker(f"web:{sessions[u]}", r.json()["messages"])
                return wall

        try:
            wall = asyncio.run(run())
        finally:
            server.terminate()
            server.wait(30)
        db = open_db(db_path)

        def per_user(sql: str) -> Counter:
            return Counter({row[0]: row[1] for row in db.execute(sql)})

        got_in = per_user("SELECT user_id, COUNT(*) FROM transcript WHERE direction = 'in' GROUP BY user_id")
        got_out = per_user("SELECT user_id, COUNT(*) FROM transcript WHERE direction = 'out' GROUP BY user_id")
        tickets = per_user("SELECT user_id, COUNT(*) FROM tickets GROUP BY user_id")
        owner = {row[0]: row[1] for row in db.execute("SELECT id, user_id FROM tickets")}
    total = args.users * args.messages
    users = [f"web:{sessions[u]}" for u in range(args.users)]
    # A reply shown before an answer is in the transcript too; poll deliveries are not.
    bad_in = [u for u in users if got_in[u] != args.messages]
    missing_tickets = [u for u in asked if tickets[u] < 1]
    ticket_mismatch = [u for u in users if tickets[u] != opened[u]]
    sent_to = Counter()
    for tid, n in worker_sent.items():
        sent_to[owner[tid]] += n
    undelivered = [u for u in users if delivered[u] != sent_to[u]]
    print(f"load, web mode: {args.users} sessions x {args.messages} messages = {total} POST /api/chat "
          f"(linli serve in its own process, {args.concurrency} in flight)")
    print(f"throughput      {total / wall:.0f} messages/s ({wall:.1f} s)")
    print(f"latency         p50 {pct(lat, 50):.2f} ms  p95 {pct(lat, 95):.2f} ms  p99 {pct(lat, 99):.2f} ms  "
          f"max {max(lat):.1f} ms   target p95 <= 50 ms")
    print(f"errors          {errors}")
    print(f"count check     messages stored {sum(got_in[u] for u in users)}/{total}, replies stored "
          f"{sum(got_out[u] for u in users)} (received {sum(replies.values())}, plus worker words shown before an "
          f"answer), tickets stored {sum(tickets.values())}/{sum(opened.values())} seen opening ({len(asked)} asked for a social worker, the rest urgent words), worker replies {sum(worker_sent.values())} sent, "
          f"{sum(delivered.values())} delivered")
    failed = {k: v for k, v in {"errors": errors, "sessions with messages missing": len(bad_in),
                                 "hand-offs without one ticket": len(missing_tickets),
                                 "sessions whose tickets differ from what the page saw": len(ticket_mismatch),
                                 "worker replies not delivered exactly once": len(undelivered)}.items() if v}
    print("result          " + ("OK" if not failed else "FAIL: " + ", ".join(f"{k} {v}" for k, v in failed.items())))
    return 1 if failed else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=("engine", "telegram", "web"), default="engine")
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--messages", type=int, default=20)
    ap.add_argument("--concurrency", type=int, default=8, help="web mode: requests in flight at once")
    args = ap.parse_args()
    if args.mode == "engine":
        sys.exit(engine_mode(args))
    if args.mode == "web":
        sys.exit(web_mode(args))
    telegram_mode(args)


if __name__ == "__main__":
    main()
