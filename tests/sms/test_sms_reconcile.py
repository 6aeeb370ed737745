"""A row a crash left ``sending`` is settled by asking the provider, never resent blindly.

The real ``twilio`` client asks the fake Twilio's Message list (To, DateSent>).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.context import Pufa
from service.models import Delivery
from service.settings import Settings
from service.sms import clockstate
from service.sms.console import ConsoleGateway
from service.sms.dispatcher import Dispatcher, reconcile
from service.sms.gateway import Gateway
from service.sms.reconcile import COUNTER_PREFIX, LOOKUP_PATIENCE
from service.sms.status import status_callback_url
from service.sms.twilio_gateway import TwilioGateway
from tests.support.fake_twilio import FakeTwilio
from tests.support.sms import twilio_settings
from tests.support.sms_world import World, local, outbox

CLAIMED_AT = local(2026, 12, 6, 15)
LECTURE = local(2026, 12, 7, 16)
GRACE = timedelta(minutes=30)  # the default PUFA_SENDING_GRACE_MINUTES
SETTLE = timedelta(minutes=10)
SAME_MESSAGE: tuple[str, ...] = ("schedule_id", "rule_id", "person_id", "due_at", "useful_until")
SAME_MESSAGE += ("to", "body", "occurrence_start_at", "segments")


class Clock:
    def __init__(self) -> None:
        self.now = CLAIMED_AT

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(fake_twilio: FakeTwilio) -> Clock:
    clock = Clock()
    fake_twilio.clock = clock  # the fake stamps DateSent with the test's time
    return clock


@pytest.fixture
def twilio(settings: Settings, fake_twilio: FakeTwilio) -> Settings:
    return twilio_settings(settings, fake_twilio)


@pytest.fixture
def gateway(twilio: Settings) -> TwilioGateway:
    return TwilioGateway.from_settings(twilio)


@pytest.fixture
def dispatcher(
    pufa_state: Pufa, twilio: Settings, gateway: TwilioGateway, clock: Clock
) -> Iterator[Dispatcher]:
    dispatcher = Dispatcher(pufa_state.db, gateway, twilio, clock=clock, rng=random.Random(1))
    yield dispatcher
    dispatcher.close()


@pytest.fixture
def crashed_row(session: Session) -> Delivery:
    """A message claimed at 15:00, after which its clock process died."""
    [row] = outbox(World(session), 1, CLAIMED_AT, LECTURE)
    row.status, row.claimed_at, row.attempts = "sending", CLAIMED_AT, 1
    session.commit()
    return row


def settle(pufa_state: Pufa, gateway: Gateway, settings: Settings, clock: Clock) -> dict[str, int]:
    return vars(reconcile(pufa_state.db, gateway, settings, clock.now, SETTLE))


def fresh(session: Session, row: Delivery) -> Delivery:
    session.refresh(row)
    session.commit()  # SQLite: end the read so the app can write
    return row


def test_a_claimed_row_the_provider_never_got_is_sent_again_exactly_once(
    session: Session,
    pufa_state: Pufa,
    twilio: Settings,
    gateway: TwilioGateway,
    dispatcher: Dispatcher,
    fake_twilio: FakeTwilio,
    clock: Clock,
    crashed_row: Delivery,
) -> None:
    clock.now = CLAIMED_AT + GRACE - timedelta(seconds=1)
    assert settle(pufa_state, gateway, twilio, clock) == {"found": 0, "requeued": 0, "unknown": 0}

    clock.now = CLAIMED_AT + GRACE
    assert settle(pufa_state, gateway, twilio, clock) == {"found": 0, "requeued": 1, "unknown": 0}
    dispatcher.run()
    dispatcher.run()
    assert settle(pufa_state, gateway, twilio, clock) == {"found": 0, "requeued": 0, "unknown": 0}

    (message,) = fake_twilio.outbox
    row = fresh(session, crashed_row)
    assert (row.status, row.provider_sid, row.attempts) == ("sent", message.sid, 2)
    assert message.delivery_id == row.id
    assert clockstate.counts(session, COUNTER_PREFIX) == {"requeued": 1}


def test_a_row_sent_before_the_crash_gets_its_sid_and_status_and_is_not_sent_again(
    session: Session,
    pufa_state: Pufa,
    twilio: Settings,
    gateway: TwilioGateway,
    dispatcher: Dispatcher,
    fake_twilio: FakeTwilio,
    clock: Clock,
    crashed_row: Delivery,
) -> None:
    # The provider took it at 15:00:01; the process died before writing the sid down.
    clock.now = CLAIMED_AT + timedelta(seconds=1)
    callback = status_callback_url(twilio.public_base_url, crashed_row.id)
    sent = gateway.send(crashed_row.to, crashed_row.body, callback)
    message = fake_twilio.message(sent.provider_sid or "")
    assert message is not None
    message.status = "delivered"
    # Other messages to the same person: an earlier one, and one with another text.
    gateway.send(crashed_row.to, "【蟒河镇普法】另一条", None)

    clock.now = CLAIMED_AT + GRACE
    assert settle(pufa_state, gateway, twilio, clock) == {"found": 1, "requeued": 0, "unknown": 0}
    dispatcher.run()

    row = fresh(session, crashed_row)
    assert (row.status, row.provider_sid) == ("delivered", sent.provider_sid)
    assert len(fake_twilio.outbox) == 2
    assert clockstate.counts(session, COUNTER_PREFIX) == {"found": 1}


def test_a_sid_already_recorded_on_another_row_is_not_taken(
    session: Session,
    pufa_state: Pufa,
    twilio: Settings,
    gateway: TwilioGateway,
    fake_twilio: FakeTwilio,
    clock: Clock,
    crashed_row: Delivery,
) -> None:
    # Same person, same text, recorded on another row: that message is not this one's.
    clock.now = CLAIMED_AT + timedelta(seconds=1)
    sent = gateway.send(crashed_row.to, crashed_row.body, None)
    other = Delivery(
        **{c: getattr(crashed_row, c) for c in SAME_MESSAGE},
        original_start_at=crashed_row.original_start_at + timedelta(days=7),
        status="sent",
        provider_sid=sent.provider_sid,
    )
    session.add(other)
    session.commit()

    clock.now = CLAIMED_AT + GRACE
    assert settle(pufa_state, gateway, twilio, clock) == {"found": 0, "requeued": 1, "unknown": 0}
    assert fresh(session, crashed_row).provider_sid is None


@pytest.mark.parametrize("fault", ["500", "timeout"])
def test_while_the_provider_cannot_answer_the_row_waits_and_settles_once_it_can(
    session: Session,
    pufa_state: Pufa,
    twilio: Settings,
    gateway: TwilioGateway,
    dispatcher: Dispatcher,
    fake_twilio: FakeTwilio,
    clock: Clock,
    crashed_row: Delivery,
    fault: str,
) -> None:
    fake_twilio.lookup_fault = fault
    clock.now = CLAIMED_AT + GRACE
    assert settle(pufa_state, gateway, twilio, clock) == {"found": 0, "requeued": 0, "unknown": 0}
    dispatcher.run()
    assert fresh(session, crashed_row).status == "sending"
    assert fake_twilio.outbox == []

    fake_twilio.lookup_fault = ""  # the provider is back a tick later
    clock.now += timedelta(minutes=1)
    assert settle(pufa_state, gateway, twilio, clock) == {"found": 0, "requeued": 1, "unknown": 0}
    dispatcher.run()
    assert len(fake_twilio.outbox) == 1
    assert fresh(session, crashed_row).status == "sent"


@pytest.mark.parametrize("fault", ["500", "timeout"])
def test_when_the_provider_cannot_answer_within_the_patience_the_row_becomes_unknown(
    session: Session,
    pufa_state: Pufa,
    twilio: Settings,
    gateway: TwilioGateway,
    dispatcher: Dispatcher,
    fake_twilio: FakeTwilio,
    clock: Clock,
    crashed_row: Delivery,
    fault: str,
) -> None:
    fake_twilio.lookup_fault = fault

    clock.now = CLAIMED_AT + LOOKUP_PATIENCE - timedelta(minutes=1)
    assert settle(pufa_state, gateway, twilio, clock) == {"found": 0, "requeued": 0, "unknown": 0}
    clock.now = CLAIMED_AT + LOOKUP_PATIENCE
    assert settle(pufa_state, gateway, twilio, clock) == {"found": 0, "requeued": 0, "unknown": 1}
    dispatcher.run()

    row = fresh(session, crashed_row)
    assert row.status == "unknown" and "could not be asked" in row.reason
    assert fake_twilio.outbox == []


def test_the_console_backend_cannot_be_asked_so_the_row_becomes_unknown(
    session: Session, pufa_state: Pufa, settings: Settings, clock: Clock, crashed_row: Delivery
) -> None:
    clock.now = CLAIMED_AT + GRACE
    gateway = ConsoleGateway()

    assert settle(pufa_state, gateway, settings, clock) == {"found": 0, "requeued": 0, "unknown": 1}
    assert list(gateway.outbox) == []
    reason = session.scalar(select(Delivery.reason))
    assert reason is not None and reason.startswith("claimed, then no provider id")


def test_a_timed_out_send_the_provider_took_is_recorded_once_its_settle_time_passes(
    session: Session,
    pufa_state: Pufa,
    twilio: Settings,
    gateway: TwilioGateway,
    dispatcher: Dispatcher,
    fake_twilio: FakeTwilio,
    clock: Clock,
) -> None:
    [row] = outbox(World(session), 1, CLAIMED_AT, LECTURE)
    fake_twilio.script("accept-timeout")
    fake_twilio.hang_seconds = 2.2  # longer than the client's 2 s timeout

    dispatcher.run()
    assert fresh(session, row).status == "sending"

    clock.now = CLAIMED_AT + SETTLE
    assert settle(pufa_state, gateway, twilio, clock) == {"found": 1, "requeued": 0, "unknown": 0}
    dispatcher.run()

    (message,) = fake_twilio.outbox
    assert (fresh(session, row).status, row.provider_sid) == ("sent", message.sid)


def test_a_message_the_provider_still_holds_queued_past_the_grace_is_found_not_sent_again(
    session: Session,
    pufa_state: Pufa,
    twilio: Settings,
    gateway: TwilioGateway,
    dispatcher: Dispatcher,
    fake_twilio: FakeTwilio,
    clock: Clock,
    crashed_row: Delivery,
) -> None:
    # Twilio took it and still holds it queued: it has no DateSent yet.
    fake_twilio.hold_queued = True
    clock.now = CLAIMED_AT + timedelta(seconds=1)
    callback = status_callback_url(twilio.public_base_url, crashed_row.id)
    sent = gateway.send(crashed_row.to, crashed_row.body, callback)
    assert fake_twilio.message(sent.provider_sid).date_sent is None  # type: ignore[union-attr]

    clock.now = CLAIMED_AT + GRACE + timedelta(minutes=5)
    assert settle(pufa_state, gateway, twilio, clock) == {"found": 1, "requeued": 0, "unknown": 0}
    dispatcher.run()
    dispatcher.run()

    row = fresh(session, crashed_row)
    assert (row.status, row.provider_sid) == ("sent", sent.provider_sid)
    assert len(fake_twilio.outbox) == 1
