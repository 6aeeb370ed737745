"""SMS: the 7-day preview (what the clock would send) and the deliveries log with its
filters and retry. The preview is the planner's own output (``PlanRun``) and retry is
``outbox.retry``: the same functions the API calls."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ...context import db_session
from ...domain.deliveries import DeliveriesQuery, PreviewQuery
from ...logs import mask_phone
from ...models import STATUSES, AuditEntry, Delivery, DeliveryStatus, Person, utcnow
from ...sms import outbox
from ...sms.desired import PlanRun
from ...sms.planner import existing_rows
from ...sms.reasons import delivery_reason, provider_error
from .. import messages
from ..blueprints import web_blueprint
from ..forms import FormState, validate
from ..signin import referrer_path

bp = web_blueprint("web_sms", __name__, "/admin/sms", admin=True)
bp.add_app_template_filter(delivery_reason, "delivery_reason")
bp.add_app_template_filter(provider_error, "provider_error")
PER_PAGE = 50


@bp.get("/preview")
def preview() -> ResponseReturnValue:
    state = FormState({"days": request.args.get("days", "7")})
    query = validate(PreviewQuery, {"days": state.value("days")}, state) or PreviewQuery()
    session = db_session()
    now = utcnow()
    planned = [
        p
        for p in PlanRun(session).plan(now, now + timedelta(days=query.days))
        if p.useful_until > now
    ]
    existing = {key: status for key, (_id, status) in existing_rows(session, planned).items()}
    return render_template(
        "admin/sms_preview.html",
        form=state,
        days=query.days,
        planned=planned[:500],
        existing=existing,
        masked={p.key: mask_phone(p.to) for p in planned[:500]},
        totals={
            "messages": len(planned),
            "segments": sum(p.segments for p in planned),
            "people": len({p.person_id for p in planned}),
            "by_template": Counter(p.template for p in planned),
        },
    )


@bp.get("/deliveries")
def deliveries() -> ResponseReturnValue:
    args = {k: v for k, v in request.args.items() if v}
    state = FormState(dict(args))
    query = validate(DeliveriesQuery, {**args, "per_page": PER_PAGE}, state)
    query = query or DeliveriesQuery.model_validate({"per_page": PER_PAGE})
    conditions: list[Any] = []
    if query.status is not None:
        conditions.append(Delivery.status == query.status)
    if query.person_id is not None:
        conditions.append(Delivery.person_id == query.person_id)
    session = db_session()
    total = session.scalar(select(func.count()).select_from(Delivery).where(*conditions)) or 0
    rows = session.scalars(
        select(Delivery)
        .where(*conditions)
        .options(selectinload(Delivery.person), selectinload(Delivery.schedule))
        .order_by(Delivery.due_at.desc(), Delivery.id.desc())
        .offset((query.page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    )
    people = session.execute(select(Person.id, Person.name).order_by(Person.name)).all()
    return render_template(
        "admin/deliveries.html",
        form=state,
        rows=list(rows),
        total=total,
        page=query.page,
        pages=max(1, -(-total // PER_PAGE)),
        statuses=STATUSES,
        people=[(str(pid), name) for pid, name in people],
        mask=mask_phone,
    )


@bp.post("/deliveries/<int:delivery_id>/retry")
def retry(delivery_id: int) -> ResponseReturnValue:
    session = db_session()
    row = session.get(Delivery, delivery_id)
    if row is None:
        abort(404)
    before = row.status
    refusal = outbox.retry(session, row, utcnow())
    if refusal is not None:
        session.rollback()
        flash(messages.RETRY_REFUSED, "error")
    else:
        session.add(
            AuditEntry(
                actor=g.actor,
                action="retry",
                resource="delivery",
                resource_id=str(row.id),
                before={"status": before},
                after={"status": DeliveryStatus.PENDING},
            )
        )
        session.commit()
        flash(messages.RETRIED, "success")
    # Back to the list as it was filtered, but never to another site (an open redirect).
    return redirect(referrer_path() or url_for("web_sms.deliveries"))
