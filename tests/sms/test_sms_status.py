"""apply_status: the forward-only state machine the webhook and the dispatcher share."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from service.context import Pufa
from service.models import Delivery
from service.sms.status import apply_status, status_callback_url
from tests.support.sms import NOW, add_delivery, add_person


def test_the_dispatcher_records_a_send_result_through_apply_status(session: Session) -> None:
    delivery = add_delivery(session, add_person(session), status="sending")

    update = apply_status(session, delivery.id, "SM1", "queued", None, NOW)

    assert (update.outcome, update.status) == ("applied", "sent")
    assert (delivery.status, delivery.provider_sid, delivery.sent_at) == ("sent", "SM1", NOW)


def test_a_send_result_arriving_after_the_delivered_callback_does_not_undo_it(
    session: Session,
) -> None:
    delivery = add_delivery(session, add_person(session), status="sending")
    apply_status(session, delivery.id, "SM1", "delivered", None, NOW)

    update = apply_status(session, delivery.id, "SM1", "queued", None, NOW + timedelta(seconds=1))

    assert update.outcome == "stale"
    assert delivery.status == "delivered"


def test_a_callback_settles_a_delivery_that_went_back_to_pending_after_a_timeout(
    session: Session,
) -> None:
    # The send timed out but Twilio had taken it; the row waits for a retry.
    delivery = add_delivery(session, add_person(session), status="pending")

    update = apply_status(session, delivery.id, "SM1", "sent", None, NOW)

    assert update.outcome == "applied"
    assert (delivery.status, delivery.provider_sid) == ("sent", "SM1")


def test_a_late_callback_settles_a_delivery_marked_unknown(session: Session) -> None:
    delivery = add_delivery(session, add_person(session), status="unknown")
    assert apply_status(session, delivery.id, "SM1", "delivered", None, NOW).outcome == "applied"
    assert delivery.status == "delivered"


@pytest.mark.parametrize("status", ["expired", "retracted", "failed"])
def test_rows_never_handed_over_or_already_final_stay_put(session: Session, status: str) -> None:
    delivery = add_delivery(session, add_person(session), status=status)
    assert apply_status(session, delivery.id, "SM1", "delivered", None, NOW).outcome == "stale"
    assert (delivery.status, delivery.provider_sid) == (status, None)


@pytest.mark.parametrize(
    ("first", "then", "final"),
    [
        ("delivered", "undelivered", "delivered"),
        ("failed", "delivered", "failed"),
        ("sent", "queued", "sent"),
        ("undelivered", "sent", "undelivered"),
    ],
)
def test_final_and_later_statuses_are_never_overwritten(
    session: Session, first: str, then: str, final: str
) -> None:
    delivery = add_delivery(session, add_person(session), provider_sid="SM1")
    apply_status(session, None, "SM1", first, None, NOW)
    apply_status(session, None, "SM1", then, None, NOW)
    assert delivery.status == final


def test_a_failure_keeps_its_error_code_and_a_reason(session: Session) -> None:
    delivery = add_delivery(session, add_person(session), provider_sid="SM1")
    apply_status(session, None, "SM1", "undelivered", "30003", NOW)
    assert (delivery.error_code, delivery.reason) == (
        "30003",
        "provider reported undelivered (error 30003)",
    )


def test_an_unknown_sid_without_a_delivery_id_is_reported_not_raised(session: Session) -> None:
    assert apply_status(session, None, "SMnobody", "sent", None, NOW).outcome == "unknown_message"


def test_the_callback_url_carries_the_delivery_id() -> None:
    url = status_callback_url("https://pufa.example.org/", 42)
    assert url == "https://pufa.example.org/webhooks/twilio/status?delivery=42"


def test_a_slower_sent_callback_cannot_undo_a_delivered_one_that_won_the_race(
    pufa_state: Pufa,
) -> None:
    # Two web workers: one read the row as "sending", then the other committed
    # "delivered"; the compare-and-set makes the slow "sent" a no-op.
    with pufa_state.db.transaction() as setup:
        delivery_id = add_delivery(setup, add_person(setup), provider_sid="SM1").id
    with pufa_state.db.sessions() as slow:
        stale = slow.get(Delivery, delivery_id)
        assert stale is not None and stale.status == "sending"
        slow.commit()  # keeps the loaded (soon stale) state: expire_on_commit=False
        with pufa_state.db.transaction() as fast:
            apply_status(fast, None, "SM1", "delivered", None, NOW)

        update = apply_status(slow, None, "SM1", "sent", None, NOW)
        slow.commit()

    assert (update.outcome, update.status) == ("stale", "delivered")
    with pufa_state.db.sessions() as check:
        row = check.get(Delivery, delivery_id)
        assert row is not None and row.status == "delivered"
