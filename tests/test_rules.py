"""The rule layer for urgent messages: independent of the classifier, either layer suffices."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from bot.errors import ConfigError
from nlu.rules import UrgentRuleDetector, read_rules
from nlu.tokenizer import prepare

RULES = PROJECT_ROOT / "nlu" / "urgent_rules.yml"


@pytest.fixture(scope="module")
def detector() -> UrgentRuleDetector:
    return UrgentRuleDetector({"rules_path": str(RULES), "max_chars": 2000}, read_rules(RULES))


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("那个人又打电话来要我的验证码", "scam"),
        ("警察说我卡涉嫌洗钱 让我把钱转到安全账户", "scam"),
        ("客服叫我打开屏幕共享帮我退款", "scam"),
        ("刷单返利 我已经垫了三千", "scam"),
        ("我刚转了五千过去 现在人联系不上了", "scam"),
        ("活着没意思 不想拖累孩子们", "self_harm"),
        ("我把安眠药都攒起来了", "self_harm"),
        ("想去找老伴了", "self_harm"),
        ("老伴摔倒了起不来", "medical"),
        ("我爸嘴歪了 说话含糊不清", "medical"),
        ("胸口压得疼 喘不上气", "medical"),
        ("儿子喝了酒就打我", "abuse"),
        ("保姆把我锁在屋里不给饭吃", "abuse"),
        ("我的退休金被儿媳拿走了不给我", "abuse"),
        ("我妈有老年痴呆 早上出门到现在没回来", "missing"),
        ("隔壁独居的大爷好几天没见人了 敲门没人应", "missing"),
        ("請問我爸走失了怎麼辦", "missing"),
        # Found by trying the bot as a user (2026-12-02): these were missed before.
        ("救命 有人在撬我家门", "danger"),
        ("有小偷进我家了", "danger"),
        ("家里着火了", "danger"),
        ("屋頭起火了", "danger"),
        ("我刚被人抢了", "danger"),
        ("救命啊", "danger"),
        ("孩子发高烧抽风了", "medical"),
        ("我孙子发烧四十度 浑身抽", "medical"),
        ("help my wife collapsed", "medical"),
        ("那人让我别告诉任何人 也别告诉银行", "scam"),
        ("那个人教我怎么跟柜员说 让我别告诉任何人", "scam"),
        ("I want to kill myself", "self_harm"),
        ("wo xiang si", "self_harm"),
    ],
)
def test_rules_fire_on_urgent_messages(detector, text, category):
    hit = detector.match(prepare(text).norm)
    assert hit is not None and hit[0] == category, text


@pytest.mark.parametrize(
    "text",
    [
        "抖店登录要验证码 收不到怎么办",
        "网上买菜怎么防骗",
        "什么是安全账户",
        "累死了今天卖了一天菜",
        "鸡蛋贵得要死",
        "手机摔了屏幕碎了",
        "我家的猫走丢了",
        "快递找不到了",
        "儿子打电话说周末回来",
        "提现手续费是多少",
        "退款多久到账",
        "群里有人骂人咋办",
        "怎么防小偷",
        "直播间人气烧起来了",
        "顾客都被人抢了 怎么办",
        "救救我的店吧 生意太差",
        "他的视频火了",
        "火灾保险怎么买",
        "我家孩子发烧了38度吃什么药",
        "can you help me with my shop",
    ],
)
def test_rules_stay_quiet_on_look_alikes(detector, text):
    assert detector.match(prepare(text).norm) is None, text


def test_a_cry_for_help_at_the_end_of_a_long_run_on_is_urgent(pipeline):
    text = ("我想在手机上买菜但是不会弄孙子教过我几次我又忘了" * 200) + "我刚把药都吃了不想活了"
    assert len(text) > 4000
    result = pipeline.parse(text)
    assert (result.capability, result.intent) == ("urgent", "urgent_self_harm")


def test_rule_makes_message_urgent_even_if_classifier_disagrees(pipeline):
    from nlu.component import Message

    rules = next(c for c in pipeline.components if isinstance(c, UrgentRuleDetector))
    m = prepare("一个投资群的老师让我交保证金才能提现 我已经交了")
    m.intent, m.confidence = "mk_low_budget", 0.8
    rules.process(m)
    assert m.intent == "urgent_scam" and m.urgent_rule == "scam"
    assert isinstance(m, Message)


def test_bad_rules_file_names_category_and_pattern(tmp_path: Path):
    bad = tmp_path / "rules.yml"
    bad.write_text("scam:\n  intent: urgent_scam\n  patterns:\n    - (unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"category 'scam' patterns pattern '\(unclosed' is invalid"):
        read_rules(bad)
    bad.write_text("scam:\n  patterns: [a]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="category 'scam' needs 'intent'"):
        read_rules(bad)
