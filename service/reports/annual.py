"""The year's figures for the annual report on building a law-based government, read
from the same ``facts`` as the ledger, plus the study plan's progress and the outbox."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..domain.common import EARLIEST_YEAR, LATEST_YEAR
from ..errors import Invalid
from ..models import StudyConfirmation, StudyItem, StudyPlan
from ..records.attendance import totals
from ..workflows import labels
from ..workflows.study import progress
from . import wording
from .facts import Facts, day_window, gather, sms_counts

CANCELLED = ("cancelled", "holiday_skipped")
MOVED = ("moved", "holiday_moved")


def check_year(year: int) -> None:
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise Invalid(
            f"年份须在 {EARLIEST_YEAR} 到 {LATEST_YEAR} 之间。", fields={"year": "out of range"}
        )


def build(session: Session, year: int, *, zone: ZoneInfo, now: datetime) -> dict[str, Any]:
    """Every figure of the year as plain JSON-ready values, and the draft paragraphs."""
    check_year(year)
    window = day_window(date(year, 1, 1), date(year, 12, 31), zone)
    facts = gather(session, window, zone=zone, now=now)
    report: dict[str, Any] = {
        "year": year,
        "as_of": now.isoformat(),
        "lectures": _lectures(facts),
        "attendance": _attendance(facts),
        "campaigns": _campaigns(facts),
        "study": _study(session, year, now),
        "sms": sms_counts(session, window),
    }
    report["paragraphs"] = wording.paragraphs(report)
    return report


def _held(facts: Facts, kind: str) -> list[Any]:
    return [
        o
        for o in facts.occurrences
        if facts.schedules[o.schedule_id].kind == kind and o.is_happening and o.end <= facts.now
    ]


def _local_day(facts: Facts, instant: datetime) -> str:
    return instant.astimezone(facts.zone).date().isoformat()


def _lectures(facts: Facts) -> dict[str, Any]:
    lectures = [o for o in facts.occurrences if facts.schedules[o.schedule_id].kind == "lecture"]
    held = _held(facts, "lecture")
    speakers = Counter(facts.name(o.speaker_id) for o in held if o.speaker_id)
    return {
        "planned": len(lectures),
        "held": len(held),
        "cancelled": sum(o.status in CANCELLED for o in lectures),
        "moved": sum(o.status in MOVED for o in lectures),
        "topics": [
            {
                "date": _local_day(facts, o.start),
                "speaker": facts.name(o.speaker_id),
                "topic": o.topic,
            }
            for o in held
        ],
        "speakers": [{"name": n, "lectures": c} for n, c in sorted(speakers.items())],
    }


def _attendance(facts: Facts) -> dict[str, Any]:
    held = [o for o in facts.recorded() if o.is_happening and o.end <= facts.now]
    people: dict[int, list[str]] = {}
    for o in held:
        marks = facts.marks.get(o.key, {})
        for pid in facts.roster(o):
            mark = marks.get(pid)
            people.setdefault(pid, []).append(mark.status if mark else "")
    by_department: dict[str, list[str]] = {}
    for pid, statuses in people.items():
        for department in facts.people[pid].departments:
            by_department.setdefault(department.name, []).extend(statuses)
    overall = totals(sum(len(s) for s in people.values()), [s for v in people.values() for s in v])
    return {
        "occurrences": len(held),
        **_figures(overall),
        "by_department": [
            {"department": name, **_figures(totals(len(s), s))}
            for name, s in sorted(by_department.items())
        ],
        "by_person": [
            {
                "person_id": pid,
                "name": facts.people[pid].name,
                "departments": labels.LIST_SEPARATOR.join(
                    d.name for d in facts.people[pid].departments
                ),
                **_figures(totals(len(s), s)),
            }
            for pid, s in sorted(people.items())
        ],
    }


def _figures(t: Any) -> dict[str, Any]:
    return {
        "expected": t.expected,
        "present": t.present,
        "leave": t.leave,
        "absent": t.absent,
        "unrecorded": t.unrecorded,
        "rate": t.rate,
    }


def _campaigns(facts: Facts) -> dict[str, Any]:
    held = _held(facts, "campaign")
    items = []
    for o in held:
        schedule = facts.schedules[o.schedule_id]
        items.append({
            "title": schedule.title,
            "date": _local_day(facts, o.start),
            "location": o.location,
            "departments": [d.name for d in schedule.departments],
            "photos": facts.photos[o.key],
            "present": facts.totals(o).present,
        })  # fmt: skip
    departments = sorted({d for item in items for d in item["departments"]})
    return {
        "held": len(held),
        "departments": departments,
        "places": sorted({item["location"] for item in items if item["location"]}),
        "photos": sum(item["photos"] for item in items),
        "items": items,
    }


def _study(session: Session, year: int, now: datetime) -> dict[str, Any]:
    plan_id = session.scalar(select(StudyPlan.id).where(StudyPlan.year == year))
    if plan_id is None:
        return {"plan": None, "items": [], "by_department": [], "notes": 0, "rate": 0.0}
    report = progress(session, plan_id, now)
    notes = session.scalar(
        select(func.count())
        .select_from(StudyConfirmation)
        .join(StudyItem)
        .where(StudyItem.plan_id == plan_id, StudyConfirmation.note != "")
    )
    assigned = sum(i.audience for i in report.items)
    confirmed = sum(i.confirmed for i in report.items)
    return {
        "plan": report.plan.title,
        "items": [
            {
                "title": i.title,
                "due_on": i.due_on.isoformat(),
                "audience": i.audience,
                "confirmed": i.confirmed,
                "rate": i.rate,
            }
            for i in report.items
        ],
        "by_department": [
            {"department": d.name, "assigned": t.assigned, "confirmed": t.confirmed, "rate": t.rate}
            for d, t in sorted(report.departments.values(), key=lambda pair: pair[0].name)
        ],
        "assigned": assigned,
        "confirmed": confirmed,
        "notes": notes or 0,
        "rate": round(confirmed / assigned, 4) if assigned else 0.0,
    }
