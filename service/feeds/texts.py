"""Every user-facing string of the feeds (zh-CN), in one catalogue."""

from __future__ import annotations

from datetime import date

# The office's name, shown in every calendar's name: "蟒河镇普法 · 孙丽".
CALENDAR_PREFIX = "蟒河镇普法"
CALENDAR_DESCRIPTION = "蟒河镇法治政府建设日程：机关职工每周一讲、普法宣传日、学法计划。"

CANCELLED = "【已取消】"
MY_LECTURE = "【我主讲】"
TO_STUDY = "【待学习】"


def calendar_name(owner: str) -> str:
    return f"{CALENDAR_PREFIX} · {owner}"


def lecture_summary(title: str, speaker: str, topic: str) -> str:
    """'机关职工每周一讲：宪法（孙丽主讲）' — who speaks and on what, at a glance."""
    summary = f"{title}：{topic}" if topic else title
    return f"{summary}（{speaker}主讲）" if speaker else summary


def speaker_line(speaker: str) -> str:
    return f"主讲人：{speaker}"


def topic_line(topic: str) -> str:
    return f"主题：{topic}"


def cancelled_line(note: str) -> str:
    return f"本次已取消。{note}".rstrip()


def moved_line(original: date, note: str) -> str:
    return f"时间已调整（原定 {original.isoformat()}）。{note}".rstrip()


def holiday_moved_line(original: date, moved: date) -> str:
    return f"{original.isoformat()} 为非工作日，调整至 {moved.isoformat()}。"


def alarm_text(rule_name: str, summary: str) -> str:
    return f"{rule_name}：{summary}"
