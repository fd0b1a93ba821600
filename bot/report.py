"""Reports for social workers: what people need, where the bot fails them, evidence for advocacy.

``collect(db, ...)`` reads the bot's own tables (messages, tickets, tutorial runs, ratings) for
a period and returns a ``Report``: plain numbers, already anonymous. ``bot/report_render.py``
turns it into a self-contained HTML page or Markdown; ``needs_rows`` gives the needs table for
``--needs-csv``.

Privacy rules, applied here so no renderer can forget them:
- no user ids, no raw text except masked samples of questions the bot could not answer;
- a breakdown row (a capability, persona, intent, tutorial, rated answer, region...) is only
  shown when at least ``MIN_GROUP`` different people are in it; the rest are merged into one
  "其他" row, which is itself dropped when it is still smaller than ``MIN_GROUP``.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable
from zoneinfo import ZoneInfo

import sqlite_utils

from bot.privacy import mask

MIN_GROUP = 5
OTHER = "其他（合并）"
UNKNOWN = "未知"
FALLBACK_INTENTS = {"nlu_fallback", "out_of_scope"}
SAMPLE_CHARS = 60

CAPABILITY_LABELS = {
    "teach": "学用手机/平台", "marketing": "生意经（营销）", "policy": "政策", "tool": "免费工具",
    "handoff": "找社工", "urgent": "紧急求助", "privacy": "个人信息", "smalltalk": "闲聊/操作词",
    "out_of_scope": "超出范围",
}
PERSONA_LABELS = {"resident": "居民", "merchant": "商户", "social_worker": "社工", "": UNKNOWN}
FEEDBACK_KIND_LABELS = {"tutorial": "教程", "policy": "政策解读", "tool": "工具推荐"}
PRIORITY_LABELS = {"urgent": "紧急", "normal": "普通"}
# Capabilities that count as a need in the advocacy table (smalltalk and privacy are not needs).
NEED_CAPABILITIES = ("teach", "marketing", "policy", "tool", "handoff", "urgent", "out_of_scope")


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
) -> Report:
    """Read one period's numbers from the database.

    ``intent_labels`` maps intents to Chinese names (from the training data's metadata);
    ``flow_info`` maps a tutorial id to (title, step labels) for the drop-off table.
    """
    tz = ZoneInfo(timezone)
    labels = intent_labels or {}
    flows = flow_info or {}
    start, end, lo, hi = period(days, until, tz)
    hidden = 0

    msgs = _rows(db, "SELECT user_id, intent, capability, persona, region, text, created_at FROM transcript "
                     "WHERE direction = 'in' AND created_at >= ? AND created_at < ? ORDER BY id", [lo, hi])
    tickets = _rows(db, "SELECT user_id, priority, status, reason, created_at, claimed_at, closed_at FROM tickets "
                        "WHERE created_at >= ? AND created_at < ?", [lo, hi])
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
             and m["intent"] not in ("flood", "feedback")]
    c, p = breakdown(asked, lambda r: labels.get(r["intent"], r["intent"] or UNKNOWN))
    intents, h = groups(c, p, limit=top_intents)
    hidden += h

    # The questions the bot could not answer --------------------------------------------------------
    missed = [(person_key(m["user_id"]), m["text"] or "") for m in msgs
              if (m["intent"] in FALLBACK_INTENTS or m["capability"] == "out_of_scope") and (m["text"] or "").strip()]
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

    totals = {
        "messages": len(msgs),
        "people": len({m["user_id"] for m in msgs}),
        "handoffs": len(tickets),
        "urgent": sum(m["capability"] == "urgent" for m in msgs),
        "unanswered": len(missed),
        "tutorials_started": len(runs),
        "tutorials_finished": sum(1 for r in runs if r["finished_at"]),
        "ratings": len(ratings),
        "helpful": sum(r["helpful"] for r in ratings),
    }
    return Report(
        start=start, end=end, timezone=timezone,
        generated_at=dt.datetime.now(tz).strftime("%Y-%m-%d %H:%M"),
        totals=totals, days=day_rows, capabilities=capabilities, personas=personas, intents=intents,
        unanswered=unanswered, unanswered_total=len(missed), tutorials=tutorials, handoffs=handoffs,
        urgent=urgent, feedback_kinds=kinds, feedback_answers=answers, suppressed=hidden,
    )


def _step_label(steps: list[str], index: int) -> str:
    name = steps[index] if 0 <= index < len(steps) else ""
    return f"第{index + 1}步" + (f"（{name}）" if name else "")


# ---- the needs table for advocacy ------------------------------------------------------------------

NEEDS_COLUMNS = ("月份", "类别", "需求", "身份", "地区", "人数", "消息数")


def needs_rows(
    db: sqlite_utils.Database,
    days: int | None = None,
    until: dt.date | None = None,
    timezone: str = "Asia/Shanghai",
    intent_labels: dict[str, str] | None = None,
) -> list[tuple[str, ...]]:
    """Needs by month, category, need, persona and region, with small groups rolled up.

    A row with fewer than MIN_GROUP people first loses its region (地区 = 其他), then its persona,
    then its need; whatever is still too small is left out. Every message is counted once.
    """
    tz = ZoneInfo(timezone)
    labels = intent_labels or {}
    sql = "SELECT user_id, intent, capability, persona, region, created_at FROM transcript WHERE direction = 'in'"
    args: list[Any] = []
    if days is not None:
        _, _, lo, hi = period(days, until, tz)
        sql += " AND created_at >= ? AND created_at < ?"
        args = [lo, hi]
    cells: dict[tuple[str, ...], list[Any]] = {}
    for m in db.query(sql, args):
        cap = m["capability"] or "out_of_scope"
        if m["intent"] in FALLBACK_INTENTS:
            cap = "out_of_scope"
        if cap not in NEED_CAPABILITIES or m["intent"] in ("flood", "feedback"):
            continue
        t = parse_time(m["created_at"])
        if t is None:
            continue
        need = "没能回答的问题" if cap == "out_of_scope" else labels.get(m["intent"], m["intent"])
        key = (t.astimezone(tz).strftime("%Y-%m"), CAPABILITY_LABELS[cap], need,
               PERSONA_LABELS.get(m["persona"] or "", UNKNOWN), m["region"] or UNKNOWN)
        cell = cells.setdefault(key, [set(), 0])
        cell[0].add(person_key(m["user_id"]))
        cell[1] += 1
    out: list[tuple[str, ...]] = []
    # Roll up: region, then persona, then need; a level's leftovers go to the next level.
    for level in (4, 3, 2, None):
        leftovers: dict[tuple[str, ...], list[Any]] = {}
        for key, (people, n) in sorted(cells.items()):
            if len(people) >= MIN_GROUP:
                out.append((*key, str(len(people)), str(n)))
            elif level is not None:
                rolled = key[:level] + ("其他",) * (5 - level)
                cell = leftovers.setdefault(rolled, [set(), 0])
                cell[0] |= people
                cell[1] += n
        cells = leftovers
    other = "其他"
    out.sort(key=lambda r: (r[0], r[1], r[2] == other, r[2], r[3] == other, r[4] == other, -int(r[5]), r[3], r[4]))
    return out


# ---- what the report needs from the project's files ---------------------------------------------------


def labels_and_flows(settings: Any) -> tuple[dict[str, str], dict[str, tuple[str, list[str]]]]:
    """Chinese intent labels (training-data metadata) and tutorial titles and step names."""
    from dialogues.loader import load_flows
    from nlu.training_data import load_training_data

    data = load_training_data(settings.training_data)
    labels = {i: str(data.intent_metadata.get(i, {}).get("label") or i) for i in data.intents}
    labels["nlu_fallback"] = "没听懂"
    flows = load_flows(Path(settings.flows_dir), set(data.intents))
    info = {f.id: (f.title, [_step_name(s.text) for s in f.steps]) for f in flows.values()}
    return labels, info


def _step_name(text: str) -> str:
    """A short name for a tutorial step: its first clause, without a leading 第N步."""
    t = re.sub(r"^第\s*\d+\s*步\s*[：:，,]?\s*", "", text.strip())
    first = re.split(r"[。！？\n]", t, maxsplit=1)[0].rstrip("，,：:")
    return first[:16] + ("…" if len(first) > 16 else "")
