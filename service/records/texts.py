"""The Chinese sentences the records layer answers with (API and pages alike)."""

from __future__ import annotations

NO_SCHEDULE = "日程 {id} 不存在。"
NOT_RECORDED_KIND = "只有每周一讲、会议和宣传活动记录出勤和佐证材料。"
NOT_AN_OCCURRENCE = "{when} 不是这个日程的一次活动。"
CANCELLED = "这次活动已取消（或因节假日停办），不能记录出勤。"
NOT_STARTED = "这次活动还没有开始，不能记录出勤；请假请用“请假”。"
LEAVE_TOO_LATE = "这次活动已经开始，不能再请假；请联系党政办。"
LEAVE_CANCELLED = "这次活动已取消，无需请假。"
LEAVE_NEEDS_REASON = "请填写请假事由。"
NOT_IN_AUDIENCE = "{name}不在这次活动的参加范围内。"
NO_PERSON = "人员 {id} 不存在。"
CHECK_IN_CLOSED = (
    "签到时间为活动开始前 30 分钟至开始后 2 小时（{opens} 至 {closes}），现在不能签到。"
)
CHECK_IN_CANCELLED = "这次活动已取消，无需签到。"
CHECK_IN_BAD_CODE = "签到二维码无效，请重新扫描现场的二维码。"
CHECK_IN_NOT_IN_AUDIENCE = "您不在这次活动的参加范围内，无需签到。"
FILE_MISSING = "请选择要上传的文件（表单字段 file）。"
FILE_EMPTY = "文件是空的，请重新选择。"
FILE_TOO_LARGE = "文件超过 {limit} MB，请压缩后再上传。"
FILE_TYPE = "只能上传 JPEG、PNG、WebP 图片或 PDF 文件（按文件内容识别，不看扩展名）。"
FILE_DAMAGED = "图片文件已损坏或尺寸过大，无法读取。"
NO_ATTACHMENT = "附件 {id} 不存在。"
SUMMARY_TOO_LONG = "内容摘要不能超过 {limit} 个字符。"
CONTROL_CHARACTERS = "不能包含控制字符（例如从 Word 粘贴来的换行符）。"
ADMINS_ONLY = "附件只提供给管理员（admin 角色）查看。"
