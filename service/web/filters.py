"""Template filters: instants shown in the office's timezone, dates the Chinese way."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask

from ..sms.link_message import is_page_link

WEEKDAYS = "一二三四五六日"


def register_filters(app: Flask) -> None:
    zone = app.extensions["pufa"].settings.zone

    def when(value: datetime | date | None, all_day: bool = False) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            local = value.astimezone(zone) if value.tzinfo else value
            text = f"{local:%Y-%m-%d}（周{WEEKDAYS[local.weekday()]}）"
            return text if all_day else f"{text} {local:%H:%M}"
        return f"{value:%Y-%m-%d}（周{WEEKDAYS[value.weekday()]}）"

    def clock(value: datetime | None) -> str:
        return "" if value is None else f"{value.astimezone(zone):%H:%M}"

    app.add_template_filter(when, "when")
    app.add_template_filter(clock, "clock")
    app.add_template_test(is_page_link, "page_link")
