"""The Rasa NLU YAML reader: entity syntax, synonyms, lookups, regexes, metadata, errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from bot.errors import TrainingDataError
from nlu.training_data import CAPABILITIES, load_training_data, parse_annotated, read_file, to_yaml

INTENTS_DOC = PROJECT_ROOT / "nlu" / "INTENTS.md"


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "nlu.yml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("annotated", "plain", "entities"),
    [
        ("教我用[多多买菜](platform)买菜", "教我用多多买菜买菜", [("platform", "多多买菜", 3, 7)]),
        ("[拼夕夕](platform:拼多多)上开店", "拼夕夕上开店", [("platform", "拼多多", 0, 3)]),
        ('用[抖音小店]{"entity": "platform", "value": "抖店"}卖[苹果](product)', "用抖音小店卖苹果",
         [("platform", "抖店", 1, 5), ("product", "苹果", 6, 8)]),
        ("没有实体的句子（括号）", "没有实体的句子（括号）", []),
        ("预算[500块](money)在[成都](region)", "预算500块在成都", [("money", "500块", 2, 6), ("region", "成都", 7, 9)]),
    ],
)
def test_parse_annotated_entity_syntax(annotated, plain, entities):
    ex = parse_annotated(annotated, "x")
    assert ex.text == plain
    assert [(e.entity, e.value, e.start, e.end) for e in ex.entities] == entities
    for e in ex.entities:
        assert ex.text[e.start : e.end] == e.text


def test_reads_intents_synonyms_lookups_regexes(tmp_path):
    path = _write(
        tmp_path,
        """version: "3.1"
nlu:
- intent: open_shop
  metadata:
    capability: teach
  examples: |
    - 怎么在[拼夕夕](platform)开店
    - 抖店咋开
- synonym: 拼多多
  examples: |
    - 拼夕夕
    - pdd
- lookup: platform
  examples: |
    - 拼多多
    - 抖店
- regex: money
  examples: |
    - \\d+块
""",
    )
    data = read_file(path)
    assert data.intents == ["open_shop"]
    assert data.capability("open_shop") == "teach"
    assert [e.text for e in data.examples] == ["怎么在拼夕夕开店", "抖店咋开"]
    assert data.examples[0].line == 7
    assert data.synonyms == {"拼夕夕": "拼多多", "pdd": "拼多多"}
    assert data.lookups == {"platform": ["拼多多", "抖店"]}
    assert data.regexes == {"money": [r"\d+块"]}
    assert data.entity_names() == ["money", "platform"]


def test_examples_as_list_of_dicts(tmp_path):
    path = _write(
        tmp_path,
        'version: "3.1"\nnlu:\n- intent: greet\n  metadata: {capability: smalltalk}\n'
        "  examples:\n  - text: 你好\n  - text: 在吗\n",
    )
    assert [e.text for e in read_file(path).examples] == ["你好", "在吗"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("- intent: greet\n  examples: |\n    - 你好\n", r"nlu.yml:3: intent 'greet' needs metadata.capability"),
        ("- intent: greet\n  metadata: {capability: chat}\n  examples: |\n    - 你好\n", r"got 'chat'"),
        ("- regex: money\n  examples: |\n    - (\\d+\n", r"nlu.yml:5: regex 'money' is invalid"),
        ("- intent: a\n  synonym: b\n  examples: |\n    - x\n", r"nlu.yml:3: a block needs exactly one of"),
        ("- [broken\n", r"nlu.yml:\d+: invalid YAML"),
        ('- intent: a\n  metadata: {capability: teach}\n  examples: |\n    - [x]{"entity": oops}\n',
         r"nlu.yml:6: entity annotation .* has invalid JSON"),
    ],
)
def test_errors_name_file_and_line(tmp_path, body, message):
    path = _write(tmp_path, 'version: "3.1"\nnlu:\n' + body)
    with pytest.raises(TrainingDataError, match=message):
        read_file(path)


def test_unknown_top_level_key(tmp_path):
    with pytest.raises(TrainingDataError, match="unknown top-level key 'nlus'"):
        read_file(_write(tmp_path, 'version: "3.1"\nnlus: []\n'))


def test_round_trip_through_writer(tmp_path, settings):
    data = load_training_data(settings.training_data)
    out = tmp_path / "export.yml"
    out.write_text(to_yaml(data), encoding="utf-8")
    again = read_file(out)
    def key(e):
        return (e.intent, e.text, e.entities)

    assert sorted(map(key, again.examples)) == sorted(map(key, data.examples))
    assert again.synonyms == data.synonyms
    assert again.lookups == data.lookups
    assert again.regexes == data.regexes
    assert again.capabilities() == data.capabilities()


def _catalogue() -> dict[str, str]:
    """intent -> capability as documented in nlu/INTENTS.md."""
    cap, out = None, {}
    for line in INTENTS_DOC.read_text(encoding="utf-8").splitlines():
        m = re.match(r"## (\w+)", line)
        if m:
            cap = m.group(1)
        m = re.match(r"\| `(\w+)` \|", line)
        if m and cap:
            out[m.group(1)] = cap
    return out


def test_project_data_matches_catalogue_and_has_enough_examples(settings):
    data = load_training_data(settings.training_data)
    catalogue = _catalogue()
    assert set(data.intents) == set(catalogue)
    for intent, cap in catalogue.items():
        assert data.capability(intent) == cap, intent
    counts = data.counts()
    thin = {i: n for i, n in counts.items() if n < 25}
    assert not thin, f"intents with fewer than 25 examples: {thin}"
    assert set(data.capabilities().values()) == set(CAPABILITIES)


def test_project_entities_use_known_types(settings):
    data = load_training_data(settings.training_data)
    used = {e.entity for ex in data.examples for e in ex.entities}
    assert used <= {"platform", "product", "money", "region", "tool"}
    assert {"platform", "product", "money", "region"} <= set(data.entity_names())
    assert data.synonyms["拼夕夕"] == "拼多多"


def test_heldout_set_is_separate_from_training(settings):
    train = {e.text for e in load_training_data(settings.training_data).examples}
    held = load_training_data(PROJECT_ROOT / "tests" / "heldout" / "heldout.yml")
    assert len(held.examples) >= 300
    overlap = [e.text for e in held.examples if e.text in train]
    assert not overlap, f"held-out messages also in training data: {overlap[:5]}"


def test_every_intent_has_a_chinese_label_for_reports():
    from nlu.training_data import load_training_data

    data = load_training_data(PROJECT_ROOT / "nlu" / "data")
    for intent in data.intents:
        label = str(data.intent_metadata.get(intent, {}).get("label") or "")
        assert label and any("\u4e00" <= c <= "\u9fff" for c in label), intent


def test_no_smp2017_sentence_is_in_the_training_data(settings):
    """SMP2017 train+dev is the standing negative check for false alarms (issue 14): copying its
    sentences into our data would only memorise the check."""
    import json

    smp = PROJECT_ROOT.parent / "shared" / "benchmarks" / "smp2017_ecdt_task1"
    if not (smp / "train.jsonl").is_file():
        pytest.skip(f"SMP2017 not found in {smp}")
    texts = {json.loads(x)["text"].strip() for name in ("train.jsonl", "dev.jsonl", "test.jsonl")
             for x in (smp / name).read_text(encoding="utf-8").splitlines() if x.strip()}
    ours = [e.text for e in load_training_data(settings.training_data).examples]
    assert [t for t in ours if t.strip() in texts] == []
