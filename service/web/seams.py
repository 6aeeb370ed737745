"""Where a page calls a function owned by a module that may not have landed yet.

Each seam looks the owner's function up by name; once it exists the page uses it and
nothing here re-implements its rules. When a function is missing the caller gets None
and leaves that part of the page out.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

_PACKAGE = Path(__file__).resolve().parents[1]


def owner_function(module: str, name: str) -> Callable[..., Any] | None:
    try:
        loaded = importlib.import_module(module)
    except ImportError:
        return None
    # Only this checkout's own modules count: an editable install of another checkout
    # can otherwise answer for a module this one does not have yet.
    if not Path(loaded.__file__ or "/").resolve().is_relative_to(_PACKAGE):
        return None
    found = getattr(loaded, name, None)
    return found if callable(found) else None


def retract_for_person() -> Callable[..., int] | None:
    return owner_function("service.sms.planner", "retract_for_person")
