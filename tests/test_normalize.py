"""Normalisation (issue 14): OpenCC offline, offsets kept, dialect and English words read as Mandarin."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from nlu.normalize import DIALECT_FILE, normalize, read_word_map, to_mandarin, word_map
from nlu.tokenizer import prepare


def test_opencc_converts_traditional_without_network(monkeypatch):
    """OpenCC ships its dictionaries: converting needs no download (sockets are refused here)."""
    import socket

    def refuse(*args, **kwargs):
        raise OSError("network is off in this test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    import opencc

    assert opencc.OpenCC("t2s").convert("點樣買餸 叮咚買菜 長輩模式") == "点样买𩠌 叮咚买菜 长辈模式"


@pytest.mark.parametrize(
    "text",
    ["叮咚買菜怎麼付錢", "ＡＢＣ１２３ 全角", "有冇得賣", "係咪要交錢", "怎么refund", "\x00控制\x1b字符", "🙏😭 emoji"],
)
def test_normalize_keeps_every_offset(text):
    assert len(normalize(text)) == len(text)
    m = prepare(text)
    assert len(m.norm) == len(m.text) == len(text)


@pytest.mark.parametrize(
    ("typed", "mandarin"),
    [
        # Cantonese, typed in traditional or simplified characters
        ("有冇得賣", "有没有得卖"),
        ("點樣喺手機度買餸", "怎样在手机度买菜"),
        ("唔該晒", "谢谢"),
        ("係咪要交錢", "是不是要交钱"),
        ("佢哋嘅貨仲未到", "他们的货还没到"),
        ("我唔識用", "我不会用"),
        ("好攰", "好累"),
        # northern
        ("咋整", "怎么办"),
        ("俺不会弄 咋办", "我不会弄 怎么办"),
        ("整不明白", "弄不明白"),
        # Sichuan and the south-west
        ("啥子时候到", "什么时候到"),
        ("莫得钱", "没有钱"),
        ("咋个弄嘛", "怎么弄嘛"),
        # Shanghainese
        ("侬晓得伐", "你知道吗"),
        ("勿晓得哪能办", "不知道怎么办"),
        ("伊会打电话来伐", "伊会打电话来吗"),
        # more Cantonese: asking whether to take photos, how long, the merchant ignoring
        ("要唔要影相", "要不要拍照"),
        ("要等几耐", "要等多久"),
        ("佢唔理我点算", "他不理我怎么办"),
        # English words inside Chinese, whole words only
        ("怎么refund", "怎么退款"),
        ("我的order没到", "我的订单没到"),
        ("Thanks", "谢谢"),
        ("shopping mall", "shopping mall"),
        # trade jargon spelt several ways reads one way
        ("抖加投了没用", "dou+投了没用"),
        ("投产比太低", "roi太低"),
        ("只退款不退货怎么办", "仅退款怎么办"),
    ],
)
def test_dialect_and_english_words_read_as_mandarin(typed, mandarin):
    assert to_mandarin(typed) == mandarin


@pytest.mark.parametrize(
    "text",
    [
        "点开链接就行",  # 点开 is "tap to open" in Mandarin
        "一点用都没有",
        "去海边度假",
        "这是一个女的",
        "要得到补贴",
        "阿拉伯数字",
        "伊拉克战争",
        "看个仔细",
        "落单的老人",
        "砍伐树木",
        "我想在手机上买菜",
    ],
)
def test_mandarin_sentences_are_left_alone(text):
    assert to_mandarin(text) == text


def test_the_mandarin_reading_feeds_tokens_and_rules_but_entities_keep_offsets(pipeline):
    m = prepare("點樣喺叮咚買菜度買餸")
    assert m.canon == "怎样在叮咚买菜度买菜"
    assert len(m.norm) == len(m.text)
    result = pipeline.parse("點樣喺叮咚買菜度買餸")
    assert result.capability == "teach"
    platform = [e for e in result.entities if e.entity == "platform"]
    assert platform and result.text[platform[0].start : platform[0].end] == "叮咚買菜"


def test_the_project_dialect_file_reads_and_keys_are_unique():
    wm = read_word_map(DIALECT_FILE)
    assert wm.after["有冇"] == "有没有" and wm.before["係"] == "是"
    assert word_map() == wm


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("- a\n- b\n", "expected a mapping of groups"),
        ("cantonese: [有冇]\n", "group 'cantonese' must map words"),
        ("cantonese:\n  有冇: 1\n", "must be a word and its Mandarin word"),
        ("cantonese: {有冇: [\n", "cannot read the dialect words"),
    ],
)
def test_bad_dialect_file_names_the_problem(tmp_path: Path, body, message):
    path = tmp_path / "dialect.yml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        read_word_map(path)
