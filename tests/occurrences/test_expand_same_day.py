"""A series never has two occurrences on one local day."""

from __future__ import annotations

from datetime import date, datetime

from flask.testing import FlaskClient

from service.occurrences.expand import Window, expand
from service.occurrences.workdays import WorkdayCalendar
from tests.occurrences.test_expand_holidays import SHANGHAI, weekly


def spring_festival(policy: str) -> list[tuple[date, date, str, str]]:
    window = Window(datetime(2026, 2, 9, tzinfo=SHANGHAI), datetime(2026, 3, 3, tzinfo=SHANGHAI))
    lecture = weekly(date(2026, 1, 5), policy)
    return [
        (o.original_start.date(), o.start.date(), o.status, o.reason)
        for o in expand(lecture, window, WorkdayCalendar())
    ]


def test_two_lectures_shifted_onto_one_day_are_one_lecture() -> None:
    found = spring_festival("next_workday")
    happening = [start for _o, start, status, _r in found if status != "holiday_skipped"]
    assert len(happening) == len(set(happening))
    skipped = {o: reason for o, _s, status, reason in found if status == "holiday_skipped"}
    assert list(skipped) == [date(2026, 2, 16)]
    assert skipped[date(2026, 2, 16)] == (
        "2026-02-16 不是工作日，顺延到的 2026-02-24 已有本系列 2026-02-23 的一次活动，"
        "本次并入该日，不再另行举行"
    )
    assert (date(2026, 2, 23), date(2026, 2, 24), "holiday_moved") in {f[:3] for f in found}


def test_moving_back_keeps_the_nearest_and_skips_the_other() -> None:
    found = spring_festival("previous_workday")
    moved = {o: (start, status) for o, start, status, _r in found}
    assert moved[date(2026, 2, 16)] == (date(2026, 2, 14), "holiday_moved")
    assert moved[date(2026, 2, 23)] == (date(2026, 2, 23), "holiday_skipped")


def test_a_shift_onto_a_day_with_its_own_occurrence_is_skipped() -> None:
    # A daily series on workdays: a Saturday shifted to Monday meets Monday's own.
    daily = weekly(date(2026, 3, 2), "next_workday")
    daily = daily.__class__(**{**daily.__dict__, "rrule": "FREQ=DAILY"})
    window = Window(datetime(2026, 3, 7, tzinfo=SHANGHAI), datetime(2026, 3, 10, tzinfo=SHANGHAI))
    found = {o.original_start.date(): o for o in expand(daily, window, WorkdayCalendar())}
    assert found[date(2026, 3, 7)].status == "holiday_skipped"
    assert "2026-03-09" in found[date(2026, 3, 7)].reason
    days = [o.start.date() for o in found.values() if o.is_happening]
    assert len(days) == len(set(days))


LECTURE = {
    "kind": "lecture",
    "title": "机关职工每周一讲",
    "start": "2026-01-05T16:00",
    "rrule": "FREQ=WEEKLY;BYDAY=MO",
    "is_for_everyone": True,
}


def test_an_admin_move_onto_a_day_with_another_occurrence_is_refused_naming_it(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    lecture = client.post("/api/v1/schedules", json=LECTURE, headers=admin_headers).get_json()
    url = f"/api/v1/schedules/{lecture['id']}/occurrences/2026-01-12T16:00"
    refused = client.put(url, json={"moved_start": "2026-01-19T18:00"}, headers=admin_headers)
    assert refused.status_code == 409
    body = refused.get_json()
    assert body["error"] == "same_day" and "2026-01-19 16:00" in body["message"]

    later_that_day = client.put(
        url, json={"moved_start": "2026-01-12T18:00"}, headers=admin_headers
    )
    assert later_that_day.status_code == 201


def test_an_admin_may_allow_two_occurrences_on_one_day(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    lecture = client.post("/api/v1/schedules", json=LECTURE, headers=admin_headers).get_json()
    url = f"/api/v1/schedules/{lecture['id']}/occurrences/2026-01-12T16:00"
    allowed = client.put(
        url,
        json={"moved_start": "2026-01-19T18:00", "allow_same_day": True},
        headers=admin_headers,
    )
    assert allowed.status_code == 201
    listed = client.get(
        f"/api/v1/occurrences?schedule_id={lecture['id']}&from=2026-01-19&to=2026-01-19",
        headers=admin_headers,
    ).get_json()
    assert len(listed["items"]) == 2
