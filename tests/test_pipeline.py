"""Parse results: shape, entities, odd input, save/load."""

from __future__ import annotations

import json

import pytest

from bot.config import load_config
from nlu.pipeline import Pipeline, is_current, load_pipeline, train_model
from nlu.result import ParseResult

BAD_INPUTS = [
    "",
    "   \t  ",
    "🙏🙏😭",
    "买菜" * 5000,
    "怎么\x00退款\x01\x02\x1b[31m",
    "How do I buy vegetables on my phone?",
    "zenme mai cai",
    "\ud83d",  # a lone surrogate, as a broken client may send
    "？？？！！！",
    "\u200b\u200b",
    "a" * 10000,
]


def _check_shape(result: ParseResult) -> None:
    d = result.as_dict()
    assert set(d) == {"text", "intent", "capability", "confidence", "entities", "ranking"}
    assert isinstance(d["intent"], str) and d["intent"]
    assert 0.0 <= d["confidence"] <= 1.0
    for e in d["entities"]:
        assert set(e) == {"entity", "value", "start", "end"}
        assert 0 <= e["start"] < e["end"] <= len(d["text"])
    for r in d["ranking"]:
        assert set(r) == {"intent", "confidence", "capability"}
    json.dumps(d, ensure_ascii=False)


@pytest.mark.parametrize("text", BAD_INPUTS, ids=range(len(BAD_INPUTS)))
def test_bad_input_still_gets_a_parse(pipeline, text):
    result = pipeline.parse(text)
    _check_shape(result)
    assert result.text == text


def test_empty_text_is_fallback(pipeline):
    r = pipeline.parse("  ")
    assert (r.intent, r.capability, r.confidence, r.ranking) == ("nlu_fallback", "out_of_scope", 0.0, ())


def test_parse_result_shape_and_ranking(pipeline):
    r = pipeline.parse("孙子不在家，我想在手机上买点菜")
    _check_shape(r)
    assert r.intent == "grocery_order" and r.capability == "teach"
    confidences = [c for _, c, _ in r.ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert len(r.ranking) == 10
    assert r.confidence == pytest.approx(confidences[0])


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        ("在拼夕夕上开店要啥条件", "platform", "拼多多"),
        ("美团买菜找不到了", "platform", "小象超市"),
        ("叮咚買菜怎麼付錢", "platform", "叮咚买菜"),
        ("预算就500块怎么推广", "money", "500块"),
        ("只有两三千块钱能做点啥", "money", "两三千块钱"),
        ("我在成都开水果店", "region", "成都"),
        ("我家土鸡蛋怎么卖出去", "product", "土鸡蛋"),
        ("剪映要钱吗", "tool", "剪映"),
    ],
)
def test_entities_are_found_and_normalised(pipeline, text, entity, value):
    r = pipeline.parse(text)
    assert value in r.entity_values(entity), r.entities
    for e in r.entities:
        assert r.text[e.start : e.end]


@pytest.mark.parametrize(
    ("text", "capability"),
    [
        ("孙子不在家我想在手机上买点菜", "teach"),
        ("预算就几百块怎么推广", "marketing"),
        ("我要找社工", "handoff"),
        ("有人打电话让我把钱转到安全账户", "urgent"),
        ("删除我的信息", "privacy"),
        ("你好", "smalltalk"),
        ("下一步", "smalltalk"),
        ("今天天气怎么样", "out_of_scope"),
        ("買菜怎麼付錢", "teach"),
        ("网上买彩怎么买", "teach"),
        ("zenme mai cai", "teach"),
        ("我家猫跑丢了", "out_of_scope"),
        ("我妈出门买菜到现在没回来 她有老年痴呆", "urgent"),
    ],
)
def test_capabilities_of_typical_messages(pipeline, text, capability):
    assert pipeline.parse(text).capability == capability


def test_save_load_gives_identical_parses(mini_project, mini_pipeline):
    s = load_config(mini_project)
    fresh = Pipeline.from_settings(s)
    from nlu.training_data import load_training_data

    fresh.train(load_training_data(s.training_data))
    texts = ["在拼夕夕买菜要500块", "有人要验证码", "你好呀", ""]
    assert [r.as_dict() for r in fresh.parse_batch(texts)] == [r.as_dict() for r in mini_pipeline.parse_batch(texts)]


def test_train_skips_when_nothing_changed_and_retrains_on_change(mini_project):
    s = load_config(mini_project)
    train_model(s)
    assert is_current(s)
    assert train_model(s) is None
    data = s.training_data / "nlu.yml"
    data.write_text(data.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert not is_current(s)
    assert train_model(s) is not None
    assert train_model(s, force=True) is not None
    assert load_pipeline(s).parse("你好").intent == "greet"


def test_urgent_is_never_hidden_by_fallback(mini_pipeline):
    r = mini_pipeline.parse("有人要我的验证码")
    assert r.capability == "urgent" and not r.is_fallback


def test_fingerprint_does_not_depend_on_how_paths_are_spelled(settings):
    import dataclasses

    from bot.config import ComponentConfig
    from nlu.pipeline import fingerprint

    absolute = tuple(
        ComponentConfig(c.name, {k: (str(settings.resolve(v)) if k.endswith("_path") else v)
                                 for k, v in c.params.items()}, c.index)
        for c in settings.pipeline)
    assert any(c.params != a.params for c, a in zip(settings.pipeline, absolute))
    assert fingerprint(dataclasses.replace(settings, pipeline=absolute)) == fingerprint(settings)
    changed = tuple(ComponentConfig(c.name, {**c.params, "threshold": 0.123} if c.name == "FallbackClassifier"
                                    else c.params, c.index) for c in settings.pipeline)
    assert fingerprint(dataclasses.replace(settings, pipeline=changed)) != fingerprint(settings)
