"""The staff page: a secret link, upcoming events, SMS on/off, no password."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from service.context import Pufa
from service.models import (
    AuditEntry,
    Delivery,
    Department,
    Person,
    ReminderRule,
    Schedule,
    utcnow,
)
from service.web.page_tokens import issue_page_token
from tests.support.web import csrf_from, sign_in


def _staff(state: Pufa) -> tuple[int, str]:
    """A 司法所 member with a weekly lecture they speak at; returns (id, page token)."""
    with state.db.transaction() as session:
        office = Department(name="司法所")
        person = Person(name="王芳", mobile="+8613900008000", departments=[office])
        start = (utcnow() + timedelta(days=2)).replace(microsecond=0)
        session.add(
            Schedule(
                kind="lecture",
                title="机关职工每周一讲",
                starts_at=start,
                rrule="FREQ=WEEKLY",
                departments=[office],
                speaker=person,
                topic="宪法学习",
                location="三楼会议室",
                rules=[
                    ReminderRule(name="提前一天", lead_minutes=1440, template="lecture_audience")
                ],
            )
        )
        session.add(person)
        session.flush()
        token = issue_page_token(session, person, state.settings.secret_key)
        return person.id, token


def test_the_page_shows_the_persons_upcoming_events(client: FlaskClient, pufa_state: Pufa) -> None:
    _id, token = _staff(pufa_state)
    response = client.get(f"/me/{token}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "王芳，您好" in html
    assert "机关职工每周一讲" in html and "三楼会议室" in html
    assert "您是主讲人" in html


def test_the_page_is_never_cached_or_leaked_by_referer(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    _id, token = _staff(pufa_state)
    response = client.get(f"/me/{token}")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_an_unknown_link_gets_a_friendly_not_found(client: FlaskClient) -> None:
    response = client.get("/me/not-a-real-token")
    assert response.status_code == 404
    assert "找不到这个页面" in response.get_data(as_text=True)


def test_a_rotated_link_stops_working(client: FlaskClient, pufa_state: Pufa) -> None:
    person_id, old = _staff(pufa_state)
    sign_in(client, pufa_state)
    people_page = client.get("/admin/people/").get_data(as_text=True)
    response = client.post(
        f"/admin/people/{person_id}/page-link",
        data={"csrf_token": csrf_from(people_page), "confirm": "1"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    new = html.split("/me/")[1].split("<")[0]
    assert new != old
    assert client.get(f"/me/{old}").status_code == 404
    assert client.get(f"/me/{new}").status_code == 200


def test_the_token_is_stored_only_as_an_hmac(pufa_state: Pufa) -> None:
    person_id, token = _staff(pufa_state)
    with pufa_state.db.sessions() as session:
        stored = session.get(Person, person_id)
        assert stored is not None and stored.page_token_hash not in (None, token)


def test_an_inactive_persons_link_does_not_open(client: FlaskClient, pufa_state: Pufa) -> None:
    person_id, token = _staff(pufa_state)
    with pufa_state.db.transaction() as session:
        person = session.get(Person, person_id)
        assert person is not None
        person.is_active = False
    assert client.get(f"/me/{token}").status_code == 404


def test_turning_sms_off_and_on(client: FlaskClient, pufa_state: Pufa) -> None:
    person_id, token = _staff(pufa_state)
    page = client.get(f"/me/{token}").get_data(as_text=True)
    response = client.post(f"/me/{token}/sms", data={"sms": "off", "csrf_token": csrf_from(page)})
    assert response.status_code == 302
    page = client.get(f"/me/{token}").get_data(as_text=True)
    assert "短信提醒已关闭" in page and "已关闭" in page
    with pufa_state.db.sessions() as session:
        assert session.get_one(Person, person_id).is_sms_enabled is False
    client.post(f"/me/{token}/sms", data={"sms": "on", "csrf_token": csrf_from(page)})
    with pufa_state.db.sessions() as session:
        assert session.get_one(Person, person_id).is_sms_enabled is True


def test_turning_sms_off_retracts_pending_deliveries(client: FlaskClient, pufa_state: Pufa) -> None:
    pytest.importorskip("service.sms.planner")
    person_id, token = _staff(pufa_state)
    with pufa_state.db.transaction() as session:
        schedule = session.scalars(select(Schedule)).one()
        start = schedule.starts_at
        session.add(
            Delivery(
                schedule_id=schedule.id,
                original_start_at=start,
                rule_id=schedule.rules[0].id,
                person_id=person_id,
                due_at=start - timedelta(days=1),
                useful_until=start,
                occurrence_start_at=start,
                to="+8613900008000",
                body="明天每周一讲",
                segments=1,
            )
        )
    page = client.get(f"/me/{token}").get_data(as_text=True)
    client.post(f"/me/{token}/sms", data={"sms": "off", "csrf_token": csrf_from(page)})
    with pufa_state.db.sessions() as session:
        assert session.scalars(select(Delivery.status)).one() == "retracted"


def test_a_post_without_csrf_token_changes_nothing(client: FlaskClient, pufa_state: Pufa) -> None:
    person_id, token = _staff(pufa_state)
    response = client.post(f"/me/{token}/sms", data={"sms": "off"})
    assert response.status_code == 400
    with pufa_state.db.sessions() as session:
        assert session.get_one(Person, person_id).is_sms_enabled is True


def test_times_are_shown_in_the_offices_timezone(client: FlaskClient, pufa_state: Pufa) -> None:
    _id, token = _staff(pufa_state)
    with pufa_state.db.sessions() as session:
        start = session.scalars(select(Schedule.starts_at)).one()
    local = start.astimezone(pufa_state.settings.zone)
    html = client.get(f"/me/{token}").get_data(as_text=True)
    assert f"{local:%Y-%m-%d}" in html and f"{local:%H:%M}" in html
    assert start.tzinfo is UTC or start.utcoffset() == timedelta(0)
    assert datetime.now(UTC) < start + timedelta(days=7)


def test_subscribing_shows_a_webcal_link_and_a_qr_code_that_open_the_feed(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    pytest.importorskip("service.feeds.tokens")
    _id, token = _staff(pufa_state)
    page = client.get(f"/me/{token}").get_data(as_text=True)
    assert "获取我的订阅链接" in page
    response = client.post(
        f"/me/{token}/subscribe", data={"csrf_token": csrf_from(page)}, follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    webcal = html.split('href="webcal://')[1].split('"')[0]
    assert "<svg" in html and "日历订阅二维码" in html
    feed_path = "/" + webcal.split("/", 1)[1]
    feed = client.get(feed_path)
    assert feed.status_code == 200
    assert "BEGIN:VCALENDAR" in feed.get_data(as_text=True)


def test_the_page_keeps_showing_the_same_feed_link_until_a_new_one_is_asked_for(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    _id, token = _staff(pufa_state)

    def feed_path(html: str) -> str:
        return "/" + html.split('href="webcal://')[1].split('"')[0].split("/", 1)[1]

    page = client.get(f"/me/{token}").get_data(as_text=True)
    issued = client.post(
        f"/me/{token}/subscribe", data={"csrf_token": csrf_from(page)}, follow_redirects=True
    )
    first = feed_path(issued.get_data(as_text=True))
    later = client.get(f"/me/{token}").get_data(as_text=True)  # another device, say
    assert feed_path(later) == first and "换一个新链接" in later
    assert client.get(first).status_code == 200  # the first device's still works
    renewed = client.post(
        f"/me/{token}/subscribe", data={"csrf_token": csrf_from(later)}, follow_redirects=True
    )
    second = feed_path(renewed.get_data(as_text=True))
    assert second != first
    assert client.get(first).status_code == 404 and client.get(second).status_code == 200
    with pufa_state.db.sessions() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [(e.actor, e.action, e.before, e.after) for e in entries] == [
            (f"staff:{_id}", "issue_feed_token", None, None),
            (f"staff:{_id}", "rotate_feed_token", None, None),
        ]


def test_turning_sms_off_is_audited(client: FlaskClient, pufa_state: Pufa) -> None:
    pytest.importorskip("service.domain.people")

    person_id, token = _staff(pufa_state)
    page = client.get(f"/me/{token}").get_data(as_text=True)
    client.post(f"/me/{token}/sms", data={"sms": "off", "csrf_token": csrf_from(page)})
    with pufa_state.db.sessions() as session:
        entry = session.scalars(select(AuditEntry)).one()
        assert entry.actor == f"staff:{person_id}" and entry.after is not None
        assert entry.after["is_sms_enabled"] is False


def test_confirming_a_study_item_with_a_note(client: FlaskClient, pufa_state: Pufa) -> None:
    pytest.importorskip("service.workflows.study")
    from datetime import date

    from service.models import StudyConfirmation, StudyItem, StudyPlan

    person_id, token = _staff(pufa_state)
    year = utcnow().astimezone(pufa_state.settings.zone).year
    with pufa_state.db.transaction() as session:
        deadline = Schedule(
            kind="deadline",
            title="学法截止：民法典",
            starts_at=utcnow(),
            is_all_day=True,
            is_for_everyone=True,
        )
        plan = StudyPlan(year=year, title=f"{year}年度学法计划")
        plan.items.append(StudyItem(title="民法典", due_on=date(year, 12, 31), schedule=deadline))
        session.add(plan)
        session.flush()
        item_id = plan.items[0].id
    page = client.get(f"/me/{token}").get_data(as_text=True)
    assert "确认已学习" in page
    too_long = client.post(
        f"/me/{token}/study/{item_id}", data={"note": "笔" * 2001, "csrf_token": csrf_from(page)}
    )
    assert too_long.status_code == 400
    assert f'id="note-{item_id}-error"' in too_long.get_data(as_text=True)
    for odd in ("学习\x00笔记", "学习\x0b笔记"):  # NUL: PostgreSQL refuses it on write
        refused = client.post(
            f"/me/{token}/study/{item_id}", data={"note": odd, "csrf_token": csrf_from(page)}
        )
        assert refused.status_code == 400
        assert "不能包含控制字符" in refused.get_data(as_text=True)
    asked = client.post(
        f"/me/{token}/study/{item_id}",
        data={"note": "学习了婚姻家庭编", "csrf_token": csrf_from(page)},
    )
    assert asked.status_code == 200 and "确认已学习“民法典”？" in asked.get_data(as_text=True)
    with pufa_state.db.sessions() as session:
        assert session.scalars(select(StudyConfirmation)).first() is None
    response = client.post(
        f"/me/{token}/study/{item_id}",
        data={"note": "学习了婚姻家庭编", "confirm": "1", "csrf_token": csrf_from(page)},
    )
    assert response.status_code == 302
    with pufa_state.db.sessions() as session:
        confirmation = session.scalars(select(StudyConfirmation)).one()
        assert confirmation.person_id == person_id and confirmation.note == "学习了婚姻家庭编"
    assert "已完成" in client.get(f"/me/{token}").get_data(as_text=True)
