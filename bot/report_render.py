"""Render a ``Report`` (bot/report.py) as one self-contained HTML page, or as Markdown.

The HTML has no external scripts, fonts or images: charts are inline SVG whose text uses a
font stack of common Chinese fonts (Noto Sans CJK, Source Han, PingFang, Microsoft YaHei,
WenQuanYi...), so Chinese labels render with whatever CJK font the reader's system has.
Every figure also appears as text in a table, marked with ``data-key`` for tests and for
screen readers.
"""

from __future__ import annotations

import datetime as dt
import re
from html import escape
from typing import Any

from bot.report import MIN_GROUP, NEEDS_BY_REGION_COLUMNS, Group, Report

FONT = ("'Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC','Source Han Sans CN','PingFang SC',"
        "'Hiragino Sans GB','Microsoft YaHei','WenQuanYi Micro Hei','WenQuanYi Zen Hei','Heiti SC',"
        "'Droid Sans Fallback',sans-serif")
BLUE, GREEN, ORANGE, RED, GREY = "#2f6db5", "#3a9a5b", "#e08a2c", "#c8453b", "#8a8f98"
NOTES_SHOWN = 30  # closing notes listed on the page, the most recent

CSS = f"""
body{{font-family:{FONT};margin:0;background:#f6f7f9;color:#1f2328;line-height:1.6}}
main{{max-width:980px;margin:0 auto;padding:24px}}
h1{{font-size:28px;margin:8px 0}} h2{{font-size:21px;margin:0 0 12px;border-left:5px solid {BLUE};padding-left:10px}}
section{{background:#fff;border-radius:10px;padding:18px 22px;margin:18px 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}}
.sub{{color:#57606a;font-size:14px}} .note{{color:#57606a;font-size:13px}}
.cards{{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px}}
.card{{background:#f0f4fa;border-radius:8px;padding:12px 14px}}
.card b{{display:block;font-size:26px;color:{BLUE};white-space:nowrap}} .card.urgent b{{color:{RED}}}
table{{border-collapse:collapse;width:100%;font-size:14px;margin-top:8px}}
th,td{{border-bottom:1px solid #e5e7eb;padding:5px 8px;text-align:left}} .n{{text-align:right}} th{{white-space:nowrap}}
details{{margin-top:6px}} summary{{cursor:pointer;color:{BLUE};font-size:14px}}
.two{{display:grid;grid-template-columns:1fr 1fr;gap:18px}} @media(max-width:760px){{.two{{grid-template-columns:1fr}}}}
ol.todo li{{margin-bottom:10px}} .sample{{display:block;color:#3b4048;font-size:14px}}
svg{{max-width:100%;height:auto}} svg text{{font-family:{FONT}}}
"""


# ---- numbers ----------------------------------------------------------------------------------


def fmt_minutes(value: float | None) -> str:
    """Minutes as 分钟 or 小时, or — when there is nothing to measure."""
    if value is None:
        return "—"
    if value < 90:
        return f"{value:.0f} 分钟" if value >= 1 else "不到1分钟"
    return f"{value / 60:.1f} 小时"


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "—"


def share(yes: int, total: int, min_ratings: int) -> str:
    """The share of helpful ratings, or — under ``min_ratings`` ratings (one 👍 is not "100%")."""
    return pct(yes, total) if total and total >= min_ratings else "—"


def change(now: int, before: int) -> str:
    """How much a figure moved since the previous period: +5（+12%）, −3（−20%）, 0; no % from nothing."""
    diff = now - before
    sign = "+" if diff > 0 else "−" if diff < 0 else ""
    text = f"{sign}{abs(diff)}"
    if before and diff:
        text += f"（{sign}{100 * abs(diff) / before:.0f}%）"
    return text


def people_text(n: int) -> str:
    """How many people, without breaking out a group smaller than MIN_GROUP."""
    return f"{n} 人" if n >= MIN_GROUP else f"不足{MIN_GROUP}人"


def _text_width(text: str, size: float) -> float:
    return sum(size if ord(c) > 0x2E7F else size * 0.6 for c in text)


def _e(text: Any) -> str:
    return escape(str(text), quote=True)


# ---- SVG charts -----------------------------------------------------------------------------------


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" role="img" aria-label="{_e(title)}" font-family="{_e(FONT)}" font-size="13">'
            f"<title>{_e(title)}</title>" + "".join(body) + "</svg>")


def _nice_max(value: float) -> float:
    if value <= 4:
        return 4  # whole numbers on the axis for small counts
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000):
        if value <= step * 4:
            return step * 4 if value > step * 2 else max(step * 2, value)
    return value


def _date_ticks(dates: list[dt.date], xs: list[float], width: int, y: float, size: float = 13) -> list[str]:
    """Date labels under the x axis: about eight, the last day always, none cut off at the edges or overlapping.

    A label is centred on its point but moved inwards when it would stick out of the chart (issue 16:
    the last day used to lose its 日).
    """
    if not dates:
        return []
    step = max(1, len(dates) // 8)
    wanted = [i for i in range(len(dates)) if i % step == 0]
    last = len(dates) - 1
    labels = {i: f"{dates[i].month}月{dates[i].day}日" for i in set(wanted) | {last}}

    def span(i: int) -> tuple[float, float]:
        half = _text_width(labels[i], size) / 2
        x = min(max(xs[i], half + 1), width - half - 1)
        return x - half, x + half

    keep = [last]
    for i in reversed([i for i in wanted if i != last]):
        if span(i)[1] + 6 <= span(keep[-1])[0]:
            keep.append(i)
    out = []
    for i in sorted(keep):
        a, b = span(i)
        out.append(f'<text x="{(a + b) / 2:.1f}" y="{y}" text-anchor="middle" fill="#57606a" data-tick="{dates[i]}">'
                   f"{labels[i]}</text>")
    return out


def line_chart(dates: list[dt.date], series: list[tuple[str, list[int], str]], title: str) -> str:
    """Lines over days, with a legend, y grid and date ticks."""
    w, h, left, right, top, bottom = 900, 270, 48, 16, 34, 36
    pw, ph = w - left - right, h - top - bottom
    top_value = _nice_max(max([max(v) for _, v, _ in series if v] + [1]))
    n = max(1, len(dates) - 1)
    body: list[str] = []
    for i in range(5):
        y = top + ph - ph * i / 4
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{w - right}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#57606a">'
                    f"{top_value * i / 4:g}</text>")
    xs = [left + pw * i / n for i in range(len(dates))]
    body += _date_ticks(dates, xs, w, h - 12)
    lx = left
    for name, values, color in series:
        pts = " ".join(f"{left + pw * i / n:.1f},{top + ph - ph * v / top_value:.1f}" for i, v in enumerate(values))
        body.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2.5"/>')
        if len(values) <= 45:
            body += [f'<circle cx="{left + pw * i / n:.1f}" cy="{top + ph - ph * v / top_value:.1f}" r="2.5" '
                     f'fill="{color}"/>' for i, v in enumerate(values)]
        body.append(f'<rect x="{lx}" y="8" width="14" height="14" fill="{color}" rx="2"/>')
        body.append(f'<text x="{lx + 20}" y="20">{_e(name)}</text>')
        lx += 40 + _text_width(name, 13)
    return _svg(w, h, body, title)


def column_chart(dates: list[dt.date], values: list[int], color: str, title: str) -> str:
    """One column a day."""
    w, h, left, right, top, bottom = 900, 220, 48, 16, 16, 36
    pw, ph = w - left - right, h - top - bottom
    top_value = _nice_max(max(values + [1]))
    slot = pw / max(1, len(values))
    body: list[str] = []
    for i in range(5):
        y = top + ph - ph * i / 4
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{w - right}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#57606a">{top_value * i / 4:g}</text>')
    for i, (d, v) in enumerate(zip(dates, values)):
        bh = ph * v / top_value
        body.append(f'<rect x="{left + slot * i + slot * 0.15:.1f}" y="{top + ph - bh:.1f}" width="{slot * 0.7:.1f}" '
                    f'height="{bh:.1f}" fill="{color}" rx="2"><title>{d.isoformat()}: {v}</title></rect>')
    xs = [left + slot * (i + 0.5) for i in range(len(dates))]
    body += _date_ticks(dates, xs, w, h - 12)
    return _svg(w, h, body, title)


def _fit(text: str, width: float, size: float = 13) -> str:
    """The label, shortened with … to fit ``width`` pixels."""
    if _text_width(text, size) <= width:
        return text
    while text and _text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def bar_chart(items: list[tuple[str, list[tuple[int, str]]]], title: str, legend: list[tuple[str, str]] = (),
              width: int = 900) -> str:
    """Horizontal bars: one row per label, one or more (value, colour) bars per row."""
    if not items:
        return ""
    max_label = 150 if width < 600 else 300
    label_w = min(max_label, max(_text_width(label, 13) for label, _ in items) + 16)
    per = max(len(bars) for _, bars in items)
    row_h = 12 + 16 * per
    top = 30 if legend else 6
    w, h = width, top + row_h * len(items) + 6
    pw = w - label_w - 70
    top_value = max([v for _, bars in items for v, _ in bars] + [1])
    body: list[str] = []
    lx = label_w
    for name, color in legend:
        body.append(f'<rect x="{lx}" y="6" width="14" height="14" fill="{color}" rx="2"/>')
        body.append(f'<text x="{lx + 20}" y="18">{_e(name)}</text>')
        lx += 40 + _text_width(name, 13)
    for r, (label, bars) in enumerate(items):
        y0 = top + r * row_h
        body.append(f'<text x="{label_w - 8}" y="{y0 + row_h / 2 + 4:.1f}" text-anchor="end"><title>{_e(label)}</title>'
                    f"{_e(_fit(label, label_w - 12))}</text>")
        for b, (value, color) in enumerate(bars):
            y = y0 + 6 + b * 16
            bw = max(1.0, pw * value / top_value) if value else 0
            body.append(f'<rect x="{label_w}" y="{y:.1f}" width="{bw:.1f}" height="13" fill="{color}" rx="2"/>')
            body.append(f'<text x="{label_w + bw + 6:.1f}" y="{y + 11:.1f}" fill="#3b4048">{value}</text>')
    return _svg(w, int(h), body, title)


# ---- HTML -------------------------------------------------------------------------------------------

# A figure, maybe with its unit and a change in per cent: 12, 67%, 36 分钟, 1.5 小时, 33 人, +50（+417%）.
NUMBER_RE = re.compile(r"^[+−-]?\d+(\.\d+)?(%| 分钟| 小时| 人| 次评价)?(（[+−-]?\d+%）)?$")


def _is_number(text: str) -> bool:
    return bool(NUMBER_RE.match(text)) or text in ("—", "不到1分钟", f"不足{MIN_GROUP}人")


def _table(head: list[str], rows: list[list[tuple[str, str | None]]], row_attrs: list[str] | None = None) -> str:
    """A table; each cell is (text, data-key or None).

    A column whose cells are all numbers (or —) is right-aligned, its header too, so each number
    sits under its own header (issue 16: they used to drift under the next one).
    """
    numeric = [bool(rows) and all(_is_number(row[i][0]) for row in rows) for i in range(len(head))]
    cls = [' class="n"' if n else "" for n in numeric]
    out = ["<table><thead><tr>" + "".join(f"<th{c}>{_e(h)}</th>" for h, c in zip(head, cls)) + "</tr></thead><tbody>"]
    for r, row in enumerate(rows):
        cells = []
        for (text, key), c in zip(row, cls):
            attr = f' data-key="{_e(key)}"' if key else ""
            cells.append(f"<td{c}{attr}>{_e(text)}</td>")
        attr = f" {row_attrs[r]}" if row_attrs else ""
        out.append(f"<tr{attr}>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _group_table(groups: list[Group], key: str, count_name: str = "消息数") -> str:
    return _table(["", count_name, "人数"], [
        [(g.label, None), (str(g.count), f"{key}.{g.label}.count"), (str(g.people), f"{key}.{g.label}.people")]
        for g in groups
    ])


def _details(inner: str, label: str = "看数字") -> str:
    return f"<details><summary>{_e(label)}</summary>{inner}</details>"


def _empty(text: str = "这段时间还没有数据。") -> str:
    return f'<p class="sub">{_e(text)}</p>'


def _cards(cards: list[tuple[str, Any, str, str]]) -> str:
    return '<div class="cards">' + "".join(
        f'<div class="card{cls}"><b data-key="{key}">{_e(v)}</b>{_e(name)}</div>' for name, v, key, cls in cards
    ) + "</div>"


def helpful_card(t: dict[str, int], min_ratings: int) -> tuple[str, str]:
    """(value, label) of the headline on ratings: a share from ``min_ratings`` ratings on, else the count."""
    if t["ratings"] >= min_ratings:
        return pct(t["helpful"], t["ratings"]), f"觉得有帮助（{t['ratings']} 次评价）"
    return f"{t['ratings']} 次评价", f"评价不足 {min_ratings} 次，不算比例"


def _ratings_empty(r: Report) -> str:
    n = r.totals["ratings"]
    if not n:
        return "这段时间还没有评价。"
    return f"本期 {n} 次评价，每一类都不足 {MIN_GROUP} 人评价，不单独列出。"


# What the comparison with the previous period shows: (label, totals key).
COMPARED = [("消息", "messages"), ("人数", "people"), ("转给社工", "handoffs"), ("紧急情况", "urgent"),
            ("没帮上忙", "unhelped"), ("没能回答的问题", "unanswered"), ("学完的教程", "tutorials_finished"),
            ("评价", "ratings"), ("觉得有帮助（次）", "helpful")]

UNHELPED_NOTE = (
    "“没帮上忙”把四种情况加在一起：① 机器人没听懂、也没答上的消息——没听懂指意图识别不出（nlu_fallback、"
    "out_of_scope），没答上指机器人接下来的回复是“没听明白”“这个我还不太懂”或“请社工帮忙”，或者给了"
    "“您是不是想问”的选项而这个人下一句话也没得到回答；机器人照样回答了的（解释一个词、按了按钮的数字）不算，"
    "社工在对话时也不算；② 评价“没帮助”；③ 教程同一步说了两次以上“没看懂”（每一步算一次）；"
    "④ 因为机器人没帮上（连续没听懂后同意找社工，或抱怨机器人）而转给社工的工单。"
    "一个人可能在几种情况里都算。"
)


def render_html(r: Report) -> str:
    """The whole report as one HTML page."""
    t, ho = r.totals, r.handoffs
    dates = [d["date"] for d in r.days]
    span = f"{r.start.isoformat()} 至 {r.end.isoformat()}"
    parts = [
        "<!doctype html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>邻里助手服务报告 {span}</title><style>{CSS}</style></head><body><main>",
        f"<header><h1>邻里助手服务报告</h1><p class=\"sub\">统计时段：{span}（共 {len(r.days)} 天，"
        f"按 {_e(r.timezone)} 时间）· 生成于 {_e(r.generated_at)}</p>",
        f'<p class="note">本报告只有汇总数字，不含任何人的账号或联系方式。“没能回答的问题”只展示遮盖了号码的原话片段，'
        f"社工的结案备注也遮盖了号码。不足 {MIN_GROUP} 人的分组不单独列出，合并为“其他（合并）”或不显示"
        f"（本期共 {r.suppressed} 组）。</p></header>",
    ]
    helpful_value, helpful_label = helpful_card(t, r.min_ratings)
    parts.append('<section id="totals"><h2>总览</h2>' + _cards([
        ("消息", t["messages"], "totals.messages", ""), ("人数", t["people"], "totals.people", ""),
        ("转给社工", t["handoffs"], "totals.handoffs", ""), ("紧急情况", t["urgent"], "totals.urgent", " urgent"),
        ("没帮上忙（次）", t["unhelped"], "totals.unhelped", ""),
        ("教程完成", f"{t['tutorials_finished']}/{t['tutorials_started']}", "totals.tutorials", ""),
        (helpful_label, helpful_value, "totals.helpful", ""),
    ]) + "</section>")

    # This period against the previous one
    if r.previous is not None:
        p = r.previous
        rows = [[(label, None), (str(t[k]), f"compare.{k}.now"), (str(p.totals[k]), f"compare.{k}.before"),
                 (change(t[k], p.totals[k]), f"compare.{k}.change")] for label, k in COMPARED]
        parts.append(f'<section id="compare"><h2>和上一期比</h2><p class="sub">上一期：{p.start.isoformat()} 至 '
                     f"{p.end.isoformat()}（同样 {len(p.days)} 天）。</p>"
                     + _table(["", "本期", "上一期", "变化"], rows) + "</section>")

    # Per day, and who came
    daily_rows = [[(d["date"].isoformat(), None), (str(d["messages"]), f"day.{d['date']}.messages"),
                   (str(d["people"]), f"day.{d['date']}.people")] for d in r.days]
    parts.append('<section id="daily"><h2>每天的消息和人数</h2>' + line_chart(
        dates, [("消息数", [d["messages"] for d in r.days], BLUE), ("人数", [d["people"] for d in r.days], GREEN)],
        "每天的消息数和人数") + _details(_table(["日期", "消息数", "人数"], daily_rows)) + "</section>")
    back = r.returning
    if back:
        parts.append('<section id="people"><h2>来的人</h2>' + _cards([
            ("本期来的人", back["people"], "returning.people", ""),
            ("以前来过的（回头的人）", back["returning"], "returning.returning", ""),
            ("第一次来的", back["new"], "returning.new", ""),
            ("本期来了两天以上的", back["several_days"], "returning.several_days", ""),
        ]) + '<p class="note">“以前来过”：本期之前也发过消息（按数据库里还保留的消息算，旧消息按保留期删除后就算不到了）。'
             "</p></section>")

    # What people ask
    def bars(groups: list[Group], color: str) -> list[tuple[str, list[tuple[int, str]]]]:
        return [(g.label, [(g.count, color)]) for g in groups]

    parts.append('<section id="asks"><h2>大家问什么</h2><div class="two"><div><h3>按类别（消息数）</h3>'
                 + (bar_chart(bars(r.capabilities, BLUE), "按类别的消息数", width=440) or _empty())
                 + _details(_group_table(r.capabilities, "capability")) + "</div><div><h3>按身份（消息数）</h3>"
                 + (bar_chart(bars(r.personas, ORANGE), "按身份的消息数", width=440) or _empty())
                 + _details(_group_table(r.personas, "persona")) + "</div></div></section>")
    parts.append('<section id="intents"><h2>问得最多的事</h2><p class="sub">不含打招呼、下一步这类操作词。</p>'
                 + (bar_chart(bars(r.intents, BLUE), "问得最多的事") or _empty())
                 + _details(_group_table(r.intents, "intent")) + "</section>")
    need_rows = [[(x, None) for x in row] for row in r.needs]
    parts.append('<section id="needs"><h2>各地区的需求</h2><p class="sub">'
                 f"和 <code>linli report --needs-csv</code> 的表一样：不足 {MIN_GROUP} 人的格子先把地区并为“其他”，"
                 "还不够再并身份、再并需求；仍不足的不列出。地区是本人说过的，没说过的记为“未知”。</p>"
                 + (_table(list(NEEDS_BY_REGION_COLUMNS), need_rows,
                           [f'data-need="{_e("|".join(row))}"' for row in r.needs]) if r.needs else _empty())
                 + "</section>")

    # Where the bot did not help, and the questions it could not answer
    help_rows = [[(u["label"], None), (str(u["count"]), f"unhelped.{u['key']}.count"),
                  (people_text(u["people"]), f"unhelped.{u['key']}.people")] for u in r.unhelped]
    parts.append('<section id="unhelped"><h2>没帮上忙的地方</h2>'
                 f'<p class="sub">本期共 <b>{t["unhelped"]}</b> 次，涉及 {people_text(t["unhelped_people"])}。</p>'
                 + _table(["", "次数", "人数"], help_rows) + f'<p class="note">{_e(UNHELPED_NOTE)}</p></section>')
    todo = []
    for i, g in enumerate(r.unanswered[:20], 1):
        samples = "".join(f'<span class="sample">“{_e(s)}”</span>' for s in g["samples"])
        todo.append(f'<li><b data-key="unanswered.{i}.count">{g["count"]}</b> 条'
                    f'（<span data-key="unanswered.{i}.people">{people_text(g["people"])}</span>）{samples}</li>')
    more = len(r.unanswered) - 20
    parts.append('<section id="unanswered"><h2>没能回答的问题（新内容待办）</h2>'
                 f'<p class="sub">机器人没听懂、最后也没答上的 <b data-key="unanswered.total">{r.unanswered_total}</b> 条消息，'
                 f"相似的放在一起（共 {len(r.unanswered)} 组），按条数排序。号码已遮盖。</p>"
                 + (f'<ol class="todo">{"".join(todo)}</ol>' if todo else _empty("这段时间没有没能回答的问题。"))
                 + (f'<p class="sub">另有 {more} 组未列出。</p>' if more > 0 else "") + "</section>")

    # Tutorials
    tut_rows = []
    for g in r.tutorials:
        x = g.extra
        drop = "、".join(f"{label} {n}人次" for label, n in sorted(x["dropoff"], key=lambda d: -d[1])[:3]) or "—"
        tut_rows.append([(g.label, None), (str(x["started"]), f"tutorial.{g.label}.started"),
                         (str(x["finished"]), f"tutorial.{g.label}.finished"),
                         (pct(x["finished"], x["started"]), None), (drop, f"tutorial.{g.label}.dropoff")])
    parts.append('<section id="tutorials"><h2>教程：开始了多少，学完了多少</h2>'
                 + (bar_chart([(g.label, [(g.extra["started"], BLUE), (g.extra["finished"], GREEN)])
                               for g in r.tutorials], "教程开始和学完的次数", [("开始", BLUE), ("学完", GREEN)])
                    + _table(["教程", "开始", "学完", "完成率", "没学完的停在哪一步（最多的三步）"], tut_rows)
                    if r.tutorials else _empty())
                 + '<p class="note">“没学完”也包括正在学、还没学完的人。</p></section>')

    # Handoffs, the social workers' caseload, outcomes and notes, urgent events
    stats = [
        ("转给社工", str(ho["total"]), "handoffs.total", ""), ("其中紧急", str(ho["urgent"]), "handoffs.urgent", ""),
        ("还在排队", str(ho["waiting"]), "handoffs.waiting", ""), ("已结束", str(ho["closed"]), "handoffs.closed", ""),
        ("等待时间（中位数）", fmt_minutes(ho["wait_median"]), "handoffs.wait_median", ""),
        ("等待时间（90%不超过）", fmt_minutes(ho["wait_p90"]), "handoffs.wait_p90", ""),
        ("处理时间（中位数）", fmt_minutes(ho["handling_median"]), "handoffs.handling_median", ""),
        ("处理时间（90%不超过）", fmt_minutes(ho["handling_p90"]), "handoffs.handling_p90", ""),
    ]
    worker_rows = [[(w["name"], None), (str(w["claimed"]), f"worker.{w['name']}.claimed"),
                    (str(w["closed"]), f"worker.{w['name']}.closed"),
                    (fmt_minutes(w["claim_median"]), f"worker.{w['name']}.claim_median"),
                    (fmt_minutes(w["close_median"]), f"worker.{w['name']}.close_median")] for w in r.workers]
    outcome_rows = [[(o["label"], None), (str(o["count"]), f"outcome.{o['key']}")] for o in r.outcomes]
    notes = r.close_notes[-NOTES_SHOWN:]
    note_rows = [[(n["date"].isoformat() if n["date"] else "", None), (n["worker"], None), (n["reason"], None),
                  (n["note"], None)] for n in notes]
    hidden_notes = len(r.close_notes) - len(notes)
    parts.append('<section id="handoffs"><h2>转给社工</h2>'
                 + column_chart(dates, [d["handoffs"] for d in r.days], ORANGE, "每天转给社工的次数")
                 + _cards(stats)
                 + '<p class="note">等待时间：从转给社工到社工接单；处理时间：从接单到结束。</p>'
                 + "<h3>每位社工的工作量</h3>"
                 + (_table(["社工", "接单", "结束", "接单用时（中位数）", "接单到结束（中位数）"], worker_rows)
                    if worker_rows else _empty("本期没有社工接单或结束工单。"))
                 + '<p class="note">接单：本期接的工单；结束：本期结束的工单；接单用时从转给社工算起。</p>'
                 + "<h3>工单的结果</h3><p class=\"sub\">本期转给社工的工单，现在的状态。</p>"
                 + _table(["结果", "工单数"], outcome_rows)
                 + "<h3>结束时的备注</h3>"
                 + (_table(["结束日期", "社工", "为什么转给社工", "备注（号码已遮盖）"], note_rows,
                           [f'data-note="{i}"' for i in range(1, len(note_rows) + 1)])
                    if note_rows else _empty("本期结束的工单没有写备注。"))
                 + (f'<p class="sub">只列出最近 {NOTES_SHOWN} 条，另有 {hidden_notes} 条。</p>' if hidden_notes else "")
                 + "<h3>紧急情况（按类型）</h3>"
                 + (bar_chart(bars(r.urgent, RED), "紧急情况按类型") + _details(_group_table(r.urgent, "urgent"))
                    if r.urgent else _empty(f"本期紧急消息 {t['urgent']} 条，按类型分组都不足 {MIN_GROUP} 人，不单独列出。"
                                            if t["urgent"] else "本期没有紧急情况。"))
                 + "</section>")

    # Ratings
    kind_rows = [[(g.label, None), (str(g.extra["yes"]), f"feedback.{g.label}.yes"),
                  (str(g.extra["no"]), f"feedback.{g.label}.no"), (share(g.extra["yes"], g.count, r.min_ratings), None)]
                 for g in r.feedback_kinds]
    answer_rows = [[(g.label, None), (g.extra["kind"], None), (str(g.extra["yes"]), f"answer.{g.label}.yes"),
                    (str(g.extra["no"]), f"answer.{g.label}.no"), (share(g.extra["yes"], g.count, r.min_ratings), None)]
                   for g in r.feedback_answers]
    parts.append('<section id="feedback"><h2>回答有没有帮助</h2>'
                 f'<p class="sub">教程学完、政策解读、工具推荐之后问一句“这个回答有帮助吗？”。本期共 '
                 f'<b data-key="feedback.total">{t["ratings"]}</b> 次评价。</p>'
                 + (bar_chart([(g.label, [(g.extra["yes"], GREEN), (g.extra["no"], RED)]) for g in r.feedback_kinds],
                              "各类回答的评价", [("有帮助", GREEN), ("没帮助", RED)])
                    + _table(["", "有帮助（次）", "没帮助（次）", "有帮助的比例"], kind_rows)
                    if kind_rows else _empty(_ratings_empty(r)))
                 + ("<h3>具体回答（“没帮助”多的排在前面）</h3>"
                    + _table(["回答", "类别", "有帮助（次）", "没帮助（次）", "有帮助的比例"], answer_rows)
                    if answer_rows else "")
                 + f'<p class="note">评价不足 {r.min_ratings} 次时不算比例（记为“—”），只看次数'
                 "（设置：config.yml 的 reports.min_ratings）。</p></section>")
    parts.append('<p class="note">邻里助手 · linli report · 数字来自本机数据库，不联网。</p></main></body></html>')
    return "\n".join(parts) + "\n"


# ---- Markdown ------------------------------------------------------------------------------------------


def _md_table(head: list[str], rows: list[list[Any]]) -> list[str]:
    def cell(v: Any) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")

    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + [
        "| " + " | ".join(cell(v) for v in row) + " |" for row in rows
    ] + [""]


def _md_groups(groups: list[Group], count_name: str = "消息数") -> list[str]:
    if not groups:
        return ["（这段时间没有可以列出的数据。）", ""]
    top = max(g.count for g in groups) or 1
    return _md_table(["", count_name, "人数", ""], [
        [g.label, g.count, g.people, "█" * max(1, round(20 * g.count / top))] for g in groups
    ])


def render_markdown(r: Report) -> str:
    """The report as Markdown: the same sections and numbers, tables instead of charts."""
    t, ho = r.totals, r.handoffs
    helpful_value, helpful_label = helpful_card(t, r.min_ratings)
    out = [f"# 邻里助手服务报告 {r.start} 至 {r.end}", "",
           f"统计时段共 {len(r.days)} 天，按 {r.timezone} 时间；生成于 {r.generated_at}。"
           f"只有汇总数字；不足 {MIN_GROUP} 人的分组不单独列出（本期 {r.suppressed} 组）。", "",
           "## 总览", ""]
    out += _md_table(["消息", "人数", "转给社工", "紧急情况", "没帮上忙（次）", "教程完成", helpful_label], [[
        t["messages"], t["people"], t["handoffs"], t["urgent"], t["unhelped"],
        f"{t['tutorials_finished']}/{t['tutorials_started']}", helpful_value]])
    if r.previous is not None:
        p = r.previous
        out += ["## 和上一期比", "", f"上一期：{p.start} 至 {p.end}（同样 {len(p.days)} 天）。", ""]
        out += _md_table(["", "本期", "上一期", "变化"], [[label, t[k], p.totals[k], change(t[k], p.totals[k])]
                                                   for label, k in COMPARED])
    out += ["## 每天的消息和人数", ""]
    out += _md_table(["日期", "消息数", "人数", "转给社工"], [[d["date"], d["messages"], d["people"], d["handoffs"]]
                                                   for d in r.days])
    if r.returning:
        b = r.returning
        out += ["## 来的人", ""]
        out += _md_table(["本期来的人", "以前来过的（回头的人）", "第一次来的", "本期来了两天以上的"],
                         [[b["people"], b["returning"], b["new"], b["several_days"]]])
    out += ["## 大家问什么：按类别", ""] + _md_groups(r.capabilities)
    out += ["## 按身份", ""] + _md_groups(r.personas)
    out += ["## 问得最多的事", ""] + _md_groups(r.intents)
    out += ["## 各地区的需求", ""]
    out += _md_table(list(NEEDS_BY_REGION_COLUMNS), [list(row) for row in r.needs]) if r.needs else [
        "（这段时间没有可以列出的数据。）", ""]
    out += ["## 没帮上忙的地方", "", f"本期共 {t['unhelped']} 次，涉及 {people_text(t['unhelped_people'])}。", ""]
    out += _md_table(["", "次数", "人数"], [[u["label"], u["count"], people_text(u["people"])] for u in r.unhelped])
    out += [UNHELPED_NOTE, ""]
    out += ["## 没能回答的问题（新内容待办）", "", f"共 {r.unanswered_total} 条，{len(r.unanswered)} 组。号码已遮盖。", ""]
    for i, g in enumerate(r.unanswered[:20], 1):
        out.append(f"{i}. {g['count']} 条（{people_text(g['people'])}）：" + " / ".join(f"“{s}”" for s in g["samples"]))
    out += ["", "## 教程", ""]
    out += _md_table(["教程", "开始", "学完", "完成率", "没学完的停在哪一步"], [
        [g.label, g.extra["started"], g.extra["finished"], pct(g.extra["finished"], g.extra["started"]),
         "、".join(f"{label} {n}人次" for label, n in sorted(g.extra["dropoff"], key=lambda d: -d[1])[:3]) or "—"]
        for g in r.tutorials]) if r.tutorials else ["（没有可以列出的教程。）", ""]
    out += ["## 转给社工", ""]
    out += _md_table(["转给社工", "其中紧急", "还在排队", "已结束", "等待中位数", "等待P90", "处理中位数", "处理P90"], [[
        ho["total"], ho["urgent"], ho["waiting"], ho["closed"], fmt_minutes(ho["wait_median"]),
        fmt_minutes(ho["wait_p90"]), fmt_minutes(ho["handling_median"]), fmt_minutes(ho["handling_p90"])]])
    out += ["## 每位社工的工作量", ""]
    out += _md_table(["社工", "接单", "结束", "接单用时（中位数）", "接单到结束（中位数）"], [
        [w["name"], w["claimed"], w["closed"], fmt_minutes(w["claim_median"]), fmt_minutes(w["close_median"])]
        for w in r.workers]) if r.workers else ["（本期没有社工接单或结束工单。）", ""]
    out += ["## 工单的结果", ""] + _md_table(["结果", "工单数"], [[o["label"], o["count"]] for o in r.outcomes])
    out += ["## 结束时的备注", ""]
    notes = r.close_notes[-NOTES_SHOWN:]
    out += _md_table(["结束日期", "社工", "为什么转给社工", "备注（号码已遮盖）"], [
        [n["date"] or "", n["worker"], n["reason"], n["note"]] for n in notes]) if notes else [
        "（本期结束的工单没有写备注。）", ""]
    out += ["## 紧急情况（按类型）", ""] + _md_groups(r.urgent)
    out += ["## 回答有没有帮助", "", f"本期共 {t['ratings']} 次评价；不足 {r.min_ratings} 次时不算比例。", ""]
    out += _md_table(["", "有帮助（次）", "没帮助（次）", "有帮助的比例"], [
        [g.label, g.extra["yes"], g.extra["no"], share(g.extra["yes"], g.count, r.min_ratings)]
        for g in r.feedback_kinds]) if r.feedback_kinds else [f"（{_ratings_empty(r)}）", ""]
    if r.feedback_answers:
        out += _md_table(["回答", "类别", "有帮助（次）", "没帮助（次）", "有帮助的比例"], [
            [g.label, g.extra["kind"], g.extra["yes"], g.extra["no"], share(g.extra["yes"], g.count, r.min_ratings)]
            for g in r.feedback_answers])
    return "\n".join(out) + "\n"
