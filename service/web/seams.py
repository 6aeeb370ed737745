"""Where the pages call functions owned by other modules that may not have landed yet.

Each seam looks the owner's function up by name; once it exists the page uses it and
nothing here re-implements its rules. When a function is missing the caller gets None
and leaves that part of the page out.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def owner_function(module: str, name: str) -> Callable[..., Any] | None:
    try:
        found = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
    return found if callable(found) else None


def retract_for_person() -> Callable[..., int] | None:
    return owner_function("service.sms.planner", "retract_for_person")


def confirm_study() -> Callable[..., Any] | None:
    return owner_function("service.workflows.study", "confirm")


def rotate_feed_token() -> Callable[..., str] | None:
    return owner_function("service.feeds.tokens", "rotate_feed_token")
