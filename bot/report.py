"""Reports for social workers: what people need, where the bot fails them, evidence for advocacy.

``collect(db, ...)`` reads the bot's own tables (messages, tickets, tutorial runs, ratings) for
a period and returns a ``Report``: plain numbers, already anonymous. ``bot/report_render.py``
turns it into a self-contained HTML page or Markdown; ``needs_rows`` gives the needs table for
``--needs-csv``.

Privacy rules, applied here so no renderer can forget them:
- no user ids, no raw text except masked samples of questions the bot could not answer and the
  social workers' masked closing notes;
- a breakdown row (a capability, persona, intent, tutorial, rated answer, region...) is only
  shown when at least ``MIN_GROUP`` different people are in it; the rest are merged into one
  "其他" row, which is itself dropped when it is still smaller than ``MIN_GROUP``.

What "the bot did not help" means (issue 16), counted by ``unhelped``:
- a fallback that ended without an answer (``ended_without_answer``): the person's message was
  not understood by the NLU (intent ``nlu_fallback`` or ``out_of_scope``, or capability
  ``out_of_scope``) and the bot's replies to it (the ``out`` rows stored after it, before the
  person's next message) say so: 没听明白 (``NOT_UNDERSTOOD``), 这个我还不太懂 (``OUT_OF_SCOPE``)
  or the offer of a social worker (``OFFER_HUMAN``); or the bot offered suggestions
  (``DID_YOU_MEAN``) and the person's next message got no answer either. A fallback the bot
  still answered (a word explained, a typed button number, a follow-up) is not counted, nor one
  with no bot reply (the chat was with a social worker);
- a 👎 rating;
- a repeated 没看懂: the person said 没看懂 (``nav_simpler``) a second time at the same tutorial
  step; counted once per step however often it was said;
- a hand-off after failures: a ticket opened because the bot offered a social worker after
  failing (reason ``fallbacks``) or the person said the bot did not help (``complaint``).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable
from zoneinfo import ZoneInfo

import sqlite_utils

from bot import messages
from bot.handoff import PERSON_ENDED_NOTE
from bot.privacy import mask

MIN_GROUP = 5
OTHER = "其他（合并）"
UNKNOWN = "未知"
FALLBACK_INTENTS = {"nlu_fallback", "out_of_scope"}
SAMPLE_CHARS = 60
NOTE_CHARS = 120
DEFAULT_MIN_RATINGS = 10  # as reports.min_ratings in bot/config.py

CAPABILITY_LABELS = {
    "teach": "学用手机/平台", "marketing": "生意经（营销）", "policy": "政策", "tool": "免费工具",
    "handoff": "找社工", "urgent": "紧急求助", "privacy": "个人信息", "smalltalk": "闲聊/操作词",
    "out_of_scope": "超出范围", "media": "图片和语音",
}
PERSONA_LABELS = {"resident": "居民", "merchant": "商户", "social_worker": "社工", "": UNKNOWN}
FEEDBACK_KIND_LABELS = {"tutorial": "教程", "policy": "政策解读", "tool": "工具推荐"}
PRIORITY_LABELS = {"urgent": "紧急", "normal": "普通"}
# Capabilities that count as a need in the advocacy table (smalltalk and privacy are not needs).
NEED_CAPABILITIES = ("teach", "marketing", "policy", "tool", "handoff", "urgent", "out_of_scope")
UNANSWERED_NEED = "没能回答的问题"

# The bot's replies that say it could not answer (stored as 'out' rows, masked; see the module docstring).
NO_ANSWER_REPLIES = (messages.NOT_UNDERSTOOD, messages.OUT_OF_SCOPE, messages.OFFER_HUMAN)
SUGGESTIONS_REPLY = messages.DID_YOU_MEAN
MENU_REPLY = messages.MENU_TEXT
# Tickets opened because the bot failed: it offered a social worker after misunderstandings, or
# the person complained that it did not help.
FAILURE_REASONS = ("fallbacks", "complaint")
REASON_LABELS = {"asked": "本人要找社工", "fallbacks": "机器人没帮上", "complaint": "对机器人不满意"}
UNHELPED_LABELS = {
    "fallback": "没听懂、也没答上的问题",
    "thumbs_down": "评价“没帮助”",  # no emoji in the report: not every reader's font has them
    "simpler_again": "同一步说了不止一次“没看懂”",
    "handoff": "没帮上、转给了社工",
}
OUTCOME_LABELS = {
    "waiting": "还在排队", "claimed": "社工在跟进", "closed_note": "社工结束（写了备注）",
    "closed_no_note": "社工结束（没写备注）", "person_ended": "本人结束了对话",
}


@dataclass
class Group:
    """One row of a breakdown: a label, how many messages or events, how many different people."""

    label: str
    count: int
    people: int
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    """Everything a report shows, for one period."""

    start: dt.date
    end: dt.date  # inclusive
    timezone: str
    generated_at: str
    totals: dict[str, int]
    days: list[dict[str, Any]]  # date, messages, people, handoffs, urgent
    capabilities: list[Group]
    personas: list[Group]
    intents: list[Group]
    unanswered: list[dict[str, Any]]  # count, people, samples
    unanswered_total: int
    tutorials: list[Group]  # extra: started, finished, dropoff [(step label, count)]
    handoffs: dict[str, Any]
    urgent: list[Group]
    feedback_kinds: list[Group]  # extra: yes, no
    feedback_answers: list[Group]  # extra: yes, no, kind
    suppressed: int = 0  # breakdown rows hidden because fewer than MIN_GROUP people were in them
    min_ratings: int = DEFAULT_MIN_RATINGS  # a share of helpful ratings needs at least this many
    unhelped: list[dict[str, Any]] = field(default_factory=list)  # key, label, count, people
    workers: list[dict[str, Any]] = field(default_factory=list)  # name, claimed, closed, claim/close medians
    outcomes: list[dict[str, Any]] = field(default_factory=list)  # key, label, count
    close_notes: list[dict[str, Any]] = field(default_factory=list)  # date, worker, reason, note (masked)
    returning: dict[str, int] = field(default_factory=dict)  # people, returning, new, several_days
    needs: list[tuple[str, ...]] = field(default_factory=list)  # NEEDS_BY_REGION_COLUMNS rows
    previous: Report | None = None  # the period of the same length just before, for comparison


# ---- the period ------------------------------------------------------------------------------


def period(days: int, until: dt.date | None, tz: ZoneInfo) -> tuple[dt.date, dt.date, str, str]:
    """(first day, last day, UTC start, UTC end) of the ``days`` local days ending with ``until``."""
    end = until or dt.datetime.now(tz).date()
    start = end - dt.timedelta(days=days - 1)
    lo = dt.datetime.combine(start, dt.time(), tz).astimezone(dt.timezone.utc)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz).astimezone(dt.timezone.utc)
    return start, end, lo.isoformat(timespec="seconds"), hi.isoformat(timespec="seconds")


def parse_time(value: str | None) -> dt.datetime | None:
    """A stored ISO time as an aware datetime (None for empty or broken values)."""
    if not value:
        return None
    try:
        t = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def local_day(value: str, tz: ZoneInfo) -> dt.date | None:
    t = parse_time(value)
    return t.astimezone(tz).date() if t else None


# ---- small-group suppression -------------------------------------------------------------------


def person_key(user_id: str) -> str:
    """Who a row belongs to; rows unlinked from a deleted person count as one anonymous person."""
    return user_id or "(deleted)"


def groups(counts: dict[str, int], people: dict[str, set[str]], order: Iterable[str] | None = None,
           limit: int | None = None) -> tuple[list[Group], int]:
    """Rows with at least MIN_GROUP people, biggest first; the rest merged into one "其他" row.

    Returns the rows and how many labels were hidden (merged, or dropped with a too-small "其他").
    """
    labels = list(order) if order is not None else sorted(counts, key=lambda k: (-counts[k], k))
    shown: list[Group] = []
    rest_count, rest_people, hidden = 0, set(), 0
    for label in labels:
        if label not in counts:
            continue
        if len(people[label]) >= MIN_GROUP and (limit is None or len(shown) < limit):
            shown.append(Group(label, counts[label], len(people[label])))
        else:
            rest_count += counts[label]
            rest_people |= people[label]
            hidden += len(people[label]) < MIN_GROUP
    if rest_count and len(rest_people) >= MIN_GROUP:
        shown.append(Group(OTHER, rest_count, len(rest_people)))
    return shown, hidden


# ---- grouping the questions the bot could not answer ---------------------------------------------


# Characters that carry no topic in a short question (question words, pronouns, particles).
FUNCTION_CHARS = set("的了吗呢啊吧呀嘛么怎样什哪里在是不没我你他她它们这那个能可以会要想帮给把被让和与就还也都很请问呗咋啥该")


def _topic_chars(text: str) -> set[str]:
    """The characters of a message that say what it is about."""
    return {c for c in text if ("\u4e00" <= c <= "\u9fff" and c not in FUNCTION_CHARS) or c.isalpha() and c.isascii()}


def group_similar(texts: list[tuple[str, str]], threshold: float = 0.6) -> list[dict[str, Any]]:
    """Cluster (user, masked text) pairs by shared topic characters so similar questions sit together.

    Greedy and deterministic: the most frequent texts seed groups; a text joins the group with a
    member that shares the largest part of the smaller of the two character sets (at least two
    characters and ``threshold`` of it), else it starts a group of its own.
    """
    freq: Counter[str] = Counter(t for _, t in texts)
    users: dict[str, set[str]] = defaultdict(set)
    for u, t in texts:
        users[t].add(u)
    clusters: list[dict[str, Any]] = []
    for text, n in sorted(freq.items(), key=lambda kv: (-kv[1], kv[0])):
        chars = _topic_chars(text)
        best, best_score = None, 0.0
        for c in clusters:
            for member in c["chars"]:
                shared = len(chars & member)
                score = shared / (min(len(chars), len(member)) or 1) if shared >= 2 else 0.0
                if score > best_score:
                    best, best_score = c, score
        if best is not None and best_score >= threshold:
            best["texts"].append((text, n))
            best["chars"].append(chars)
            best["count"] += n
            best["users"] |= users[text]
        else:
            clusters.append({"chars": [chars], "texts": [(text, n)], "count": n, "users": set(users[text])})
    clusters.sort(key=lambda c: (-c["count"], c["texts"][0][0]))
    return [
        {"count": c["count"], "people": len(c["users"]),
         "samples": [_sample(t) for t, _ in sorted(c["texts"], key=lambda x: -x[1])[:3]]}
        for c in clusters
    ]


def _sample(text: str) -> str:
    """A masked, shortened, one-line sample."""
    one_line = re.sub(r"\s+", " ", mask(text)).strip()
    return one_line if len(one_line) <= SAMPLE_CHARS else one_line[: SAMPLE_CHARS - 1] + "…"


# ---- what the bot did not answer -------------------------------------------------------------------


def is_fallback(row: dict[str, Any]) -> bool:
    """The NLU could not place the person's message."""
    return row["intent"] in FALLBACK_INTENTS or (row["capability"] or "out_of_scope") == "out_of_scope"


def _says(replies: list[str], sentences: Iterable[str]) -> bool:
    return any((r or "").strip().startswith(s) for r in replies for s in sentences)


def got_answer(replies: list[str]) -> bool:
    """The bot's replies to one message hold an answer: something besides "did not understand",
    suggestions and the menu."""
    if not replies or _says(replies, (*NO_ANSWER_REPLIES, SUGGESTIONS_REPLY)):
        return False
    return not all((r or "").strip().startswith(MENU_REPLY) for r in replies)


def ended_without_answer(replies: list[str], next_replies: list[str] | None) -> bool:
    """A fallback ended without an answer (see the module docstring).

    ``replies`` are the bot's replies to the fallback, ``next_replies`` its replies to the person's
    next message (None when there is none yet).
    """
    if not replies:
        return False  # nothing from the bot: the chat was with a social worker
    if _says(replies, NO_ANSWER_REPLIES):
        return True
    if _says(replies, (SUGGESTIONS_REPLY,)):
        return next_replies is None or not got_answer(next_replies)
    return False


def _turns(rows: Iterable[dict[str, Any]]) -> dict[str, list[tuple[dict[str, Any], list[str]]]]:
    """Each person's messages in order, each with the bot's replies to it (transcript rows in id order)."""
    turns: dict[str, list[tuple[dict[str, Any], list[str]]]] = defaultdict(list)
    for r in rows:
        if r["direction"] == "in":
            turns[r["user_id"]].append((r, []))
        elif turns.get(r["user_id"]):
            turns[r["user_id"]][-1][1].append(r["text"] or "")
    return turns


def _next_replies(db: sqlite_utils.Database, user_id: str, after_id: int) -> list[str] | None:
    """The bot's replies to the person's first message after the message ``after_id``, wherever it is."""
    rows = _rows(db, "SELECT id, user_id, direction, text FROM transcript WHERE user_id = ? AND id > ? "
                     "ORDER BY id LIMIT 50", [user_id, after_id])
    turns = _turns(rows).get(user_id)
    return turns[0][1] if turns else None


def unanswered_ids(db: sqlite_utils.Database, lo: str | None = None, hi: str | None = None) -> set[int]:
    """Ids of the inbound messages in [lo, hi) that were fallbacks ending without an answer."""
    sql = "SELECT id, user_id, direction, text, intent, capability FROM transcript"
    args: list[Any] = []
    if lo is not None and hi is not None:
        sql += " WHERE created_at >= ? AND created_at < ?"
        args = [lo, hi]
    out: set[int] = set()
    for user, turns in _turns(_rows(db, sql + " ORDER BY id", args)).items():
        for i, (row, replies) in enumerate(turns):
            if not is_fallback(row):
                continue
            if i + 1 < len(turns):
                following: list[str] | None = turns[i + 1][1]
            elif _says(replies, (SUGGESTIONS_REPLY,)):  # the answer to the suggestions may come after hi
                following = _next_replies(db, user, row["id"])
            else:
                following = None
            if ended_without_answer(replies, following):
                out.add(row["id"])
    return out


def repeated_simpler(msgs: list[dict[str, Any]]) -> list[str]:
    """One person key per tutorial step where that person said 没看懂 a second time.

    ``msgs`` are inbound rows in id order; a row's flow and step are where the person was after it.
    """
    out: list[str] = []
    where: dict[str, tuple[Any, Any]] = {}
    said: dict[str, int] = {}
    for m in msgs:
        user = m["user_id"]
        here = (m["flow"], m["step"])
        if where.get(user) != here:
            where[user], said[user] = here, 0
        if m["intent"] == "nav_simpler" and m["flow"]:
            said[user] += 1
            if said[user] == 2:
                out.append(person_key(user))
    return out


# ---- collecting ---------------------------------------------------------------------------------


def _rows(db: sqlite_utils.Database, sql: str, args: list[Any]) -> list[dict[str, Any]]:
    return list(db.query(sql, args))


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _minutes(a: str | None, b: str | None) -> float | None:
    ta, tb = parse_time(a), parse_time(b)
    if ta is None or tb is None:
        return None
    return max(0.0, (tb - ta).total_seconds() / 60.0)


def collect(
    db: sqlite_utils.Database,
    days: int = 30,
    until: dt.date | None = None,
    timezone: str = "Asia/Shanghai",
    intent_labels: dict[str, str] | None = None,
    flow_info: dict[str, tuple[str, list[str]]] | None = None,
    top_intents: int = 15,
    min_ratings: int = DEFAULT_MIN_RATINGS,
    compare: bool = True,
) -> Report:
    """Read one period's numbers from the database.

    ``intent_labels`` maps intents to Chinese names (from the training data's metadata);
    ``flow_info`` maps a tutorial id to (title, step labels) for the drop-off table;
    ``min_ratings`` is how many ratings a share of helpful ones needs (``reports.min_ratings``).
    With ``compare`` the report also holds the period of the same length just before.
    """
    tz = ZoneInfo(timezone)
    labels = intent_labels or {}
    flows = flow_info or {}
    start, end, lo, hi = period(days, until, tz)
    hidden = 0

    msgs = _rows(db, "SELECT id, user_id, intent, capability, persona, region, text, flow, step, created_at "
                     "FROM transcript WHERE direction = 'in' AND created_at >= ? AND created_at < ? ORDER BY id",
                 [lo, hi])
    ticket_columns = ("user_id, priority, status, reason, created_at, claimed_at, closed_at, close_note, worker_id, "
                      "worker_name")
    tickets = _rows(db, f"SELECT {ticket_columns} FROM tickets WHERE created_at >= ? AND created_at < ? ORDER BY id",
                    [lo, hi])
    runs = _rows(db, "SELECT user_id, flow, last_step, finished_at FROM tutorial_runs "
                     "WHERE started_at >= ? AND started_at < ?", [lo, hi])
    ratings = _rows(db, "SELECT user_id, kind, subject, title, helpful FROM feedback "
                        "WHERE created_at >= ? AND created_at < ?", [lo, hi])

    # Days ---------------------------------------------------------------------------------------
    all_days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    per_day: dict[dt.date, dict[str, Any]] = {d: {"messages": 0, "people": set(), "handoffs": 0, "urgent": 0}
                                              for d in all_days}
    for m in msgs:
        d = local_day(m["created_at"], tz)
        if d in per_day:
            per_day[d]["messages"] += 1
            per_day[d]["people"].add(m["user_id"])
            per_day[d]["urgent"] += m["capability"] == "urgent"
    for t in tickets:
        d = local_day(t["created_at"], tz)
        if d in per_day:
            per_day[d]["handoffs"] += 1
    day_rows = [{"date": d, "messages": v["messages"], "people": len(v["people"]), "handoffs": v["handoffs"],
                 "urgent": v["urgent"]} for d, v in per_day.items()]

    # Persona of a person: the last one known in the period -----------------------------------------
    persona_of: dict[str, str] = {}
    for m in msgs:
        if m["persona"] or m["user_id"] not in persona_of:
            persona_of[m["user_id"]] = m["persona"] or ""

    def breakdown(rows: Iterable[dict[str, Any]], key: Any) -> tuple[dict[str, int], dict[str, set[str]]]:
        counts: dict[str, int] = Counter()
        people: dict[str, set[str]] = defaultdict(set)
        for r in rows:
            k = key(r)
            if k is None:
                continue
            counts[k] += 1
            people[k].add(person_key(r["user_id"]))
        return counts, people

    c, p = breakdown(msgs, lambda r: CAPABILITY_LABELS.get(r["capability"] or "out_of_scope", r["capability"]))
    capabilities, h = groups(c, p)
    hidden += h
    c, p = breakdown(msgs, lambda r: PERSONA_LABELS.get(persona_of.get(r["user_id"], ""), UNKNOWN))
    personas, h = groups(c, p)
    hidden += h
    asked = [m for m in msgs if m["capability"] not in ("smalltalk",) and m["intent"] not in FALLBACK_INTENTS
             and m["intent"] not in ("flood", "feedback", "media")]
    c, p = breakdown(asked, lambda r: labels.get(r["intent"], r["intent"] or UNKNOWN))
    intents, h = groups(c, p, limit=top_intents)
    hidden += h

    # The questions the bot could not answer --------------------------------------------------------
    no_answer = unanswered_ids(db, lo, hi)
    missed_rows = [m for m in msgs if m["id"] in no_answer]
    missed = [(person_key(m["user_id"]), m["text"] or "") for m in missed_rows if (m["text"] or "").strip()]
    unanswered = group_similar(missed)

    # Tutorials ------------------------------------------------------------------------------------
    started: dict[str, int] = Counter()
    finished: dict[str, int] = Counter()
    run_people: dict[str, set[str]] = defaultdict(set)
    drops: dict[str, Counter[int]] = defaultdict(Counter)
    for r in runs:
        started[r["flow"]] += 1
        run_people[r["flow"]].add(person_key(r["user_id"]))
        if r["finished_at"]:
            finished[r["flow"]] += 1
        else:
            drops[r["flow"]][int(r["last_step"] or 0)] += 1
    tutorials: list[Group] = []
    rest_people: set[str] = set()
    rest = Counter[str]()
    for flow_id in sorted(started, key=lambda f: (-started[f], f)):
        title, steps = flows.get(flow_id, (flow_id, []))
        if len(run_people[flow_id]) < MIN_GROUP:
            hidden += 1
            rest_people |= run_people[flow_id]
            rest["started"] += started[flow_id]
            rest["finished"] += finished[flow_id]
            continue
        dropoff = [(_step_label(steps, i), n) for i, n in sorted(drops[flow_id].items())]
        tutorials.append(Group(title, started[flow_id], len(run_people[flow_id]),
                               {"started": started[flow_id], "finished": finished[flow_id], "dropoff": dropoff}))
    if rest and len(rest_people) >= MIN_GROUP:
        tutorials.append(Group(OTHER, rest["started"], len(rest_people),
                               {"started": rest["started"], "finished": rest["finished"], "dropoff": []}))

    # Handoffs -------------------------------------------------------------------------------------
    waits = [w for t in tickets if (w := _minutes(t["created_at"], t["claimed_at"])) is not None]
    handling = [w for t in tickets if (w := _minutes(t["claimed_at"], t["closed_at"])) is not None]
    status = Counter(t["status"] for t in tickets)
    handoffs = {
        "total": len(tickets),
        "urgent": sum(t["priority"] == "urgent" for t in tickets),
        "claimed": sum(1 for t in tickets if t["claimed_at"]),
        "closed": status.get("closed", 0),
        "waiting": status.get("waiting", 0),
        "wait_median": statistics.median(waits) if waits else None,
        "wait_p90": _percentile(waits, 0.9),
        "handling_median": statistics.median(handling) if handling else None,
        "handling_p90": _percentile(handling, 0.9),
        "wait_n": len(waits),
        "handling_n": len(handling),
    }

    # Urgent events by kind ---------------------------------------------------------------------------
    c, p = breakdown([m for m in msgs if m["capability"] == "urgent"], lambda r: labels.get(r["intent"], r["intent"]))
    urgent, h = groups(c, p)
    hidden += h

    # Ratings ----------------------------------------------------------------------------------------
    kinds: list[Group] = []
    for kind in ("tutorial", "policy", "tool"):
        rows = [r for r in ratings if r["kind"] == kind]
        if not rows:
            continue
        yes = sum(r["helpful"] for r in rows)
        people = {person_key(r["user_id"]) for r in rows}
        if len(people) < MIN_GROUP:
            hidden += 1
            continue
        kinds.append(Group(FEEDBACK_KIND_LABELS[kind], len(rows), len(people), {"yes": yes, "no": len(rows) - yes}))
    by_answer: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in ratings:
        by_answer[(r["kind"], r["subject"])].append(r)
    answers: list[Group] = []
    for (kind, _), rows in by_answer.items():
        people = {person_key(r["user_id"]) for r in rows}
        if len(people) < MIN_GROUP:
            hidden += 1
            continue
        yes = sum(r["helpful"] for r in rows)
        answers.append(Group(rows[-1]["title"] or rows[-1]["subject"], len(rows), len(people),
                             {"yes": yes, "no": len(rows) - yes, "kind": FEEDBACK_KIND_LABELS.get(kind, kind)}))
    answers.sort(key=lambda g: (-g.extra["no"] / g.count, -g.count, g.label))

    # Where the bot did not help (see the module docstring) ---------------------------------------------
    failed = {
        "fallback": [person_key(m["user_id"]) for m in missed_rows],
        "thumbs_down": [person_key(r["user_id"]) for r in ratings if not r["helpful"]],
        "simpler_again": repeated_simpler(msgs),
        "handoff": [person_key(t["user_id"]) for t in tickets if t["reason"] in FAILURE_REASONS],
    }
    unhelped = [{"key": k, "label": UNHELPED_LABELS[k], "count": len(v), "people": len(set(v))}
                for k, v in failed.items()]

    totals = {
        "messages": len(msgs),
        "people": len({m["user_id"] for m in msgs}),
        "handoffs": len(tickets),
        "urgent": sum(m["capability"] == "urgent" for m in msgs),
        "unanswered": len(missed_rows),
        "unhelped": sum(len(v) for v in failed.values()),
        "unhelped_people": len(set().union(*failed.values())),
        "tutorials_started": len(runs),
        "tutorials_finished": sum(1 for r in runs if r["finished_at"]),
        "ratings": len(ratings),
        "helpful": sum(r["helpful"] for r in ratings),
    }
    names = worker_names(db)
    previous = None
    if compare:
        previous = collect(db, len(all_days), start - dt.timedelta(days=1), timezone, labels, flows, top_intents,
                           min_ratings, compare=False)
    return Report(
        start=start, end=end, timezone=timezone,
        generated_at=dt.datetime.now(tz).strftime("%Y-%m-%d %H:%M"),
        totals=totals, days=day_rows, capabilities=capabilities, personas=personas, intents=intents,
        unanswered=unanswered, unanswered_total=len(missed_rows), tutorials=tutorials, handoffs=handoffs,
        urgent=urgent, feedback_kinds=kinds, feedback_answers=answers, suppressed=hidden, min_ratings=min_ratings,
        unhelped=unhelped, workers=_caseload(db, lo, hi, names), outcomes=_outcomes(tickets),
        close_notes=_close_notes(db, lo, hi, tz, labels, names), returning=_returning(db, msgs, lo, tz),
        needs=needs_by_region(db, lo, hi, tz, labels) if compare else [], previous=previous,
    )


# ---- for supervisors: caseload, outcomes, returning people ------------------------------------------


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def worker_names(db: sqlite_utils.Database) -> dict[str, str]:
    """How the report names each social worker: the name on their tickets or in ``workers``, never their id.

    A worker without a name (from before names were required) is 没登记姓名的社工1, 2... by id.
    """
    names: dict[str, str] = {}
    for r in db.query("SELECT worker_id, worker_name FROM tickets WHERE worker_id IS NOT NULL AND worker_id != '' "
                      "ORDER BY id"):
        names[str(r["worker_id"])] = r["worker_name"] or names.get(str(r["worker_id"])) or ""
    for w in db.query("SELECT worker_id, name FROM workers"):
        names[str(w["worker_id"])] = w["name"] or names.get(str(w["worker_id"])) or ""
    unnamed = 0
    for worker_id in sorted(names, key=lambda i: (len(i), i)):
        if not names[worker_id]:
            unnamed += 1
            names[worker_id] = f"没登记姓名的社工{unnamed}"
    return names


def _caseload(db: sqlite_utils.Database, lo: str, hi: str, names: dict[str, str]) -> list[dict[str, Any]]:
    """Per social worker: tickets claimed and closed in the period, median minutes to claim and to close.

    Time to claim runs from the ticket to its claim (tickets claimed in the period); time to close
    from the claim to the close (tickets closed in the period).
    """
    rows = _rows(db, "SELECT worker_id, created_at, claimed_at, closed_at FROM tickets "
                     "WHERE worker_id IS NOT NULL AND worker_id != '' AND ((claimed_at >= ? AND claimed_at < ?) "
                     "OR (closed_at >= ? AND closed_at < ?)) ORDER BY id", [lo, hi, lo, hi])
    by_worker: dict[str, dict[str, Any]] = {}
    for t in rows:
        w = by_worker.setdefault(str(t["worker_id"]), {"name": names.get(str(t["worker_id"]), ""), "claimed": 0,
                                                       "closed": 0, "to_claim": [], "to_close": []})
        if t["claimed_at"] and lo <= t["claimed_at"] < hi:
            w["claimed"] += 1
            if (m := _minutes(t["created_at"], t["claimed_at"])) is not None:
                w["to_claim"].append(m)
        if t["closed_at"] and lo <= t["closed_at"] < hi:
            w["closed"] += 1
            if (m := _minutes(t["claimed_at"], t["closed_at"])) is not None:
                w["to_close"].append(m)
    return [{"name": w["name"], "claimed": w["claimed"], "closed": w["closed"], "claim_median": _median(w["to_claim"]),
             "close_median": _median(w["to_close"])}
            for w in sorted(by_worker.values(), key=lambda w: (-w["claimed"], -w["closed"], w["name"]))]


def outcome_of(ticket: dict[str, Any]) -> str:
    """How a ticket ended (an ``OUTCOME_LABELS`` key), from its status and closing note."""
    if ticket["status"] != "closed":
        return "claimed" if ticket["status"] == "claimed" else "waiting"
    note = (ticket["close_note"] or "").strip()
    if note == PERSON_ENDED_NOTE:
        return "person_ended"
    return "closed_note" if note else "closed_no_note"


def _outcomes(tickets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts = Counter(outcome_of(t) for t in tickets)
    return [{"key": k, "label": label, "count": counts[k]} for k, label in OUTCOME_LABELS.items()]


def _close_notes(db: sqlite_utils.Database, lo: str, hi: str, tz: ZoneInfo, labels: dict[str, str],
                 names: dict[str, str]) -> list[dict[str, Any]]:
    """The social workers' closing notes of the tickets closed in the period, masked, oldest first."""
    rows = _rows(db, "SELECT reason, close_note, worker_id, closed_at FROM tickets "
                     "WHERE closed_at >= ? AND closed_at < ? AND close_note IS NOT NULL AND close_note != '' "
                     "AND close_note != ? ORDER BY closed_at, id", [lo, hi, PERSON_ENDED_NOTE])
    out = []
    for t in rows:
        note = re.sub(r"\s+", " ", mask(t["close_note"])).strip()
        reason = REASON_LABELS.get(t["reason"]) or (
            "紧急：" + labels.get(t["reason"], t["reason"]) if str(t["reason"]).startswith("urgent_") else "其他")
        out.append({"date": local_day(t["closed_at"], tz), "worker": names.get(str(t["worker_id"] or ""), ""),
                    "reason": reason,
                    "note": note if len(note) <= NOTE_CHARS else note[: NOTE_CHARS - 1] + "…"})
    return out


def _returning(db: sqlite_utils.Database, msgs: list[dict[str, Any]], lo: str, tz: ZoneInfo) -> dict[str, int]:
    """People in the period: how many wrote before it too, how many are new, how many came on several days."""
    people = {m["user_id"] for m in msgs if m["user_id"]}
    before = {r["user_id"] for r in db.query(
        "SELECT DISTINCT user_id FROM transcript WHERE direction = 'in' AND created_at < ? AND user_id != ''", [lo])}
    days: dict[str, set[dt.date | None]] = defaultdict(set)
    for m in msgs:
        days[m["user_id"]].add(local_day(m["created_at"], tz))
    returning = len(people & before)
    return {"people": len(people), "returning": returning, "new": len(people) - returning,
            "several_days": sum(1 for u in people if len(days[u]) >= 2)}


def _step_label(steps: list[str], index: int) -> str:
    name = steps[index] if 0 <= index < len(steps) else ""
    return f"第{index + 1}步" + (f"（{name}）" if name else "")


# ---- the needs table for advocacy ------------------------------------------------------------------

NEEDS_COLUMNS = ("月份", "类别", "需求", "身份", "地区", "人数", "消息数")
NEEDS_BY_REGION_COLUMNS = ("地区", "类别", "需求", "身份", "人数", "消息数")
OTHER_CELL = "其他"  # a rolled-up cell of the needs table


def _need_cells(db: sqlite_utils.Database, lo: str | None, hi: str | None, tz: ZoneInfo, labels: dict[str, str],
                by_month: bool) -> dict[tuple[str, ...], list[Any]]:
    """People and messages per (month,) category, need, persona and region.

    A fallback that ended without an answer is the need 没能回答的问题; a fallback the bot still
    answered (a word explained, a typed button number) says nothing about a need and is left out.
    """
    sql = ("SELECT id, user_id, intent, capability, persona, region, created_at FROM transcript "
           "WHERE direction = 'in'")
    args: list[Any] = []
    if lo is not None and hi is not None:
        sql += " AND created_at >= ? AND created_at < ?"
        args = [lo, hi]
    no_answer = unanswered_ids(db, lo, hi)
    cells: dict[tuple[str, ...], list[Any]] = {}
    for m in db.query(sql, args):
        cap = m["capability"] or "out_of_scope"
        if is_fallback(m):
            if m["id"] not in no_answer:
                continue
            cap = "out_of_scope"
        if cap not in NEED_CAPABILITIES or m["intent"] in ("flood", "feedback"):
            continue
        t = parse_time(m["created_at"])
        if t is None:
            continue
        need = UNANSWERED_NEED if cap == "out_of_scope" else labels.get(m["intent"], m["intent"])
        key = (CAPABILITY_LABELS[cap], need, PERSONA_LABELS.get(m["persona"] or "", UNKNOWN), m["region"] or UNKNOWN)
        if by_month:
            key = (t.astimezone(tz).strftime("%Y-%m"), *key)
        cell = cells.setdefault(key, [set(), 0])
        cell[0].add(person_key(m["user_id"]))
        cell[1] += 1
    return cells


def _roll_up(cells: dict[tuple[str, ...], list[Any]]) -> list[tuple[str, ...]]:
    """Rows of at least MIN_GROUP people; a smaller cell loses its region, then persona, then need.

    Keys end with (category, need, persona, region); whatever is still too small is left out.
    """
    out: list[tuple[str, ...]] = []
    if not cells:
        return out
    width = len(next(iter(cells)))
    # Roll up: region, then persona, then need; a level's leftovers go to the next level.
    for level in (width - 1, width - 2, width - 3, None):
        leftovers: dict[tuple[str, ...], list[Any]] = {}
        for key, (people, n) in sorted(cells.items()):
            if len(people) >= MIN_GROUP:
                out.append((*key, str(len(people)), str(n)))
            elif level is not None:
                rolled = key[:level] + (OTHER_CELL,) * (width - level)
                cell = leftovers.setdefault(rolled, [set(), 0])
                cell[0] |= people
                cell[1] += n
        cells = leftovers
    return out



def needs_rows(
    db: sqlite_utils.Database,
    days: int | None = None,
    until: dt.date | None = None,
    timezone: str = "Asia/Shanghai",
    intent_labels: dict[str, str] | None = None,
) -> list[tuple[str, ...]]:
    """Needs by month, category, need, persona and region, with small groups rolled up.

    A row with fewer than MIN_GROUP people first loses its region (地区 = 其他), then its persona,
    then its need; whatever is still too small is left out. Every message is counted at most once.
    """
    tz = ZoneInfo(timezone)
    lo = hi = None
    if days is not None:
        _, _, lo, hi = period(days, until, tz)
    out = _roll_up(_need_cells(db, lo, hi, tz, intent_labels or {}, by_month=True))
    other = OTHER_CELL
    out.sort(key=lambda r: (r[0], r[1], r[2] == other, r[2], r[3] == other, r[4] == other, -int(r[5]), r[3], r[4]))
    return out


def needs_by_region(db: sqlite_utils.Database, lo: str, hi: str, tz: ZoneInfo,
                    labels: dict[str, str]) -> list[tuple[str, ...]]:
    """The needs of one period by region (``NEEDS_BY_REGION_COLUMNS``), rolled up as in ``needs_rows``.

    Regions with the most messages first; 未知 and 其他 last.
    """
    rows = [(r[3], r[0], r[1], r[2], r[4], r[5])
            for r in _roll_up(_need_cells(db, lo, hi, tz, labels, by_month=False))]
    size: Counter[str] = Counter()
    for r in rows:
        size[r[0]] += int(r[5])
    return sorted(rows, key=lambda r: (r[0] in (OTHER_CELL, UNKNOWN), r[0] == OTHER_CELL, -size[r[0]], r[0],
                                       r[1], r[2] == OTHER_CELL, r[3] == OTHER_CELL, -int(r[4]), r[2], r[3]))


# ---- what the report needs from the project's files ---------------------------------------------------


def labels_and_flows(settings: Any) -> tuple[dict[str, str], dict[str, tuple[str, list[str]]]]:
    """Chinese intent labels (training-data metadata) and tutorial titles and step names.

    Read once per process (about a second of YAML): ``linli serve`` reads them at start-up, so
    the console's first ticket card does not hold up everyone's messages on the engine thread.
    """
    return _labels_and_flows(str(settings.training_data), str(settings.flows_dir))


@functools.lru_cache(maxsize=4)
def _labels_and_flows(training_data: str, flows_dir: str) -> tuple[dict[str, str], dict[str, tuple[str, list[str]]]]:
    from bot.flows import load_flows
    from nlu.training_data import load_training_data

    data = load_training_data(Path(training_data))
    labels = {i: str(data.intent_metadata.get(i, {}).get("label") or i) for i in data.intents}
    labels["nlu_fallback"] = "没听懂"
    flows = load_flows(Path(flows_dir), set(data.intents))
    info = {f.id: (f.title, [_step_name(s.text) for s in f.steps]) for f in flows.values()}
    return labels, info


def _step_name(text: str) -> str:
    """A short name for a tutorial step: its first clause, without a leading 第N步."""
    t = re.sub(r"^第\s*\d+\s*步\s*[：:，,]?\s*", "", text.strip())
    first = re.split(r"[。！？\n]", t, maxsplit=1)[0].rstrip("，,：:")
    return first[:16] + ("…" if len(first) > 16 else "")
