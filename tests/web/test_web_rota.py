"""The rota page: change one week, swap two, through the rota workflow."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from service.context import Pufa
from service.models import Department, OccurrenceOverride, Person, Schedule, utcnow
from service.workflows import rota
from tests.support.web import csrf_from, sign_in


def _lecture(state: Pufa) -> tuple[int, list[str]]:
    """A weekly lecture whose first two weeks have speakers 王芳 and 李强."""
    with state.db.transaction() as session:
        office = Department(name="司法所")
        wang = Person(name="王芳", departments=[office])
        li = Person(name="李强", departments=[office])
        start = (utcnow() + timedelta(days=1)).replace(microsecond=0, second=0)
        schedule = Schedule(
            kind="lecture",
            title="每周一讲",
            starts_at=start,
            rrule="FREQ=WEEKLY",
            departments=[office],
        )
        session.add_all([wang, li, schedule])
        session.flush()
        for week, person, topic in ((0, wang, "宪法"), (1, li, "民法典")):
            session.add(
                OccurrenceOverride(
                    schedule_id=schedule.id,
                    original_start_at=start + timedelta(weeks=week),
                    speaker_id=person.id,
                    topic=topic,
                )
            )
        return schedule.id, [wang.name, li.name]


def _next_week(state: Pufa, schedule_id: int) -> rota.RotaWeek:
    with state.db.sessions() as session:
        schedule = rota.lecture(session, schedule_id)
        return rota.coming_weeks(session, schedule, utcnow(), 1)[0]


def _speakers(state: Pufa, schedule_id: int) -> list[str | None]:
    with state.db.sessions() as session:
        schedule = rota.lecture(session, schedule_id)
        return [w.speaker_name for w in rota.coming_weeks(session, schedule, utcnow(), 2)]


def test_swapping_two_weeks(client: FlaskClient, pufa_state: Pufa) -> None:
    schedule_id, _ = _lecture(pufa_state)
    sign_in(client, pufa_state)
    page = client.get(f"/admin/rota/{schedule_id}").get_data(as_text=True)
    with pufa_state.db.sessions() as session:
        schedule = rota.lecture(session, schedule_id)
        first, second = rota.coming_weeks(session, schedule, utcnow(), 2)
    response = client.post(
        f"/admin/rota/{schedule_id}/swap",
        data={
            "first": first.original_start.isoformat(),
            "second": second.original_start.isoformat(),
            "swap_topics": "1",
            "csrf_token": csrf_from(page),
        },
    )
    assert response.status_code == 302
    assert _speakers(pufa_state, schedule_id) == ["李强", "王芳"]


def test_swapping_a_week_with_itself_is_refused_on_the_form(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    schedule_id, _ = _lecture(pufa_state)
    sign_in(client, pufa_state)
    page = client.get(f"/admin/rota/{schedule_id}").get_data(as_text=True)
    first = _next_week(pufa_state, schedule_id)
    key = first.original_start.isoformat()
    response = client.post(
        f"/admin/rota/{schedule_id}/swap",
        data={"first": key, "second": key, "csrf_token": csrf_from(page)},
    )
    assert response.status_code == 400
    assert "不能与同一周交换" in response.get_data(as_text=True)


def test_changing_one_weeks_speaker_and_topic(client: FlaskClient, pufa_state: Pufa) -> None:
    schedule_id, _ = _lecture(pufa_state)
    with pufa_state.db.sessions() as session:
        zhao_id = None
        schedule = rota.lecture(session, schedule_id)
        week = rota.coming_weeks(session, schedule, utcnow(), 1)[0]
    with pufa_state.db.transaction() as session:
        zhao = Person(name="赵敏")
        session.add(zhao)
        session.flush()
        zhao_id = zhao.id
    sign_in(client, pufa_state)
    page = client.get(f"/admin/rota/{schedule_id}").get_data(as_text=True)
    response = client.post(
        f"/admin/rota/{schedule_id}/assign",
        data={
            "original_start": week.original_start.isoformat(),
            "speaker_id": str(zhao_id),
            "topic": "行政复议法",
            "csrf_token": csrf_from(page),
        },
    )
    assert response.status_code == 302
    assert _speakers(pufa_state, schedule_id)[0] == "赵敏"


def test_a_too_long_topic_is_flagged_in_its_row_and_kept(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    schedule_id, _ = _lecture(pufa_state)
    week = _next_week(pufa_state, schedule_id)
    sign_in(client, pufa_state)
    page = client.get(f"/admin/rota/{schedule_id}").get_data(as_text=True)
    response = client.post(
        f"/admin/rota/{schedule_id}/assign",
        data={
            "original_start": week.original_start.isoformat(),
            "speaker_id": "",
            "topic": "法" * 201,
            "csrf_token": csrf_from(page),
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "不能超过 200 个字符" in html and "法" * 201 in html


def test_a_non_lecture_schedule_has_no_rota(client: FlaskClient, pufa_state: Pufa) -> None:
    with pufa_state.db.transaction() as session:
        schedule = Schedule(kind="meeting", title="例会", starts_at=utcnow())
        session.add(schedule)
        session.flush()
        schedule_id = schedule.id
    sign_in(client, pufa_state)
    response = client.get(f"/admin/rota/{schedule_id}")
    assert response.status_code == 422
    assert "操作未完成" in response.get_data(as_text=True)


def test_a_week_at_the_calendars_edge_is_refused_on_the_form(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    schedule_id, names = _lecture(pufa_state)
    sign_in(client, pufa_state)
    page = client.get(f"/admin/rota/{schedule_id}").get_data(as_text=True)
    first = _next_week(pufa_state, schedule_id)
    for edge in ("0001-01-01T00:00:00+08:00", "9999-12-31T23:00:00-05:00"):
        response = client.post(
            f"/admin/rota/{schedule_id}/swap",
            data={
                "first": first.original_start.isoformat(),
                "second": edge,
                "csrf_token": csrf_from(page),
            },
        )
        assert response.status_code == 400, edge
        assert "年份须在 1970 到 2200 之间。" in response.get_data(as_text=True)
        response = client.post(
            f"/admin/rota/{schedule_id}/assign",
            data={"original_start": edge, "speaker_id": "", "csrf_token": csrf_from(page)},
        )
        assert response.status_code == 400, edge  # no such week on the page to flag
    assert _speakers(pufa_state, schedule_id) == names


def test_several_weeks_are_saved_in_one_form(client: FlaskClient, pufa_state: Pufa) -> None:
    schedule_id, _ = _lecture(pufa_state)
    sign_in(client, pufa_state)
    page_path = f"/admin/rota/{schedule_id}"
    page = client.get(page_path).get_data(as_text=True)
    with pufa_state.db.sessions() as session:
        schedule = rota.lecture(session, schedule_id)
        weeks = rota.coming_weeks(session, schedule, utcnow(), 3)
        li = session.scalars(select(Person.id).where(Person.name == "李强")).one()
        wang = session.scalars(select(Person.id).where(Person.name == "王芳")).one()
    response = client.post(
        f"{page_path}/weeks",
        data={
            "csrf_token": csrf_from(page),
            "week": [w.original_start.isoformat() for w in weeks],
            "speaker_id": [str(li), str(wang), str(wang)],
            "topic": ["宪法", "劳动法", "安全生产法"],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _speakers(pufa_state, schedule_id) == ["李强", "王芳"]
    shown = client.get(page_path).get_data(as_text=True)
    assert "已保存 3 周" in shown
    assert shown.count(">保存全部改动</button>") == 1


def test_a_bad_week_in_the_form_saves_no_week(client: FlaskClient, pufa_state: Pufa) -> None:
    schedule_id, names = _lecture(pufa_state)
    sign_in(client, pufa_state)
    page_path = f"/admin/rota/{schedule_id}"
    page = client.get(page_path).get_data(as_text=True)
    with pufa_state.db.sessions() as session:
        schedule = rota.lecture(session, schedule_id)
        weeks = rota.coming_weeks(session, schedule, utcnow(), 2)
    response = client.post(
        f"{page_path}/weeks",
        data={
            "csrf_token": csrf_from(page),
            "week": [w.original_start.isoformat() for w in weeks],
            "speaker_id": ["", "99999"],
            "topic": ["新题目", "x" * 300],
        },
    )
    assert response.status_code == 400
    assert _speakers(pufa_state, schedule_id) == names


def test_filling_weeks_round_robin_from_a_pool(client: FlaskClient, pufa_state: Pufa) -> None:
    schedule_id, _ = _lecture(pufa_state)
    sign_in(client, pufa_state)
    page_path = f"/admin/rota/{schedule_id}"
    page = client.get(page_path).get_data(as_text=True)
    with pufa_state.db.sessions() as session:
        pool = list(session.scalars(select(Person.id).order_by(Person.name)))
    response = client.post(
        f"{page_path}/fill",
        data={"csrf_token": csrf_from(page), "pool": [str(p) for p in pool], "weeks": "6"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with pufa_state.db.sessions() as session:
        schedule = rota.lecture(session, schedule_id)
        speakers = [w.speaker_name for w in rota.coming_weeks(session, schedule, utcnow(), 6)]
    assert None not in speakers
    assert speakers[:2] == ["王芳", "李强"]  # weeks that had a speaker are kept
    refused = client.post(f"{page_path}/fill", data={"csrf_token": csrf_from(page), "weeks": "6"})
    assert refused.status_code == 400
    assert "请至少选择一位主讲人" in refused.get_data(as_text=True)


def test_a_week_whose_audience_was_reminded_says_a_new_speaker_sends_notices(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    from service.models import DeliveryStatus, ReminderRule
    from tests.support.workflows import pending_delivery

    schedule_id, _ = _lecture(pufa_state)
    with pufa_state.db.transaction() as session:
        schedule = session.get(Schedule, schedule_id)
        assert schedule is not None
        schedule.change_notices = True
        wang = session.scalars(select(Person).where(Person.name == "王芳")).one()
        wang.mobile = "+8613900008000"
        reminder = ReminderRule(schedule=schedule, name="提前一天", lead_minutes=1440,
                                template="lecture_audience", recipients="audience")  # fmt: skip
        session.add(reminder)
        session.flush()
        pending_delivery(session, schedule, reminder, wang, schedule.starts_at,
                         status=DeliveryStatus.DELIVERED)  # fmt: skip
    sign_in(client, pufa_state)
    page = client.get(f"/admin/rota/{schedule_id}").get_data(as_text=True)
    assert page.count("换主讲人会给他们发变更通知") == 1
    assert "已提醒 1 人" in page
