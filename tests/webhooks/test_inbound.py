"""POST /webhooks/twilio/inbound: keywords and study confirmations by reply."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
import time_machine
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from service.app import create_app
from service.models import AuditEntry, Person, Schedule, StudyConfirmation, StudyItem, StudyPlan
from service.settings import Settings
from service.workflows.inbound import parse_command
from tests.support.fake_twilio import FakeTwilio
from tests.support.sms import add_person, twilio_settings

INBOUND_URL = "https://pufa.example.test/webhooks/twilio/inbound"
MOBILE = "+8613900008001"


@pytest.fixture
def settings(settings: Settings, fake_twilio: FakeTwilio) -> Settings:
    return twilio_settings(settings, fake_twilio)


def text_in(fake: FakeTwilio, client: FlaskClient, body: str, sender: str = MOBILE) -> str:
    """Send a signed inbound SMS; return the TwiML reply's message text."""
    callback = fake.signed(INBOUND_URL, {"From": sender, "To": "+15005550006", "Body": body})
    response = client.post(INBOUND_URL, data=callback.params, headers=callback.headers)
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    xml = response.get_data(as_text=True)
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?><Response><Message>')
    return xml.split("<Message>")[1].split("</Message>")[0]


def person(session: Session, person_id: int) -> Person:
    session.expire_all()
    found = session.get(Person, person_id)
    assert found is not None
    session.commit()
    return found


def add_study_item(session: Session, *, for_everyone: bool = True, closed: bool = False) -> int:
    plan = StudyPlan(year=2026, title="2026年学法计划", is_closed=closed)
    schedule = Schedule(
        kind="deadline",
        title="学习宪法",
        starts_at=datetime(2026, 3, 30, 16, tzinfo=UTC),
        is_all_day=True,
        is_for_everyone=for_everyone,
    )
    item = StudyItem(plan=plan, title="宪法", due_on=date(2026, 3, 31), schedule=schedule)
    session.add_all([plan, schedule, item])
    session.flush()
    return item.id


@pytest.mark.parametrize("body", ["STOP", "stop", "  Stop ", "退订", "td", "ＳＴＯＰ", "T。"])
def test_stop_in_any_case_or_spacing_opts_the_person_out(
    fake_twilio: FakeTwilio, client: FlaskClient, session: Session, body: str
) -> None:
    someone = add_person(session)
    session.commit()

    reply = text_in(fake_twilio, client, body)

    assert "已退订" in reply
    assert person(session, someone.id).is_sms_opted_out
    entry = session.query(AuditEntry).one()
    assert (entry.actor, entry.after) == ("sms:***8001", {"is_sms_opted_out": True})


def test_start_opts_the_person_back_in(
    fake_twilio: FakeTwilio, client: FlaskClient, session: Session
) -> None:
    someone = add_person(session, is_sms_opted_out=True)
    session.commit()

    assert "恢复接收" in text_in(fake_twilio, client, "start")
    assert not person(session, someone.id).is_sms_opted_out


def test_help_explains_the_keywords_without_changing_anything(
    fake_twilio: FakeTwilio, client: FlaskClient, session: Session
) -> None:
    someone = add_person(session)
    session.commit()

    reply = text_in(fake_twilio, client, "帮助")

    assert "确认 编号" in reply and "STOP" in reply and "http" not in reply
    assert not person(session, someone.id).is_sms_opted_out


@pytest.mark.parametrize("body", ["确认 {id}", "确认{id}", "qr {id}", "QR#{id}", "确认　{id}。"])
def test_a_reply_confirms_a_study_item_once(
    fake_twilio: FakeTwilio, client: FlaskClient, session: Session, body: str
) -> None:
    someone = add_person(session)
    item_id = add_study_item(session)
    session.commit()

    with time_machine.travel(datetime(2026, 3, 20, 2, tzinfo=UTC), tick=False):
        first = text_in(fake_twilio, client, body.format(id=item_id))
        second = text_in(fake_twilio, client, body.format(id=item_id))

    assert "已确认您完成学法事项“宪法”" in first
    assert "此前已确认" in second
    (confirmation,) = session.query(StudyConfirmation).all()
    assert (confirmation.item_id, confirmation.person_id) == (item_id, someone.id)
    assert confirmation.confirmed_at == datetime(2026, 3, 20, 2, tzinfo=UTC)
    session.commit()


def test_confirming_an_unknown_item_or_without_an_id_asks_again(
    fake_twilio: FakeTwilio, client: FlaskClient, session: Session
) -> None:
    add_person(session)
    session.commit()

    assert "未找到编号为 999" in text_in(fake_twilio, client, "确认 999")
    assert "请在“确认”后附上" in text_in(fake_twilio, client, "确认")
    assert session.query(StudyConfirmation).count() == 0
    session.commit()


@pytest.mark.parametrize("number", ["2147483648", "99999999999999999999", "0"])
def test_a_huge_item_number_is_an_unknown_item_not_an_error(
    fake_twilio: FakeTwilio, client: FlaskClient, session: Session, number: str
) -> None:
    add_person(session)
    session.commit()

    assert f"未找到编号为 {int(number)}" in text_in(fake_twilio, client, f"确认 {number}")
    assert session.query(StudyConfirmation).count() == 0
    session.commit()


def test_an_item_outside_the_persons_audience_is_not_confirmed(
    fake_twilio: FakeTwilio, client: FlaskClient, session: Session
) -> None:
    add_person(session)
    item_id = add_study_item(session, for_everyone=False)
    session.commit()

    assert "不在您的学习范围内" in text_in(fake_twilio, client, f"确认 {item_id}")
    assert session.query(StudyConfirmation).count() == 0
    session.commit()


def test_a_closed_plan_takes_no_more_confirmations(
    fake_twilio: FakeTwilio, client: FlaskClient, session: Session
) -> None:
    add_person(session)
    item_id = add_study_item(session, closed=True)
    session.commit()

    assert "已结束" in text_in(fake_twilio, client, f"QR {item_id}")
    assert session.query(StudyConfirmation).count() == 0
    session.commit()


@pytest.mark.parametrize("sender", ["+15551234567", "not-a-number", ""])
def test_unknown_numbers_get_a_polite_reply_and_nothing_changes(
    fake_twilio: FakeTwilio, client: FlaskClient, session: Session, sender: str
) -> None:
    someone = add_person(session)
    session.commit()

    assert "未登记" in text_in(fake_twilio, client, "STOP", sender=sender)
    assert not person(session, someone.id).is_sms_opted_out


def test_a_number_not_in_e164_is_matched_after_normalising(
    fake_twilio: FakeTwilio, client: FlaskClient, session: Session
) -> None:
    someone = add_person(session)
    session.commit()

    text_in(fake_twilio, client, "stop", sender="139 0000 8001")

    assert person(session, someone.id).is_sms_opted_out


def test_anything_else_gets_the_help_hint(
    fake_twilio: FakeTwilio, client: FlaskClient, session: Session
) -> None:
    add_person(session)
    session.commit()
    assert "回复 HELP" in text_in(fake_twilio, client, "你好，请问周五几点开会？")


@pytest.mark.parametrize("headers", [{}, {"X-Twilio-Signature": "Zm9yZ2Vk"}])
def test_unsigned_or_forged_inbound_is_refused_and_changes_nothing(
    client: FlaskClient, session: Session, headers: dict[str, str]
) -> None:
    someone = add_person(session)
    session.commit()

    response = client.post(INBOUND_URL, data={"From": MOBILE, "Body": "STOP"}, headers=headers)

    assert response.status_code == 403
    assert not person(session, someone.id).is_sms_opted_out


def test_without_an_auth_token_every_webhook_is_refused(
    app_without_token: FlaskClient, fake_twilio: FakeTwilio
) -> None:
    callback = fake_twilio.signed(INBOUND_URL, {"From": MOBILE, "Body": "STOP"})
    response = app_without_token.post(INBOUND_URL, data=callback.params, headers=callback.headers)
    assert response.status_code == 403


@pytest.fixture
def app_without_token(settings: Settings) -> Iterator[FlaskClient]:
    app = create_app(replace(settings, twilio_auth_token=""))
    yield app.test_client()
    app.extensions["pufa"].db.dispose()


def test_parse_command_reads_keywords_and_item_ids() -> None:
    assert parse_command(" unsubscribe ").kind == "stop"
    assert parse_command("订阅").kind == "start"
    assert parse_command("?").kind == "help"
    assert parse_command("确认 １２").item_id == 12
    assert parse_command("确认 12 谢谢").kind == "unknown"
    assert parse_command("").kind == "unknown"
