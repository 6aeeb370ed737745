"""The Twilio gateway: the real twilio client against the fake Twilio server."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from service.settings import Settings
from service.sms.console import ConsoleGateway
from service.sms.factory import make_gateway
from service.sms.gateway import SmsError
from service.sms.twilio_gateway import TwilioGateway, classify, parse_retry_after
from tests.support.fake_twilio import FakeTwilio
from tests.support.sms import FROM_NUMBER, twilio_settings

TO = "+8613900008001"
CALLBACK = "https://pufa.example.test/webhooks/twilio/status?delivery=7"


def gateway_for(fake: FakeTwilio, **options: Any) -> TwilioGateway:
    defaults: dict[str, Any] = {
        "account_sid": fake.account_sid,
        "auth_token": fake.auth_token,
        "from_number": FROM_NUMBER,
        "timeout_seconds": 2.0,  # timeout tests pass their own
        "api_base_url": fake.base_url,
    }
    return TwilioGateway(**{**defaults, **options})


def refusal(gateway: TwilioGateway, to: str = TO) -> SmsError:
    with pytest.raises(SmsError) as caught:
        gateway.send(to, "【蟒河镇普法】测试", CALLBACK)
    return caught.value


def test_send_reaches_the_fake_with_from_body_and_status_callback(
    fake_twilio: FakeTwilio,
) -> None:
    result = gateway_for(fake_twilio).send(TO, "【蟒河镇普法】明天上午九点每周一讲", CALLBACK)

    (message,) = fake_twilio.outbox
    assert result.provider_sid == message.sid and message.sid.startswith("SM")
    assert result.status == "queued"
    assert (message.to, message.from_, message.status_callback) == (TO, FROM_NUMBER, CALLBACK)
    assert message.body == "【蟒河镇普法】明天上午九点每周一讲"


def test_messaging_service_sid_is_sent_instead_of_a_from_number(fake_twilio: FakeTwilio) -> None:
    gateway = gateway_for(fake_twilio, from_number="", messaging_service_sid="MG" + "1" * 32)

    result = gateway.send(TO, "hello", None)

    (message,) = fake_twilio.outbox
    assert message.from_ is None and message.messaging_service_sid == "MG" + "1" * 32
    assert message.status_callback is None
    assert result.status == "accepted"


def test_a_wrong_auth_token_is_a_permanent_error(fake_twilio: FakeTwilio) -> None:
    error = refusal(gateway_for(fake_twilio, auth_token="wrong"))
    assert (error.code, error.permanent) == ("20003", True)
    assert fake_twilio.outbox == []


@pytest.mark.parametrize("code", ["21211", "21614", "21610"])
def test_bad_number_landline_and_opted_out_are_permanent(
    fake_twilio: FakeTwilio, code: str
) -> None:
    fake_twilio.script(code)
    error = refusal(gateway_for(fake_twilio))
    assert (error.code, error.permanent, error.retry_after) == (code, True, None)


def test_a_number_that_is_not_e164_is_refused_as_21211(fake_twilio: FakeTwilio) -> None:
    error = refusal(gateway_for(fake_twilio), to="13900008001")
    assert (error.code, error.permanent) == ("21211", True)


def test_too_many_requests_is_transient_with_retry_after(fake_twilio: FakeTwilio) -> None:
    fake_twilio.retry_after = 7
    fake_twilio.script("429")
    error = refusal(gateway_for(fake_twilio))
    assert (error.code, error.permanent, error.retry_after) == ("20429", False, 7.0)


@pytest.mark.parametrize(("fault", "code"), [("500", "20500"), ("503", "20503")])
def test_server_errors_are_transient(fake_twilio: FakeTwilio, fault: str, code: str) -> None:
    fake_twilio.script(fault)
    error = refusal(gateway_for(fake_twilio))
    assert (error.code, error.permanent) == (code, False)


def test_a_provider_that_does_not_answer_is_a_transient_timeout(fake_twilio: FakeTwilio) -> None:
    fake_twilio.script("timeout")
    error = refusal(gateway_for(fake_twilio, timeout_seconds=0.2))
    assert (error.code, error.permanent) == ("read_timeout", False)
    assert fake_twilio.outbox == []


def test_accepted_but_answered_too_late_is_transient_and_was_sent(fake_twilio: FakeTwilio) -> None:
    # The ambiguous case: the dispatcher must not trust a retry here to be the first send;
    # the status callback carrying the delivery id settles the row.
    fake_twilio.script("accept-timeout")
    error = refusal(gateway_for(fake_twilio, timeout_seconds=0.2))
    assert (error.code, error.permanent) == ("read_timeout", False)
    assert len(fake_twilio.outbox) == 1


def test_a_dropped_connection_is_transient(fake_twilio: FakeTwilio) -> None:
    fake_twilio.script("drop")
    error = refusal(gateway_for(fake_twilio))
    assert (error.code, error.permanent) == ("connection", False)


def test_a_provider_that_is_down_is_transient() -> None:
    fake = FakeTwilio()  # bound but never started, then closed: nothing listens
    base_url = fake.base_url
    fake.stop()
    gateway = TwilioGateway(
        account_sid=fake.account_sid,
        auth_token=fake.auth_token,
        from_number=FROM_NUMBER,
        timeout_seconds=0.3,
        api_base_url=base_url,
    )
    error = refusal(gateway)
    assert error.permanent is False
    assert error.code in ("connection", "connect_timeout")


def test_the_gateway_recovers_after_transient_errors(fake_twilio: FakeTwilio) -> None:
    fake_twilio.script("503", "429", "ok")
    gateway = gateway_for(fake_twilio)
    for _ in range(2):
        refusal(gateway)
    assert gateway.send(TO, "third time", None).provider_sid
    assert fake_twilio.requests == 3


def test_seeded_fault_rates_are_reproducible() -> None:
    def run() -> list[str]:
        with FakeTwilio(seed=42) as fake:
            fake.rates(error_rate=0.3, permanent_rate=0.1)
            gateway = gateway_for(fake)
            outcomes = []
            for _ in range(20):
                try:
                    gateway.send(TO, "x", None)
                    outcomes.append("ok")
                except SmsError as error:
                    outcomes.append(error.code)
            return outcomes

    first = run()
    assert first == run()
    assert "ok" in first and set(first) - {"ok"}


def test_refusals_are_logged_with_the_number_masked(
    fake_twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    fake_twilio.script("21610")
    with caplog.at_level(logging.WARNING, logger="pufa.sms.twilio"):
        refusal(gateway_for(fake_twilio))
    (record,) = caplog.records
    assert record.to == "***8001"  # type: ignore[attr-defined]
    assert TO not in caplog.text


@pytest.mark.parametrize(
    ("status", "code", "permanent"),
    [
        (400, 21211, True),
        (400, 21614, True),
        (400, 21610, True),
        (429, 20429, False),
        (429, None, False),
        (500, 20500, False),
        (502, None, False),
        (404, 20404, True),
        (400, 30007, True),
    ],
)
def test_error_mapping(status: int, code: int | None, permanent: bool) -> None:
    assert classify(status, code, "").permanent is permanent


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("Mon, 02 Mar 2026 01:00:30 GMT", now) == 30.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_make_gateway_picks_the_backend_from_settings(
    settings: Settings, fake_twilio: FakeTwilio
) -> None:
    assert isinstance(make_gateway(settings), ConsoleGateway)
    gateway = make_gateway(twilio_settings(settings, fake_twilio))
    assert isinstance(gateway, TwilioGateway)
    assert gateway.send(TO, "via settings", None).provider_sid == fake_twilio.outbox[0].sid


def test_twilio_edge_in_the_environment_cannot_reroute_requests(
    fake_twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_REGION", "au1")
    assert gateway_for(fake_twilio).send(TO, "still local", None).provider_sid
