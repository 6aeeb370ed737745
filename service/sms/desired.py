"""What the outbox should hold: occurrences × enabled rules × recipients, rendered.

Read-only: the planner writes what this computes, and the preview shows it. Both use
the same code, so the preview is exactly what the clock will send.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from jinja2 import Environment, meta
from sqlalchemy.orm import Session

from .. import budget
from ..models import Person, ReminderRule, Schedule
from ..occurrences.expand import Occurrence, Window, expand
from ..occurrences.query import load_schedules, workday_calendar
from ..occurrences.specs import schedule_spec
from .recipients import Directory, load_directory, recipients, why_not
from .texts import TEMPLATES, count_segments, render_sms
from .timing import ALL_DAY_SLACK, due_at
from .wording import EVERYONE, join_names, when

log = logging.getLogger("pufa.sms.plan")

# A reminder due after the start (negative lead) without a window stays useful this long.
AFTER_START_USEFUL = timedelta(days=1)
# How far a holiday shift can carry an occurrence from its original start (expand's limit
# is 15 days): used to find the occurrence of an already planned row again.
REACH = timedelta(days=16)

# Which message a person gets when two fall together: the lowest number.
PRECEDENCE = {"speaker": 0, "overdue_heads": 1, "unconfirmed": 2, "audience": 3}
MERGED = "与同一时间发给此人的另一条提醒合并（主讲人提醒已包含此场次信息）"

Triple = tuple[int, datetime, int]  # (schedule id, original start UTC, rule id)
Key = tuple[int, datetime, int, int]  # Triple + person id: the outbox's unique key


@dataclass(frozen=True)
class Planned:
    """One message the outbox should hold."""

    schedule_id: int
    original_start_at: datetime
    rule_id: int
    person_id: int
    person_name: str
    to: str
    due_at: datetime
    useful_until: datetime
    occurrence_start_at: datetime
    body: str
    segments: int
    template: str
    is_routine: bool
    recipients: str = "audience"

    @property
    def key(self) -> Key:
        return (self.schedule_id, self.original_start_at, self.rule_id, self.person_id)


def useful_until(rule: ReminderRule, due_at: datetime, start: datetime) -> datetime:
    """Until when a late message is still worth sending (guarantee 2)."""
    if rule.window_minutes is not None:
        return due_at + timedelta(minutes=rule.window_minutes)
    if rule.lead_minutes <= 0 or start <= due_at:
        # After the start (an all-day event reminded on its own day, too).
        return due_at + AFTER_START_USEFUL
    return start


class PlanRun:
    """Schedules, people and the holiday calendar loaded once for one planning pass."""

    def __init__(
        self, session: Session, schedule_ids: Iterable[int] | None = None, *, strict: bool = False
    ) -> None:
        ids = None if schedule_ids is None else list(schedule_ids)
        # A request's re-plan is strict: a schedule that cannot be planned fails the
        # request (rolled back whole) instead of being skipped as on the clock's tick.
        self.strict = strict
        self.schedules = {s.id: s for s in load_schedules(session, ids)}
        self.workdays = workday_calendar(session)
        self.directory: Directory = load_directory(
            session, None if ids is None else list(self.schedules.values())
        )
        self.occurrences: dict[tuple[int, datetime], Occurrence] = {}
        # Schedules that could not be planned (a broken template, a bad RRULE): logged,
        # skipped, and their planned messages left alone rather than retracted.
        self.failed: set[int] = set()
        # Messages left out because another one to the same person at the same time
        # says it all (see ``_one_per_person``).
        self.merged: set[Key] = set()

    def plan(
        self,
        due_from: datetime,
        due_to: datetime,
        planned: Mapping[int, Iterable[Triple]] | None = None,
    ) -> list[Planned]:
        """Messages due in [due_from, due_to], plus the current form of every message
        already ``planned`` (schedule id -> triples), wherever its occurrence now is."""
        planned = planned or {}
        result: list[Planned] = []
        for schedule in self.schedules.values():
            rules = [r for r in schedule.rules if r.is_enabled]
            keep = set(planned.get(schedule.id, ()))
            if not rules:
                continue
            try:
                result.extend(self._schedule(schedule, rules, due_from, due_to, keep))
            except Exception:  # one broken schedule must not stop everyone's reminders
                if self.strict:
                    raise
                log.exception("planning a schedule failed", extra={"schedule": schedule.id})
                self.failed.add(schedule.id)
        result.sort(key=lambda p: (p.due_at, p.key))
        return result

    def _schedule(
        self,
        schedule: Schedule,
        rules: list[ReminderRule],
        due_from: datetime,
        due_to: datetime,
        keep: set[Triple],
    ) -> list[Planned]:
        result: list[Planned] = []
        for occurrence in self._expand(schedule, rules, due_from, due_to, keep):
            if not occurrence.is_happening:
                continue
            original = occurrence.original_start.astimezone(UTC)
            for rule in rules:
                due = due_at(rule, occurrence.start, is_all_day=occurrence.is_all_day)
                due = due.astimezone(UTC)
                if due_from <= due <= due_to or (schedule.id, original, rule.id) in keep:
                    result.extend(self._messages(schedule, occurrence, rule, due))
        return self._one_per_person(result)

    def _one_per_person(self, planned: list[Planned]) -> list[Planned]:
        """One message per person, occurrence and due time: where two rules fall
        together (a lecture's audience and speaker reminders), the person gets the one
        that says most about them (the speaker's: 您主讲)."""
        best: dict[tuple[int, datetime, int, datetime], Planned] = {}
        for p in planned:
            slot = (p.schedule_id, p.original_start_at, p.person_id, p.due_at)
            kept = best.get(slot)
            if kept is None or _precedence(p) < _precedence(kept):
                best[slot] = p
        for p in planned:
            if best[(p.schedule_id, p.original_start_at, p.person_id, p.due_at)] is not p:
                self.merged.add(p.key)
        return [p for p in planned if p.key not in self.merged]

    def explain(self, triple: Triple, person_id: int) -> str:
        """Why a planned message is no longer wanted (the retraction's ``reason``)."""
        schedule_id, original, rule_id = triple
        if (schedule_id, original, rule_id, person_id) in self.merged:
            return MERGED
        schedule = self.schedules.get(schedule_id)
        if schedule is None:
            return "schedule was deleted"
        rule = next((r for r in schedule.rules if r.id == rule_id), None)
        if rule is None or not rule.is_enabled:
            return "reminder rule was disabled or deleted"
        occurrence = self.occurrences.get((schedule_id, original))
        if occurrence is None:
            return "occurrence no longer exists (series or exceptions changed)"
        if not occurrence.is_happening:
            return f"occurrence {occurrence.status}: {occurrence.reason}".rstrip(": ")
        person = self.directory.people.get(person_id)
        return why_not(person, rule, schedule, self.directory)

    def _expand(
        self,
        schedule: Schedule,
        rules: list[ReminderRule],
        due_from: datetime,
        due_to: datetime,
        keep: set[Triple],
    ) -> list[Occurrence]:
        budget.check()  # a request's re-plan stops (and rolls back) past its time budget
        leads = [timedelta(minutes=r.lead_minutes) for r in rules]
        slack = ALL_DAY_SLACK if schedule.is_all_day else timedelta(0)
        windows = [
            Window(
                due_from + min(leads) - slack, due_to + max(leads) + slack + timedelta(seconds=1)
            )
        ]
        originals = sorted({t[1] for t in keep})
        if originals:
            windows.append(Window(originals[0] - REACH, originals[-1] + REACH))
            moved = {o.original_start_at: o.moved_start_at for o in schedule.overrides}
            for original in originals:
                target = moved.get(original)
                if target is not None:
                    windows.append(Window(target - timedelta(days=1), target + timedelta(days=1)))
        spec = schedule_spec(schedule)
        found: dict[datetime, Occurrence] = {}
        for window in windows:
            for occurrence in expand(spec, window, self.workdays):
                found[occurrence.original_start.astimezone(UTC)] = occurrence
        for original, occurrence in found.items():
            self.occurrences[(schedule.id, original)] = occurrence
        return list(found.values())

    def _messages(
        self, schedule: Schedule, occurrence: Occurrence, rule: ReminderRule, due: datetime
    ) -> list[Planned]:
        start = occurrence.start.astimezone(UTC)
        until = useful_until(rule, due, start)
        used = _variables(rule.template)
        shared = {k: v for k, v in self._context(schedule, occurrence).items() if k in used}
        shared_items = tuple(sorted(shared.items()))
        original = occurrence.original_start.astimezone(UTC)
        out = []
        for recipient in recipients(rule, schedule, occurrence, self.directory):
            person: Person = recipient.person
            items = shared_items
            if "name" in used or recipient.extra:
                personal = {"name": person.name, **recipient.extra}
                items = tuple(
                    sorted({**shared, **{k: personal[k] for k in used & personal.keys()}}.items())
                )
            body, segments = _render(rule.template, items)
            out.append(
                Planned(
                    schedule_id=schedule.id,
                    original_start_at=original,
                    rule_id=rule.id,
                    person_id=person.id,
                    person_name=person.name,
                    to=person.mobile or "",
                    due_at=due,
                    useful_until=until,
                    occurrence_start_at=start,
                    body=body,
                    segments=segments,
                    template=rule.template,
                    is_routine=rule.is_routine,
                    recipients=rule.recipients,
                )
            )
        return out

    def _context(self, schedule: Schedule, occurrence: Occurrence) -> dict[str, str]:
        speaker = self.directory.people.get(occurrence.speaker_id or -1)
        item = self.directory.study_items.get(schedule.id)
        if schedule.is_for_everyone:
            departments = EVERYONE
        else:
            departments = join_names(d.name for d in schedule.departments) or EVERYONE
        return {
            "title": schedule.title,
            "when": when(occurrence.start, is_all_day=occurrence.is_all_day),
            "location": occurrence.location,
            "speaker": speaker.name if speaker is not None else "",
            "topic": item.title if item is not None else occurrence.topic,
            "departments": departments,
            "overdue_names": "",
        }


@lru_cache(maxsize=256)
def _variables(template: str) -> frozenset[str]:
    """The context keys a template reads: only those make two messages differ."""
    source = (TEMPLATES / f"{template}.txt.j2").read_text(encoding="utf-8")
    parsed = Environment(autoescape=False).parse(source)  # noqa: S701 - parsed, never rendered
    return frozenset(meta.find_undeclared_variables(parsed))


@lru_cache(maxsize=8192)
def _render(template: str, items: tuple[tuple[str, str], ...]) -> tuple[str, int]:
    """The body and its segment count. Keyed only by the values the template reads, so
    an audience message is rendered once for everyone."""
    body = render_sms(template, dict(items))
    return body, count_segments(body)


def _precedence(planned: Planned) -> tuple[int, int]:
    return (PRECEDENCE.get(planned.recipients, len(PRECEDENCE)), planned.rule_id)


def group_triples(keys: Iterable[Key]) -> dict[int, set[Triple]]:
    grouped: dict[int, set[Triple]] = defaultdict(set)
    for schedule_id, original, rule_id, _person in keys:
        grouped[schedule_id].add((schedule_id, original, rule_id))
    return grouped
