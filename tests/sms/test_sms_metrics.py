"""GET /metrics: Prometheus text read from the database at scrape time."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

from service.models import ClockHeartbeat
from service.sms import clockstate
from service.sms.reconcile import COUNTER_PREFIX as RECONCILED
from tests.support.sms import NOW, add_delivery, add_person


def scrape(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_report_deliveries_queue_lateness_clock_and_provider_errors(
    client: FlaskClient, session: Session
) -> None:
    person = add_person(session)
    overdue = add_delivery(session, person, status="pending", start=NOW + timedelta(hours=2))
    overdue.due_at = NOW - timedelta(minutes=10)
    add_delivery(session, person, status="pending", start=NOW + timedelta(days=3))
    failed = add_delivery(session, person, status="undelivered", start=NOW + timedelta(days=4))
    failed.error_code = "30003"
    opted_out = add_delivery(session, person, status="failed", start=NOW + timedelta(days=5))
    opted_out.error_code = "21610"
    session.add(ClockHeartbeat(job="dispatch", ticked_at=NOW - timedelta(seconds=45), ticks=3))
    session.commit()

    with time_machine.travel(NOW, tick=False):
        samples = scrape(client)

    assert samples[("pufa_database_up", ())] == 1
    assert samples[("pufa_deliveries", (("status", "pending"),))] == 2
    assert samples[("pufa_deliveries", (("status", "undelivered"),))] == 1
    assert samples[("pufa_deliveries", (("status", "delivered"),))] == 0
    assert samples[("pufa_delivery_queue_depth", (("state", "pending"),))] == 2
    assert samples[("pufa_delivery_queue_depth", (("state", "due"),))] == 1
    assert samples[("pufa_delivery_lateness_seconds", ())] == 600
    assert samples[("pufa_clock_tick_age_seconds", (("job", "dispatch"),))] == 45
    assert samples[("pufa_sms_provider_errors", (("code", "30003"),))] == 1
    assert samples[("pufa_sms_provider_errors", (("code", "21610"),))] == 1


def test_an_empty_database_reports_zeros(client: FlaskClient) -> None:
    samples = scrape(client)
    assert samples[("pufa_delivery_lateness_seconds", ())] == 0
    assert samples[("pufa_delivery_queue_depth", (("state", "due"),))] == 0


def test_metrics_see_rows_written_after_the_first_scrape(
    client: FlaskClient, session: Session
) -> None:
    # Another process (the clock) writes; the web process must not serve stale numbers.
    scrape(client)
    add_delivery(session, add_person(session), status="sent")
    session.commit()
    assert scrape(client)[("pufa_deliveries", (("status", "sent"),))] == 1


def test_metrics_carry_no_phone_numbers(client: FlaskClient, session: Session) -> None:
    add_delivery(session, add_person(session), status="pending")
    session.commit()
    assert "13900008001" not in client.get("/metrics").get_data(as_text=True)


def test_metrics_count_stuck_sends_settled_by_asking_the_provider(
    client: FlaskClient, session: Session
) -> None:
    clockstate.add_count(session, RECONCILED + "requeued", 2, NOW)
    clockstate.add_count(session, RECONCILED + "requeued", 1, NOW)
    clockstate.add_count(session, RECONCILED + "found", 4, NOW)
    session.commit()

    samples = scrape(client)

    assert samples[("pufa_sms_reconciled_total", (("outcome", "requeued"),))] == 3
    assert samples[("pufa_sms_reconciled_total", (("outcome", "found"),))] == 4
    assert samples[("pufa_sms_reconciled_total", (("outcome", "unknown"),))] == 0
