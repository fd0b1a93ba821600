"""Load: many simulated users through the full bot, with every message and ticket counted.

Usage:
    python bench/load.py                       # 1,000 users x 20 messages through the engine
    python bench/load.py --mode telegram --users 100 --messages 5
                                               # through the real Telegram Application and a fake Bot API

Engine mode drives Engine.handle (NLU + dialogue + SQLite file in WAL mode) one message at
a time, as the Telegram handlers do. Telegram mode pushes updates into the fake Bot API
server of the tests and waits until every reply is sent; there PTB's rate limiter (Telegram's
own limits, ~30 messages/s) dominates the figures. Target (engine mode, 2-core machine):
p95 <= 50 ms per message, 0 errors, nothing lost.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from _common import ROOT, peak_rss_mb, project_settings

from bot.engine import Engine
from bot.models import IncomingMessage
from bot.store import open_db
from nlu.pipeline import load_pipeline, train_model
from nlu.training_data import load_training_data

SCRIPT = ["你好", "教我用多多买菜买菜", "下一步", "下一步", "没看懂", "再说一遍", "上一步", "下一步",
          "预算就几百块怎么推广", "那抖音呢", "做海报用啥软件好", "这个收费吗", "开网店要交税吗", "谢谢"]


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q / 100 * len(s))) - 1))]


def messages_for(user: int, n: int, pool: list[str], rng: random.Random) -> list[str]:
    """A realistic mix: a scripted conversation, then messages drawn from the held-out set."""
    out = SCRIPT[: n // 2]
    while len(out) < n:
        out.append(rng.choice(pool))
    return out


def engine_mode(args: argparse.Namespace) -> None:
    settings = project_settings()
    train_model(settings)
    pipeline = load_pipeline(settings)
    # Without "delete my data" requests: a confirmed deletion removes rows on purpose and would
    # blur the count check below.
    pool = [e.text for e in load_training_data(ROOT / "tests" / "heldout" / "heldout.yml").examples
            if e.intent != "privacy_delete"]
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(Path(tmp) / "load.db")
        engine = Engine.from_settings(settings, db=db, pipeline=pipeline)
        plan = {u: messages_for(u, args.messages, pool, rng) for u in range(args.users)}
        # Interleave users, as real traffic does.
        order = [(u, i) for i in range(args.messages) for u in range(args.users)]
        lat, errors, replies = [], 0, 0
        ticket_ids: set[int] = set()
        t0 = time.perf_counter()
        for u, i in order:
            s = time.perf_counter()
            try:
                out = engine.handle(IncomingMessage(user_id=f"load{u}", text=plan[u][i], channel="load"))
                replies += len(out.replies)
                if out.new_ticket is not None:
                    ticket_ids.add(out.new_ticket.id)
            except Exception:  # counted, not hidden
                errors += 1
            lat.append((time.perf_counter() - s) * 1000)
        wall = time.perf_counter() - t0
        stored = db.execute("SELECT COUNT(*) FROM transcript WHERE direction = 'in'").fetchone()[0]
        stored_out = db.execute("SELECT COUNT(*) FROM transcript WHERE direction = 'out'").fetchone()[0]
        stored_tickets = db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
        states = db.execute("SELECT COUNT(*) FROM dialogue_states").fetchone()[0]
    total, tickets = len(order), len(ticket_ids)
    print(f"load, engine mode: {args.users} users x {args.messages} messages = {total} messages (SQLite file, WAL)")
    print(f"throughput      {total / wall:.0f} messages/s ({wall:.1f} s)")
    print(f"latency         p50 {pct(lat, 50):.2f} ms  p95 {pct(lat, 95):.2f} ms  p99 {pct(lat, 99):.2f} ms  "
          f"max {max(lat):.1f} ms   target p95 <= 50 ms")
    print(f"errors          {errors}")
    print(f"count check     messages stored {stored}/{total}, replies stored {stored_out}/{replies}, "
          f"tickets stored {stored_tickets}/{tickets}, users with state {states}/{args.users}  "
          f"{'OK' if (stored, stored_out, stored_tickets, states) == (total, replies, tickets, args.users) else 'MISMATCH'}")
    print(f"peak RSS        {peak_rss_mb():.0f} MB")


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
    ap.add_argument("--mode", choices=("engine", "telegram"), default="engine")
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--messages", type=int, default=20)
    args = ap.parse_args()
    engine_mode(args) if args.mode == "engine" else telegram_mode(args)


if __name__ == "__main__":
    main()
