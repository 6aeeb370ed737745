"""The admin console's pages, one blueprint per area."""

from __future__ import annotations

from flask import Blueprint

from .. import messages
from . import dashboard, people


def blueprints() -> list[Blueprint]:
    return [dashboard.bp, people.bp]


def console_menu() -> list[tuple[str, str]]:
    """(endpoint, label) of the console's sections, in menu order."""
    return [(endpoint, label) for endpoint, label in messages.MENU]
