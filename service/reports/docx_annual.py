"""The annual report as a Word document: the draft paragraphs, then the tables."""

from __future__ import annotations

from typing import Any

from docx.shared import RGBColor

from .docx_common import Styles, new_document, to_bytes
from .wording import DRAFT_NOTICE, percent


def build(report: dict[str, Any], org: str = "蟒河镇") -> bytes:
    document = new_document()
    styles = Styles(document)
    year = report["year"]
    document.add_heading(f"{org} {year} 年法治政府建设工作情况（数据与草稿）", level=0)
    notice = document.add_paragraph().add_run(DRAFT_NOTICE)
    notice.bold = True
    notice.font.color.rgb = RGBColor(0xB4, 0x23, 0x18)
    for paragraph in report["paragraphs"]:
        document.add_heading(f"{paragraph['title']}（{paragraph['status']}）", level=2)
        document.add_paragraph(paragraph["text"])
    document.add_heading("附：全年数据", level=1)
    lectures = report["lectures"]
    _table(
        document,
        styles,
        "每周一讲",
        ("计划", "举行", "取消", "调整时间"),
        [(lectures["planned"], lectures["held"], lectures["cancelled"], lectures["moved"])],
    )
    _table(
        document,
        styles,
        "主讲人与题目",
        ("日期", "主讲人", "题目"),
        [(t["date"], t["speaker"], t["topic"]) for t in lectures["topics"]],
    )
    attendance = report["attendance"]
    header = ("应到", "出席", "请假", "缺席", "未登记", "出勤率")
    _table(document, styles, "出勤（全年）", header, [_figures(attendance)])
    _table(
        document,
        styles,
        "出勤（按站所）",
        ("站所", *header),
        [(d["department"], *_figures(d)) for d in attendance["by_department"]],
    )
    _table(
        document,
        styles,
        "出勤（按人员）",
        ("姓名", "站所", *header),
        [(p["name"], p["departments"], *_figures(p)) for p in attendance["by_person"]],
    )
    campaigns = report["campaigns"]
    _table(
        document,
        styles,
        "宣传活动",
        ("活动", "日期", "地点", "参与站所", "出席人数", "照片"),
        [
            (
                c["title"],
                c["date"],
                c["location"],
                "、".join(c["departments"]),
                c["present"],
                c["photos"],
            )
            for c in campaigns["items"]
        ],
    )
    study = report["study"]
    _table(
        document,
        styles,
        "学法计划（按事项）",
        ("事项", "截止", "应学", "已完成", "完成率"),
        [
            (i["title"], i["due_on"], i["audience"], i["confirmed"], percent(i["rate"]))
            for i in study["items"]
        ],
    )
    _table(
        document,
        styles,
        "学法计划（按站所）",
        ("站所", "应学人次", "已完成", "完成率"),
        [
            (d["department"], d["assigned"], d["confirmed"], percent(d["rate"]))
            for d in study["by_department"]
        ],
    )
    sms = report["sms"]
    _table(
        document,
        styles,
        "短信提醒",
        ("计划发送", "已发送", "已送达", "失败", "计费条数"),
        [(sms["total"], sms["sent"], sms["delivered"], sms["failed"], sms["segments"])],
    )
    return to_bytes(document)  # fmt: skip


def _figures(f: dict[str, Any]) -> tuple[Any, ...]:
    return (f["expected"], f["present"], f["leave"], f["absent"], f["unrecorded"],
            percent(f["rate"]))  # fmt: skip


def _table(
    document: Any, styles: Styles, title: str, header: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    styles.paragraph(document, title, "Heading 2")
    if not rows:
        document.add_paragraph("（无）")
        return
    table = styles.table(document, len(rows) + 1, len(header))
    for index, row in enumerate(table.rows):
        values = header if index == 0 else rows[index - 1]
        for cell, value in zip(row.cells, values, strict=True):
            cell.paragraphs[0].add_run(str(value)).bold = index == 0
