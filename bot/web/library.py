"""What a social worker may want to check before replying (issue 15): the content, read-only, and the needs report.

``/console/library`` lists the knowledge entries (policies, platforms, tools, hotlines, advice
for merchants) and the tutorials with every step, in Chinese, searchable (the knowledge base's
own jieba full-text search, plus plain substring matching so a hotline number is found too).
Each entry shows where its facts come from and when they were last checked: the documents its
``source:`` cites, resolved through the fact sheet's source list (``knowledge/sources.md``, a
copy of the shared reference list), never the raw reference (file names, section marks) nor
an id. ``/console/report`` is the needs report of ``linli report``, built from the live
database by ``bot.report`` itself. Both need a console session; neither can change anything.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.privacy import mask
from bot.web import texts

if TYPE_CHECKING:
    from bot.web.app import WebChannel
    from bot.web.auth import Session
    from bot.web.console import Console

logger = logging.getLogger(__name__)

PATH = "/console"
MAX_QUERY = 50
REF_RE = re.compile(r"\[(\d{1,4})\]")
SOURCE_LINE_RE = re.compile(r"^\[(\d{1,4})\]\s*(.+)$")
URL_RE = re.compile(r"https?://[^\s<>\"'）)]+")
# The report is one self-contained page with inline styles and SVG, and no script at all.
REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; "
              "base-uri 'none'; form-action 'none'")
REPORT_DAYS = (7, 30, 90)

# What each field of an entry is called, in the order shown; lists are shown as lists.
FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "policy": (("issuer", "发文机关"), ("date", "时间"), ("doc_number", "文号"), ("summary", "说明"),
               ("points", "要点"), ("who", "适合谁"), ("how", "怎么办"), ("caveat", "要注意")),
    "platform": (("name", "名称"), ("state", "现状"), ("summary", "说明"), ("alternatives", "可以换用")),
    "tool": (("name", "名称"), ("need", "用途"), ("free", "收费"), ("difficulty", "难度"), ("reason", "为什么推荐"),
             ("howto", "怎么用"), ("platforms", "适合的平台")),
    "hotline": (("number", "号码"), ("use", "什么时候打"), ("notes", "说明")),
    "marketing": (("tips", "建议"), ("difficulty", "难度"), ("mutual_aid", "互助"), ("social_worker", "社工可以做的")),
}
KIND_ORDER = ("policy", "platform", "tutorial", "tool", "hotline", "marketing")
NEEDS = {"design": "海报和图片设计", "video": "短视频", "live": "直播", "data": "店铺数据", "crm": "客户管理",
         "forms": "问卷和表单", "minishop": "小程序和网店", "copywriting": "写文案"}


@dataclass
class Item:
    """One entry or tutorial as the library shows it (Chinese labels, no ids)."""

    anchor: str
    kind: str
    title: str
    audience: str
    fields: list[tuple[str, str | list[str]]]
    sources: list[dict[str, str]]
    source_note: str
    status: str
    reviewed: str
    related: list[tuple[str, str]] = field(default_factory=list)  # (anchor, title)
    key: str = ""  # the entry or flow id, to match search hits; never rendered
    haystack: str = ""  # everything shown, lower-cased, for substring search


def read_sources(path: Path) -> dict[str, str]:
    """The fact sheet's numbered sources (``[n] title — publisher — URL — date — reliability``); {} if absent."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        logger.warning("source list %s not readable (%s): the console shows source numbers only", path, exc)
        return {}
    out = {}
    for line in lines:
        m = SOURCE_LINE_RE.match(line.strip())
        if m:
            out[m.group(1)] = m.group(2).strip()
    return out


def cited(source: str, listed: dict[str, str]) -> tuple[list[dict[str, str]], str]:
    """The documents a ``source:`` cites, each with its words and web address; and a note when none can be named."""
    refs = list(dict.fromkeys(REF_RE.findall(source or "")))
    docs = []
    for n in refs:
        text = listed.get(n, "")
        url = URL_RE.search(text)
        docs.append({"n": n, "text": text or texts.LIB_SOURCE_UNLISTED, "url": url.group(0) if url else ""})
    if docs:
        return docs, ""
    return [], texts.LIB_SOURCE_SHEET_ONLY


def _as_text(value: Any) -> str | list[str]:
    if isinstance(value, list):
        return [str(v["text"]) if isinstance(v, dict) and "text" in v else str(v) for v in value if v]
    if isinstance(value, bool):
        return texts.LIB_YES if value else texts.LIB_NO
    return str(value)


def _regions(regions: dict[str, Any]) -> str:
    parts = []
    if regions.get("national"):
        parts.append(texts.LIB_REGIONS_NATIONAL)
    if regions.get("served"):
        parts.append(texts.LIB_REGIONS_SERVED.format(places="、".join(map(str, regions["served"]))))
    if regions.get("left"):
        parts.append(texts.LIB_REGIONS_LEFT.format(places="、".join(map(str, regions["left"]))))
    if regions.get("as_of"):
        parts.append(texts.LIB_REGIONS_AS_OF.format(when=regions["as_of"]))
    return "；".join(parts)


class Library:
    """The read-only content view, built once from the engine's knowledge base and flows."""

    def __init__(self, engine: Any, sources_path: Path) -> None:
        self.engine = engine
        self.sources_path = sources_path
        self._items: list[Item] | None = None

    def items(self) -> list[Item]:
        """Every entry and tutorial, grouped by kind (built on first use; the content does not change while running)."""
        if self._items is None:
            self._items = self._build()
        return self._items

    def _build(self) -> list[Item]:
        listed = read_sources(self.sources_path)
        kb = self.engine.kb
        flows = {f.id: f for f in self.engine.manager.flows.values() if f.kind == "tutorial"}
        entries = {kind: kb.by_kind(kind) for kind in KIND_ORDER if kind != "tutorial"}
        anchors: dict[str, str] = {}
        titles: dict[str, str] = {}
        n = 0
        for kind in KIND_ORDER:
            for key, title in ([(f.id, f.title) for f in flows.values()] if kind == "tutorial"
                               else [(e["id"], e["title"]) for e in entries[kind]]):
                n += 1
                anchors[key], titles[key] = f"k{n}", title
        out: list[Item] = []
        for kind in KIND_ORDER:
            if kind == "tutorial":
                out += [self._flow_item(f, anchors, listed) for f in flows.values()]
            else:
                out += [self._entry_item(e, anchors, titles, listed) for e in entries[kind]]
        for item in out:
            shown = [item.title, *(v if isinstance(v, str) else " ".join(v) for _, v in item.fields)]
            item.haystack = " ".join(shown).lower()
        return out

    def _entry_item(self, e: dict[str, Any], anchors: dict[str, str], titles: dict[str, str],
                    listed: dict[str, str]) -> Item:
        kind = e["kind"]
        shown: list[tuple[str, str | list[str]]] = []
        for key, label in FIELDS.get(kind, ()):
            value = e.get(key)
            if value in (None, "", []):
                continue
            if key == "need":
                value = NEEDS.get(str(value), str(value))
            shown.append((label, _as_text(value)))
        if kind == "platform" and isinstance(e.get("regions"), dict):
            shown.append((texts.LIB_REGIONS, _regions(e["regions"])))
        if kind == "platform" and e.get("tutorial") in titles:
            shown.append((texts.LIB_HAS_TUTORIAL, titles[str(e["tutorial"])]))
        docs, note = cited(str(e.get("source") or ""), listed)
        related = [(anchors[r], titles[r]) for r in e.get("related") or [] if r in anchors]
        return Item(anchor=anchors[e["id"]], kind=kind, title=str(e["title"]),
                    audience=texts.LIB_AUDIENCE.get(str(e.get("audience") or "any"), ""), fields=shown,
                    sources=docs, source_note=note, status=texts.LIB_STATUS.get(str(e.get("status") or ""), ""),
                    reviewed=str(e.get("reviewed") or ""), related=related, key=str(e["id"]))

    def _flow_item(self, f: Any, anchors: dict[str, str], listed: dict[str, str]) -> Item:
        steps = []
        for i, s in enumerate(f.steps, start=1):
            line = s.text if s.text.lstrip().startswith("第") else texts.LIB_STEP.format(n=i, text=s.text)
            if s.simpler:
                line += "\n" + texts.LIB_SIMPLER.format(text=s.simpler)
            steps.append(line)
        shown: list[tuple[str, str | list[str]]] = []
        if f.intro:
            shown.append((texts.LIB_INTRO_LABEL, f.intro))
        shown.append((texts.LIB_STEPS, steps))
        if f.outro:
            shown.append((texts.LIB_OUTRO, f.outro))
        docs, note = cited(f.source, listed)
        return Item(anchor=anchors[f.id], kind="tutorial", title=f.title,
                    audience=texts.LIB_AUDIENCE.get(f.audience or "any", ""), fields=shown, sources=docs,
                    source_note=note, status="", reviewed=str(f.reviewed or ""), key=f.id)

    def find(self, query: str, kind: str = "") -> list[Item]:
        """Entries matching the words (full-text search first, then any that contain them), optionally of one kind."""
        items = [i for i in self.items() if not kind or i.kind == kind]
        query = " ".join(query.split())[:MAX_QUERY]
        if not query:
            return items
        order: dict[str, int] = {}
        try:
            for rank, hit in enumerate(self.engine.kb.search(query, limit=40)):
                order.setdefault(hit.id, rank)
        except Exception as exc:  # the substring match below still answers
            logger.warning("library search failed (%s); substring matching only", exc)
        words = query.lower().split()
        has = {i.key: all(w in i.haystack for w in words) for i in items}
        found = [i for i in items if i.key in order or has[i.key]]
        # Entries with the very words first (a number, a name), then the rest by full-text rank.
        return sorted(found, key=lambda i: (not has[i.key], order.get(i.key, len(order))))


def library_routes(channel: WebChannel, console: Console,
                   current: Callable[[Request], Any]) -> list[Route]:
    """``/console/library`` (the content, read-only) and ``/console/report`` (the needs report); sessions only."""
    from bot.web.app import _secure_headers

    settings = channel.settings
    library = Library(channel.engine, Path(settings.content_dir).parent / "sources.md")

    async def signed_in(request: Request) -> Session | None:
        return await current(request)  # type: ignore[no-any-return]

    async def library_page(request: Request) -> Response:
        session = await signed_in(request)
        if session is None:
            return RedirectResponse(f"{PATH}/login", status_code=303)
        query = (request.query_params.get("q") or "")[:MAX_QUERY]
        kind = request.query_params.get("kind") or ""
        kind = kind if kind in KIND_ORDER else ""

        def work() -> list[Item]:
            found = library.find(query, kind)
            # The search words, masked like people's words (a worker may paste a phone number).
            console.handoff.log_action(session.worker_id, "library", None, mask(query)[:100])
            return found

        found = await channel.call(work)
        if query:  # best matches first, whatever their kind
            groups = [("results", texts.LIB_RESULTS, found)]
        else:
            groups = [(k, texts.LIB_KINDS[k], [i for i in found if i.kind == k]) for k in KIND_ORDER]
        return _secure_headers(channel.render(
            "library.html", groups=[g for g in groups if g[2]], query=query, kind=kind, kinds=[
                (k, texts.LIB_KINDS[k]) for k in KIND_ORDER], count=len(found)))

    async def report_page(request: Request) -> Response:
        session = await signed_in(request)
        if session is None:
            return RedirectResponse(f"{PATH}/login", status_code=303)
        try:
            days = int(request.query_params.get("days") or 30)
        except ValueError:
            days = 30
        days = days if days in REPORT_DAYS else 30

        def work() -> str:
            from bot.report import collect
            from bot.report_render import render_html

            labels, flows = console.labels()
            report = collect(channel.engine.store.db, days, None, str(settings.handoff["timezone"]), labels, flows,
                             min_ratings=settings.reports["min_ratings"])
            console.handoff.log_action(session.worker_id, "report", None, f"{days} days")
            return render_html(report)

        html = await channel.call(work)
        response = _secure_headers(Response(html, media_type="text/html; charset=utf-8"))
        response.headers["Content-Security-Policy"] = REPORT_CSP
        return response

    return [Route(f"{PATH}/library", library_page, methods=["GET"]),
            Route(f"{PATH}/report", report_page, methods=["GET"])]
