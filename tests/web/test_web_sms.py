"""The SMS pages: preview with segment counts, the deliveries log and retry, the ledger."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from service.context import Pufa
from service.models import AuditEntry, Delivery, Department, Person, ReminderRule, Schedule, utcnow
from tests.support.web import csrf_from, sign_in


def _lecture_with_rule(state: Pufa) -> tuple[int, int, int]:
    with state.db.transaction() as session:
        office = Department(name="司法所")
        person = Person(name="王芳", mobile="+8613900008000", departments=[office])
        start = (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0)
        rule = ReminderRule(name="提前一天", lead_minutes=1440, template="lecture_audience")
        schedule = Schedule(
            kind="lecture",
            title="机关职工每周一讲",
            starts_at=start,
            rrule="FREQ=WEEKLY",
            departments=[office],
            topic="宪法",
            location="三楼会议室",
            rules=[rule],
        )
        session.add_all([person, schedule])
        session.flush()
        return schedule.id, rule.id, person.id


def test_the_preview_lists_messages_with_segment_counts(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    _lecture_with_rule(pufa_state)
    sign_in(client, pufa_state)
    # The reminder is due in two days: this week or next, and always in a chosen range.
    today = utcnow().date()
    query = f"period=range&start={today}&end={today + timedelta(days=6)}"
    html = client.get(f"/admin/sms/preview?{query}").get_data(as_text=True)
    assert "王芳" in html and "宪法" in html
    assert "1 条短信，计费 1 条" in html
    assert "+8613900008000" not in html  # numbers are masked


def test_a_bad_preview_range_is_flagged_not_a_500(client: FlaskClient, pufa_state: Pufa) -> None:
    sign_in(client, pufa_state)
    response = client.get("/admin/sms/preview?period=range&start=2026-03-01&end=2026-09-01")
    assert response.status_code == 200
    assert 'id="end-error"' in response.get_data(as_text=True)


def test_a_failed_delivery_can_be_retried_from_the_log(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    schedule_id, rule_id, person_id = _lecture_with_rule(pufa_state)
    with pufa_state.db.transaction() as session:
        start = session.get_one(Schedule, schedule_id).starts_at
        session.add(
            Delivery(
                schedule_id=schedule_id,
                original_start_at=start,
                rule_id=rule_id,
                person_id=person_id,
                status="failed",
                due_at=start - timedelta(days=1),
                useful_until=start,
                occurrence_start_at=start,
                to="+8613900008000",
                body="明天每周一讲",
                segments=1,
                error_code="30003",
            )
        )
    sign_in(client, pufa_state)
    log = client.get("/admin/sms/deliveries?status=failed").get_data(as_text=True)
    assert "发送失败" in log and "30003" in log
    delivery_id = 0
    with pufa_state.db.sessions() as session:
        delivery_id = session.scalars(select(Delivery.id)).one()
    response = client.post(
        f"/admin/sms/deliveries/{delivery_id}/retry", data={"csrf_token": csrf_from(log)}
    )
    assert response.status_code == 302
    with pufa_state.db.sessions() as session:
        assert session.scalars(select(Delivery.status)).one() == "pending"
        assert session.scalars(select(AuditEntry.action)).all() == ["retry"]


def test_the_deliveries_filter_refuses_an_unknown_status_politely(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    sign_in(client, pufa_state)
    response = client.get("/admin/sms/deliveries?status=bogus")
    assert response.status_code == 200
    assert 'id="status-error"' in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("referrer", "location"),
    [
        ("https://evil.example/phish", "/admin/sms/deliveries"),
        ("//evil.example/phish", "/admin/sms/deliveries"),
        ("javascript:alert(1)", "/admin/sms/deliveries"),
        (
            "http://localhost/admin/sms/deliveries?status=failed",
            "/admin/sms/deliveries?status=failed",
        ),
    ],
)
def test_a_retry_goes_back_only_to_a_page_of_this_site(
    client: FlaskClient, pufa_state: Pufa, referrer: str, location: str
) -> None:
    schedule_id, rule_id, person_id = _lecture_with_rule(pufa_state)
    with pufa_state.db.transaction() as session:
        start = session.get(Schedule, schedule_id).starts_at  # type: ignore[union-attr]
        delivery = Delivery(
            schedule_id=schedule_id,
            original_start_at=start,
            rule_id=rule_id,
            person_id=person_id,
            status="failed",
            due_at=start - timedelta(days=1),
            useful_until=start,
            occurrence_start_at=start,
            to="+8613900008000",
            body="明天每周一讲",
            segments=1,
        )
        session.add(delivery)
        session.flush()
        delivery_id = delivery.id
    sign_in(client, pufa_state)
    log = client.get("/admin/sms/deliveries").get_data(as_text=True)
    response = client.post(
        f"/admin/sms/deliveries/{delivery_id}/retry",
        data={"csrf_token": csrf_from(log)},
        headers={"Referer": referrer},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == location
