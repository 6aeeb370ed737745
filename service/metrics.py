"""``GET /metrics``: Prometheus text, read from the database at scrape time.

Counters kept in process memory would split across gunicorn workers and clock
processes (and reset on restart); the database is the one place that knows the whole
truth, so a custom collector asks it on every scrape. Nothing personal is exported.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime

from flask import Blueprint, Response, current_app
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, or_, select
from sqlalchemy.exc import SQLAlchemyError

from .context import pufa
from .db import Database
from .models import STATUSES, ClockHeartbeat, Delivery, DeliveryStatus, utcnow
from .sms import clockstate
from .sms.reconcile import COUNTER_PREFIX as RECONCILED

log = logging.getLogger("pufa.metrics")

bp = Blueprint("metrics", __name__)
_REGISTRY = "pufa.metrics_registry"


class DatabaseCollector(Collector):
    def __init__(self, db: Database, now: Callable[[], datetime] = utcnow) -> None:
        self._db = db
        self._now = now

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        up = GaugeMetricFamily("pufa_database_up", "1 when the database answered this scrape")
        try:
            families = list(self._read(self._now()))
        except SQLAlchemyError:
            log.exception("metrics scrape could not read the database")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _read(self, now: datetime) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        with self._db.sessions() as session:
            by_status = dict(
                session.execute(
                    select(Delivery.status, func.count()).group_by(Delivery.status)
                ).all()
            )
            due = (
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.due_at <= now,
                or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
            )
            due_count = session.scalar(select(func.count()).where(*due)) or 0
            oldest_due = session.scalar(select(func.min(Delivery.due_at)).where(*due))
            errors = session.execute(
                select(Delivery.error_code, func.count())
                .where(Delivery.error_code.is_not(None))
                .group_by(Delivery.error_code)
            ).all()
            ticks = session.execute(select(ClockHeartbeat.job, ClockHeartbeat.ticked_at)).all()
            reconciled = clockstate.counts(session, RECONCILED)

        deliveries = GaugeMetricFamily(
            "pufa_deliveries", "SMS deliveries by status", labels=["status"]
        )
        for status in STATUSES:
            deliveries.add_metric([status], by_status.get(status, 0))
        yield deliveries

        depth = GaugeMetricFamily(
            "pufa_delivery_queue_depth", "pending deliveries", labels=["state"]
        )
        depth.add_metric([DeliveryStatus.PENDING], by_status.get(DeliveryStatus.PENDING, 0))
        depth.add_metric(["due"], due_count)
        yield depth

        lateness = GaugeMetricFamily(
            "pufa_delivery_lateness_seconds",
            "how long the oldest due pending delivery has waited past its due time",
        )
        lateness.add_metric([], max(0.0, (now - oldest_due).total_seconds()) if oldest_due else 0.0)
        yield lateness

        age = GaugeMetricFamily(
            "pufa_clock_tick_age_seconds",
            "seconds since each clock job last ticked",
            labels=["job"],
        )
        for job, ticked_at in ticks:
            age.add_metric([job], max(0.0, (now - ticked_at).total_seconds()))
        yield age

        provider_errors = GaugeMetricFamily(
            "pufa_sms_provider_errors",
            "deliveries carrying each provider error code",
            labels=["code"],
        )
        for code, count in errors:
            provider_errors.add_metric([str(code)], count)
        yield provider_errors

        settled = CounterMetricFamily(
            "pufa_sms_reconciled",
            "sends left 'sending' by a crash or timeout, settled by asking the provider: "
            "found (its sid recorded), requeued (it never had it), unknown (could not ask)",
            labels=["outcome"],
        )
        for outcome in ("found", "requeued", "unknown"):
            settled.add_metric([outcome], reconciled.get(outcome, 0))
        yield settled


def registry_for(db: Database) -> CollectorRegistry:
    # One registry per app, not the global one: tests build many apps in one process.
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(db))
    return registry


@bp.get("/metrics")
def metrics() -> Response:
    registry: CollectorRegistry | None = current_app.extensions.get(_REGISTRY)
    if registry is None:
        registry = current_app.extensions[_REGISTRY] = registry_for(pufa().db)
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
