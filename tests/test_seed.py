from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from sqlalchemy import func, select

from service.context import Pufa
from service.models import (
    Department,
    OccurrenceOverride,
    Person,
    ReminderRule,
    Schedule,
    StudyItem,
    StudyPlan,
)
from service.seed import DEMO_FILE, SeedError, load_demo_file, parse_lead, seed


def count(state: Pufa, model: type) -> int:
    with state.db.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_demo_data_describe_the_township(pufa_state: Pufa) -> None:
    with pufa_state.db.transaction() as session:
        seed(session, load_demo_file())
    with pufa_state.db.sessions() as session:
        names = set(session.scalars(select(Department.name)))
        assert {"党政办", "司法所", "妇联", "综治办", "派出所"} <= names
        assert all(d.head is not None for d in session.scalars(select(Department)))
        people = list(session.scalars(select(Person)))
        assert len(people) >= 20
        assert all(p.mobile and p.mobile.startswith("+86139000000") for p in people)
        titles = set(session.scalars(select(Schedule.title)))
        assert "机关职工每周一讲" in titles
        assert {"3·8 妇女节普法宣传", "宪法宣传周"} <= titles
        week = session.scalars(select(Schedule).where(Schedule.title == "宪法宣传周")).one()
        assert week.is_all_day and week.duration_days == 7
        lecture = session.scalars(select(Schedule).where(Schedule.kind == "lecture")).one()
        assert {r.recipients for r in lecture.rules} == {"audience", "speaker"}
        # The lecture's audience hears of a move, as with one made in the console.
        assert lecture.change_notices and not week.change_notices
        topics = set(session.scalars(select(OccurrenceOverride.topic)))
        assert {"宪法", "民法典", "禁毒法"} <= topics
        assert set(session.scalars(select(StudyPlan.year))) == {2026, 2027}
        item = session.scalars(select(StudyItem).where(StudyItem.title == "宪法")).first()
        assert item is not None and item.schedule.kind == "deadline"
        assert {r.recipients for r in item.schedule.rules} >= {"unconfirmed", "overdue_heads"}


def test_seeding_twice_creates_nothing_new(pufa_state: Pufa) -> None:
    with pufa_state.db.transaction() as session:
        seed(session, load_demo_file())
    before = [count(pufa_state, m) for m in (Person, Schedule, ReminderRule, OccurrenceOverride)]
    with pufa_state.db.transaction() as session:
        created = seed(session, load_demo_file())
    assert set(created.values()) == {0}
    after = [count(pufa_state, m) for m in (Person, Schedule, ReminderRule, OccurrenceOverride)]
    assert after == before


def write_variant(tmp_path: Path, change: Callable[[Any], object]) -> Path:
    data = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["people"][3].update(mobile="12345"), r"people\[3\] \(吴敏\)\.mobile"),
        (
            lambda d: d["schedules"][0].update(rrule="FREQ=SOMETIMES"),
            r"schedules\[0\] \(机关职工每周一讲\)\.rrule.*invalid RRULE",
        ),
        (
            lambda d: d["schedules"][1]["audience"].update(departments=["不存在办"]),
            "unknown department '不存在办'",
        ),
        (lambda d: d["schedules"][0]["rules"][0].update(lead="soon"), "lead 'soon'"),
    ],
)
def test_a_malformed_file_names_file_entry_and_reason(
    tmp_path: Path, change: Callable[[Any], object], message: str
) -> None:
    path = write_variant(tmp_path, change)
    with pytest.raises(SeedError, match=message) as error:
        load_demo_file(path)
    assert str(path) in str(error.value)


def test_seed_command_writes_nothing_for_a_bad_file(
    app: Flask, pufa_state: Pufa, tmp_path: Path
) -> None:
    path = write_variant(tmp_path, lambda d: d["people"][0].update(mobile="not a number"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "--demo", "--file", str(path)])
    assert result.exit_code != 0
    assert "people[0] (王建国).mobile" in result.output
    assert count(pufa_state, Person) == 0


@pytest.mark.parametrize(
    ("text", "minutes"), [("7d", 10080), ("2h", 120), ("30m", 30), ("-1d", -1440)]
)
def test_lead_times_read_naturally(text: str, minutes: int) -> None:
    assert parse_lead(text) == minutes


def test_seeding_after_a_demo_person_was_renamed_says_what_clashes_and_writes_nothing(
    app: object, pufa_state: Pufa
) -> None:
    with pufa_state.db.transaction() as session:
        seed(session, load_demo_file())
        renamed = session.scalars(select(Person).where(Person.name == "孙丽")).one()
        renamed.name = "孙丽娟"
    before = [count(pufa_state, m) for m in (Department, Person, Schedule)]

    result = app.test_cli_runner().invoke(args=["seed", "--demo"])  # type: ignore[attr-defined]

    assert result.exit_code != 0
    assert "Traceback" not in result.output and "IntegrityError" not in result.output
    assert "'孙丽'" in result.output and "'孙丽娟'" in result.output
    assert "nothing was written" in result.output
    assert [count(pufa_state, m) for m in (Department, Person, Schedule)] == before
