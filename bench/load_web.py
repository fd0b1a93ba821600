"""`bench/load.py --mode web`: chat-page sessions against a real `linli serve`, a worker in the console.

Two load models, both counting every message, reply, ticket and worker reply:

- **closed loop, overload** (the default, ``--concurrency 8``): a fixed number of requests in
  flight, each sent the moment the previous one is answered; no one thinks or reads. This
  finds the server's capacity; latency is then mostly queueing (Little's law: in flight /
  throughput), so it says how the server degrades, not what a person waits.
- **open, people typing** (``--think 20``): every session's page is open at once (1,000 by
  default), each person sends the next message a random while after the reply (exponential,
  mean ``--think`` seconds: reading two or three short sentences and typing or speaking a
  short answer on a phone), and each open page polls ``/api/poll`` every ``poll_seconds`` as
  chat.js does (not while a message is on its way). 1,000 people at a mean of 20 s offer about
  50 messages/s and 330 polls/s. Latency is then what a person waits.

Each session is a cookie (``linli_id``); 1 in 20 asks for a social worker and consents. A worker
signed in to /console claims every waiting ticket and replies once. Counted: every message
stored, every reply stored, every ticket, and every worker reply delivered exactly once (by a
poll or before the next answer). Latency is per request as the client sees it, queueing included.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from _common import ROOT, project_settings

from nlu.pipeline import train_model
from nlu.training_data import load_training_data

WORKER_WORDS = "您好，我是压测社工"


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q / 100 * len(s))) - 1))] if s else 0.0


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc), or None elsewhere."""
    import os

    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class PageConnection:
    """One keep-alive HTTP/1.1 connection of an open chat page, as a browser holds one.

    Plain asyncio streams: httpx costs about a millisecond of the client's CPU per request,
    and 1,000 open pages polling made the client, not the server, the bottleneck. A reused
    connection that the server closed while idle (uvicorn keeps one 5 s) is opened again once,
    as browsers do; a request on a fresh connection is never sent twice.
    """

    def __init__(self, port: int, cookie: str) -> None:
        self.port, self.cookie = port, cookie
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else b""
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: linli_id={self.cookie}\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        data = head.encode("latin-1") + b"\r\n" + payload
        for attempt in range(2):
            fresh = self.writer is None
            if fresh:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            assert self.reader is not None and self.writer is not None
            try:
                self.writer.write(data)
                status = await self.reader.readline()
                if not status:
                    raise ConnectionResetError("the server closed the connection")
                length, close = 0, False
                while (line := await self.reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                    elif name.lower() == "connection":
                        close = value.strip().lower() == "close"
                content = await self.reader.readexactly(length)
                if close:
                    self.close()
                return int(status.split()[1]), json.loads(content)
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if fresh or attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def web_mode(args: argparse.Namespace, messages_for) -> int:  # type: ignore[no-untyped-def]
    import httpx

    from bot.handoff import Handoff
    from bot.store import open_db
    from bot.web.auth import hash_password

    settings = project_settings()
    train_model(settings)
    poll_seconds = float(settings.web["poll_seconds"])
    pool = [e.text for e in load_training_data(ROOT / "tests" / "heldout" / "heldout.yml").examples
            if e.intent not in ("privacy_delete", "request_human") and not e.intent.startswith("urgent")]
    rng = random.Random(7)
    password = "load test password"
    people = args.think is not None
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
        poll_lat: list[float] = []
        client_lag: list[float] = []  # open model: how late the client woke up for a message or a poll
        errors = Counter()
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
            delivered[user] += sum(1 for m in msgs if WORKER_WORDS in m["text"])

        failures = (httpx.HTTPError, OSError, ValueError, asyncio.IncompleteReadError)

        def via_httpx(client: httpx.AsyncClient, u: int):  # type: ignore[no-untyped-def]
            async def request(method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
                r = await client.request(method, base + path, json=body, headers={"Cookie": f"linli_id={sessions[u]}"})
                return r.status_code, r.json()
            return request

        async def poll(request, u: int) -> None:  # type: ignore[no-untyped-def]
            s = time.perf_counter()
            try:
                status, data = await request("GET", "/api/poll")
                if status != 200:
                    raise ValueError(f"HTTP {status}")
                count_worker(f"web:{sessions[u]}", data["messages"])
            except failures as exc:
                errors[f"poll: {type(exc).__name__} {exc}"[:80]] += 1
            poll_lat.append((time.perf_counter() - s) * 1000)

        async def send(request, u: int, text: str) -> None:  # type: ignore[no-untyped-def]
            user = f"web:{sessions[u]}"
            s = time.perf_counter()
            try:
                status, data = await request("POST", "/api/chat", {"message": text})
                if status != 200:
                    raise ValueError(f"HTTP {status}")
            except failures as exc:
                errors[f"chat: {type(exc).__name__} {exc}"[:80]] += 1
                return
            finally:
                lat.append((time.perf_counter() - s) * 1000)
            replies[user] += len(data["messages"])
            count_worker(user, data["messages"])
            if data["handoff"] is not None and not in_handoff.get(user):
                opened[user] += 1  # the page showed a new hand-off
            in_handoff[user] = data["handoff"] is not None

        async def closed_person(client: httpx.AsyncClient, u: int, gate: asyncio.Semaphore) -> None:
            request = via_httpx(client, u)
            for i, text in enumerate(plan[u]):
                async with gate:
                    await send(request, u, text)
                    if i % 5 == 4:
                        await poll(request, u)

        async def typing_person(u: int, prng: random.Random) -> None:
            busy = False
            finished = asyncio.Event()
            chat_conn, poll_conn = PageConnection(port, sessions[u]), PageConnection(port, sessions[u])
            loop = asyncio.get_running_loop()

            async def pause(seconds: float) -> None:  # and how late the client wakes: its own lag
                due = loop.time() + seconds
                await asyncio.sleep(seconds)
                client_lag.append((loop.time() - due) * 1000)

            async def page_polls() -> None:  # chat.js: every poll_seconds, not while a message is on its way
                await asyncio.sleep(prng.uniform(0, poll_seconds))
                while not finished.is_set():
                    if not busy:
                        await poll(poll_conn.request, u)
                    await pause(poll_seconds)

            poller = asyncio.create_task(page_polls())
            await asyncio.sleep(prng.uniform(0, args.think))  # people arrive spread over one think time
            for text in plan[u]:
                busy = True
                await send(chat_conn.request, u, text)
                busy = False
                await pause(prng.expovariate(1 / args.think))
            finished.set()
            await poller
            chat_conn.close()
            poll_conn.close()

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
                                                 json={"text": WORKER_WORDS}, headers=headers)
                        if card.status_code == 200:
                            worker_sent[t["id"]] += 1
                if done.is_set() and not any(t["status"] == "waiting" for t in queue["open"]):
                    return
                await asyncio.sleep(0.5)

        async def run() -> tuple[float, float | None]:
            open_pages = args.users if people else args.concurrency
            limits = httpx.Limits(max_connections=open_pages + 4, max_keepalive_connections=open_pages + 4)
            async with httpx.AsyncClient(timeout=60, limits=limits) as client, \
                    httpx.AsyncClient(timeout=60) as staff:
                await wait_up(client)
                cpu0 = cpu_seconds(server.pid)
                t0 = time.perf_counter()
                staff_task = asyncio.create_task(worker(staff))
                if people:
                    prngs = [random.Random(1000 + u) for u in range(args.users)]
                    await asyncio.gather(*(typing_person(u, prngs[u]) for u in range(args.users)))
                else:
                    gate = asyncio.Semaphore(args.concurrency)
                    await asyncio.gather(*(closed_person(client, u, gate) for u in range(args.users)))
                wall = time.perf_counter() - t0
                cpu1 = cpu_seconds(server.pid)
                done.set()
                await staff_task
                for u in range(args.users):  # the open pages' last look
                    await poll(via_httpx(client, u), u)
                return wall, (cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None)

        try:
            wall, server_cpu = asyncio.run(run())
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
    if people:
        model = (f"open: all {args.users} pages open, a message a mean {args.think:g} s after each reply "
                 f"(~{args.users / args.think:.0f} messages/s while all are typing), each page polling every {poll_seconds:g} s")
    else:
        model = f"closed loop: {args.concurrency} in flight, no pause (overload)"
    print(f"load, web mode: {args.users} sessions x {args.messages} messages = {total} POST /api/chat "
          f"(linli serve in its own process; {model})")
    print(f"throughput      {total / wall:.0f} messages/s ({wall:.1f} s), {len(poll_lat) / wall:.0f} polls/s")
    print(f"latency         p50 {pct(lat, 50):.2f} ms  p95 {pct(lat, 95):.2f} ms  p99 {pct(lat, 99):.2f} ms  "
          f"max {max(lat):.1f} ms   target p95 <= 50 ms")
    print(f"poll latency    p50 {pct(poll_lat, 50):.2f} ms  p95 {pct(poll_lat, 95):.2f} ms  ({len(poll_lat)} polls)")
    if client_lag:
        late = pct(client_lag, 95)
        print(f"client lag      p95 {late:.1f} ms (how late the load client itself woke up)"
              + ("   WARNING: the client could not keep up; the latencies above include its delay" if late > 20 else ""))
    if server_cpu is not None:
        print(f"server CPU      {server_cpu:.1f} s, {server_cpu / total * 1000:.2f} ms per message (polls included)")
    print(f"errors          {sum(errors.values())}" + (f" ({dict(errors)})" if errors else ""))
    print(f"count check     messages stored {sum(got_in[u] for u in users)}/{total}, replies stored "
          f"{sum(got_out[u] for u in users)} (received {sum(replies.values())}, plus worker words shown before an "
          f"answer), tickets stored {sum(tickets.values())}/{sum(opened.values())} seen opening ({len(asked)} asked "
          f"for a social worker, the rest urgent words), worker replies {sum(worker_sent.values())} sent, "
          f"{sum(delivered.values())} delivered")
    failed = {k: v for k, v in {"errors": sum(errors.values()), "sessions with messages missing": len(bad_in),
                                 "hand-offs without one ticket": len(missing_tickets),
                                 "sessions whose tickets differ from what the page saw": len(ticket_mismatch),
                                 "worker replies not delivered exactly once": len(undelivered)}.items() if v}
    print("result          " + ("OK" if not failed else "FAIL: " + ", ".join(f"{k} {v}" for k, v in failed.items())))
    return 1 if failed else 0
