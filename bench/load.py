"""Load: many simulated users through the full bot, with every message and ticket counted.

Usage:
    python bench/load.py                       # 1,000 users x 20 messages through the engine
    python bench/load.py --mode telegram --users 100 --messages 5
                                               # through the real Telegram Application and a fake Bot API
    python bench/load.py --mode web [--concurrency 8]
                                               # through `linli serve`'s HTTP API, with a worker in the console:
                                               # closed loop, 8 requests in flight (overload)
    python bench/load.py --mode web --think 20 # the same, open: 1,000 pages open at once, people typing
                                               # (bench/load_web.py says what each model means)

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=("engine", "telegram", "web"), default="engine")
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--messages", type=int, default=20)
    ap.add_argument("--concurrency", type=int, default=8,
                    help="web mode, closed loop: requests in flight at once, each sent when the last is answered")
    ap.add_argument("--think", type=float, default=None, metavar="SECONDS",
                    help="web mode, open: every page open at once, each person's next message a mean SECONDS "
                         "after the reply (exponential), pages polling as chat.js does")
    args = ap.parse_args()
    if args.mode == "engine":
        sys.exit(engine_mode(args))
    if args.mode == "web":
        from load_web import web_mode

        sys.exit(web_mode(args, messages_for))
    telegram_mode(args)


if __name__ == "__main__":
    main()
