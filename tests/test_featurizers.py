"""Normalisation, tokenisation and featurizers: the pieces under the classifier."""

from __future__ import annotations

import pytest

from nlu.featurizers import CharNgramFeaturizer, PinyinFeaturizer, content_chars
from nlu.normalize import normalize
from nlu.tokenizer import prepare


@pytest.fixture(scope="module")
def pinyin(pipeline):
    return next(c for c in pipeline.components if isinstance(c, PinyinFeaturizer))


@pytest.mark.parametrize(
    ("raw", "norm"),
    [
        ("請問怎麼退款", "请问怎么退款"),
        ("ＡＢＣ１２３", "abc123"),
        ("买菜\x00\x1b", "买菜  "),
        ("叮咚買菜🙏", "叮咚买菜🙏"),
    ],
)
def test_normalize_keeps_length_and_simplifies(raw, norm):
    assert normalize(raw) == norm
    assert len(normalize(raw)) == len(raw)


def test_homophone_typo_shares_pinyin_grams(pinyin):
    typo = set(pinyin.grams(prepare("网上买彩")))
    right = set(pinyin.grams(prepare("网上买菜")))
    assert typo == right


def test_typed_pinyin_becomes_syllables(pinyin):
    assert pinyin.grams(prepare("zenme maicai"))[:4] == ["zen", "me", "mai", "cai"]
    assert pinyin.grams(prepare("good morning")) == []


def test_fuzzy_pinyin_merges_dialect_sounds(pinyin):
    # 四/是 (si/shi) and 南/蓝 (nan/lan) sound alike to many southern speakers.
    assert set(pinyin.grams(prepare("四"))) == set(pinyin.grams(prepare("是")))
    assert set(pinyin.grams(prepare("南"))) == set(pinyin.grams(prepare("蓝")))


def test_char_grams_fold_digits_and_drop_punctuation(pipeline):
    char = next(c for c in pipeline.components if isinstance(c, CharNgramFeaturizer))
    assert content_chars("预算500块！") == "预算000块"
    assert set(char.grams(prepare("预算300块"))) == set(char.grams(prepare("预算500块！")))


def test_tokenizer_keeps_our_words_whole(pipeline):
    tok = pipeline.components[0]
    m = prepare("在多多买菜选自提点")
    tok.process(m)
    words = [t.text for t in m.tokens]
    assert "多多买菜" in words and "自提点" in words
    for t in m.tokens:
        assert m.norm[t.start : t.end] == t.text


@pytest.mark.parametrize(
    ("text", "focus"),
    [
        ("怎么退款", "怎么退款"),
        ("我在镇上开了个卖农资的小门店 开了七八年了 以前赶集的时候人挤都挤不动 这两年年轻人都出去打工了 "
         "来的都是老面孔 一天进不来几个人 你说我这店还能咋弄才有人来", "你说我这店还能咋弄才有人来"),
        ("在拼多多卖苹果卖了两年 最近好多买家收到货就点仅退款 说有坏果 照片都不拍 平台直接就给退了 "
         "一个月亏了好几千 这还怎么做下去", "一个月亏了好几千 这还怎么做下去"),
        ("我家是养蜂的 蜂蜜质量没得说 可就是卖不出去 亲戚朋友都买过一遍了 接下来咋弄", "亲戚朋友都买过一遍了 接下来咋弄"),
    ],
)
def test_question_clause_of_a_long_message(text, focus):
    from nlu.featurizers import question_clause

    assert question_clause(text) == focus


def test_question_featurizer_reads_only_the_question_of_a_long_story():
    from nlu.featurizers import QuestionCharNgramFeaturizer

    feat = QuestionCharNgramFeaturizer(QuestionCharNgramFeaturizer.validate_config({}, "test"))
    story = prepare("我开服装店十年了 实体店越来越难做 房租又涨了 身边人有的去做直播有的去做团购 我该走哪条路")
    grams = set(feat.grams(story))
    assert "哪条路" in grams and "服装店" not in grams
    assert set(feat.grams(prepare("怎么退款"))) >= {"退款", "怎么"}
