"""The county data set (``pufa seed --scale county``), at a tiny size: consistent rows
that the planner, the feeds and the annual report take without an error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select

from service.context import Pufa
from service.county import CountyError, CountySpec, seed_county
from service.feeds.content import FeedOwner, load_content
from service.feeds.render import render_feed
from service.models import (
    Attendance,
    Delivery,
    DeliveryStatus,
    Department,
    OccurrenceOverride,
    Person,
    Schedule,
)
from service.reports import annual
from service.seed import load_demo_file, seed
from service.sms.planner import plan_deliveries

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 2, tzinfo=UTC)
TINY = CountySpec(departments=5, people=40, schedules=20, deliveries=400, years=2)


def _seed(state: Pufa, spec: CountySpec = TINY) -> dict[str, int]:
    with state.db.transaction() as session:
        return seed_county(session, spec, NOW, SHANGHAI, force=True)


def _count(state: Pufa, model: type) -> int:
    with state.db.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_tiny_county_has_the_sizes_asked_for_and_made_up_numbers(pufa_state: Pufa) -> None:
    counts = _seed(pufa_state)

    assert counts["departments"] == _count(pufa_state, Department) == 5
    assert counts["people"] == _count(pufa_state, Person) == 40
    assert counts["schedules"] == _count(pufa_state, Schedule) == 20
    assert counts["deliveries"] == _count(pufa_state, Delivery) == 400
    with pufa_state.db.sessions() as session:
        mobiles = list(session.scalars(select(Person.mobile)))
        assert all(m and m.startswith("+86139000") for m in mobiles)
        assert all(d.head_id for d in session.scalars(select(Department)))
        kinds = set(session.scalars(select(Schedule.kind)))
        assert kinds == {"lecture", "meeting", "campaign", "deadline"}


def test_the_history_is_in_the_past_and_tells_what_happened(pufa_state: Pufa) -> None:
    _seed(pufa_state)

    with pufa_state.db.sessions() as session:
        overrides = list(session.scalars(select(OccurrenceOverride)))
        assert any(o.is_cancelled for o in overrides)
        assert any(o.moved_start_at for o in overrides)
        assert any(o.speaker_id for o in overrides)
        attended = session.execute(
            select(Schedule.kind, func.max(Attendance.original_start_at))
            .join(Schedule, Schedule.id == Attendance.schedule_id)
            .group_by(Schedule.kind)
        ).all()
        assert [kind for kind, _ in attended] == ["lecture"]
        assert all(latest < NOW for _, latest in attended)
        deliveries = list(session.scalars(select(Delivery)))
        assert all(d.due_at < NOW for d in deliveries)
        statuses = {d.status for d in deliveries}
        assert {DeliveryStatus.DELIVERED, DeliveryStatus.FAILED} <= statuses
        assert DeliveryStatus.PENDING not in statuses
        sent = [d for d in deliveries if d.sent_at is not None]
        assert all(d.provider_sid for d in sent)
        assert all(d.body.startswith("【") for d in deliveries)


def test_the_planner_feeds_and_annual_report_take_the_county(pufa_state: Pufa) -> None:
    _seed(pufa_state)

    with pufa_state.db.transaction() as session:
        two_weeks = timedelta(days=14)
        result = plan_deliveries(session, NOW, horizon=two_weeks, strict=True)  # raises if bad
        # The history is complete where the planner looks back: nothing late to fill in.
        assert result.inserted_expired == 0
        late = select(func.count()).where(Delivery.status == "pending", Delivery.due_at < NOW)
        assert session.scalar(late) == 0
        assert result.inserted > 0
        assert plan_deliveries(session, NOW, horizon=two_weeks, strict=True).writes == 0
        for owner in (FeedOwner("person", 6), FeedOwner("department", 1)):
            content = load_content(session, owner)
            assert content is not None
            assert render_feed(content, NOW, "Asia/Shanghai").endswith(b"END:VCALENDAR\r\n")
        report = annual.build(session, 2025, zone=SHANGHAI, now=NOW)
        assert report["lectures"]["held"] > 0
        assert report["attendance"]["expected"] > 0


def test_the_same_spec_and_now_give_the_same_rows(pufa_state: Pufa) -> None:
    spec = CountySpec(departments=5, people=30, schedules=20, deliveries=200, years=1)

    def rows() -> list[tuple[object, ...]]:
        _seed(pufa_state, spec)
        with pufa_state.db.sessions() as session:
            people = session.execute(select(Person.id, Person.name).order_by(Person.id)).all()
            sent = session.execute(
                select(Delivery.schedule_id, Delivery.original_start_at, Delivery.person_id,
                       Delivery.rule_id, Delivery.status, Delivery.body).order_by(Delivery.id)
            ).all()  # fmt: skip
        return [*map(tuple, people), *map(tuple, sent)]

    assert rows() == rows()


def test_a_database_holding_data_is_refused_and_left_as_it_was(pufa_state: Pufa) -> None:
    with pufa_state.db.transaction() as session:
        seed(session, load_demo_file())
    people = _count(pufa_state, Person)

    with (
        pytest.raises(CountyError, match=r"already holds \d+ departments, \d+ people"),
        pufa_state.db.transaction() as session,
    ):
        seed_county(session, TINY, NOW, SHANGHAI)

    assert _count(pufa_state, Person) == people


def test_the_command_seeds_a_county_once_and_then_refuses(app: Flask, pufa_state: Pufa) -> None:
    runner = app.test_cli_runner()
    size = ["--departments", "5", "--people", "40", "--schedules", "20", "--deliveries", "300"]

    with time_machine.travel(NOW, tick=False):
        first = runner.invoke(args=["seed", "--scale", "county", *size])
        second = runner.invoke(args=["seed", "--scale", "county", *size])

    assert first.exit_code == 0, first.output
    assert "created 5 departments, 40 people, 20 schedules" in first.output
    assert "300 deliveries" in first.output
    assert second.exit_code == 1
    assert "already holds 5 departments, 40 people" in second.output
    assert "nothing was written" in second.output
    assert _count(pufa_state, Delivery) == 300


def test_the_command_names_the_scales_it_knows(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["seed", "--scale", "town"])

    assert result.exit_code == 2
    assert "'town' is not one of 'demo', 'county'" in result.output
