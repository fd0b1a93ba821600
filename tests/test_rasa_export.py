"""``linli nlu export-rasa`` and ``import-rasa``: Rasa 3.6 projects in, out and round trip."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot import cli
from bot.errors import TrainingDataError
from nlu.rasa_export import export_rasa
from nlu.rasa_import import import_rasa, read_rasa_nlu
from nlu.training_data import TrainingData, load_training_data


def _examples(data: TrainingData) -> Counter[tuple]:
    return Counter((e.text, e.intent, e.entities) for e in data.examples)


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bot.config import load_config

    out = tmp_path_factory.mktemp("rasa") / "project"
    export_rasa(load_config(), out, epochs=7)
    return out


def test_export_round_trip_keeps_everything(settings, export_dir):
    source = load_training_data(settings.training_data)
    back = load_training_data(export_dir / "data" / "nlu.yml")
    assert back.intents == source.intents
    assert _examples(back) == _examples(source)
    assert sum(len(e.entities) for e in back.examples) > 100
    assert back.synonyms == source.synonyms
    assert back.lookups == source.lookups
    assert back.regexes == source.regexes
    assert back.capabilities() == source.capabilities()
    assert back.intent_metadata == source.intent_metadata


def test_export_config_is_rasa_36_diet(settings, export_dir):
    text = (export_dir / "config.yml").read_text(encoding="utf-8")
    config = yaml.safe_load(text)
    assert (config["recipe"], config["language"], config["policies"]) == ("default.v1", "zh", [])
    names = [c["name"] for c in config["pipeline"]]
    assert names == ["JiebaTokenizer", "RegexFeaturizer", "CountVectorsFeaturizer", "CountVectorsFeaturizer",
                     "DIETClassifier", "EntitySynonymMapper", "FallbackClassifier"]
    char = config["pipeline"][3]
    assert (char["analyzer"], char["min_ngram"], char["max_ngram"]) == ("char_wb", 1, 4)
    assert config["pipeline"][4]["epochs"] == 7
    ours = next(c.params for c in settings.pipeline if c.name == "FallbackClassifier")
    assert config["pipeline"][-1]["threshold"] == ours["threshold"]
    assert config["pipeline"][0]["dictionary_path"] == "dictionaries"
    words = (export_dir / "dictionaries" / "linli.txt").read_text(encoding="utf-8").splitlines()
    assert "小象超市 100 nz" in words and not any(w.startswith("#") or not w.strip() for w in words)
    # Entity words too, so Rasa's jieba keeps annotated entities whole (快手上 -> 快手 / 上).
    data = load_training_data(settings.training_data)
    entity_texts = {e.text for ex in data.examples for e in ex.entities}
    assert {w.split()[0] for w in words} >= {t for t in entity_texts if " " not in t}


def test_export_domain_lists_intents_and_entities(settings, export_dir):
    domain = yaml.safe_load((export_dir / "domain.yml").read_text(encoding="utf-8"))
    data = load_training_data(settings.training_data)
    assert domain["version"] == "3.1"
    assert domain["intents"] == data.intents
    assert set(domain["entities"]) == {"platform", "product", "money", "region", "tool", "term"}


def test_export_never_overwrites_without_force(settings, export_dir):
    with pytest.raises(TrainingDataError, match="already exists; use --force"):
        export_rasa(settings, export_dir)
    export_rasa(settings, export_dir, epochs=7, force=True)


def test_export_rasa_cli(tmp_path, capsys):
    assert cli.main(["nlu", "export-rasa", str(tmp_path / "out"), "--epochs", "5"]) == 0
    out = capsys.readouterr().out
    assert "65 intents" in out or "intents" in out
    assert "rasa train nlu" in out
    assert yaml.safe_load((tmp_path / "out" / "config.yml").read_text(encoding="utf-8"))["pipeline"][4]["epochs"] == 5


RASA_NLU = """version: "3.1"
nlu:
- intent: check_balance
  examples: |
    - 我的[储蓄卡](account)还有多少钱
    - 查一下[信用卡]{"entity": "account", "value": "credit"}余额
    - [老卡](account:savings)里还剩多少
    - 查[工资卡][{"entity": "account", "value": "salary"}, {"entity": "card", "value": "debit"}]
- intent: greet
  metadata:
    capability: smalltalk
  examples:
  - text: 你好
    metadata: {sentiment: neutral}
  - text: 早上好
- intent: transfer_money
  examples: |
    - 给[妈妈](person)转[500块](amount)
- synonym: savings
  examples: |
    - 储蓄卡
- lookup: account
  examples: |
    - 储蓄卡
    - 信用卡
- regex: amount
  examples: |
    - \\d+块
"""

STORIES = """version: "3.1"
stories:
- story: greet
  steps:
  - intent: greet
  - action: utter_greet
"""


def _rasa_project(root: Path) -> Path:
    (root / "data" / "nlu").mkdir(parents=True)
    (root / "data" / "nlu" / "banking.yml").write_text(RASA_NLU, encoding="utf-8")
    (root / "data" / "stories.yml").write_text(STORIES, encoding="utf-8")
    (root / "domain.yml").write_text('version: "3.1"\nintents: [greet]\n', encoding="utf-8")
    (root / "README.md").write_text("# a bot\n", encoding="utf-8")
    return root


def test_import_reads_rasa_syntax_and_skips_stories(tmp_path):
    report = read_rasa_nlu(_rasa_project(tmp_path / "bank"))
    data = report.data
    assert [p.name for p in report.files] == ["banking.yml"] and [p.name for p in report.skipped] == ["stories.yml"]
    by_text = {e.text: e for e in data.examples}
    assert [(x.entity, x.value, x.start, x.end) for x in by_text["查一下信用卡余额"].entities] == [
        ("account", "credit", 3, 6)]
    assert [(x.entity, x.value) for x in by_text["老卡里还剩多少"].entities] == [("account", "savings")]
    assert [(x.entity, x.value) for x in by_text["查工资卡"].entities] == [("account", "salary")]
    assert any("overlapping entities; kept the first" in w for w in report.warnings)
    expected_synonyms = {"储蓄卡": "savings", "信用卡": "credit", "老卡": "savings", "工资卡": "salary"}
    assert expected_synonyms.items() <= data.synonyms.items()
    assert data.lookups == {"account": ["储蓄卡", "信用卡"]} and data.regexes == {"amount": ["\\d+块"]}
    assert data.intent_metadata["greet"] == {"capability": "smalltalk"}
    assert report.unmapped == ["check_balance", "transfer_money"]


def test_import_writes_our_yaml_and_reports_unmapped(tmp_path):
    project = _rasa_project(tmp_path / "bank")
    cap_map = tmp_path / "caps.yml"
    cap_map.write_text("check_balance: tool\n", encoding="utf-8")
    report = import_rasa(project, tmp_path / "out", capability_map=cap_map)
    assert report.written == tmp_path / "out" / "bank.yml"
    assert report.unmapped == ["transfer_money"]
    text = report.describe()
    assert "transfer_money (1 examples)" in text and "metadata: {capability: ...}" in text
    # Until transfer_money has a capability our reader refuses the file, naming file and line.
    with pytest.raises(TrainingDataError, match=r"bank\.yml:\d+: intent 'transfer_money' needs metadata\.capability"):
        load_training_data(report.written)
    again = import_rasa(project, tmp_path / "out", capability_map=cap_map, default_capability="out_of_scope",
                        force=True)
    assert again.unmapped == []
    back = load_training_data(again.written)
    assert back.capabilities() == {"check_balance": "tool", "greet": "smalltalk", "transfer_money": "out_of_scope"}
    assert _examples(back) == _examples(again.data)


def test_import_never_overwrites_without_force(tmp_path):
    project = _rasa_project(tmp_path / "bank")
    import_rasa(project, tmp_path / "out", default_capability="tool")
    with pytest.raises(TrainingDataError, match="bank.yml already exists; use --force"):
        import_rasa(project, tmp_path / "out", default_capability="tool")


def test_import_round_trips_our_own_export(settings, export_dir, tmp_path):
    report = import_rasa(export_dir, tmp_path)
    assert report.unmapped == [] and [p.name for p in report.files] == ["nlu.yml"]
    source = load_training_data(settings.training_data)
    back = load_training_data(report.written)
    assert _examples(back) == _examples(source) and back.capabilities() == source.capabilities()


@pytest.mark.parametrize(
    ("name", "content"),
    [("nlu.md", "## intent:greet\n- hello\n"), ("nlu.json", '{"rasa_nlu_data": {"common_examples": []}}')],
)
def test_import_refuses_old_formats_with_convert_hint(tmp_path, name, content):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / name).write_text(content, encoding="utf-8")
    for path in (tmp_path, tmp_path / "data" / name):
        with pytest.raises(TrainingDataError) as exc:
            read_rasa_nlu(path)
        assert f"data/{name}" in str(exc.value) and "not supported" in str(exc.value)
        assert "rasa data convert nlu -f yaml" in str(exc.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("nlu:\n- intent: a\n  examples: |\n    - 你[好]{bad json}\n",
         r"rasa\.yml:4: entity annotation .* invalid JSON"),
        ("nlu:\n- regex: r\n  examples: |\n    - (\n", r"rasa\.yml:4: regex 'r' is invalid"),
        ("nlu:\n- intent: a\n  synonym: b\n", r"rasa\.yml:2: a block needs exactly one of"),
        ("nlu: [\n", r"rasa\.yml:2: invalid YAML"),
    ],
)
def test_import_errors_name_file_and_line(tmp_path, content, message):
    path = tmp_path / "rasa.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TrainingDataError, match=message):
        read_rasa_nlu(path)


def test_import_bad_capability_map_and_default(tmp_path):
    project = _rasa_project(tmp_path / "bank")
    bad = tmp_path / "caps.yml"
    bad.write_text("check_balance: banking\n", encoding="utf-8")
    with pytest.raises(TrainingDataError, match="intent 'check_balance' maps to 'banking'; valid capabilities: teach"):
        import_rasa(project, tmp_path / "out", capability_map=bad)
    with pytest.raises(TrainingDataError, match="--default-capability 'misc' is not one of"):
        import_rasa(project, tmp_path / "out", default_capability="misc")


def test_import_rasa_cli(tmp_path, capsys):
    project = _rasa_project(tmp_path / "bank")
    assert cli.main(["nlu", "import-rasa", str(project), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "2 intent(s) have no capability mapping" in out and "- check_balance" in out
    assert cli.main(["nlu", "import-rasa", str(project), "--out", str(tmp_path / "out")]) == 1
    assert "use --force" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["nlu", "export-rasa"], ["nlu", "import-rasa"]])
def test_rasa_commands_have_help_and_readme(command, capsys):
    from bot.config import PROJECT_ROOT

    with pytest.raises(SystemExit) as exc:
        cli.main([*command, "--help"])
    assert exc.value.code == 0 and "--config" in capsys.readouterr().out
    assert "linli " + " ".join(command) in (PROJECT_ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
