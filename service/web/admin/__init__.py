"""The admin console's pages, one blueprint per area."""

from __future__ import annotations

from flask import Blueprint, current_app

from .. import messages
from . import (
    calendar,
    dashboard,
    deleting,
    holidays,
    ledger,
    occurrences,
    people,
    people_import,
    records,
    reminders,
    reports,
    rota,
    schedules,
    search,
    sms,
    study,
)


def blueprints() -> list[Blueprint]:
    return [
        dashboard.bp,
        people.bp,
        people_import.bp,
        schedules.bp,
        occurrences.bp,
        calendar.bp,
        reminders.bp,
        deleting.bp,
        search.bp,
        rota.bp,
        study.bp,
        holidays.bp,
        sms.bp,
        ledger.bp,
        records.bp,
        reports.bp,
    ]


def console_menu() -> list[tuple[str, str]]:
    """(endpoint, label) of the console's sections that this app serves, in menu order."""
    served = current_app.blueprints
    return [(e, label) for e, label in messages.MENU if e.split(".")[0] in served]
