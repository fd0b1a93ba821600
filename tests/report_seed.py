"""A realistic month of Linli data, written straight into a database, for report tests and demos.

    python -m tests.report_seed demo.db      # then: linli --db demo.db report --until 2026-10-31

Deterministic (fixed random seed). Times are in October 2026 (Asia/Shanghai), plus a few rows
outside that month that a report for October must leave out, and a quieter September to compare
October with. The bot's replies are stored where the report reads them: after each fallback, a
glossary answer, suggestions and the person's next message (what decides "answered or not").
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from typing import Any

from bot import messages
from bot.handoff import PERSON_ENDED_NOTE
from bot.store import open_db

TZ = dt.timezone(dt.timedelta(hours=8))
START = dt.date(2026, 10, 1)
DAYS = 31

RESIDENT_INTENTS = [("grocery_order", "teach", 8), ("order_pickup", "teach", 5), ("payment_setup", "teach", 4),
                    ("refund_aftersale", "teach", 3), ("elderly_mode", "teach", 3), ("account_login", "teach", 3),
                    ("policy_elderly_services", "policy", 2), ("nav_next", "smalltalk", 10), ("greet", "smalltalk", 3)]
MERCHANT_INTENTS = [("mk_low_budget", "marketing", 6), ("mk_repeat_customers", "marketing", 4),
                    ("open_shop", "teach", 4), ("live_stream", "teach", 2), ("policy_subsidy", "policy", 4),
                    ("policy_loan", "policy", 3), ("tool_design", "tool", 4), ("tool_video", "tool", 2),
                    ("nav_next", "smalltalk", 4)]
FALLBACK_TEXTS = [
    "电费怎么在手机上交", "手机交电费在哪里", "能帮我交电费吗", "交电费的地方找不到",
    "社保卡怎么激活", "社保卡激活不了", "医保报销怎么弄", "医保卡在手机上怎么报销",
    "今天天气怎么样", "我的电话13812345678你打给我",
]
PRIVATE_TEXT = "张阿姨住在幸福小区三号楼想买菜"
REGIONS = ["朝阳区", "朝阳区", "海淀区", ""]
GLOSSARY_QUESTION = "团长是啥意思"  # a fallback the bot answered: never listed as unanswered
SUGGESTED_QUESTION = "怎么交燃气费"  # answered with suggestions (您是不是想问)
WORKERS = [("1001", "王芳"), ("1002", "李强"), ("1003", "")]  # the third claimed before names were required
# Closing notes of tickets 0..9 (tickets 10..13 are not closed); None: ended by the person.
CLOSE_NOTES = ["已教会用小象超市下单", "已电话回访 13912345678，问题解决", None, "", "转介到街道办，补贴申请材料已递交",
               "帮忙联系了平台客服，已退款", "已教会", "", "陪同去银行办了手机银行", None]


def _at(day: dt.date, hour: int, minute: int) -> str:
    return dt.datetime.combine(day, dt.time(hour, minute), TZ).astimezone(dt.timezone.utc).isoformat(
        timespec="seconds")


def _pick(rng: random.Random, weighted: list[tuple[str, str, int]]) -> tuple[str, str]:
    intent, cap, _ = rng.choices(weighted, weights=[w for *_, w in weighted])[0]
    return intent, cap


def seed(path: str | Any, rng_seed: int = 7) -> Any:
    """Fill the database at ``path`` with one month of conversations; returns the sqlite-utils db."""
    db = open_db(path)
    rng = random.Random(rng_seed)
    transcript: list[dict[str, Any]] = []
    users: list[tuple[str, str, str]] = []
    for i in range(36):
        users.append((f"tg:{100000 + i}", "resident", REGIONS[i % 4]))
    for i in range(20):
        users.append((f"tg:{200000 + i}", "merchant", REGIONS[(i + 1) % 4]))
    for i in range(6):
        users.append((f"terminal-{i}", "", ""))

    def msg(user: str, persona: str, region: str, day: dt.date, intent: str, cap: str, text: str,
            at: tuple[int, int] | None = None, flow: str | None = None, step: str = "0") -> str:
        hour, minute = at or (rng.randint(8, 20), rng.randint(0, 59))
        created = _at(day, hour, minute)
        transcript.append({
            "user_id": user, "direction": "in", "text": text, "intent": intent, "capability": cap,
            "confidence": 0.9, "flow": flow, "step": step, "persona": persona, "region": region,
            "created_at": created,
        })
        return created

    def reply(user: str, created: str, *texts: str) -> None:
        """The bot's replies to the message just stored, as the engine writes them."""
        for text in texts:
            transcript.append({"user_id": user, "direction": "out", "text": text, "created_at": created})

    for user, persona, region in users:
        table = RESIDENT_INTENTS if persona == "resident" else MERCHANT_INTENTS
        for _ in range(rng.randint(4, 14)):
            day = START + dt.timedelta(days=rng.randrange(DAYS))
            intent, cap = _pick(rng, table)
            msg(user, persona, region, day, intent, cap, PRIVATE_TEXT if persona == "resident" else "想多卖点货")
    # Questions the bot could not answer, from many people.
    for n, text in enumerate(FALLBACK_TEXTS * 3):
        user, persona, region = users[(n * 7) % len(users)]
        at = msg(user, persona, region, START + dt.timedelta(days=n % DAYS), "nlu_fallback", "out_of_scope", text)
        reply(user, at, messages.NOT_UNDERSTOOD, messages.MENU_TEXT)
    # Urgent messages: scams from six people, one self-harm message (a group too small to show).
    for k in range(6):
        user, persona, region = users[k * 5]
        msg(user, persona, region, START + dt.timedelta(days=3 + k), "urgent_scam", "urgent", "有人让我转账到安全账户")
    msg(users[40][0], "merchant", "", START + dt.timedelta(days=20), "urgent_self_harm", "urgent", "不想活了")
    # Two people asked to delete their data: a privacy group of 2, never broken out.
    for user, persona, region in users[:2]:
        msg(user, persona, region, START + dt.timedelta(days=9), "privacy_delete", "privacy", "删除我的信息")
    # Outside the month: must not be counted in an October report.
    msg(users[0][0], "resident", "朝阳区", dt.date(2026, 9, 30), "grocery_order", "teach", "九月的消息")
    msg(users[0][0], "resident", "朝阳区", dt.date(2026, 11, 1), "grocery_order", "teach", "十一月的消息")
    # September, the period before: twelve people, one message each (with 九月的消息 above: 13 messages).
    for user, persona, region in users[:12]:
        msg(user, persona, region, dt.date(2026, 9, 15), "grocery_order", "teach", "九月的消息", at=(10, 0))

    day = START + dt.timedelta(days=14)
    # Fallbacks the bot answered: a word explained (six people), a typed button number (four).
    for user, persona, region in users[12:18]:
        at = msg(user, persona, region, day, "nlu_fallback", "out_of_scope", GLOSSARY_QUESTION, at=(9, 0))
        reply(user, at, messages.GLOSSARY["团长"])
    for user, persona, region in users[18:22]:
        at = msg(user, persona, region, day, "nlu_fallback", "out_of_scope", "1", at=(9, 0), flow="grocery_dingdong")
        reply(user, at, "第1步（共9步）：先把叮咚买菜装到手机上。")
    # Suggestions (您是不是想问): three people pick one and get the answer, two press 都不是, one says nothing more.
    for n, (user, persona, region) in enumerate(users[22:28]):
        at = msg(user, persona, region, day, "nlu_fallback", "out_of_scope", SUGGESTED_QUESTION, at=(10, 0))
        reply(user, at, messages.DID_YOU_MEAN)
        if n < 3:
            at = msg(user, persona, region, day, "payment_setup", "teach", "生活缴费", at=(10, 1))
            reply(user, at, "在支付宝首页点“生活缴费”，选“燃气费”，输入户号就能交。")
        elif n < 5:
            at = msg(user, persona, region, day, "nav_menu", "smalltalk", "都不是", at=(10, 1))
            reply(user, at, messages.MENU_TEXT)
    # 没看懂 at a tutorial step: said twice (user 28), three times (29), once per step (30: not
    # repeated), twice with a question in between (31). Three repeats in all.
    simpler = {28: [("3", "nav_simpler"), ("3", "nav_simpler")],
               29: [("2", "nav_simpler"), ("2", "nav_simpler"), ("2", "nav_simpler")],
               30: [("2", "nav_simpler"), ("3", "nav_next"), ("3", "nav_simpler")],
               31: [("4", "nav_simpler"), ("4", "address_setup"), ("4", "nav_simpler")]}
    for k, said in simpler.items():
        user, persona, region = users[k]
        for minute, (step, intent) in enumerate(said):
            text = {"nav_simpler": "没看懂", "nav_next": "下一步", "address_setup": "自提点是什么意思"}[intent]
            cap = "teach" if intent == "address_setup" else "smalltalk"
            at = msg(user, persona, region, day + dt.timedelta(days=1), intent, cap, text, at=(11, minute),
                     flow="grocery_xiaoxiang", step=step)
            reply(user, at, f"第{int(step) + 1}步（共9步）：……")
    db["transcript"].insert_all(transcript)
    db["users"].insert_all([{"user_id": u, "channel": "telegram", "persona": p, "created_at": _at(START, 8, 0),
                             "last_seen": _at(START, 9, 0)} for u, p, _ in users], pk="user_id", replace=True)

    # Handoff tickets: waiting, claimed and closed, two urgent; claimed by three social workers in turn.
    # Tickets 5-7 were opened after the bot failed twice, 8 after a complaint about the bot.
    db["workers"].insert_all([{"worker_id": w, "name": name, "added_at": _at(START, 8, 0)} for w, name in WORKERS],
                             pk="worker_id", replace=True)
    tickets = []

    def utc(t: dt.datetime | None) -> str | None:
        return t.astimezone(dt.timezone.utc).isoformat(timespec="seconds") if t else None

    for k in range(14):
        day = START + dt.timedelta(days=2 * k)
        created = dt.datetime.combine(day, dt.time(10, 0), TZ)
        claimed = created + dt.timedelta(minutes=5 + 7 * k) if k < 12 else None
        closed = claimed + dt.timedelta(minutes=20 + 3 * k) if claimed and k < 10 else None
        worker_id, worker_name = WORKERS[k % 3] if claimed else (None, None)
        note = (PERSON_ENDED_NOTE if CLOSE_NOTES[k] is None else CLOSE_NOTES[k]) if closed else None
        tickets.append({
            "user_id": users[k][0], "channel": "telegram", "chat_id": "1", "persona": users[k][1],
            "priority": "urgent" if k in (3, 4) else "normal", "status": "closed" if closed else "claimed" if claimed
            else "waiting", "reason": "urgent_scam" if k in (3, 4) else "fallbacks" if k in (5, 6, 7)
            else "complaint" if k == 8 else "asked", "summary": "", "consent": 1,
            "created_at": utc(created), "claimed_at": utc(claimed), "closed_at": utc(closed),
            "worker_id": worker_id, "worker_name": worker_name, "close_note": note,
        })
    # September: two tickets, one after failures, both closed then by 王芳.
    for k in range(2):
        created = dt.datetime(2026, 9, 10 + k, 10, 0, tzinfo=TZ)
        tickets.append({
            "user_id": users[k][0], "channel": "telegram", "chat_id": "1", "persona": users[k][1],
            "priority": "normal", "status": "closed", "reason": "fallbacks" if k else "asked", "summary": "",
            "consent": 1, "created_at": utc(created), "claimed_at": utc(created + dt.timedelta(minutes=10)),
            "closed_at": utc(created + dt.timedelta(minutes=40)), "worker_id": "1001", "worker_name": "王芳",
            "close_note": "九月的备注",
        })
    db["tickets"].insert_all(tickets)

    # Tutorial runs: grocery_xiaoxiang by 12 people (8 finish), open_shop by 6 (2 finish), elderly_mode by 3.
    runs = []
    for k in range(12):
        done = k < 8
        runs.append({"user_id": users[k][0], "flow": "grocery_xiaoxiang", "persona": "resident",
                     "started_at": _at(START + dt.timedelta(days=k), 9, 0), "last_step": 6 if done else 1 + k % 3,
                     "updated_at": _at(START + dt.timedelta(days=k), 9, 10),
                     "finished_at": _at(START + dt.timedelta(days=k), 9, 10) if done else None})
    for k in range(6):
        runs.append({"user_id": users[36 + k][0], "flow": "open_shop_tutorial", "persona": "merchant",
                     "started_at": _at(START + dt.timedelta(days=k), 15, 0), "last_step": 5 if k < 2 else 2,
                     "updated_at": _at(START + dt.timedelta(days=k), 15, 5),
                     "finished_at": _at(START + dt.timedelta(days=k), 15, 5) if k < 2 else None})
    for k in range(3):
        runs.append({"user_id": users[20 + k][0], "flow": "elderly_mode_tutorial", "persona": "resident",
                     "started_at": _at(START + dt.timedelta(days=k), 11, 0), "last_step": 0,
                     "updated_at": _at(START + dt.timedelta(days=k), 11, 1), "finished_at": None})
    db["tutorial_runs"].insert_all(runs)

    # Ratings: tutorials and tools from many people; policy from three (too few to break out).
    ratings = []
    for k in range(10):
        ratings.append({"user_id": users[k][0], "kind": "tutorial", "subject": "grocery_xiaoxiang",
                        "title": "用小象超市买菜（原来的美团买菜）", "helpful": int(k != 3), "persona": "resident",
                        "created_at": _at(START + dt.timedelta(days=k), 9, 11)})
    for k in range(8):
        ratings.append({"user_id": users[36 + k][0], "kind": "tool", "subject": "need:design", "title": "做海报和图片",
                        "helpful": int(k % 3 != 0), "persona": "merchant",
                        "created_at": _at(START + dt.timedelta(days=k), 16, 0)})
    for k in range(3):
        ratings.append({"user_id": users[44 + k][0], "kind": "policy", "subject": "subsidy", "title": "补贴",
                        "helpful": 0, "persona": "merchant", "created_at": _at(START + dt.timedelta(days=k), 17, 0)})
    for k in range(2):  # September: one 👍, one 👎
        ratings.append({"user_id": users[k][0], "kind": "tutorial", "subject": "grocery_xiaoxiang",
                        "title": "用小象超市买菜（原来的美团买菜）", "helpful": k, "persona": "resident",
                        "created_at": _at(dt.date(2026, 9, 20), 9, 0)})
    db["feedback"].insert_all(ratings)
    return db


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "demo.db"
    seed(target)
    print(f"seeded {target}")
