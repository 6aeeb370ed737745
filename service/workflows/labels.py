"""The one catalogue of Chinese labels the workflows show users (ledger headers, sheet
names, statuses). Codes stay English in data and API; people read these."""

from __future__ import annotations

from ..models import DeliveryStatus

KIND = {"lecture": "每周一讲", "campaign": "宣传活动", "deadline": "学法截止", "meeting": "会议"}

OCCURRENCE_STATUS = {
    "scheduled": "按计划",
    "moved": "已改期",
    "cancelled": "已取消",
    "holiday_skipped": "节假日停办",
    "holiday_moved": "节假日顺延",
}

# Whether a happening occurrence has taken place, as of the export.
HELD = "已举行"
UPCOMING = "待举行"
IN_PROGRESS = "进行中"
NOT_HELD = "未举行"

DELIVERY_STATUS: dict[str, str] = {
    DeliveryStatus.PENDING: "待发送",
    DeliveryStatus.SENDING: "发送中",
    DeliveryStatus.SENT: "已发送",
    DeliveryStatus.DELIVERED: "已送达",
    DeliveryStatus.UNDELIVERED: "未送达",
    DeliveryStatus.FAILED: "发送失败",
    DeliveryStatus.UNKNOWN: "状态未知",
    DeliveryStatus.EXPIRED: "过时未发",
    DeliveryStatus.RETRACTED: "已撤回",
}

# SMS templates by what they say (the code stays in data and the API).
SMS_TEMPLATE = {
    "lecture_audience": "讲座通知（发给参加人员）",
    "lecture_speaker": "主讲提醒（发给主讲人）",
    "meeting_audience": "会议通知（发给参加人员）",
    "campaign_prepare": "宣传活动准备提醒",
    "campaign_day_before": "宣传活动前一天提醒",
    "study_deadline": "学法截止提醒",
    "study_overdue": "学法逾期提醒（发给站所负责人）",
    "change_notice": "变更通知",
    "test_message": "测试短信",
}

PERSON_ROLE = {"staff": "职工", "head": "站所负责人", "leader": "领导"}

ALL_DAY = "全天"
EVERYONE = "全体人员"
LIST_SEPARATOR = "、"
PERSON_ITEM = "{person}：{item}"  # a department's overdue entry

SHEETS = {
    "occurrences": "日程台账",
    "lectures": "每周一讲",
    "campaigns": "宣传活动",
    "study": "学法进度",
    "deliveries": "短信提醒",
    "events": "活动记录",
    "attendance": "签到出勤",
}

HEADERS = {
    "occurrences": (
        "日期", "开始", "结束", "类别", "日程", "状态", "是否举行", "原定时间",
        "主讲人", "主题", "地点", "参与站所", "说明",
    ),
    "lectures": ("日期", "时间", "主讲人", "主题", "地点", "状态", "是否举行"),
    "campaigns": ("活动", "开始日期", "结束日期", "地点", "参与站所", "状态", "是否举行"),
    "study": (
        "年度", "学法事项", "截止日期", "应学人数", "已确认人数", "完成率", "逾期未确认人员",
    ),
    "deliveries": (
        "计划发送时间", "实际发送时间", "接收人", "日程", "活动时间", "提醒规则", "状态",
        "错误码", "说明",
    ),
    "events": (
        "日期", "时间", "类别", "日程", "主讲人", "主题", "应到", "出席", "请假", "缺席",
        "出勤率", "照片数", "其他佐证", "内容摘要",
    ),
    "attendance": (
        "日期", "时间", "类别", "日程", "姓名", "站所", "出勤情况", "登记方式", "说明",
    ),
}  # fmt: skip
