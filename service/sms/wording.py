"""The SMS side's one catalogue of Chinese words: the values the planner puts into
message contexts, and the replies to inbound SMS (short, stable, no links).

Reminder texts themselves live in ``templates/sms/``; these are the values that fill them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
EVERYONE = "全体干部职工"
LIST_SEPARATOR = "、"


def when(local_start: datetime, *, is_all_day: bool) -> str:
    """'12月7日（周一）16:00' for a timed occurrence, '12月4日' for an all-day one.

    ``local_start`` must already be in the schedule's own timezone: staff read the time
    of the place the event happens in.
    """
    day = f"{local_start.month}月{local_start.day}日"
    if is_all_day:
        return day
    return f"{day}（{WEEKDAYS[local_start.weekday()]}）{local_start:%H:%M}"


def join_names(names: Iterable[str]) -> str:
    return LIST_SEPARATOR.join(names)


_SIGN = "【蟒河镇普法】"
REPLIES: dict[str, str] = {
    "opted_out": "您已退订普法工作短信提醒。如需恢复，请回复 START。",
    "already_opted_out": "您此前已退订普法工作短信提醒。如需恢复，请回复 START。",
    "opted_in": "您已恢复接收普法工作短信提醒。回复 STOP 或 退订 可随时退订。",
    "help": (
        "回复“确认 编号”（或 QR 编号）确认已完成学法事项，编号见个人页面；"
        "回复 STOP 或 退订 停止接收提醒；回复 START 恢复接收。"
    ),
    "confirmed": "已确认您完成学法事项“{title}”，谢谢！",
    "already_confirmed": "您此前已确认完成“{title}”，无需重复确认。",
    "missing_item_id": "请在“确认”后附上学法事项编号，例如：确认 12。",
    "unknown_item": "未找到编号为 {item_id} 的学法事项，请核对编号。回复 HELP 查看说明。",
    "not_concerned": "学法事项“{title}”不在您的学习范围内，无需确认。",
    "plan_closed": "{year}年学法计划已结束，不再接受确认。",
    "unknown_number": "本号码未登记在蟒河镇普法工作名册中。如有疑问，请联系镇法治办。",
    "unknown_command": "未能识别您的回复。回复 HELP 查看说明。",
}


def reply_text(key: str, **values: object) -> str:
    return _SIGN + REPLIES[key].format(**values)
