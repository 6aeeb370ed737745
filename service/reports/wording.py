"""Draft paragraphs for the annual report, written from the figures in the office's
own style (domain/report-2023.txt). Drafts: the clerk edits them before use."""

from __future__ import annotations

from typing import Any

DRAFT_NOTICE = "【草稿】以下段落由系统根据全年数据自动生成，请核实、修改后再使用。"
TITLES = {
    "lectures": "机关职工每周一讲",
    "attendance": "学习和活动出勤",
    "campaigns": "宣传活动",
    "study": "学法计划落实",
    "sms": "短信提醒",
}
_SEP = "、"
_SHOWN = 5  # topics and places named in a paragraph; the tables list them all


def percent(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def _some(values: list[str]) -> str:
    shown = [v for v in values if v][:_SHOWN]
    text = _SEP.join(f"“{v}”" for v in shown)
    return text + ("等" if len([v for v in values if v]) > _SHOWN else "")


def paragraphs(report: dict[str, Any]) -> list[dict[str, str]]:
    texts = {
        "lectures": _lectures(report["lectures"]),
        "attendance": _attendance(report["attendance"]),
        "campaigns": _campaigns(report["campaigns"]),
        "study": _study(report["year"], report["study"]),
        "sms": _sms(report["sms"]),
    }
    return [{"area": k, "title": TITLES[k], "text": v, "status": "草稿"} for k, v in texts.items()]


def _lectures(f: dict[str, Any]) -> str:
    text = f"全年组织开展“机关职工每周一讲”活动 {f['held']} 期（计划 {f['planned']} 期"
    if f["cancelled"]:
        text += f"，因故取消 {f['cancelled']} 期"
    if f["moved"]:
        text += f"，调整时间 {f['moved']} 期"
    text += "）"
    if f["speakers"]:
        text += f"，由 {len(f['speakers'])} 名机关干部轮流主讲"
    topics = _some([t["topic"] for t in f["topics"]])
    if topics:
        text += f"，内容涵盖{topics}"
    return text + "，以讲促学、以学促干，把“每周一讲”打造成为转变作风、促进工作的有效载体。"


def _attendance(f: dict[str, Any]) -> str:
    if not f["expected"]:
        return "全年尚无出勤记录。"
    text = (
        f"全年组织各类学习、会议和宣传活动 {f['occurrences']} 次，参加 {f['present']} 人次，"
        f"应到 {f['expected']} 人次，出勤率 {percent(f['rate'])}"
    )
    if f["leave"] or f["absent"]:
        text += f"；请假 {f['leave']} 人次，缺席 {f['absent']} 人次"
    if f["unrecorded"]:
        text += f"，另有 {f['unrecorded']} 人次未登记"
    best = max(f["by_department"], key=lambda d: d["rate"], default=None)
    if best is not None:
        text += f"。各站所中，{best['department']}出勤率最高，为 {percent(best['rate'])}"
    return text + "。"


def _campaigns(f: dict[str, Any]) -> str:
    if not f["held"]:
        return "全年尚未开展街头宣传咨询活动。"
    departments = _SEP.join(f["departments"]) or "各职能部门"
    titles = _some([item["title"] for item in f["items"]])
    text = (
        f"积极开展街头宣传咨询活动，组织{departments}等职能部门，利用{titles}等节点"
        f"开展宣传活动 {f['held']} 次"
    )
    places = _SEP.join(f["places"][:_SHOWN])
    if places:
        text += f"，活动地点包括{places}"
    return text + f"，留存活动照片 {f['photos']} 张，提高了辖区群众的法治观念和法律信仰。"


def _study(year: int, f: dict[str, Any]) -> str:
    if f["plan"] is None:
        return f"{year} 年度尚未制定学法计划。"
    items = _some([i["title"] for i in f["items"]])
    return (
        f"严格落实公职人员学法制度，年初制定 {year} 年度学法计划，安排学法事项 "
        f"{len(f['items'])} 项（{items}），应学 {f['assigned']} 人次，已完成 "
        f"{f['confirmed']} 人次，完成率 {percent(f['rate'])}，记录学习笔记 {f['notes']} 篇。"
    )


def _sms(f: dict[str, int]) -> str:
    return (
        f"依托普法日程系统发送学习和活动提醒短信 {f['sent']} 条（计费 {f['segments']} 条），"
        f"成功送达 {f['delivered']} 条，发送失败 {f['failed']} 条。"
    )
