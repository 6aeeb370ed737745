"""SMS: the preview (what the clock would send in 本周, 下周 or chosen days) and the
deliveries log with its filters and retry. The preview is the planner's own output
(``PlanRun``) and retry is ``outbox.retry``: the same functions the API calls."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, timedelta

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...context import db_session, pufa
from ...domain.common import plausible_day
from ...domain.deliveries import DeliveriesQuery, deliveries_page
from ...logs import mask_phone
from ...models import STATUSES, AuditEntry, Delivery, DeliveryStatus, Person, utcnow
from ...sms import outbox
from ...sms.desired import Planned, PlanRun
from ...sms.planner import existing_rows
from ...sms.reasons import delivery_reason, provider_error
from ...workflows.labels import SMS_TEMPLATE
from .. import messages
from ..blueprints import web_blueprint
from ..forms import FormState, validate
from ..signin import referrer_path
from .sms_groups import MAX_TEXTS, OccurrenceGroup, group, local_midnight, week_start

bp = web_blueprint("web_sms", __name__, "/admin/sms", admin=True)
bp.add_app_template_filter(delivery_reason, "delivery_reason")
bp.add_app_template_filter(provider_error, "provider_error")
PER_PAGE = 50


PERIODS = {"this_week": "本周", "next_week": "下周", "range": "自选日期"}
MAX_RANGE_DAYS = 31


@bp.get("/preview")
def preview() -> ResponseReturnValue:
    """What the clock will send in 本周, 下周 or a chosen range of days, grouped by
    occurrence and distinct text, each with the time it will really go out."""
    settings = pufa().settings
    zone = settings.zone
    now = utcnow()
    state = FormState({k: request.args.get(k, "").strip() for k in ("period", "start", "end")})
    days = _period(state, now.astimezone(zone).date())
    if state.value("period") != "range":  # the range form starts from the days shown
        state.values.update(start=days[0].isoformat(), end=days[1].isoformat())
    session = db_session()
    first, last = days
    begin = max(now, local_midnight(first, zone).astimezone(UTC))
    end = local_midnight(last + timedelta(days=1), zone).astimezone(UTC)
    planned: list[Planned] = []
    titles: dict[int, str] = {}
    if begin < end:
        run = PlanRun(session)
        planned = [
            p for p in run.plan(begin, end - timedelta(microseconds=1)) if p.useful_until > now
        ]
        titles = {s.id: s.title for s in run.schedules.values()}
    existing = {key: status for key, (_id, status) in existing_rows(session, planned).items()}
    occurrences = group(planned, titles, existing, now=now, quiet=settings.quiet_hours, zone=zone)
    is_truncated = sum(len(o.texts) for o in occurrences) > MAX_TEXTS
    by_template = Counter(SMS_TEMPLATE.get(p.template, p.template) for p in planned)
    return render_template(
        "admin/sms_preview.html",
        form=state,
        periods=list(PERIODS.items()),
        first=first,
        last=last,
        is_past=begin >= end,
        occurrences=_truncate(occurrences),
        is_truncated=is_truncated,
        quiet=settings.quiet_hours,
        totals={
            "messages": len(planned),
            "segments": sum(p.segments for p in planned),
            "people": len({p.person_id for p in planned}),
            "by_template": by_template,
        },
    )


def _period(state: FormState, today: date) -> tuple[date, date]:
    """The first and last local day to preview; a bad range is flagged on the form and
    this week is shown instead."""
    monday = week_start(today)
    period = state.value("period") or "this_week"
    if period not in PERIODS:
        state.add("period", messages.INVALID_CHOICE)
        period = "this_week"
    state.values["period"] = period
    if period == "next_week":
        return monday + timedelta(days=7), monday + timedelta(days=13)
    if period == "range":
        first, last = _day(state, "start"), _day(state, "end")
        if first is not None and last is not None:
            if last < first:
                state.add("end", messages.END_BEFORE_START)
            elif (last - first).days >= MAX_RANGE_DAYS:
                state.add("end", messages.PREVIEW_TOO_LONG.format(days=MAX_RANGE_DAYS))
            else:
                return first, last
    return monday, monday + timedelta(days=6)


def _day(state: FormState, name: str) -> date | None:
    text = str(state.value(name))
    if not text:
        state.add(name, messages.REQUIRED)
        return None
    try:
        return plausible_day(date.fromisoformat(text))
    except ValueError:
        state.add(name, messages.INVALID_DATE)
        return None


def _truncate(occurrences: list[OccurrenceGroup]) -> list[OccurrenceGroup]:
    shown, left = [], MAX_TEXTS
    for occurrence in occurrences:
        if left <= 0:
            break
        if len(occurrence.texts) > left:
            occurrence.texts = occurrence.texts[:left]
        shown.append(occurrence)
        left -= len(occurrence.texts)
    return shown


@bp.get("/deliveries")
def deliveries() -> ResponseReturnValue:
    """The outbox newest first, a page at a time from a cursor (下一页 carries the last
    row's); the count is shown when it is cheap, else as 超过 10,000 条."""
    args = {k: v for k, v in request.args.items() if v and k in ("status", "person_id", "after")}
    state = FormState(dict(args))
    query = validate(
        DeliveriesQuery,
        {**args, "per_page": PER_PAGE},
        state,
        field_messages={"after": messages.BAD_CURSOR},
    )
    query = query or DeliveriesQuery.model_validate({"per_page": PER_PAGE})
    session = db_session()
    listing = deliveries_page(
        session, query, [selectinload(Delivery.person), selectinload(Delivery.schedule)]
    )
    people = session.execute(select(Person.id, Person.name).order_by(Person.name)).all()
    filters = {k: state.value(k) for k in ("status", "person_id") if state.value(k)}
    return render_template(
        "admin/deliveries.html",
        form=state,
        rows=listing.rows,
        total=listing.total,
        total_over=listing.total_over,
        is_first=query.after is None,
        first_url=url_for("web_sms.deliveries", **filters),
        next_url=None
        if listing.next is None
        else url_for("web_sms.deliveries", **filters, after=str(listing.next)),
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
