"""Knowledge content: validation by file and field, Chinese full-text search, volume."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import KnowledgeBaseError
from bot.store import open_db
from bot.flows import load_flows
from knowledge.importer import load_entries
from knowledge.kb import KnowledgeBase, build_knowledge, segment
from nlu.training_data import load_training_data

ENTRY = """entries:
- id: tool_demo
  kind: tool
  title: 演示工具
  name: 演示
  need: design
  free: 有免费功能，高级功能可能收费，以官方说明为准
  reason: 上手快
  howto: [打开, 试试]
  intents: [tool_design]
  source: facts.md §4
  reviewed: 2026-11-22
"""


@pytest.fixture(scope="module")
def kb(settings):
    intents = set(load_training_data(settings.training_data).intents)
    flows = load_flows(settings.flows_dir, intents)
    return build_knowledge(open_db(":memory:"), settings.content_dir, flows, intents)


def _dir(tmp_path: Path, text: str) -> Path:
    d = tmp_path / "content"
    d.mkdir(exist_ok=True)
    (d / "tools.yml").write_text(text, encoding="utf-8")
    return d


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace("  source: facts.md §4\n", ""), r"tools.yml:2: entry 'tool_demo': missing field 'source'"),
        (lambda t: t.replace("reviewed: 2026-11-22", "reviewed: soon"), r"field 'reviewed' must be a date"),
        (lambda t: t + t.replace("entries:\n", ""), r"tools.yml:13: entry 'tool_demo': duplicate id"),
        (lambda t: t + "  related: [nowhere]\n", r"field 'related' names unknown entry 'nowhere'"),
        (lambda t: t.replace("need: design", "need: magic"), r"field 'need' must be one of"),
        (lambda t: t.replace("  free: 有免费功能，高级功能可能收费，以官方说明为准\n", ""), r"missing field 'free'"),
        (lambda t: t.replace("[tool_design]", "[tool_magic]"), r"names unknown intent 'tool_magic'"),
        # The schema (pydantic): unknown keys and malformed dates, with the line of the field.
        (lambda t: t.replace("  reason: 上手快\n", "  reasn: 上手快\n"),
         r"tools.yml:2: entry 'tool_demo': missing field 'reason'[\s\S]*tools.yml:8: entry 'tool_demo': unknown field 'reasn'"),
        (lambda t: t.replace("reviewed: 2026-11-22", "reviewed: 2026-1-5"), r"tools.yml:12: entry 'tool_demo': field 'reviewed' must be a date"),
        (lambda t: t.replace("reviewed: 2026-11-22", "reviewed: 2026-13-01"), r"field 'reviewed' must be a date"),
        (lambda t: t.replace("reviewed: 2026-11-22", "reviewed: 20261122"), r"field 'reviewed' must be a date"),
        (lambda t: t.replace("howto: [打开, 试试]", "howto: 打开"), r"tools.yml:9: entry 'tool_demo': field 'howto'"),
    ],
)
def test_content_defects_name_file_and_field(tmp_path, change, message):
    with pytest.raises(KnowledgeBaseError, match=message):
        load_entries(_dir(tmp_path, change(ENTRY)), {"tool_design"})


def test_project_content_validates_and_has_the_volume(settings):
    intents = set(load_training_data(settings.training_data).intents)
    flows = load_flows(settings.flows_dir, intents)
    entries = load_entries(settings.content_dir, intents, set(flows))
    by_kind: dict[str, list] = {}
    for e in entries:
        by_kind.setdefault(e.kind, []).append(e)
    marketing = {i for e in by_kind["marketing"] for i in e.intents}
    assert marketing == {i for i in intents if i.startswith("mk_")}
    assert all(len(e.get("tips")) >= 3 for e in by_kind["marketing"])
    assert len(by_kind["tool"]) >= 20
    assert {e.get("need") for e in by_kind["tool"]} == {
        "design", "video", "live", "data", "crm", "forms", "minishop", "copywriting"}
    assert len(by_kind["policy"]) >= 12
    closed = [e for e in by_kind["platform"] if e.get("state") == "closed"]
    assert closed and all(e.get("alternatives") for e in closed)


def test_hotlines_are_only_verified_numbers(settings):
    entries = [e for e in load_entries(settings.content_dir) if e.kind == "hotline"]
    numbers = {str(e.get("number")) for e in entries}
    assert {"110", "120", "96110", "12356", "12315", "12345"} <= numbers
    assert "12366" not in numbers  # UNVERIFIED in facts.md


@pytest.mark.parametrize(
    ("query", "expected"),
    [("多多买菜", "grocery_duoduo"), ("自提点在哪", "grocery_duoduo"), ("剪映", "tool_jianying"),
     ("营业执照", None), ("长辈模式", "elderly_mode_tutorial")],
)
def test_chinese_search_finds_words(kb, query, expected):
    hits = kb.search(query, limit=5)
    assert hits, query
    if expected:
        ids = [h.id for h in hits]
        assert any(expected in i for i in ids), ids


def test_segmenter_splits_chinese_for_fts():
    words = segment("我想在多多买菜选自提点")
    assert "多多买菜" in words and "自提点" in words


def test_build_is_skipped_when_content_unchanged(settings):
    db = open_db(":memory:")
    entries = load_entries(settings.content_dir)
    kb = KnowledgeBase(db)
    assert kb.build(entries) is True
    assert kb.build(entries) is False
    assert kb.build(entries, force=True) is True
    assert kb.get("no_such_entry") is None


def test_search_on_empty_input(kb):
    assert kb.search("") == [] and kb.search("！！！") == []


def test_a_marketing_tip_with_an_unknown_key_is_refused(tmp_path):
    text = """entries:
- id: mk_demo
  kind: marketing
  title: 演示
  intents: [tool_design]
  source: facts.md §4
  reviewed: 2026-11-22
  tips:
  - text: 先做朋友圈
    budget: 500
"""
    with pytest.raises(KnowledgeBaseError, match=r"tools.yml:8: entry 'mk_demo': field 'tips.0.budget'"):
        load_entries(_dir(tmp_path, text), {"tool_design"})
