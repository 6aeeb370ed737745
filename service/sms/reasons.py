"""The SMS records' reasons and provider errors, in Chinese.

The outbox writes its reasons in English for the API and the logs; the console shows
a clerk what happened and, for a provider error, what to do about it. A reason this
module does not know is shown as written rather than hidden.
"""

from __future__ import annotations

import re

from ..occurrences.reasons import occurrence_reason_text

_EXACT = {
    "staff turned SMS off on their page": "本人在个人页面关闭了短信提醒",
    "recipient opted out (carrier error 21610)": "本人已回复退订（运营商拒收）",
    "confirmed: study item completed": "本人已确认完成学习",
    "schedule was deleted": "日程已删除",
    "reminder rule was disabled or deleted": "提醒规则已停用或删除",
    "occurrence no longer exists (series or exceptions changed)": (
        "这一次活动已不存在（日程的重复规则改了）"
    ),
    "recipient was deleted": "收件人已删除",
    "recipient is no longer active": "收件人已停用",
    "recipient opted out of SMS": "收件人已退订短信",
    "recipient turned SMS off": "收件人关闭了短信提醒",
    "recipient has no mobile number": "收件人没有手机号码",
    "recipient is no longer the speaker": "收件人已不是主讲人",
    "recipient confirmed the study item": "收件人已确认完成学习",
    "nobody in the recipient's departments is overdue any more": "站所里已没有逾期的人",
    "recipient is no longer in the audience": "收件人已不在参加范围内",
}
_STATUS = {
    "failed": "发送失败",
    "unknown": "状态不明",
    "undelivered": "未送达",
    "expired": "已过期",
    "cancelled": "已取消",
    "holiday_skipped": "因节假日取消",
    "moved": "已改期",
    "holiday_moved": "因节假日调整",
}
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"retried by an admin after (\w+)"), "管理员在{0}后重发"),
    (
        re.compile(r"quiet hours until (.+); no longer useful by then"),
        "免打扰时段到 {0} 结束，届时已失去时效",
    ),
    (re.compile(r"rota \w+: no longer the speaker"), "轮值调整后已不是主讲人"),
    (re.compile(r"provider reported (\w+)"), "短信平台回报：{0}"),
    (
        re.compile(r"found at the provider after the send went unrecorded \((.+)\)"),
        "发送记录丢失，已在短信平台查到（{0}）",
    ),
    (re.compile(r"claimed but never reached the provider.*"), "上次未送到短信平台，现在重新发送"),
    (
        re.compile(r"(.+); the provider may have it, waiting for its callback"),
        "{0}；短信平台可能已收到，等待回执",
    ),
    (re.compile(r"(.+): no longer useful by the next try"), "{0}；到下次重试时已失去时效"),
]
# Twilio's error codes a township office meets, and what the clerk can do.
PROVIDER_ERRORS = {
    "21211": "号码格式不对，请在人员信息里核对手机号码。",
    "21408": "短信平台未开通发往这个地区的短信，请联系技术人员。",
    "21610": "对方已回复退订，不再给他发短信。",
    "21612": "短信平台无法发往这个号码，请联系技术人员。",
    "21614": "这个号码不是手机号码，请核对。",
    "30003": "对方手机关机或不在服务区。",
    "30004": "对方拒收短信（可能设置了拦截）。",
    "30005": "号码不存在或已停机，请核对手机号码。",
    "30006": "号码是固定电话或运营商无法送达。",
    "30007": "运营商拦截了这条短信（内容被判为营销或垃圾短信）。",
    "30008": "发送失败，原因不明，可稍后重发。",
}


def delivery_reason(reason: str | None) -> str:
    if not reason:
        return ""
    if reason in _EXACT:
        return _EXACT[reason]
    match = re.fullmatch(r"occurrence (\w+)(?:: (.*))?", reason)
    if match:
        status, why = match.groups()
        text = "这一次活动" + _STATUS.get(status, status)
        return f"{text}：{occurrence_reason_text(why)}" if why else text
    match = re.fullmatch(r"refused: (.*)", reason)
    if match:
        return "短信平台拒绝发送"
    for pattern, template in _PATTERNS:
        match = pattern.fullmatch(reason)
        if match:
            parts = [
                delivery_reason(g) if g in _EXACT else _STATUS.get(g, g) for g in match.groups()
            ]
            return template.format(*parts)
    return reason


def provider_error(code: str | None) -> str:
    if not code:
        return ""
    known = PROVIDER_ERRORS.get(code)
    if known is None:
        return f"短信平台错误（代码 {code}），可稍后重发；反复出现请联系技术人员。"
    return f"{known}（代码 {code}）"
