"""Flow files: every project flow validates; each kind of defect is reported with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.errors import FlowError
from bot.flows import load_flows
from nlu.training_data import load_training_data

GOOD = """flow: demo
kind: tutorial
title: 演示
audience: resident
intents: [grocery_order]
source: facts.md §3.2
reviewed: 2026-11-22
steps:
  - id: one
    text: 第一步
  - id: two
    text: 第二步
"""


def _write(tmp_path: Path, text: str, name: str = "demo.yml") -> Path:
    d = tmp_path / "flows"
    d.mkdir(exist_ok=True)
    (d / name).write_text(text, encoding="utf-8")
    return d


def test_project_flows_validate_and_cover_the_volume(settings):
    intents = set(load_training_data(settings.training_data).intents)
    flows = load_flows(settings.flows_dir, intents)
    tutorials = [f for f in flows.values() if f.kind == "tutorial"]
    resident = [f for f in tutorials if f.audience == "resident"]
    merchant = [f for f in tutorials if f.audience == "merchant"]
    assert len(resident) >= 8 and len(merchant) >= 6
    for f in tutorials:
        assert 5 <= len(f.steps) <= 12, f.id
        assert f.source and f.reviewed, f.id
        assert f.path.startswith(str(settings.flows_dir / f.id)), f"{f.id} should live in {f.id}.yml"


def test_a_good_flow_loads(tmp_path):
    flows = load_flows(_write(tmp_path, GOOD), {"grocery_order"})
    assert [s.id for s in flows["demo"].steps] == ["one", "two"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace("    text: 第二步\n", ""), r"demo.yml:11: flow 'demo' step 'two': missing 'text'"),
        (lambda t: t.replace("intents: [grocery_order]", "intents: [buy_veg]"), r"unknown intent 'buy_veg'"),
        (lambda t: t + "    next: three\n", r"demo.yml:11: flow 'demo' step 'two': unknown step 'three'"),
        (lambda t: t.replace("    text: 第一步\n", "    text: 第一步\n    ask: colour\n"), r"unknown slot 'colour'"),
        (lambda t: t.replace("    text: 第一步\n", "    text: 第一步\n    end: true\n"), r"step 'two' is unreachable"),
        (lambda t: t.replace("source: facts.md §3.2\n", ""), r"a tutorial needs 'source'"),
        (lambda t: t.replace("id: two", "id: one"), r"step id 'one' is used twice"),
        (lambda t: t.replace("steps:", "steps: [\n"), r"demo.yml:\d+: invalid YAML"),
        (lambda t: t.replace("kind: tutorial", "kind: lesson"), r"kind must be one of tutorial, flow"),
        # The schema (pydantic): unknown keys and malformed dates, on the key's own line.
        (lambda t: t.replace("source:", "sorce:"), r"demo.yml:6: flow 'demo': unknown key 'sorce'"),
        (lambda t: t.replace("    text: 第二步\n", "    text: 第二步\n    simplr: 慢慢来\n"),
         r"demo.yml:13: flow 'demo': unknown key 'steps.1.simplr'"),
        (lambda t: t.replace("reviewed: 2026-11-22", "reviewed: 2026-1-5"),
         r"demo.yml:7: flow 'demo': 'reviewed' must be a date YYYY-MM-DD"),
        (lambda t: t.replace("reviewed: 2026-11-22", "reviewed: 2026-02-30"), r"'reviewed' must be a date"),
        (lambda t: t.replace("    text: 第一步\n", "    text: 第一步\n    end: maybe\n"),
         r"demo.yml:11: flow 'demo': 'steps.0.end'"),
    ],
)
def test_flow_defects_name_file_and_line(tmp_path, change, message):
    with pytest.raises(FlowError, match=message):
        load_flows(_write(tmp_path, change(GOOD)), {"grocery_order"})


def test_duplicate_flow_ids_across_files(tmp_path):
    d = _write(tmp_path, GOOD, "a.yml")
    _write(tmp_path, GOOD, "b.yml")
    with pytest.raises(FlowError, match=r"b.yml:1: flow id 'demo' is already used by .*a.yml"):
        load_flows(d, {"grocery_order"})


def test_branching_flow_with_conditions(tmp_path):
    text = GOOD.replace(
        "  - id: one\n    text: 第一步\n",
        "  - id: one\n    text: 您用哪个？\n    ask: platform\n    next:\n      - if: {platform: 盒马}\n"
        "        goto: two\n",
    )
    flows = load_flows(_write(tmp_path, text), {"grocery_order"})
    assert flows["demo"].steps[0].next[0].when == {"platform": "盒马"}


def test_cli_flows_validate(settings, capsys):
    assert main(["flows", "validate"]) == 0
    assert "flows OK" in capsys.readouterr().out
