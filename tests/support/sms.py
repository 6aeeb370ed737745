"""Arranging SMS tests: Twilio settings aimed at the fake, and rows to act on."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from service.models import Delivery, Person, ReminderRule, Schedule
from service.settings import Settings
from tests.support.fake_twilio import FakeTwilio, Sender

FROM_NUMBER = "+15005550006"
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai


def twilio_settings(settings: Settings, fake: FakeTwilio, **overrides: Any) -> Settings:
    return replace(
        settings,
        sms_backend="twilio",
        twilio_account_sid=fake.account_sid,
        twilio_auth_token=fake.auth_token,
        twilio_from=FROM_NUMBER,
        twilio_api_base_url=fake.base_url,
        # Generous: a loaded CI machine can take a while to answer even on loopback;
        # tests of timeouts script a hang longer than this, or set their own.
        twilio_timeout_seconds=2.0,
        **overrides,
    )


def client_sender(client: FlaskClient) -> Sender:
    """Deliver the fake's callbacks to the app through the test client (full URL, so
    the scheme and host Twilio signed are the ones the app sees)."""

    def send(url: str, params: dict[str, str], headers: dict[str, str]) -> int:
        return client.post(url, data=params, headers=headers).status_code

    return send


def add_person(
    session: Session, name: str = "王丽", mobile: str | None = "+8613900008001", **fields: object
) -> Person:
    person = Person(name=name, mobile=mobile, **fields)
    session.add(person)
    session.flush()
    return person


def add_delivery(
    session: Session,
    person: Person,
    *,
    status: str = "sending",
    provider_sid: str | None = None,
    start: datetime = NOW + timedelta(days=1),
) -> Delivery:
    schedule = Schedule(kind="lecture", title="机关职工每周一讲", starts_at=start)
    rule = ReminderRule(schedule=schedule, name="1d", lead_minutes=1440, template="x")
    session.add_all([schedule, rule])
    session.flush()
    delivery = Delivery(
        schedule_id=schedule.id,
        original_start_at=start,
        rule_id=rule.id,
        person_id=person.id,
        status=status,
        due_at=start - timedelta(days=1),
        useful_until=start,
        occurrence_start_at=start,
        to=person.mobile or "",
        body="【蟒河镇普法】测试",
        segments=1,
        provider_sid=provider_sid,
    )
    session.add(delivery)
    session.flush()
    return delivery
