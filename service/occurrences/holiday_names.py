"""The one catalogue of holiday names users see (zh-CN).

``chinesecalendar`` names its holidays in English; staff read Chinese.
"""

from __future__ import annotations

OFFICIAL_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}
MAKEUP_SUFFIX = "（调休上班）"
MAKEUP_WORKDAY = "调休上班"


def chinese_name(english: str) -> str:
    """A name from ``chinesecalendar`` in Chinese; an unknown one is shown as it is."""
    return OFFICIAL_NAMES.get(english, english)


def makeup_name(holiday: str) -> str:
    """The name of a weekend worked to make up for ``holiday`` (e.g. 国庆节（调休上班）)."""
    return f"{holiday}{MAKEUP_SUFFIX}" if holiday else MAKEUP_WORKDAY
