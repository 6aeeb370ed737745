"""POST /api/v1/people/{id}/test-sms: one test message through the configured gateway."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from service.models import Person
from service.settings import Settings
from service.sms.console import ConsoleGateway
from service.sms.factory import app_gateway
from tests.support.fake_twilio import FakeTwilio
from tests.support.sms import add_person, twilio_settings


@pytest.fixture
def settings(settings: Settings, fake_twilio: FakeTwilio) -> Settings:
    return twilio_settings(settings, fake_twilio)


def url(person_id: int) -> str:
    return f"/api/v1/people/{person_id}/test-sms"


def test_an_admin_sends_a_test_message_and_sees_the_sid_and_segments(
    client: FlaskClient, session: Session, admin_headers: dict[str, str], fake_twilio: FakeTwilio
) -> None:
    person = add_person(session)
    session.commit()

    response = client.post(url(person.id), headers=admin_headers)

    assert response.status_code == 200, response.get_json()
    (message,) = fake_twilio.outbox
    assert response.get_json() == {
        "person_id": person.id,
        "to": "***8001",
        "provider_sid": message.sid,
        "status": "queued",
        "segments": 1,
        "backend": "twilio",
    }
    assert message.to == "+8613900008001" and "王丽您好，这是一条测试短信" in message.body
    assert message.status_callback is None


def test_a_viewer_may_not_send(
    client: FlaskClient, session: Session, viewer_headers: dict[str, str]
) -> None:
    person = add_person(session)
    session.commit()
    assert client.post(url(person.id), headers=viewer_headers).status_code == 403
    assert client.post(url(person.id)).status_code == 401


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"mobile": None}, "no_mobile"),
        ({"is_sms_opted_out": True}, "sms_opted_out"),
        ({"is_sms_enabled": False}, "sms_disabled"),
        ({"is_active": False}, "inactive"),
    ],
)
def test_someone_who_cannot_receive_sms_is_a_422_and_nothing_is_sent(
    client: FlaskClient,
    session: Session,
    admin_headers: dict[str, str],
    fake_twilio: FakeTwilio,
    fields: dict[str, object],
    code: str,
) -> None:
    values: dict[str, Any] = {"mobile": "+8613900008001", **fields}
    person = add_person(session, **values)
    session.commit()

    response = client.post(url(person.id), headers=admin_headers)

    assert response.status_code == 422
    assert response.get_json()["error"] == code
    assert fake_twilio.outbox == []


def test_an_unknown_person_is_a_404(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    response = client.post(url(9999), headers=admin_headers)
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_a_carrier_opt_out_is_a_422_and_marks_the_person(
    client: FlaskClient, session: Session, admin_headers: dict[str, str], fake_twilio: FakeTwilio
) -> None:
    person = add_person(session)
    session.commit()
    fake_twilio.opted_out.add("+8613900008001")

    response = client.post(url(person.id), headers=admin_headers)

    assert response.status_code == 422
    assert response.get_json()["fields"] == {"provider_code": "21610"}
    session.expire_all()
    stored = session.get(Person, person.id)
    assert stored is not None and stored.is_sms_opted_out
    session.commit()


def test_a_provider_outage_is_a_503_not_a_500(
    client: FlaskClient, session: Session, admin_headers: dict[str, str], fake_twilio: FakeTwilio
) -> None:
    person = add_person(session)
    session.commit()
    fake_twilio.script("503")

    response = client.post(url(person.id), headers=admin_headers)

    assert response.status_code == 503
    assert response.get_json()["error"] == "sms_unavailable"


def test_the_console_backend_logs_and_records_instead_of_sending(
    app: Flask, client: FlaskClient, session: Session, admin_headers: dict[str, str]
) -> None:
    from service.sms.factory import install_gateway

    console = ConsoleGateway()
    install_gateway(app, console)
    person = add_person(session)
    session.commit()

    body = client.post(url(person.id), headers=admin_headers).get_json()

    (message,) = console.outbox
    assert body["provider_sid"] == message.sid and message.sid.startswith("CONSOLE-")
    with app.app_context():
        assert app_gateway() is console
