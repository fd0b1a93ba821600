"""Starting a tutorial by the app, step questions asked ahead, and merchant marketing follow-ups.

- 我要学<app> starts that app's tutorial; 下一步 after what we know of an app (and its
  教我用… button) starts it; while the bot waits for the app, 下一步 / 随便 start the general
  one; where an app can be used is answered from its platform entry, with the tutorial offered.
- A later step's own questions are answered in place (微信还是支付宝, 配送费).
- A marketing entry's declared questions answer a first message that asks one of them, and
  follow-ups (一天发几条, 先充钱要注意啥); the new entries (WeChat group, group-buy orders,
  slow stock, a video idea) are reached by their own intents.
"""

from __future__ import annotations

from bot.models import IncomingMessage
from dialogues.policy import named_button
from dialogues.understand import synthetic


def _chat(engine, *texts: str, chat: str = "m7"):
    out = []
    for text in texts:
        got = engine.handle(IncomingMessage(channel="cli", chat_id=chat, user_id=chat, text=text))
        out.append(got)
    return out


def _text(reply) -> str:
    return "\n".join(r.text for r in reply.replies)


# ---- starting a tutorial -------------------------------------------------------------------

def test_saying_one_wants_to_learn_an_app_starts_its_tutorial(make_engine):
    first, = _chat(make_engine(), "我想学叮咚买菜")
    assert first.capability == "teach" and "第1步" in _text(first) and "叮咚" in _text(first)


def test_next_after_an_app_answer_starts_the_tutorial_its_button_offers():
    buttons = {"教我用盒马": {"flow": "grocery_hema"}, "菜单": {"nav": "nav_menu"}}
    assert named_button(buttons, list(buttons), synthetic("nav_next", "下一步"), "下一步") == {"flow": "grocery_hema"}
    two = {"A": {"flow": "a"}, "B": {"flow": "b"}}
    assert named_button(two, list(two), synthetic("nav_next", "下一步"), "下一步") is None  # which one? not a guess


def test_where_an_app_works_is_answered_from_content_and_next_starts_it(make_engine):
    where, nxt = _chat(make_engine(), "朴朴超市哪里能用", "下一步")
    assert where.capability == "teach" and "福建" in _text(where)
    assert any("朴朴" in label for label in where.replies[-1].buttons)
    assert nxt.capability == "teach" and "第1步" in _text(nxt) and "朴朴" in _text(nxt)


def test_next_or_any_while_asked_which_app_starts_the_general_tutorial(make_engine):
    engine = make_engine()
    for answer in ("下一步", "随便"):
        asked, then = _chat(engine, "教我用手机买菜", answer, chat=answer)
        assert "哪个软件" in _text(asked)
        assert then.capability == "teach" and "第1步" in _text(then) and "通用" in _text(then), answer


# ---- step questions asked ahead ------------------------------------------------------------

def test_a_later_steps_questions_are_answered_from_the_cart_step(make_engine):
    turns = _chat(make_engine(), "教我用叮咚买菜", "下一步", "下一步", "下一步", "下一步",
                  "付款的时候选微信好还是支付宝好 我两个都装了", "送货费要另外给吗")
    assert turns[5].capability == "teach" and "微信" in _text(turns[5]) and "支付宝" in _text(turns[5])
    assert turns[6].capability == "teach" and "配送费" in _text(turns[6]) and "以APP上显示的为准" in _text(turns[6])


# ---- marketing ------------------------------------------------------------------------------

def test_wechat_group_selling_and_how_often_to_post(make_engine):
    first, often = _chat(make_engine(), "我是种桃子的 想靠微信群多卖点", "群里一天发多少条好")
    assert first.capability == "marketing" and "群" in _text(first)
    assert often.capability == "marketing" and "一两条" in _text(often)


def test_group_buy_orders_and_a_complaint_in_the_group(make_engine):
    orders, complaint = _chat(make_engine(), "接龙的单子一下来了五十多单 累死了 下次咋安排",
                              "货送晚了 有人在群里说难听的 我咋回")
    assert orders.capability == "marketing" and "截单" in _text(orders)
    assert complaint.capability == "marketing" and "对不起" in _text(complaint)


def test_slow_stock_gets_marketing_tips_not_a_mood(make_engine):
    reply, = _chat(make_engine(), "桃子进多了 天又热 眼看要放坏了 咋卖出去")
    assert reply.capability == "marketing" and "小份" in _text(reply)


def test_a_video_idea_is_advice_not_the_tutorial(make_engine):
    reply, = _chat(make_engine(), "我想拍个掰开橙子汁水往下滴的视频 行不行")
    assert reply.capability == "marketing" and "点子" in _text(reply)
    assert any("短视频" in label for label in reply.replies[-1].buttons)  # the tutorial is offered, not started


def test_a_quarrel_with_a_competitor_and_prepaid_cards(make_engine):
    quarrel, = _chat(make_engine(), "旁边摊主嫌我卖得便宜 跑来跟我吵 咋办")
    assert quarrel.capability == "marketing" and "调解" in _text(quarrel) and "110" not in _text(quarrel)
    card, prepaid = _chat(make_engine(), "想给熟客办个会员卡 行不", "那要是让顾客先充值呢", chat="card")
    assert card.capability == "marketing" and "集点卡" in _text(card)
    assert prepaid.capability == "marketing" and "30日" in _text(prepaid) and "预付" in _text(prepaid)


def test_a_quiet_shop_is_a_business_question(make_engine):
    reply, = _chat(make_engine(), "店里生意冷清 想在抖音上卖点货")
    assert reply.capability == "marketing"


def test_a_city_while_asked_which_app_lists_the_apps_there(make_engine):
    asked, city = _chat(make_engine(), "想学手机上买菜 哪个好用", "我在杭州", chat="city")
    assert "哪个软件" in _text(asked)
    assert city.capability == "teach" and "叮咚买菜" in _text(city)


def test_a_what_if_question_is_answered_before_asking_which_app(make_engine):
    reply, = _chat(make_engine(), "我想学用手机买菜 可是付了钱菜一直没到咋办", chat="whatif")
    assert "售后" in _text(reply) and "哪个软件" in _text(reply)


def test_leaving_the_choice_to_the_bot_starts_the_general_tutorial(make_engine):
    _, then = _chat(make_engine(), "教我用手机买菜", "你看着办", chat="yours")
    assert then.capability == "teach" and "第1步" in _text(then)


def test_whether_an_app_works_here_is_answered_before_any_tutorial(make_engine):
    where, = _chat(make_engine(), "兴盛优选我们这能用不 我在长沙", chat="here")
    assert where.capability == "teach" and "湖南" in _text(where) and "第1步" not in _text(where)
    assert any("兴盛优选" in label for label in where.replies[-1].buttons)


def test_a_short_follow_up_in_the_topics_own_words_stays_in_the_topic(make_engine):
    _, cheaper = _chat(make_engine(), "进的货太多 堆着卖不掉", "要不要降价", chat="cheaper")
    assert cheaper.capability == "marketing" and "卖不动" in _text(cheaper) and "最低价" in _text(cheaper)
    _, short = _chat(make_engine(), "接龙单子太多 咋安排", "要是缺货了呢", chat="short")
    assert short.capability == "marketing" and "不够" in _text(short)
