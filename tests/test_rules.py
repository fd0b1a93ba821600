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
        # 救命 then a how-to: a real danger in the same message still fires (issue 13, r2-calm)
        ("救命 厨房着火了 怎么关煤气", "danger"),
        ("救命 有人撬门 怎么办", "danger"),
        ("救命啊 快来人 我怎么出去", "danger"),
        ("孩子发高烧抽风了", "medical"),
        ("我孙子发烧四十度 浑身抽", "medical"),
        ("help my wife collapsed", "medical"),
        ("那人让我别告诉任何人 也别告诉银行", "scam"),
        ("那个人教我怎么跟柜员说 让我别告诉任何人", "scam"),
        ("I want to kill myself", "self_harm"),
        ("wo xiang si", "self_harm"),
        # issue 14: gas, a door being smashed, Cantonese read as Mandarin
        ("家里煤气味好重 我头有点晕", "danger"),
        ("外面有人在砸我店的卷帘门", "danger"),
        ("唔想活了", "self_harm"),
        # issue 13 (calm look-alikes): the narrowed patterns still fire on the real thing
        ("我想了结自己", "self_harm"),
        ("我被困在家里了 门打不开 好大的烟", "danger"),
        ("我爸出去五个小时了还没回 万一走丢了怎么办", "missing"),
        ("儿子把我锁在家里不让出去", "abuse"),
        ("打了五千块过去 人就联系不上了", "scam"),
        ("中了大奖 要先交手续费", "scam"),
        ("网贷客服说要注销账户 不然影响征信", "scam"),
        ("我爸没意识了 叫不醒", "medical"),
        # the cry for help at the end of a run-on is not cancelled by 申请 in its first clause
        ("小程序上买的东西坏了 想问问怎么申请赔 嗯那个我家老头子昨天出门到现在还没回家", "missing"),
        ("老妈下午出门遛狗 狗自己回来了 人没回来", "missing"),
        ("俺爹喘气呼哧呼哧的 嘴唇都紫了", "medical"),
        ("老伴早上起来一边手拿不住筷子 说话也含含糊糊的", "medical"),
        ("阿拉姆妈跌了一跤 脚动勿了", "medical"),
        ("被狗咬了 血一直流", "medical"),
        ("被我姐夫打了 我爸不敢说", "abuse"),
        ("隔壁阿婆哭着喊别打了", "abuse"),
        ("有人加我说是我远房侄子 要借钱 我刚转了一万过去 感觉不对", "scam"),
        ("那人让我下载个会议软件 说帮我关闭借款额度", "scam"),
        ("这世上没什么值得我留恋的了", "self_harm"),
        ("媳妇跟人跑了 债也还不上 想找个地方了结了", "self_harm"),
        ("社区一位认知症老人今早离开照料中心后下落不明", "missing"),
        ("我姥爷出去买报纸 三个钟头了还没回", "missing"),
        ("家里进水了 水都到膝盖了 老人下不来床", "danger"),
        ("半夜有人在拧我家门把手", "danger"),
        ("身份证和存折都被儿媳收走了 我想看病都挂不了号", "abuse"),
        ("他们不让我去医院 说浪费钱", "abuse"),
        ("老伴说去接孙子 孙子回来了他人却没回来", "missing"),
        ("他说要是不转钱就抓我 冒充警察的", "scam"),
    ],
)
def test_rules_fire_on_urgent_messages(detector, text, category):
    hit = detector.match_message(prepare(text))
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
        # issue 14: pets, translations, hyperbole, questions about how scams work
        "狗子早上跑出去了 到现在还没回来",
        "猫又溜出去了 喊它也不回来",
        "吓我一跳 楼下放鞭炮",
        "眼镜腿断了 去哪修",
        "今年亏得要吐血 还做不做",
        "翻译一下 我不想活了 这句英语怎么说",
        "验证码能告诉别人吗",
        "提前问问 接到自称银行的电话该怎么判断真假",
        "付钱的时候要我输六位数密码 是哪个密码",
        "燃气费在哪交",
        "不想再学这个了 结束教程",
        "第一单之后客人就不见了 怎么留",
        "热得我快晕过去了",
        "股票又跌了一跤",
        "金毛走丢了 有人见过一只黄色的大狗吗",
        "老伴跟我说要一起去超市",
        "每次登录那个验证码都发给我儿子 我想换成自己的手机号",
        # issue 13: accidental matches across word boundaries (了|结算, 打不|着火, 没意识|到 ...)
        "鱼放进购物车了 也点了结算",
        "货卖到了断货 还要补吗",
        "搞个自杀式降价 能行吗",
        "我不想活动了 腿疼",
        "客厅想挂上吊灯 网上买哪种",
        "我没意识到那是骗子 幸亏没转",
        "油一下子倒多了 菜咸了",
        "我腿脚不好 家里网断了 找谁修",
        "写给他的生日祝福怎么写好听",
        "手机被收了两次费",
        "我手机锁在家里了",
        "他到现在还没回我消息",
        "煤气灶打不着火了",
        "一天到晚困在家里 闷得慌",
        "刚才被人抢了单 气人",
        "中秋节给员工发奖金要交税吗",
        "想做个顾客满意度调查 用啥打分",
        "创业贷款要查征信吗",
        "我是退伍军人 想开个小店 买点设备",
        "打了三次电话 儿子都不回 急死了",
        "这价格贵得我要晕倒了",
        "一了百了这个成语啥意思",
        # 救命 over a cart or an order rush; a parcel that "went missing"; asking ahead
        "救命啊 购物车里多了一堆东西 咋删",
        "团购接龙爆单了救命 忙不过来",
        # 救命 as a sigh before an ordinary how-to (issue 13, r2-calm)
        "救命 外孙把我手机字体弄得巨大 怎么改回来",
        "救命呀 字小得看不清 如何调大一点",
        "救命 这个铃声吵死了 咋关掉",
        "我的快递走丢了 物流三天没动",
        "问一下 万一家里老人走丢了 打什么电话",
        "万一哪天家里着火了 是打119吧",
        # a hypothetical person, asked ahead; 办完了 结单 (a worker closing a ticket)
        "要是有人假装银行的给我打电话 咋办",
        "办完了 结单",
    ],
)
def test_rules_stay_quiet_on_look_alikes(detector, text):
    assert detector.match_message(prepare(text)) is None, text


def test_unless_near_cancels_only_within_the_clauses_of_the_hit(tmp_path: Path):
    path = tmp_path / "rules.yml"
    path.write_text("missing:\n  intent: urgent_missing\n  patterns: [没回家]\n  unless_near: [快递]\n",
                    encoding="utf-8")
    d = UrgentRuleDetector({"rules_path": str(path), "max_chars": 2000}, read_rules(path))
    assert d.match("快递没回家") is None
    assert d.match("快递到了吗 我爸没回家") == ("missing", "urgent_missing")
    assert d.match("快递到了吗，我爸没回家") == ("missing", "urgent_missing")


def test_a_cancelled_rule_also_overrules_a_hesitant_classifier(detector):
    """救救我 matches the danger rule, 点错 cancels it: a classifier guess of danger is dropped too."""
    m = prepare("救救我 又点错了")
    m.intent, m.confidence = "urgent_danger", 0.5
    m.ranking = [("urgent_danger", 0.5), ("deny", 0.3), ("out_of_scope", 0.2)]
    detector.process(m)
    assert m.intent == "nlu_fallback" and m.fallback
    sure = prepare("救救我 又点错了")
    sure.intent, sure.confidence, sure.ranking = "urgent_danger", 0.95, [("urgent_danger", 0.95)]
    detector.process(sure)
    assert sure.intent == "urgent_danger"


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
