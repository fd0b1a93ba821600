"""Regions as structured content (issue 14 item 4): served, left or national, per platform, never text matching."""

from __future__ import annotations

from bot.models import IncomingMessage
from dialogues import texts as T
from knowledge.regions import coverage, place_names

DINGDONG = {"name": "叮咚买菜", "regions": {"served": ["江苏", "浙江", "上海"], "as_of": "2026-01", "source": "x"}}
XINGSHENG = {"name": "兴盛优选", "regions": {"served": ["湖南"], "left": ["山西", "江苏"], "as_of": "2023", "source": "x"}}


def test_a_city_counts_for_its_province():
    assert place_names("天河区") == ["天河区", "广州", "广东"]
    assert place_names("湖南省") == ["湖南"]
    assert coverage(DINGDONG, "苏州") == "served" and coverage(DINGDONG, "上海市") == "served"
    assert coverage(XINGSHENG, "长沙") == "served" and coverage(XINGSHENG, "太原") == "left"


def test_what_the_content_does_not_say_is_unknown():
    assert coverage(DINGDONG, "长沙") is None
    assert coverage({"name": "盒马"}, "杭州") is None  # no regions declared
    assert coverage({"regions": {"national": True, "as_of": "2025", "source": "x"}}, "拉萨") == "national"


def test_which_app_in_a_province_puts_the_ones_serving_it_first_and_drops_the_ones_that_left(make_engine):
    engine = make_engine()
    out = engine.handle(IncomingMessage(user_id="u", text="我在湖南 用啥买菜好", channel="terminal"))
    first = out.replies[0].text
    assert first.startswith(T.REGION_APPS.format(region="湖南", names="兴盛优选"))
    assert out.replies[0].buttons[0] == "兴盛优选"


def test_a_platform_answer_says_what_is_known_about_the_persons_place(make_engine):
    engine = make_engine()

    def say(text):
        return engine.handle(IncomingMessage(user_id="u", text=text, channel="terminal")).replies[0].text

    say("我在长沙")
    assert T.REGION_UNKNOWN.format(region="长沙", name="叮咚买菜", as_of="2026-01") in say("叮咚买菜还能用吗")
