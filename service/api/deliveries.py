"""``/api/v1/deliveries`` (the outbox and its audit trail) and ``/api/v1/preview``."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from flask import Response, g, jsonify
from flask_openapi3.blueprint import APIBlueprint
from pydantic import (
    BaseModel,
    Field,
)
from sqlalchemy.orm import selectinload

from ..context import db_session
from ..domain.common import Id
from ..domain.deliveries import (
    MAX_COUNTED,
    DeliveriesQuery,
    PreviewQuery,
    Strict,
    deliveries_page,
)
from ..errors import Conflict, NotFound
from ..logs import mask_phone
from ..models import AuditEntry, Delivery, DeliveryStatus, utcnow
from ..sms import outbox
from ..sms.desired import PlanRun
from ..sms.planner import existing_rows
from .common import blueprint_options

bp = APIBlueprint("deliveries", __name__, **blueprint_options("deliveries"))


class DeliveryOut(BaseModel):
    id: int
    # None: a staff page link sent from the console, or a change notice of a deleted schedule
    schedule_id: int | None
    original_start_at: datetime
    rule_id: int | None
    person_id: int
    person_name: str
    to: str = Field(description="masked: only the last four digits")
    status: str
    due_at: datetime
    useful_until: datetime
    occurrence_start_at: datetime
    body: str
    segments: int
    attempts: int
    next_attempt_at: datetime | None
    claimed_at: datetime | None
    sent_at: datetime | None
    provider_sid: str | None
    error_code: str | None
    reason: str

    @classmethod
    def of(cls, row: Delivery) -> DeliveryOut:
        fields = {k: getattr(row, k) for k in cls.model_fields if k not in ("to", "person_name")}
        return cls(**fields, to=mask_phone(row.to), person_name=row.person.name)


class DeliveriesPage(BaseModel):
    items: list[DeliveryOut]
    total: int | None = Field(
        description=f"How many deliveries match: exact with `count=true`; without it the "
        f"count stops past {MAX_COUNTED:,} matches and `total` is then null (see "
        f"`total_over`)."
    )
    total_over: int | None = Field(
        description=f"When `total` is null: more than this many match ({MAX_COUNTED:,})."
    )
    page: int
    per_page: int
    next: str | None = Field(
        description="Cursor for the following page (pass it as `after`); null on the last."
    )


class DeliveryPath(Strict):
    delivery_id: Id


class PreviewItem(BaseModel):
    due_at: datetime
    to: str
    person_id: int
    person_name: str
    schedule_id: int
    rule_id: int
    template: str
    is_routine: bool
    body: str
    segments: int
    outbox_status: str | None = Field(description="the row's status if already planned")


class PreviewTotals(BaseModel):
    messages: int
    segments: int
    people: int
    by_template: dict[str, int]


class Preview(BaseModel):
    from_at: datetime
    to_at: datetime
    totals: PreviewTotals
    items: list[PreviewItem]
    is_truncated: bool


@bp.get("/deliveries", responses={200: DeliveriesPage})
def list_deliveries(query: DeliveriesQuery) -> Response:
    """The outbox, newest first (`due_at` descending, then `id`). A page costs what it
    holds: walk with `after` (each answer's `next`), not deep `page` numbers."""
    listing = deliveries_page(db_session(), query, [selectinload(Delivery.person)])
    page = DeliveriesPage(
        items=[DeliveryOut.of(r) for r in listing.rows],
        total=listing.total,
        total_over=listing.total_over,
        page=query.page,
        per_page=query.per_page,
        next=None if listing.next is None else str(listing.next),
    )
    return jsonify(page.model_dump(mode="json"))


@bp.post("/deliveries/<int:delivery_id>/retry", responses={200: DeliveryOut})
def retry_delivery(path: DeliveryPath) -> Response:
    session = db_session()
    row = session.get(Delivery, path.delivery_id)
    if row is None:
        raise NotFound(f"delivery {path.delivery_id} does not exist")
    before = row.status
    refusal = outbox.retry(session, row, utcnow())
    if refusal is not None:
        session.rollback()
        raise Conflict(refusal, code="not_retryable")
    session.add(
        AuditEntry(
            actor=getattr(g, "actor", "?"),
            action="retry",
            resource="delivery",
            resource_id=str(row.id),
            before={"status": before},
            after={"status": DeliveryStatus.PENDING},
        )
    )
    session.commit()
    session.refresh(row)
    return jsonify(DeliveryOut.of(row).model_dump(mode="json"))


@bp.get("/preview", responses={200: Preview})
def preview(query: PreviewQuery) -> Response:
    """What the clock would send in the next ``days`` days: the planner's own output."""
    session = db_session()
    now = utcnow()
    end = now + timedelta(days=query.days)
    planned = [p for p in PlanRun(session).plan(now, end) if p.useful_until > now]
    existing = {key: status for key, (_id, status) in existing_rows(session, planned).items()}
    items = [
        PreviewItem(
            due_at=p.due_at,
            to=mask_phone(p.to),
            person_id=p.person_id,
            person_name=p.person_name,
            schedule_id=p.schedule_id,
            rule_id=p.rule_id,
            template=p.template,
            is_routine=p.is_routine,
            body=p.body,
            segments=p.segments,
            outbox_status=existing.get(p.key),
        )
        for p in planned[: query.limit]
    ]
    totals = PreviewTotals(
        messages=len(planned),
        segments=sum(p.segments for p in planned),
        people=len({p.person_id for p in planned}),
        by_template=dict(Counter(p.template for p in planned)),
    )
    body = Preview(
        from_at=now, to_at=end, totals=totals, items=items, is_truncated=len(planned) > query.limit
    )
    return jsonify(body.model_dump(mode="json"))
