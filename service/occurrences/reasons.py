"""Why an occurrence is not as the series says, in Chinese.

The engine gives its reasons in English for API clients and logs ("2026-10-01 is not a working
day; moved to 2026-10-09"); a clerk's own note on a cancelled or moved week is shown
as written.
"""

from __future__ import annotations

import re

from .expand import Occurrence

_NOT_WORKING = re.compile(
    r"(\d{4}-\d{2}-\d{2}) is not a working day(?:; moved to (\d{4}-\d{2}-\d{2}))?"
)
_NO_WORKDAY = re.compile(r"no working day near (\d{4}-\d{2}-\d{2})")
_DEFAULTS = {
    "cancelled by an admin": "已由管理员取消",
    "moved by an admin": "已由管理员改期",
}


def occurrence_reason(occurrence: Occurrence) -> str:
    return occurrence_reason_text(occurrence.reason)


def occurrence_reason_text(reason: str) -> str:
    if not reason:
        return ""
    if reason in _DEFAULTS:
        return _DEFAULTS[reason]
    match = _NOT_WORKING.fullmatch(reason)
    if match:
        day, target = match.groups()
        if target:
            return f"{day} 不是工作日，改到 {target}"
        return f"{day} 不是工作日，本次取消"
    match = _NO_WORKDAY.fullmatch(reason)
    if match:
        return f"{match.group(1)} 附近没有工作日，本次取消"
    return reason
