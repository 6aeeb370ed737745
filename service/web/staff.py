"""The staff page, ``/me/<token>``: no password; the link itself is the secret.

What a staff member can do here: see what is coming up for them (and ask for leave
from it), subscribe their calendar, turn SMS reminders off or on, and confirm the study
items of the year. Opening the page also tells this phone whose it is, for check-in
by QR code (``check_in``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..audience import concerns
from ..context import db_session, pufa
from ..domain.common import committed, plain_text
from ..errors import PufaError
from ..feeds.tokens import current_token, feed_urls, issue_audited
from ..models import Person, Schedule, StudyConfirmation, StudyItem, StudyPlan, utcnow
from ..occurrences.expand import Occurrence, Window
from ..occurrences.query import expand_all, load_schedules, workday_calendar
from ..records.occurrence import RECORDED_KINDS
from ..sms.optout import SmsStop, resume_sms, stop_sms
from ..workflows.study import confirm as confirm_study
from ..workflows.study import unconfirm as unconfirm_study
from . import messages
from .blueprints import web_blueprint
from .check_in import records_of, remember
from .forms import FormState, absorb
from .links import qr_svg
from .page_tokens import person_for_page

bp = web_blueprint("web_staff", __name__, "/me", admin=False)
UPCOMING = timedelta(days=60)
NOTE_MAX = 2000


@dataclass
class StudyRow:
    item: StudyItem
    confirmation: StudyConfirmation | None
    form: FormState = field(default_factory=FormState)


@bp.after_request
def _private(response: Any) -> Any:
    # The URL is a secret: never cache it, never leak it in a Referer, never index it.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _person(token: str) -> Person:
    person = person_for_page(db_session(), pufa().settings.secret_keys, token)
    if person is None:
        abort(404)
    return person


@bp.get("/<token>")
def page(token: str) -> ResponseReturnValue:
    person = _person(token)
    settings = pufa().settings
    feed_token = current_token(settings.secret_key, person, settings.secret_key_fallbacks)
    if feed_token is None:
        return remember(make_response(_render(token, person)), token)
    feed = feed_urls(settings.public_base_url, feed_token)
    return remember(
        make_response(_render(token, person, feed=feed.https, webcal=feed.webcal)), token
    )


@bp.post("/<token>/sms")
def sms(token: str) -> ResponseReturnValue:
    person = _person(token)
    session = db_session()
    turn_on = request.form.get("sms") == "on"
    actor = f"staff:{person.id}"
    with committed(session):
        switch = resume_sms if turn_on else stop_sms
        switch(session, person, SmsStop.TURNED_OFF, actor=actor, now=utcnow())
    flash(messages.SMS_ON if turn_on else messages.SMS_OFF, "success")
    return redirect(url_for("web_staff.page", token=token))


@bp.post("/<token>/subscribe")
def subscribe(token: str) -> ResponseReturnValue:
    person = _person(token)
    session = db_session()
    settings = pufa().settings
    replacing = person.feed_token_hash is not None
    issue_audited(session, settings.secret_key, person, actor=f"staff:{person.id}")
    session.commit()
    flash(messages.FEED_LINK_REPLACED if replacing else messages.FEED_LINK_ISSUED, "success")
    # The page shows the current link: a reload there does not issue another.
    return redirect(url_for("web_staff.page", token=token) + "#subscribe")


@bp.post("/<token>/study/<int:item_id>")
def confirm(token: str, item_id: int) -> ResponseReturnValue:
    """Confirm a study item, in two steps: the page's form posts the note here, which
    asks once more (``confirm_study.html``); that page posts ``confirm=1``."""
    person = _person(token)
    note = request.form.get("note", "").strip()
    state = FormState(values={"note": note})
    if len(note) > NOTE_MAX:
        state.add("note", f"不能超过 {NOTE_MAX} 个字符。")
    try:
        plain_text(note)
    except ValueError:
        state.add("note", messages.CONTROL_CHARACTERS)
    session = db_session()
    if state.is_valid and request.form.get("confirm") != "1":
        row = next(
            (r for r in _study_rows(session, person, utcnow(), {}) if r.item.id == item_id), None
        )
        if row is None:
            abort(404)
        if row.confirmation is None:
            return render_template("staff/confirm_study.html", token=token, row=row, note=note)
    if state.is_valid:
        try:
            confirm_study(
                session,
                item_id,
                person_id=person.id,
                note=note,
                now=utcnow(),
                actor=f"staff:{person.id}",
            )
            session.commit()
        except PufaError as error:
            session.rollback()
            absorb(error, state, {"person_id": "__all__"})
    if state.is_valid:
        flash(messages.STUDY_CONFIRMED, "success")
        return redirect(url_for("web_staff.page", token=token) + f"#study-{item_id}")
    return _render(token, person, study_forms={item_id: state}), 400


@bp.post("/<token>/study/<int:item_id>/undo")
def undo(token: str, item_id: int) -> ResponseReturnValue:
    """Withdraw one's own confirmation, the same local day only."""
    person = _person(token)
    session = db_session()
    zone = pufa().settings.zone
    item = session.get(StudyItem, item_id)
    if item is None:
        abort(404)
    title = item.title
    confirmation = session.scalar(
        select(StudyConfirmation).where(
            StudyConfirmation.item_id == item_id, StudyConfirmation.person_id == person.id
        )
    )
    try:
        unconfirm_study(
            session,
            item_id,
            person_id=person.id,
            now=utcnow(),
            zone=zone,
            actor=f"staff:{person.id}",
        )
        session.commit()
    except PufaError as error:
        session.rollback()
        if error.code == "undo_too_late" and confirmation is not None:
            local = confirmation.confirmed_at.astimezone(zone).date()
            day = f"{local.year}年{local.month}月{local.day}日"
            flash(messages.STUDY_UNDO_TOO_LATE.format(title=title, day=day), "error")
        else:
            flash(messages.STUDY_NOT_CONFIRMED, "error")
        return redirect(url_for("web_staff.page", token=token) + f"#study-{item_id}")
    flash(messages.STUDY_UNDONE.format(title=title), "success")
    return redirect(url_for("web_staff.page", token=token) + f"#study-{item_id}")


def group_events(
    events: list[Occurrence], now: datetime, zone: ZoneInfo
) -> list[tuple[str, list[Occurrence]]]:
    """今天 / 本周 (the rest of this Monday-to-Sunday week) / 以后, by local day; empty
    groups left out."""
    today = now.astimezone(zone).date()
    week_end = today + timedelta(days=6 - today.weekday())
    groups: dict[str, list[Occurrence]] = {"今天": [], "本周": [], "以后": []}
    for occurrence in events:
        day = occurrence.start.astimezone(zone).date()
        if day <= today:
            groups["今天"].append(occurrence)
        elif day <= week_end:
            groups["本周"].append(occurrence)
        else:
            groups["以后"].append(occurrence)
    return [(label, found) for label, found in groups.items() if found]


def _render(
    token: str,
    person: Person,
    *,
    feed: str | None = None,
    webcal: str | None = None,
    study_forms: dict[int, FormState] | None = None,
) -> str:
    session = db_session()
    now = utcnow()
    study = _study_rows(session, person, now, study_forms or {})
    schedules, events = upcoming(session, person, now)
    keys = [o.key for o in events if schedules[o.schedule_id].kind in RECORDED_KINDS]
    return render_template(
        "staff/page.html",
        token=token,
        person=person,
        events=events,
        groups=group_events(events, now, pufa().settings.zone),
        schedules=schedules,
        names=dict(session.execute(select(Person.id, Person.name)).all()),
        feed=feed,
        webcal=webcal,
        qr=qr_svg(webcal) if webcal else None,
        study=study,
        can_ask_leave=set(keys),
        attendance=records_of(session, person, keys),
        now=now,
        today=now.astimezone(pufa().settings.zone).date(),
        zone=pufa().settings.zone,
    )


def upcoming(
    session: Session, person: Person, now: datetime
) -> tuple[dict[int, Schedule], list[Occurrence]]:
    """The person's schedules and occurrences from now on, from the same engine as the
    feeds and the SMS planner."""
    mine = [s for s in load_schedules(session) if concerns(s, person)]
    window = Window(now, now + UPCOMING)
    return {s.id: s for s in mine}, expand_all(mine, window, workday_calendar(session))


def _study_rows(
    session: Session, person: Person, now: datetime, forms: dict[int, FormState]
) -> list[StudyRow]:
    year = now.astimezone(pufa().settings.zone).year
    plan = session.scalar(
        select(StudyPlan)
        .where(StudyPlan.year == year)
        .options(selectinload(StudyPlan.items).selectinload(StudyItem.schedule))
    )
    if plan is None:
        return []
    confirmations = {
        c.item_id: c
        for c in session.scalars(
            select(StudyConfirmation).where(StudyConfirmation.person_id == person.id)
        )
    }
    return [
        StudyRow(item, confirmations.get(item.id), forms.get(item.id, FormState()))
        for item in plan.items
        if concerns(item.schedule, person)
    ]
