"""The console's Chinese texts that code (not a template) has to choose: flash
messages and validation errors. Templates hold everything else."""

from __future__ import annotations

from typing import Any

from ..domain.common import EARLIEST_YEAR, LATEST_YEAR

SIGNED_IN = "已登录。"
TOO_SLOW = "请求耗时过长，已停止处理，数据没有被改动。请缩小日期范围后重试，或稍后再试。"
SIGNED_OUT = "已退出登录。"
SIGN_IN_FAILED = "用户名或密码不正确。"
TOO_MANY_ATTEMPTS = "尝试次数过多，请 {seconds} 秒后再试。"
SIGN_IN_REQUIRED = "请先登录。"
SESSION_EXPIRED = "登录已过期，请重新登录。"
SAVED = "已保存。"
DELETED = "已删除。"
SMS_ON = "短信提醒已开启。"
SMS_OFF = "短信提醒已关闭，尚未发送的提醒已撤回。"
STUDY_CONFIRMED = "已确认完成学习。"
PAGE_LINK_ISSUED = "已生成个人页面链接。请把下面的链接发给本人（只显示这一次）。"
PAGE_LINK_REPLACED = "已更换个人页面链接，旧链接已失效。请把下面的链接发给本人（只显示这一次）。"
PAGE_LINK_SMS_QUEUED = "已把{name}的个人页面链接放入短信发送队列，将发到 {to}。"
CANNOT_RECEIVE_SMS = "此人没有手机号码，或已关闭、退订短信。"
PAGE_LINK_SMS_REFUSED = "无法发送短信：{reason}"
PAGE_LINK_STALE = "这个链接已被更换，不能再发送。请重新生成。"
PAGE_QR_LABEL = "个人页面链接二维码"
FEED_LINK_ISSUED = "已生成订阅链接。"
FEED_LINK_REPLACED = "已生成新的订阅链接，旧的订阅链接已失效。"
STUDY_UNDONE = "已撤销“{title}”的学习确认。"
STUDY_UNDO_TOO_LATE = "只能在确认当天撤销。“{title}”是在 {day} 确认的，如需更正请联系法治办。"
STUDY_NOT_CONFIRMED = "这一项还没有确认，无需撤销。"
FORM_HAS_ERRORS = "表单有误，请按提示修改后再提交。"
SWAPPED = "已交换两周的主讲人和题目。"
RETRIED = "已重新排队发送。"
OCCURRENCE_SAVED = "已保存 {when} 这一次的调整。"
OCCURRENCE_RESTORED = "{when} 这一次已恢复为按日程举行。"
RULE_ADDED = "已添加提醒“{name}”。"
CHOOSE_NOTICES = "请选择改期、取消或换主讲人时是否发送变更通知。"
RULE_SAVED = "已保存提醒“{name}”。"
RULE_ENABLED = "已开启提醒“{name}”。"
RULE_DISABLED = "已停用提醒“{name}”，尚未发送的短信已撤回。"
DAYS_BEFORE_RANGE = "请填写 0 到 365 之间的天数。"
HOLIDAYS_SAVED = "已保存 {count} 天。"
HOLIDAY_RANGE_TOO_LONG = "一次最多补录 {days} 天。"
MAKEUP_INSIDE_RANGE = "调休上班日 {day} 在放假日期之内。"
HOLIDAY_DAY_TAKEN = "{day} 已经补录过，请先删除那一条再保存。"
DELETED_THING = "已删除{what}。"
WEEKS_SAVED = "已保存 {count} 周：{days}。"
NOTHING_CHANGED = "没有改动。"
WEEK_GONE = "这一周已不在轮值表里，请重新打开页面。"
POOL_REQUIRED = "请至少选择一位主讲人。"
ROTA_FILLED = "已为 {count} 周排好主讲人。"
CANCEL_REASON_REQUIRED = "取消时请写明原因，台账和通知里会用到。"
END_BEFORE_START = "结束日期不能早于开始日期。"
PREVIEW_TOO_LONG = "一次最多预览 {days} 天。"
IMPORT_FILE_TYPE = "只能上传 .xlsx 或 .csv 文件（Excel 中“另存为”即可）。"
IMPORT_FILE_MISSING = "请选择要导入的文件。"
IMPORT_FILE_TOO_LARGE = "文件太大：一次最多上传 {limit} KB，请分成几个文件导入。"
IMPORT_FILE_UNREADABLE = "无法读取这个文件，请确认它是 Excel 工作簿（.xlsx）或 CSV 文件。"
IMPORT_NO_HEADER = "第 1 行须是表头，至少包含“姓名”和“手机”两列（还可有“站所”“角色”）。"
IMPORT_EMPTY = "文件里没有人员数据。"
IMPORT_TOO_MANY_ROWS = "一次最多导入 {limit} 人，请分成几个文件。"
IMPORT_NAME_MISSING = "缺少姓名。"
IMPORT_NAME_TOO_LONG = "姓名不能超过 {limit} 个字符。"
IMPORT_MOBILE_INVALID = "手机号码“{mobile}”无效。"
IMPORT_MOBILE_TAKEN = "手机号码 {mobile} 已属于现有人员“{name}”。"
IMPORT_MOBILE_REPEATED = "手机号码与第 {row} 行重复。"
IMPORT_NAME_TAKEN = "已有同名人员“{name}”且本行没有手机号，可能重复。"
IMPORT_ROW_REPEATED = "与第 {row} 行重复（同名且都没有手机号）。"
IMPORT_DEPARTMENT_UNKNOWN = "站所“{name}”不存在，请先在“人员与站所”中新增。"
IMPORT_ROLE_UNKNOWN = "角色“{role}”无效，可填：{choices}。"
IMPORT_CHECKED = "检查通过：{count} 人可以导入。确认无误后点“导入”。"
IMPORT_HAS_PROBLEMS = "{count} 行有问题，没有写入任何数据。请改好文件后重新检查。"
IMPORT_DONE = "已导入 {count} 人。"
BAD_CURSOR = "翻页位置无效（链接可能不完整或被改动），下面是第一页。"
RETRY_REFUSED = "这条短信不能重发：可能已过时效、收件人已关闭短信，或状态刚刚变化。"

REQUIRED = "请填写此项。"
INVALID_CHOICE = "请选择一个有效选项。"
INVALID_INTEGER = "请输入整数。"
INVALID_DATE = "请输入有效日期，例如 2026-03-08。"
YEAR_OUT_OF_RANGE = f"年份须在 {EARLIEST_YEAR} 到 {LATEST_YEAR} 之间。"
CONTROL_CHARACTERS = "不能包含控制字符（例如从 Word 粘贴来的换行符）。"
INVALID_TIME = "请输入有效时间，例如 09:00。"
INVALID_DATETIME = "请输入有效的日期和时间。"
INVALID_MOBILE = "请输入有效的手机号码，例如 138 0013 8000。"
INVALID_RRULE = "重复规则无效。"
USERNAME_TAKEN = "该用户名已存在。"


def pydantic_message(error: Any) -> str:
    """A Chinese sentence for one pydantic error (``ErrorDetails``)."""
    kind: str = error.get("type", "")
    ctx: dict[str, Any] = error.get("ctx") or {}
    if kind == "missing":
        return REQUIRED
    if kind == "string_too_short":
        return REQUIRED if ctx.get("min_length") == 1 else f"至少 {ctx.get('min_length')} 个字符。"
    if kind == "string_too_long":
        return f"不能超过 {ctx.get('max_length')} 个字符。"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return INVALID_INTEGER
    if kind in ("greater_than_equal", "greater_than"):
        return f"不能小于 {ctx.get('ge', ctx.get('gt'))}。"
    if kind in ("less_than_equal", "less_than"):
        return f"不能大于 {ctx.get('le', ctx.get('lt'))}。"
    if kind in ("literal_error", "enum"):
        return INVALID_CHOICE
    if kind.startswith("date_") or kind == "date_type":
        return INVALID_DATE
    if kind.startswith("time_"):
        return INVALID_TIME
    if kind.startswith("datetime_"):
        return INVALID_DATETIME
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    if message.startswith("year must be between"):  # admin.common.plausible_day
        return YEAR_OUT_OF_RANGE
    if message.startswith("expected a date (2026-03-08) or a date and time"):  # When
        return INVALID_DATETIME
    if message.startswith("expected a date"):  # admin.common.Day
        return INVALID_DATE
    if message.startswith("must not contain"):  # admin.common NoNul: NUL, control characters
        return CONTROL_CHARACTERS
    return message


# The console menu: (endpoint, label). A section appears once its pages exist.
MENU = [
    ("web_schedules.index", "日程"),
    ("web_calendar.month", "月视图"),
    ("web_rota.index", "主讲人轮值"),
    ("web_study.index", "学法计划"),
    ("web_people.index", "人员与站所"),
    ("web_holidays.index", "节假日调整"),
    ("web_sms.preview", "短信预览"),
    ("web_sms.deliveries", "短信记录"),
    ("web_records.index", "活动记录"),
    ("web_ledger.index", "台账导出"),
    ("web_reports.annual", "年度报告"),
    ("web_search.index", "搜索"),
]
QR_LABEL = "日历订阅二维码"
NO_SUCH_DAY = "这个月没有这一天。"


def until_before_first(first_day: str) -> str:
    return f"结束日期早于第一次活动（{first_day}），请选这一天或之后的日期。"


STALE = "这条记录刚被别人修改过。请重新打开页面，在最新内容上再改。"

# The service layer's reasons (English, for API clients) as the console shows them.
_SERVICE_REASONS = {
    "already in use": "已被其他人使用。",
    "duplicate": "已存在同名记录。",
    "same week": "不能与同一周交换。",
    "before from": "结束日期不能早于开始日期。",
    "more than 366 days after from": "一次最多导出一年（366 天），请缩短日期范围。",
    "最多只能移动一年 more than a year from the original": "最多只能移动一年。",
}


def service_reason(reason: str) -> str:
    return _SERVICE_REASONS.get(reason, reason)


# Messages about passwords, not passwords (ruff's S105 reads the names).
PASSWORD_CHANGED = "密码已修改。此账号在其他设备上的登录均已退出。"  # noqa: S105
PASSWORD_WRONG = "当前密码不正确。"  # noqa: S105
PASSWORD_TOO_SHORT = "新密码至少 {length} 个字符。"  # noqa: S105
PASSWORDS_DIFFER = "两次输入的新密码不一致。"
