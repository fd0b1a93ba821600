"""Config errors name the key at fault and the valid choices; never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_config
from bot.errors import ConfigError
from nlu.pipeline import Pipeline
from tests.factories import CONFIG_TEMPLATE, write_project


def _pipeline_from(tmp_path: Path, config: str) -> Pipeline:
    return Pipeline.from_settings(load_config(write_project(tmp_path, config)))


def test_project_config_loads_and_builds(settings):
    pipeline = Pipeline.from_settings(settings)
    assert settings.language == "zh"
    assert [c.name for c in pipeline.components][0] == "JiebaTokenizer"
    assert settings.dialogue["fallbacks_before_handoff"] == 2
    assert settings.db_path.name == "linli.db"


def test_unknown_component_lists_valid_names(tmp_path):
    cfg = CONFIG_TEMPLATE.replace("name: PinyinFeaturizer", "name: PinyinFeaturiser")
    with pytest.raises(ConfigError) as err:
        _pipeline_from(tmp_path, cfg)
    msg = str(err.value)
    assert "pipeline[3].name" in msg and "PinyinFeaturiser" in msg
    assert "PinyinFeaturizer" in msg and "JiebaTokenizer" in msg


def test_unknown_component_key_lists_valid_keys(tmp_path):
    cfg = CONFIG_TEMPLATE.replace("calibration_folds: 2", "calibration_fold: 2")
    with pytest.raises(ConfigError) as err:
        _pipeline_from(tmp_path, cfg)
    assert "unknown key 'calibration_fold'" in str(err.value)
    assert "calibration_folds" in str(err.value)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("calibration_folds: 2", "calibration_folds: two", "calibration_folds: must be a whole number"),
        ("threshold: 0.3", "threshold: high", "threshold: must be a number"),
        ("threshold: 0.3", "threshold: 3", "threshold: must be between 0 and 1"),
        ("calibration_folds: 2", "model: neural_net", "model: 'neural_net' is not valid. Choose one of"),
    ],
)
def test_wrong_types_and_values_name_the_key(tmp_path, old, new, expected):
    with pytest.raises(ConfigError, match=expected):
        _pipeline_from(tmp_path, CONFIG_TEMPLATE.replace(old, new))


def test_missing_dictionary_is_reported(tmp_path):
    cfg = CONFIG_TEMPLATE.replace("dictionary_path: {dictionary}", "dictionary_path: no/such/dir")
    with pytest.raises(ConfigError, match=r"dictionary_path: no such file or directory: .*no/such/dir"):
        _pipeline_from(tmp_path, cfg)


def test_missing_training_data_is_reported(tmp_path):
    cfg = write_project(tmp_path, CONFIG_TEMPLATE.replace("training_data: data", "training_data: nowhere"))
    with pytest.raises(ConfigError, match="'nlu.training_data' points to a missing path"):
        load_config(cfg)


def test_unknown_top_level_and_section_keys(tmp_path):
    with pytest.raises(ConfigError, match="unknown top-level key 'pipelines'. Valid keys: recipe, language"):
        load_config(write_project(tmp_path, CONFIG_TEMPLATE.replace("pipeline:", "pipelines:")))
    with pytest.raises(ConfigError, match=r"unknown key 'storage.path'. Valid keys: db_path"):
        load_config(write_project(tmp_path, CONFIG_TEMPLATE + "storage:\n  path: x.db\n"))
    with pytest.raises(ConfigError, match=r"'nlu.test_fraction' must be float"):
        load_config(write_project(tmp_path, CONFIG_TEMPLATE.replace("model_dir: model", "test_fraction: lots")))


def test_language_and_order_are_checked(tmp_path):
    with pytest.raises(ConfigError, match="'language' must be one of zh"):
        load_config(write_project(tmp_path, CONFIG_TEMPLATE.replace("language: zh", "language: en")))
    swapped = CONFIG_TEMPLATE.replace(
        "  - name: FallbackClassifier\n    threshold: 0.3\n", ""
    ).replace("  - name: LinearIntentClassifier\n", "  - name: FallbackClassifier\n  - name: LinearIntentClassifier\n")
    with pytest.raises(ConfigError, match="FallbackClassifier must come after an intent classifier"):
        _pipeline_from(tmp_path, swapped)


def test_bad_yaml_names_the_line(tmp_path):
    cfg = write_project(tmp_path, "language: zh\npipeline:\n  - name: [oops\n")
    with pytest.raises(ConfigError, match=r"config.yml: line \d+ is not valid YAML"):
        load_config(cfg)


def test_cli_prints_error_without_traceback(tmp_path, capsys):
    cfg = write_project(tmp_path, CONFIG_TEMPLATE.replace("name: WordNgramFeaturizer", "name: Nope"))
    code = main(["--config", str(cfg), "nlu", "train"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("Error: [E101]") and "unknown component 'Nope'" in err
    assert "Traceback" not in err


def test_env_and_options_choose_config_and_db(tmp_path, monkeypatch):
    cfg = write_project(tmp_path)
    monkeypatch.setenv("LINLI_CONFIG", str(cfg))
    monkeypatch.setenv("LINLI_DB", str(tmp_path / "env.db"))
    s = load_config()
    assert s.path == cfg.resolve() and s.db_path == tmp_path / "env.db"
    assert load_config(db_path=tmp_path / "opt.db").db_path == tmp_path / "opt.db"
