"""Where a platform takes orders, as structured content (issue 14): ``regions`` on a platform entry.

A platform entry may declare, from the fact sheet and with the date of its sources::

    regions: {served: [江苏, 浙江, 上海], left: [], national: false, as_of: 2026-01, source: "facts.md §3.1 …"}

``coverage`` says what the content knows about one place: ``served``, ``left``, ``national``
(the platform works in most of the country), or None (the content does not say: the person is
told to check in the app). A city counts for its province (长沙 is in 湖南) through
``PROVINCE_OF``, which covers the places the NLU's region lookup knows.
"""

from __future__ import annotations

from typing import Any

PROVINCE_OF = {
    "石家庄": "河北", "保定": "河北", "太原": "山西", "沈阳": "辽宁", "大连": "辽宁", "长春": "吉林",
    "哈尔滨": "黑龙江", "南京": "江苏", "苏州": "江苏", "无锡": "江苏", "盐城": "江苏", "杭州": "浙江",
    "宁波": "浙江", "温州": "浙江", "合肥": "安徽", "福州": "福建", "厦门": "福建", "泉州": "福建",
    "南昌": "江西", "济南": "山东", "青岛": "山东", "郑州": "河南", "洛阳": "河南", "武汉": "湖北",
    "长沙": "湖南", "广州": "广东", "深圳": "广东", "东莞": "广东", "佛山": "广东", "海口": "海南",
    "成都": "四川", "绵阳": "四川", "贵阳": "贵州", "昆明": "云南", "西安": "陕西", "兰州": "甘肃",
    "西宁": "青海", "银川": "宁夏", "乌鲁木齐": "新疆", "南宁": "广西", "桂林": "广西", "拉萨": "西藏",
    "呼和浩特": "内蒙古", "朝阳区": "北京", "海淀区": "北京", "浦东": "上海", "徐汇区": "上海",
    "天河区": "广州", "武侯区": "成都",
}
SUFFIXES = "省市区县"


def place_names(place: str) -> list[str]:
    """The place and what contains it: 天河区 -> [天河区, 广州, 广东]; 湖南省 -> [湖南]."""
    name = place.strip()
    if name not in PROVINCE_OF:
        name = name.rstrip(SUFFIXES) or name
    names = [name]
    while names[-1] in PROVINCE_OF and PROVINCE_OF[names[-1]] not in names:
        names.append(PROVINCE_OF[names[-1]])
    return names


def coverage(entry: dict[str, Any], place: str) -> str | None:
    """served / left / national for ``place``, from the entry's ``regions``; None when the content does not say."""
    regions = entry.get("regions") or {}
    if not regions or not place.strip():
        return None
    names = place_names(place)
    if any(n in (regions.get("left") or []) for n in names):
        return "left"
    if any(n in (regions.get("served") or []) for n in names):
        return "served"
    if regions.get("national"):
        return "national"
    return None
