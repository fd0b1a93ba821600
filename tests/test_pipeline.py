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


# Issue 14: the kinds of message an outside set found hard, in words written for this test.
ISSUE_14_KINDS = [
    # 有没有…的软件/工具/小程序 asks for a tool
    ("有没有能做促销海报的手机软件", "tool"),
    ("有没有帮忙统计团购单的小程序", "tool"),
    ("有没有免费的记账软件推荐", "tool"),
    ("管理老顾客用什么软件好", "tool"),
    # 要不要做… / 值不值 / 怎么提高… and trade jargon ask for marketing advice
    ("花钱投流到底值不值", "marketing"),
    ("怎么提高店铺的复购率", "marketing"),
    ("怎么提高直播间的转化", "marketing"),
    ("dou+投多少合适", "marketing"),
    ("新账号怎么起号", "marketing"),
    ("怎么涨粉最快", "marketing"),
    ("ROI太低了怎么优化", "marketing"),
    ("要不要报名百亿补贴活动", "marketing"),
    ("请网红来探店有用吗", "marketing"),
    ("仅退款的人太多了 亏惨了 怎么办", "marketing"),
    ("话术不会写 顾客一问就卡壳", "marketing"),
    # a merchant's story with the question last
    ("我在县城开了个母婴店 五年了 以前生意还行 现在大家都在网上买 店里一天就几个人 货压了一堆 到底该怎么办",
     "marketing"),
    ("隔壁新开了一家超市 价格比我低 我的老顾客都跑过去了", "marketing"),
    # 在哪设置 / 怎么开通 asks how (teach)
    ("长辈模式在哪里打开", "teach"),
    ("免密支付在哪里关掉", "teach"),
    ("抖店橱窗怎么开通", "teach"),
    ("运费在哪设置", "teach"),
    ("直播的时候冷场了怎么救场", "teach"),
    # 算违法吗 / 有人管吗 / 必须给退吗 asks what the rules say
    ("卖自己家养的鸡蛋不办执照违法吗", "policy"),
    ("快递员不送货上门有人管吗", "policy"),
    ("顾客买了七天后要退 我必须给退吗", "policy"),
    ("超市只让扫码付款 不收现金 合法吗", "policy"),
    # a person asked for indirectly
    ("社工在不在", "handoff"),
    ("我想找个人帮我填个申请表", "handoff"),
    ("我不认字 能不能发语音给我", "handoff"),
    # emotion without danger, chit-chat, ordinary health and money questions
    ("气死我了 有个顾客给了我一星", "out_of_scope"),
    ("哈哈哈哈哈 太好笑了", "out_of_scope"),
    ("你吃饭了吗", "out_of_scope"),
    ("降压药能跟感冒药一起吃吗", "out_of_scope"),
    ("血压一百六 要紧吗", "out_of_scope"),
    ("基金亏了一万 要不要赎回", "out_of_scope"),
    ("请我外甥来帮忙看店 不交社保可以吗", "out_of_scope"),
    # traditional characters, Cantonese, dialect, toneless pinyin, English mixed in
    ("點樣喺美團買餸", "teach"),
    ("有冇人教下我點樣用手機買嘢", "teach"),
    ("俺不会在手机上付钱 咋整", "teach"),
    ("zen me tui kuan", "teach"),
    ("今日會唔會落雨", "out_of_scope"),
    ("唔想再活落去", "urgent"),
]


@pytest.mark.parametrize(("text", "capability"), ISSUE_14_KINDS)
def test_capabilities_of_the_issue_14_kinds(pipeline, text, capability):
    assert pipeline.parse(text).capability == capability


@pytest.mark.parametrize(
    ("text", "value"),
    [("抖加投了一百块没效果", "DOU+"), ("投产比怎么算", "ROI"), ("GMV在哪看", "GMV"), ("怎么涨粉", "涨粉"),
     ("买家只退款不退货怎么办", "仅退款"), ("要不要报百亿补贴", "百亿补贴"), ("找达人探店", "探店")],
)
def test_trade_jargon_is_an_entity_with_its_synonyms(pipeline, text, value):
    assert value in pipeline.parse(text).entity_values("term")


def test_augmenter_adds_training_messages_and_leaves_parsing_alone(tmp_path):
    from nlu.augment import TrainingAugmenter
    from nlu.tokenizer import prepare
    from nlu.training_data import read_file

    path = tmp_path / "nlu.yml"
    path.write_text('version: "3.1"\nnlu:\n- intent: grocery_order\n  metadata: {capability: teach}\n'
                    "  examples: |\n    - 怎么在手机上买菜\n    - 买菜咋弄\n"
                    "- intent: greet\n  metadata: {capability: smalltalk}\n  examples: |\n    - 你好\n",
                    encoding="utf-8")
    data = read_file(path)
    messages = []
    for ex in data.examples:
        m = prepare(ex.text)
        m.intent = ex.intent
        messages.append(m)
    aug = TrainingAugmenter(TrainingAugmenter.validate_config({"intro_share": 1.0, "typo_share": 1.0}, "test"))
    aug.train(data, messages)
    extra = messages[3:]
    assert extra and all(m.intent == "grocery_order" for m in extra)  # 你好 (smalltalk) is kept as it is
    assert any(m.text.endswith(("买菜", "咋弄")) and len(m.text) > 8 for m in extra)  # an introduction first
    m = prepare("怎么在手机上买菜")
    aug.process(m)
    assert m.intent is None and not m.features


def test_joint_capability_model_saves_and_loads(tmp_path_factory):
    from tests.factories import CONFIG_TEMPLATE, write_project

    cfg = write_project(tmp_path_factory.mktemp("joint"), CONFIG_TEMPLATE.replace(
        "    calibration_folds: 2\n", "    calibration_folds: 2\n    capability_weight: 0.5\n    class_weight: sqrt\n"))
    s = load_config(cfg)
    train_model(s)
    loaded = load_pipeline(s)
    fresh = Pipeline.from_settings(s)
    from nlu.training_data import load_training_data

    fresh.train(load_training_data(s.training_data))
    texts = ["在拼夕夕买菜要500块", "有人要验证码", "你好呀"]
    assert [r.as_dict() for r in fresh.parse_batch(texts)] == [r.as_dict() for r in loaded.parse_batch(texts)]
    assert loaded.parse("有人要我的验证码").capability == "urgent"


def test_joint_capability_model_with_one_capability_trains_the_intents_alone(tmp_path):
    """SMP2017 (bench/smp2017.py) gives every intent one placeholder capability: nothing to learn there."""
    from tests.factories import CONFIG_TEMPLATE, MINI_DATA, write_project

    data = MINI_DATA.replace("capability: smalltalk", "capability: teach").replace("capability: urgent",
                                                                                   "capability: teach")
    cfg = write_project(tmp_path, CONFIG_TEMPLATE.replace(
        "    calibration_folds: 2\n", "    calibration_folds: 2\n    capability_weight: 0.5\n"), data)
    s = load_config(cfg)
    train_model(s)
    assert load_pipeline(s).parse("你好呀").intent == "greet"


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


@pytest.mark.parametrize("text", ["团购接龙一下来了两百多单 手抄都抄不过来", "今年收了三五百斤橘子", "店里一天来两百个人"])
def test_an_amount_that_counts_things_is_no_money(pipeline, text):
    """两百 is annotated as money in the training data (花两百); followed by 单/斤/个 it counts things."""
    assert pipeline.parse(text).entity_values("money") == []


def test_an_amount_of_money_is_still_money(pipeline):
    assert pipeline.parse("一天最多花两百 够不够").entity_values("money") == ["两百"]
