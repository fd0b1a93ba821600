"""Render a ``Report`` (bot/report.py) as one self-contained HTML page, or as Markdown.

The HTML has no external scripts, fonts or images: charts are inline SVG whose text uses a
font stack of common Chinese fonts (Noto Sans CJK, Source Han, PingFang, Microsoft YaHei,
WenQuanYi...), so Chinese labels render with whatever CJK font the reader's system has.
Every figure also appears as text in a table, marked with ``data-key`` for tests and for
screen readers.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from bot.report import MIN_GROUP, Group, Report

FONT = ("'Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC','Source Han Sans CN','PingFang SC',"
        "'Hiragino Sans GB','Microsoft YaHei','WenQuanYi Micro Hei','WenQuanYi Zen Hei','Heiti SC',"
        "'Droid Sans Fallback',sans-serif")
BLUE, GREEN, ORANGE, RED, GREY = "#2f6db5", "#3a9a5b", "#e08a2c", "#c8453b", "#8a8f98"

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
th,td{{border-bottom:1px solid #e5e7eb;padding:5px 8px;text-align:left}} td.n{{text-align:right}} th{{white-space:nowrap}}
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
    step = max(1, len(dates) // 8)
    for i, d in enumerate(dates):
        if i % step == 0 or i == len(dates) - 1:
            x = left + pw * i / n
            body.append(f'<text x="{x:.1f}" y="{h - 12}" text-anchor="middle" fill="#57606a">'
                        f"{d.month}月{d.day}日</text>")
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
    step = max(1, len(dates) // 8)
    for i, (d, v) in enumerate(zip(dates, values)):
        bh = ph * v / top_value
        body.append(f'<rect x="{left + slot * i + slot * 0.15:.1f}" y="{top + ph - bh:.1f}" width="{slot * 0.7:.1f}" '
                    f'height="{bh:.1f}" fill="{color}" rx="2"><title>{d.isoformat()}: {v}</title></rect>')
        if i % step == 0 or i == len(dates) - 1:
            body.append(f'<text x="{left + slot * (i + 0.5):.1f}" y="{h - 12}" text-anchor="middle" fill="#57606a">'
                        f"{d.month}月{d.day}日</text>")
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


def _table(head: list[str], rows: list[list[tuple[str, str | None]]]) -> str:
    """A table; each cell is (text, data-key or None). Numeric-looking cells are right-aligned."""
    out = ["<table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr></thead><tbody>"]
    for row in rows:
        cells = []
        for text, key in row:
            attr = f' data-key="{_e(key)}"' if key else ""
            cls = ' class="n"' if text.replace("%", "").replace(".", "").isdigit() else ""
            cells.append(f"<td{cls}{attr}>{_e(text)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
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
        f'<p class="note">本报告只有汇总数字，不含任何人的账号或联系方式。“没能回答的问题”只展示遮盖了号码的原话片段。'
        f"不足 {MIN_GROUP} 人的分组不单独列出，合并为“其他（合并）”或不显示"
        f"（本期共 {r.suppressed} 组）。</p></header>",
    ]
    cards = [
        ("消息", t["messages"], "totals.messages", ""), ("人数", t["people"], "totals.people", ""),
        ("转给社工", t["handoffs"], "totals.handoffs", ""), ("紧急情况", t["urgent"], "totals.urgent", " urgent"),
        ("没能回答", t["unanswered"], "totals.unanswered", ""),
        ("教程完成", f"{t['tutorials_finished']}/{t['tutorials_started']}", "totals.tutorials", ""),
        ("觉得有帮助", pct(t["helpful"], t["ratings"]), "totals.helpful", ""),
    ]
    parts.append('<section id="totals"><h2>总览</h2><div class="cards">' + "".join(
        f'<div class="card{cls}"><b data-key="{key}">{_e(v)}</b>{_e(name)}</div>' for name, v, key, cls in cards
    ) + "</div></section>")

    # Per day
    daily_rows = [[(d["date"].isoformat(), None), (str(d["messages"]), f"day.{d['date']}.messages"),
                   (str(d["people"]), f"day.{d['date']}.people")] for d in r.days]
    parts.append('<section id="daily"><h2>每天的消息和人数</h2>' + line_chart(
        dates, [("消息数", [d["messages"] for d in r.days], BLUE), ("人数", [d["people"] for d in r.days], GREEN)],
        "每天的消息数和人数") + _details(_table(["日期", "消息数", "人数"], daily_rows)) + "</section>")

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

    # Unanswered
    todo = []
    for i, g in enumerate(r.unanswered[:20], 1):
        samples = "".join(f'<span class="sample">“{_e(s)}”</span>' for s in g["samples"])
        todo.append(f'<li><b data-key="unanswered.{i}.count">{g["count"]}</b> 条'
                    f'（<span data-key="unanswered.{i}.people">{people_text(g["people"])}</span>）{samples}</li>')
    more = len(r.unanswered) - 20
    parts.append('<section id="unanswered"><h2>没能回答的问题（新内容待办）</h2>'
                 f'<p class="sub">机器人没听懂或超出范围的 <b data-key="unanswered.total">{r.unanswered_total}</b> 条消息，'
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

    # Handoffs and urgent events
    stats = [
        ("转给社工", str(ho["total"]), "handoffs.total"), ("其中紧急", str(ho["urgent"]), "handoffs.urgent"),
        ("还在排队", str(ho["waiting"]), "handoffs.waiting"), ("已结束", str(ho["closed"]), "handoffs.closed"),
        ("等待时间（中位数）", fmt_minutes(ho["wait_median"]), "handoffs.wait_median"),
        ("等待时间（90%不超过）", fmt_minutes(ho["wait_p90"]), "handoffs.wait_p90"),
        ("处理时间（中位数）", fmt_minutes(ho["handling_median"]), "handoffs.handling_median"),
        ("处理时间（90%不超过）", fmt_minutes(ho["handling_p90"]), "handoffs.handling_p90"),
    ]
    parts.append('<section id="handoffs"><h2>转给社工</h2>'
                 + column_chart(dates, [d["handoffs"] for d in r.days], ORANGE, "每天转给社工的次数")
                 + '<div class="cards">' + "".join(f'<div class="card"><b data-key="{key}">{_e(v)}</b>{_e(name)}</div>'
                                                   for name, v, key in stats) + "</div>"
                 + '<p class="note">等待时间：从转给社工到社工接单；处理时间：从接单到结束。</p>'
                 + "<h3>紧急情况（按类型）</h3>"
                 + (bar_chart(bars(r.urgent, RED), "紧急情况按类型") + _details(_group_table(r.urgent, "urgent"))
                    if r.urgent else _empty(f"本期紧急消息 {t['urgent']} 条，按类型分组都不足 {MIN_GROUP} 人，不单独列出。"
                                            if t["urgent"] else "本期没有紧急情况。"))
                 + "</section>")

    # Ratings
    kind_rows = [[(g.label, None), (str(g.extra["yes"]), f"feedback.{g.label}.yes"),
                  (str(g.extra["no"]), f"feedback.{g.label}.no"), (pct(g.extra["yes"], g.count), None)]
                 for g in r.feedback_kinds]
    answer_rows = [[(g.label, None), (g.extra["kind"], None), (str(g.extra["yes"]), f"answer.{g.label}.yes"),
                    (str(g.extra["no"]), f"answer.{g.label}.no"), (pct(g.extra["yes"], g.count), None)]
                   for g in r.feedback_answers]
    parts.append('<section id="feedback"><h2>回答有没有帮助</h2>'
                 f'<p class="sub">教程学完、政策解读、工具推荐之后问一句“这个回答有帮助吗？”。本期共 '
                 f'<b data-key="feedback.total">{t["ratings"]}</b> 次评价。</p>'
                 + (bar_chart([(g.label, [(g.extra["yes"], GREEN), (g.extra["no"], RED)]) for g in r.feedback_kinds],
                              "各类回答的评价", [("有帮助", GREEN), ("没帮助", RED)])
                    + _table(["", "有帮助（次）", "没帮助（次）", "有帮助的比例"], kind_rows) if kind_rows else _empty())
                 + ("<h3>具体回答（“没帮助”多的排在前面）</h3>"
                    + _table(["回答", "类别", "有帮助（次）", "没帮助（次）", "有帮助的比例"], answer_rows)
                    if answer_rows else "")
                 + "</section>")
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
    out = [f"# 邻里助手服务报告 {r.start} 至 {r.end}", "",
           f"统计时段共 {len(r.days)} 天，按 {r.timezone} 时间；生成于 {r.generated_at}。"
           f"只有汇总数字；不足 {MIN_GROUP} 人的分组不单独列出（本期 {r.suppressed} 组）。", "",
           "## 总览", ""]
    out += _md_table(["消息", "人数", "转给社工", "紧急情况", "没能回答", "教程完成", "觉得有帮助"], [[
        t["messages"], t["people"], t["handoffs"], t["urgent"], t["unanswered"],
        f"{t['tutorials_finished']}/{t['tutorials_started']}", pct(t["helpful"], t["ratings"])]])
    out += ["## 每天的消息和人数", ""]
    out += _md_table(["日期", "消息数", "人数", "转给社工"], [[d["date"], d["messages"], d["people"], d["handoffs"]]
                                                   for d in r.days])
    out += ["## 大家问什么：按类别", ""] + _md_groups(r.capabilities)
    out += ["## 按身份", ""] + _md_groups(r.personas)
    out += ["## 问得最多的事", ""] + _md_groups(r.intents)
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
    out += ["## 紧急情况（按类型）", ""] + _md_groups(r.urgent)
    out += ["## 回答有没有帮助", ""]
    out += _md_table(["", "有帮助（次）", "没帮助（次）", "有帮助的比例"], [[g.label, g.extra["yes"], g.extra["no"], pct(g.extra["yes"], g.count)]
                                              for g in r.feedback_kinds]) if r.feedback_kinds else ["（评价太少，不单独列出。）", ""]
    if r.feedback_answers:
        out += _md_table(["回答", "类别", "有帮助（次）", "没帮助（次）", "有帮助的比例"], [
            [g.label, g.extra["kind"], g.extra["yes"], g.extra["no"], pct(g.extra["yes"], g.count)]
            for g in r.feedback_answers])
    return "\n".join(out) + "\n"
