"""The dispatcher sends what is due exactly once, waits out quiet hours and retries wisely."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.context import Pufa
from service.models import Delivery, Person
from service.settings import Settings
from service.sms.dispatcher import Dispatcher, reconcile
from service.sms.gateway import SmsError
from service.sms.reconcile import LOOKUP_PATIENCE
from tests.support.sms_fakes import RecordingGateway
from tests.support.sms_world import World, local, outbox

AFTERNOON = local(2026, 12, 6, 15)
LECTURE = local(2026, 12, 7, 16)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(AFTERNOON)


@pytest.fixture
def gateway() -> RecordingGateway:
    return RecordingGateway()


@pytest.fixture
def dispatcher(
    pufa_state: Pufa, settings: Settings, gateway: RecordingGateway, clock: Clock
) -> Iterator[Dispatcher]:
    dispatcher = Dispatcher(pufa_state.db, gateway, settings, clock=clock, rng=random.Random(1))
    yield dispatcher
    dispatcher.close()


def statuses(session: Session) -> list[tuple[str, str]]:
    session.expire_all()
    result = [(r.status, r.reason) for r in session.scalars(select(Delivery).order_by(Delivery.id))]
    session.commit()  # SQLite: end the read so the dispatcher can write
    return result


def reload(session: Session, row: Delivery) -> Delivery:
    """Fresh values, with the transaction closed again (SQLite has one writer)."""
    session.refresh(row)
    session.commit()
    return row


def test_a_due_message_is_sent_once_with_its_callback_url(
    session: Session, dispatcher: Dispatcher, gateway: RecordingGateway
) -> None:
    [row] = outbox(World(session), 1, AFTERNOON, LECTURE)

    dispatcher.run()
    dispatcher.run()

    [sent] = gateway.outbox
    assert (
        sent.status_callback
        == f"https://pufa.example.test/webhooks/twilio/status?delivery={row.id}"
    )
    reload(session, row)
    assert (row.status, row.provider_sid, row.attempts) == ("sent", sent.sid, 1)
    assert row.sent_at == AFTERNOON


def test_nothing_is_sent_before_it_is_due(
    session: Session, dispatcher: Dispatcher, gateway: RecordingGateway
) -> None:
    outbox(World(session), 3, AFTERNOON + timedelta(seconds=1), LECTURE)

    assert dispatcher.run().claimed == 0
    assert gateway.outbox == []


def test_routine_reminders_wait_until_quiet_hours_end(
    session: Session, dispatcher: Dispatcher, gateway: RecordingGateway, clock: Clock
) -> None:
    [row] = outbox(World(session), 1, local(2026, 12, 6, 22), LECTURE)
    clock.now = local(2026, 12, 6, 22, 5)

    assert dispatcher.run().held == 1
    reload(session, row)
    assert row.next_attempt_at == local(2026, 12, 7, 7, 30)

    clock.now = local(2026, 12, 7, 7, 29)
    dispatcher.run()
    assert gateway.outbox == []
    clock.now = local(2026, 12, 7, 7, 30)
    dispatcher.run()
    assert len(gateway.outbox) == 1


def test_urgent_reminders_are_sent_during_quiet_hours(
    session: Session, dispatcher: Dispatcher, gateway: RecordingGateway, clock: Clock
) -> None:
    outbox(World(session), 1, local(2026, 12, 6, 23), LECTURE, is_routine=False)
    clock.now = local(2026, 12, 6, 23)

    dispatcher.run()

    assert len(gateway.outbox) == 1


def test_a_routine_reminder_useless_after_quiet_hours_is_expired_with_the_reason(
    session: Session, dispatcher: Dispatcher, gateway: RecordingGateway, clock: Clock
) -> None:
    outbox(World(session), 1, local(2026, 12, 7, 5), local(2026, 12, 7, 7))
    clock.now = local(2026, 12, 7, 5)

    dispatcher.run()

    assert gateway.outbox == []
    assert statuses(session) == [("expired", "quiet hours until 07:30; no longer useful by then")]


def test_a_message_whose_time_has_passed_is_expired_not_sent(
    session: Session, dispatcher: Dispatcher, gateway: RecordingGateway, clock: Clock
) -> None:
    outbox(World(session), 1, AFTERNOON, LECTURE)
    clock.now = LECTURE

    dispatcher.run()

    assert gateway.outbox == []
    [(status, reason)] = statuses(session)
    assert status == "expired" and "stopped being useful" in reason


def test_a_transient_error_is_retried_later_with_backoff(
    session: Session, dispatcher: Dispatcher, gateway: RecordingGateway, clock: Clock
) -> None:
    [row] = outbox(World(session), 1, AFTERNOON, LECTURE)
    gateway.errors.append(SmsError("20429", "Too Many Requests", permanent=False))

    dispatcher.run()

    reload(session, row)
    assert (row.status, row.error_code, row.attempts) == ("pending", "20429", 1)
    assert row.next_attempt_at is not None
    delay = row.next_attempt_at - AFTERNOON
    assert timedelta(seconds=15) <= delay <= timedelta(seconds=30)
    dispatcher.run()
    assert gateway.outbox == []  # not before the backoff has passed

    clock.now = row.next_attempt_at
    dispatcher.run()
    reload(session, row)
    assert (row.status, row.attempts, len(gateway.outbox)) == ("sent", 2, 1)


def test_retry_after_from_the_provider_is_respected(
    session: Session, dispatcher: Dispatcher, gateway: RecordingGateway
) -> None:
    [row] = outbox(World(session), 1, AFTERNOON, LECTURE)
    gateway.errors.append(SmsError("429", permanent=False, retry_after=600))

    dispatcher.run()

    reload(session, row)
    assert row.next_attempt_at == AFTERNOON + timedelta(seconds=600)


def test_a_retry_that_would_come_too_late_expires_instead(
    session: Session, dispatcher: Dispatcher, gateway: RecordingGateway
) -> None:
    outbox(World(session), 1, AFTERNOON, AFTERNOON + timedelta(seconds=5))
    gateway.errors.append(SmsError("500", "Internal Server Error", permanent=False))

    dispatcher.run()

    [(status, reason)] = statuses(session)
    assert status == "expired" and reason.startswith("gave up after attempt 1 (500")


def test_a_bad_number_fails_at_once_and_is_not_retried(
    session: Session, dispatcher: Dispatcher, gateway: RecordingGateway, clock: Clock
) -> None:
    outbox(World(session), 1, AFTERNOON, LECTURE)
    gateway.errors.append(SmsError("21211", "invalid 'To' number", permanent=True))

    dispatcher.run()
    clock.now += timedelta(hours=1)
    dispatcher.run()

    assert gateway.outbox == []
    assert statuses(session) == [("failed", "refused: 21211: invalid 'To' number")]


def test_an_opted_out_recipient_is_marked_and_their_other_messages_retracted(
    session: Session, dispatcher: Dispatcher, gateway: RecordingGateway
) -> None:
    rows = outbox(World(session), 2, AFTERNOON, LECTURE)
    rows[1].due_at = AFTERNOON + timedelta(hours=1)
    session.commit()

    gateway.errors.append(SmsError("21610", "unsubscribed recipient", permanent=True))

    dispatcher.run()

    assert [s for s, _ in statuses(session)] == ["failed", "retracted"]
    assert session.scalars(select(Person.is_sms_opted_out)).one()


def test_a_timeout_waits_for_the_callback_then_asks_the_provider_instead_of_resending(
    session: Session,
    dispatcher: Dispatcher,
    gateway: RecordingGateway,
    clock: Clock,
    pufa_state: Pufa,
    settings: Settings,
) -> None:
    [row] = outbox(World(session), 1, AFTERNOON, LECTURE)
    gateway.errors.append(SmsError("timeout", "read timed out", permanent=False))

    dispatcher.run()
    clock.now += timedelta(minutes=5)
    reconcile(pufa_state.db, gateway, settings, clock.now, settle=timedelta(minutes=10))
    dispatcher.run()

    reload(session, row)
    assert row.status == "sending" and len(gateway.outbox) == 1

    clock.now += timedelta(minutes=5)  # no callback came within the settle time
    result = reconcile(pufa_state.db, gateway, settings, clock.now, settle=timedelta(minutes=10))
    assert (result.found, result.requeued, result.unknown) == (1, 0, 0)
    dispatcher.run()
    reload(session, row)
    assert (row.status, row.attempts, len(gateway.outbox)) == ("sent", 1, 1)
    assert row.provider_sid == gateway.outbox[0].sid


def test_a_row_left_sending_by_a_crash_is_unknown_if_the_provider_cannot_be_asked(
    session: Session,
    dispatcher: Dispatcher,
    gateway: RecordingGateway,
    clock: Clock,
    pufa_state: Pufa,
    settings: Settings,
) -> None:
    [row] = outbox(World(session), 1, AFTERNOON, LECTURE)
    row.status, row.claimed_at = "sending", AFTERNOON
    session.commit()
    gateway.lookup_error = SmsError("20500", "provider down", permanent=False)

    def settle() -> int:
        return reconcile(pufa_state.db, gateway, settings, clock.now, timedelta(minutes=10)).unknown

    clock.now = AFTERNOON + timedelta(minutes=30)  # the grace is over: asked, no answer
    assert settle() == 0
    clock.now = AFTERNOON + LOOKUP_PATIENCE - timedelta(minutes=1)
    assert settle() == 0
    clock.now = AFTERNOON + LOOKUP_PATIENCE
    assert settle() == 1
    dispatcher.run()

    assert gateway.outbox == []
    [(status, reason)] = statuses(session)
    assert status == "unknown" and "may or may not have been sent" in reason


def test_many_due_messages_are_all_sent_exactly_once(
    session: Session, dispatcher: Dispatcher, gateway: RecordingGateway
) -> None:
    outbox(World(session), 60, AFTERNOON, LECTURE)

    stats = dispatcher.run()

    assert stats.sent == 60
    ids = sorted(s.delivery_id for s in gateway.outbox)
    assert ids == sorted(set(ids)) and len(ids) == 60
    assert {s for s, _ in statuses(session)} == {"sent"}


def test_instants_are_recorded_in_utc(session: Session, dispatcher: Dispatcher) -> None:
    [row] = outbox(World(session), 1, AFTERNOON, LECTURE)
    dispatcher.run()
    reload(session, row)
    assert row.claimed_at is not None and row.claimed_at.tzinfo is not None
    assert row.claimed_at == AFTERNOON.astimezone(UTC)


def test_a_page_link_message_without_a_schedule_is_sent_once(
    session: Session, dispatcher: Dispatcher, gateway: RecordingGateway
) -> None:
    from service.sms.link_message import queue_page_link

    person = Person(name="赵敏", mobile="+8613900008001")
    session.add(person)
    session.flush()
    link = "https://pufa.example/me/abc"
    assert queue_page_link(session, person, link, actor="admin:1", now=AFTERNOON) is not None
    assert queue_page_link(session, person, link, actor="admin:1", now=AFTERNOON) is None
    session.commit()

    dispatcher.run()
    dispatcher.run()

    [sent] = gateway.outbox
    assert sent.to == "+8613900008001" and link in sent.body
    assert statuses(session) == [("sent", "")]
    # Sent: the database no longer holds the link (it keeps page tokens only as HMACs).
    row = session.scalars(select(Delivery)).one()
    assert link not in row.body and "已发出" in row.body
