"""POST /webhooks/twilio/status: signed, forward-only, idempotent by MessageSid."""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from service.app import create_app
from service.context import Pufa
from service.models import AuditEntry, Delivery, Person
from service.settings import Settings
from service.sms.gateway import SendResult
from service.sms.status import status_callback_url
from service.sms.twilio_gateway import TwilioGateway
from tests.support.fake_twilio import FakeTwilio
from tests.support.sms import add_delivery, add_person, client_sender, twilio_settings

BASE = "https://pufa.example.test"
STATUS_URL = f"{BASE}/webhooks/twilio/status"


@pytest.fixture
def settings(settings: Settings, fake_twilio: FakeTwilio) -> Settings:
    return twilio_settings(settings, fake_twilio)


@pytest.fixture
def fake(fake_twilio: FakeTwilio, client: FlaskClient) -> FakeTwilio:
    fake_twilio.sender = client_sender(client)
    return fake_twilio


def send_for(fake: FakeTwilio, settings: Settings, delivery: Delivery) -> SendResult:
    """What the dispatcher does: send through the real client with the callback URL."""
    gateway = TwilioGateway.from_settings(settings)
    return gateway.send(delivery.to, delivery.body, status_callback_url(BASE, delivery.id))


def reload(session: Session, delivery: Delivery) -> Delivery:
    """A fresh read; the transaction is ended so the app (on SQLite) can write next."""
    session.expire_all()
    found = session.get(Delivery, delivery.id)
    assert found is not None
    session.commit()
    return found


def test_delivered_callback_settles_a_delivery_left_sending(
    fake: FakeTwilio, settings: Settings, session: Session
) -> None:
    # The clock crashed after the send and before recording the sid.
    delivery = add_delivery(session, add_person(session), status="sending")
    session.commit()
    result = send_for(fake, settings, delivery)

    assert fake.callback(result.provider_sid, "delivered") == 204

    settled = reload(session, delivery)
    assert (settled.status, settled.provider_sid) == ("delivered", result.provider_sid)
    assert settled.sent_at is not None


def test_callbacks_move_a_delivery_forward_sent_then_delivered(
    fake: FakeTwilio, settings: Settings, session: Session
) -> None:
    delivery = add_delivery(session, add_person(session))
    session.commit()
    fake.auto_statuses = ("queued", "sent", "delivered")
    send_for(fake, settings, delivery)

    assert fake.flush_callbacks() == [204, 204, 204]
    assert reload(session, delivery).status == "delivered"


def test_a_status_going_backwards_is_ignored_and_logged(
    fake: FakeTwilio, settings: Settings, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    delivery = add_delivery(session, add_person(session))
    session.commit()
    sid = send_for(fake, settings, delivery).provider_sid
    fake.callback(sid, "delivered")

    with caplog.at_level(logging.INFO, logger="pufa.sms.status"):
        assert fake.callback(sid, "sent") == 204
        assert fake.callback(sid, "failed", error_code=30003) == 204

    settled = reload(session, delivery)
    assert (settled.status, settled.error_code) == ("delivered", None)
    assert "status would go backwards; ignored" in caplog.text


def test_the_same_callback_twice_changes_nothing_the_second_time(
    fake: FakeTwilio, settings: Settings, session: Session
) -> None:
    delivery = add_delivery(session, add_person(session))
    session.commit()
    sid = send_for(fake, settings, delivery).provider_sid
    fake.callback(sid, "undelivered", error_code=30005)
    first = reload(session, delivery)
    first_state = (first.status, first.error_code, first.reason, first.updated_at)

    assert fake.callback(sid, "undelivered", error_code=30005) == 204

    again = reload(session, delivery)
    assert (again.status, again.error_code, again.reason, again.updated_at) == first_state
    assert first_state[:2] == ("undelivered", "30005")


def test_a_callback_for_an_unknown_message_sid_changes_nothing(
    fake: FakeTwilio, session: Session, client: FlaskClient
) -> None:
    delivery = add_delivery(session, add_person(session), provider_sid="SMknown")
    session.commit()
    callback = fake.signed(STATUS_URL, {"MessageSid": "SMnobody", "MessageStatus": "delivered"})

    response = client.post(callback.url, data=callback.params, headers=callback.headers)

    assert response.status_code == 204
    assert reload(session, delivery).status == "sending"


@pytest.mark.parametrize("delivery", ["2147483648", "999999999999999999", "0"])
def test_a_callback_naming_a_delivery_id_no_row_can_have_is_answered_204(
    fake: FakeTwilio, session: Session, client: FlaskClient, delivery: str
) -> None:
    known = add_delivery(session, add_person(session), provider_sid="SMknown")
    session.commit()
    url = f"{BASE}/webhooks/twilio/status?delivery={delivery}"
    callback = fake.signed(url, {"MessageSid": "SMnobody", "MessageStatus": "delivered"})

    response = client.post(callback.url, data=callback.params, headers=callback.headers)

    assert response.status_code == 204
    assert reload(session, known).status == "sending"


def test_a_callback_found_by_sid_wins_over_a_disagreeing_delivery_id(
    fake: FakeTwilio, session: Session, client: FlaskClient
) -> None:
    person = add_person(session)
    mine = add_delivery(session, person, provider_sid="SMmine")
    other = add_delivery(session, person, provider_sid=None)
    session.commit()
    callback = fake.signed(
        f"{STATUS_URL}?delivery={other.id}", {"MessageSid": "SMmine", "MessageStatus": "sent"}
    )

    client.post(callback.url, data=callback.params, headers=callback.headers)

    assert reload(session, mine).status == "sent"
    assert reload(session, other).status == "sending"


def test_a_delivery_id_naming_a_row_with_another_sid_changes_nothing(
    fake: FakeTwilio, session: Session, client: FlaskClient
) -> None:
    delivery = add_delivery(session, add_person(session), provider_sid="SMfirst")
    session.commit()
    callback = fake.signed(
        status_callback_url(BASE, delivery.id), {"MessageSid": "SMother", "MessageStatus": "failed"}
    )

    assert client.post(callback.url, data=callback.params, headers=callback.headers).status_code
    settled = reload(session, delivery)
    assert (settled.status, settled.provider_sid) == ("sending", "SMfirst")


def test_error_21610_in_a_callback_marks_the_person_opted_out(
    fake: FakeTwilio, settings: Settings, session: Session
) -> None:
    person = add_person(session)
    delivery = add_delivery(session, person)
    session.commit()
    sid = send_for(fake, settings, delivery).provider_sid

    fake.callback(sid, "failed", error_code=21610)

    assert reload(session, delivery).error_code == "21610"
    stored = session.get(Person, person.id)
    assert stored is not None and stored.is_sms_opted_out
    assert session.query(AuditEntry).filter_by(actor="twilio:21610").count() == 1
    session.commit()


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Twilio-Signature": "Zm9yZ2Vk"}],
    ids=["unsigned", "forged"],
)
def test_unsigned_or_forged_callbacks_are_refused_and_change_nothing(
    session: Session, client: FlaskClient, headers: dict[str, str]
) -> None:
    delivery = add_delivery(session, add_person(session), provider_sid="SMx")
    session.commit()

    response = client.post(
        STATUS_URL, data={"MessageSid": "SMx", "MessageStatus": "delivered"}, headers=headers
    )

    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"
    assert reload(session, delivery).status == "sending"


def test_a_signature_for_other_fields_is_refused(
    fake: FakeTwilio, session: Session, client: FlaskClient
) -> None:
    delivery = add_delivery(session, add_person(session), provider_sid="SMx")
    session.commit()
    signed = fake.signed(STATUS_URL, {"MessageSid": "SMx", "MessageStatus": "sent"})
    tampered = {**signed.params, "MessageStatus": "delivered"}

    assert client.post(STATUS_URL, data=tampered, headers=signed.headers).status_code == 403
    assert reload(session, delivery).status == "sending"


def test_a_signed_but_malformed_callback_is_a_400_not_a_500(
    fake: FakeTwilio, client: FlaskClient
) -> None:
    callback = fake.signed(f"{STATUS_URL}?delivery=abc", {"MessageStatus": "sent"})

    response = client.post(callback.url, data=callback.params, headers=callback.headers)

    assert response.status_code == 400
    assert response.get_json()["fields"] == {"MessageSid": "missing"}


def test_an_unknown_provider_status_is_logged_and_ignored(
    fake: FakeTwilio, session: Session, client: FlaskClient
) -> None:
    delivery = add_delivery(session, add_person(session), provider_sid="SMx")
    session.commit()
    callback = fake.signed(STATUS_URL, {"MessageSid": "SMx", "MessageStatus": "teleported"})

    assert client.post(callback.url, data=callback.params, headers=callback.headers).status_code
    assert reload(session, delivery).status == "sending"


def test_signatures_are_checked_against_the_public_url_behind_a_proxy(
    fake: FakeTwilio, session: Session, client: FlaskClient
) -> None:
    # Twilio signed https://pufa.example.test/…; the proxy talks plain HTTP to us.
    delivery = add_delivery(session, add_person(session), provider_sid="SMx")
    session.commit()
    callback = fake.signed(STATUS_URL, {"MessageSid": "SMx", "MessageStatus": "sent"})

    response = client.post(
        "http://10.0.0.5:8000/webhooks/twilio/status",
        data=callback.params,
        headers=callback.headers,
    )

    assert response.status_code == 204
    assert reload(session, delivery).status == "sent"


def test_a_signature_for_another_host_is_refused_whatever_host_the_request_names(
    fake: FakeTwilio, session: Session, client: FlaskClient
) -> None:
    # Signed (with our token) for evil.example, then sent to us naming that host.
    delivery = add_delivery(session, add_person(session), provider_sid="SMx")
    session.commit()
    evil = "http://evil.example/webhooks/twilio/status"
    callback = fake.signed(evil, {"MessageSid": "SMx", "MessageStatus": "sent"})

    response = client.post(
        evil, data=callback.params, headers={**callback.headers, "Host": "evil.example"}
    )

    assert response.status_code == 403
    assert reload(session, delivery).status == "sending"


@pytest.mark.parametrize("proxy_count", [0, 1])
def test_forwarded_headers_never_change_which_url_was_signed(
    fake: FakeTwilio, settings: Settings, session: Session, proxy_count: int
) -> None:
    # Signed for the forwarded address, while PUBLIC_BASE_URL says another: refused,
    # with or without a proxy; only PUBLIC_BASE_URL counts.
    app = create_app(
        replace(settings, public_base_url="http://127.0.0.1:8000", proxy_count=proxy_count)
    )
    delivery = add_delivery(session, add_person(session), provider_sid="SMx")
    session.commit()
    callback = fake.signed(STATUS_URL, {"MessageSid": "SMx", "MessageStatus": "sent"})

    response = app.test_client().post(
        "http://127.0.0.1:8000/webhooks/twilio/status",
        data=callback.params,
        headers={
            **callback.headers,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "pufa.example.test",
            "X-Forwarded-For": "203.0.113.9",
        },
    )
    app.extensions["pufa"].db.dispose()

    assert response.status_code == 403
    assert reload(session, delivery).status == "sending"


def test_callbacks_over_real_http_reach_the_app(
    fake_twilio: FakeTwilio, settings: Settings, session: Session
) -> None:
    # As in a standalone chaos run: the fake POSTs over loopback HTTP to a live server,
    # whose PUBLIC_BASE_URL is that server's address (signatures are checked against it).
    apps: list[Flask] = []
    server = make_server("127.0.0.1", 0, lambda env, start: apps[0](env, start), threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    apps.append(create_app(replace(settings, public_base_url=base)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        delivery = add_delivery(session, add_person(session))
        session.commit()
        gateway = TwilioGateway.from_settings(settings)
        gateway.send(delivery.to, delivery.body, status_callback_url(base, delivery.id))
        sid = fake_twilio.outbox[0].sid

        assert fake_twilio.callback(sid, "delivered") == 204
    finally:
        server.shutdown()
        thread.join()
        apps[0].extensions["pufa"].db.dispose()

    assert reload(session, delivery).status == "delivered"


def test_a_callback_that_cannot_take_the_write_lock_is_a_503_and_lands_on_retry(
    fake: FakeTwilio, settings: Settings, session: Session, pufa_state: Pufa
) -> None:
    if pufa_state.db.is_postgresql:
        pytest.skip("SQLite's write lock")
    delivery = add_delivery(session, add_person(session), status="sending")
    session.commit()
    result = send_for(fake, settings, delivery)
    engine = pufa_state.db.engine
    engine.dispose()  # new connections, which wait 50 ms for the lock instead of 30 s
    listener = lambda connection, _record: connection.execute("PRAGMA busy_timeout=50")  # noqa: E731
    event.listen(engine, "connect", listener)
    holder = sqlite3.connect(engine.url.database or "", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        assert fake.callback(result.provider_sid, "delivered") == 503
        assert reload(session, delivery).status == "sending"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        event.remove(engine, "connect", listener)

    assert fake.callback(result.provider_sid, "delivered") == 204  # Twilio retries
    assert reload(session, delivery).status == "delivered"
