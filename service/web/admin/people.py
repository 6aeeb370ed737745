"""People and departments: the list, the editors, and each person's staff-page link.

Saving goes through ``service.domain.people`` exactly as the API does, so the mobile
number, the duplicate checks and the audit log follow one set of rules.
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import (
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as flask_session
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ...audit import record
from ...context import db_session, pufa
from ...domain.people import (
    DepartmentIn,
    PersonIn,
    create_department,
    create_person,
    update_department,
    update_person,
)
from ...logs import mask_phone
from ...models import Department, Person, utcnow
from ...sms.link_message import queue_page_link
from .. import messages
from ..blueprints import web_blueprint
from ..forms import FormState, form_version, integer, posted
from ..headers import no_store
from ..links import qr_svg
from ..page_tokens import issue_page_token, person_for_page
from ..saving import save

bp = web_blueprint("web_people", __name__, "/admin/people", admin=True)
PERSON_MESSAGES = {"mobile": messages.INVALID_MOBILE}
RowT = TypeVar("RowT", Person, Department)


@bp.get("/")
def index() -> ResponseReturnValue:
    session = db_session()
    people = session.scalars(
        select(Person).options(selectinload(Person.departments)).order_by(Person.name)
    )
    return render_template(
        "admin/people.html", people=list(people), departments=_departments(session)
    )


@bp.route("/new", methods=["GET", "POST"])
def new() -> ResponseReturnValue:
    return _person_form(None)


@bp.route("/<int:person_id>", methods=["GET", "POST"])
def edit(person_id: int) -> ResponseReturnValue:
    return _person_form(person_id)


def _person_form(person_id: int | None) -> ResponseReturnValue:
    session = db_session()
    person = _get(session, Person, person_id)
    if not posted_now():
        state = FormState(_person_values(person)) if person else FormState({"role": "staff"})
        state.values.setdefault("is_sms_enabled", "1")
        state.values.setdefault("is_active", "1")
        return _render_person(session, person, state)
    state = posted("department_ids")
    data: dict[str, Any] = {
        "name": state.value("name"),
        "mobile": state.value("mobile") or None,
        "role": state.value("role"),
        "is_active": bool(state.value("is_active")),
        "is_sms_enabled": bool(state.value("is_sms_enabled")),
        "department_ids": integer(state.value("department_ids", [])),
    }
    version = form_version(state)

    def action(db: Session, valid: PersonIn) -> object:
        if person is None:
            return create_person(db, g.actor, valid)
        return update_person(db, g.actor, person, valid.model_dump(exclude_unset=True), version)

    if save(session, state, PersonIn, data, action, field_messages=PERSON_MESSAGES):
        flash(messages.SAVED, "success")
        return redirect(url_for("web_people.index"))
    return _render_person(session, person, state), 400


@bp.route("/departments/new", methods=["GET", "POST"])
def new_department() -> ResponseReturnValue:
    return _department_form(None)


@bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
def edit_department(department_id: int) -> ResponseReturnValue:
    return _department_form(department_id)


def _department_form(department_id: int | None) -> ResponseReturnValue:
    session = db_session()
    department = _get(session, Department, department_id)
    if not posted_now():
        values: dict[str, Any] = {}
        if department is not None:
            values = {
                "name": department.name,
                "description": department.description,
                "head_id": department.head_id or "",
                "version": department.version,
            }
        return _render_department(session, department, FormState(values))
    state = posted()
    data = {
        "name": state.value("name"),
        "description": state.value("description"),
        "head_id": integer(state.value("head_id")) or None,
    }
    version = form_version(state)

    def action(db: Session, valid: DepartmentIn) -> object:
        if department is None:
            return create_department(db, g.actor, valid)
        return update_department(
            db, g.actor, department, valid.model_dump(exclude_unset=True), version
        )

    if save(session, state, DepartmentIn, data, action):
        flash(messages.SAVED, "success")
        return redirect(url_for("web_people.index"))
    return _render_department(session, department, state), 400


# The link just issued waits here (the signed session cookie) for the one page view
# that shows it; reading it removes it, so a reload shows no secret and issues nothing.
_FRESH_LINK = "fresh_page_link"


@bp.before_request
def _forget_unshown_link() -> None:
    """Any other people page first drops a link that was never looked at: the secret
    lives in the cookie no longer than the next request."""
    if request.endpoint != "web_people.show_page_link" and _FRESH_LINK in flask_session:
        flask_session.pop(_FRESH_LINK)


@bp.post("/<int:person_id>/page-link")
def page_link(person_id: int) -> ResponseReturnValue:
    """Issue a staff-page link and redirect to the page that shows it once. Replacing a
    live link (the old one stops working) takes a confirm step first."""
    session = db_session()
    person = _get(session, Person, person_id)
    assert person is not None
    replacing = person.page_token_hash is not None
    if replacing and request.form.get("confirm") != "1":
        return no_store(
            make_response(render_template("admin/page_link_confirm.html", person=person))
        )
    token = issue_page_token(session, person, pufa().settings.secret_key)
    record(
        session,
        actor=g.actor,
        action="rotate_page_token" if replacing else "issue_page_token",
        resource="person",
        resource_id=person.id,
        before=None,
        after=None,
    )
    session.commit()
    flask_session[_FRESH_LINK] = {"person_id": person.id, "token": token}
    flash(messages.PAGE_LINK_REPLACED if replacing else messages.PAGE_LINK_ISSUED, "success")
    return redirect(url_for("web_people.show_page_link", person_id=person.id), code=303)


@bp.get("/<int:person_id>/page-link")
def show_page_link(person_id: int) -> ResponseReturnValue:
    """The link just issued, shown this once; afterwards (a reload, Back) only the
    offer to issue another."""
    session = db_session()
    person = _get(session, Person, person_id)
    assert person is not None
    fresh = flask_session.pop(_FRESH_LINK, None)
    token = (
        fresh.get("token")
        if isinstance(fresh, dict) and fresh.get("person_id") == person.id
        else None
    )
    link = f"{pufa().settings.public_base_url}/me/{token}" if isinstance(token, str) else None
    return no_store(
        make_response(
            render_template(
                "admin/page_link.html",
                person=person,
                link=link,
                token=token,
                qr=qr_svg(link, label=messages.PAGE_QR_LABEL) if link else None,
            )
        )
    )


@bp.post("/<int:person_id>/page-link/sms")
def send_page_link(person_id: int) -> ResponseReturnValue:
    """Send the link just shown to its owner by SMS, through the outbox. The form
    carries the link's token (the server keeps only its HMAC); a replaced one is refused."""
    session = db_session()
    person = _get(session, Person, person_id)
    assert person is not None
    settings = pufa().settings
    token = request.form.get("token", "")
    owner = person_for_page(session, settings.secret_keys, token)
    if owner is None or owner.id != person.id:
        flash(messages.PAGE_LINK_STALE, "error")
        return redirect(url_for("web_people.index"))
    if not person.can_receive_sms:
        flash(messages.PAGE_LINK_SMS_REFUSED.format(reason=messages.CANNOT_RECEIVE_SMS), "error")
        return redirect(url_for("web_people.index"))
    link = f"{settings.public_base_url}/me/{token}"
    queue_page_link(session, person, link, actor=g.actor, now=utcnow())
    session.commit()
    flash(
        messages.PAGE_LINK_SMS_QUEUED.format(name=person.name, to=mask_phone(person.mobile)),
        "success",
    )
    return redirect(url_for("web_people.index"))


def posted_now() -> bool:
    return request.method == "POST"


def _get(session: Session, model: type[RowT], row_id: int | None) -> RowT | None:
    if row_id is None:
        return None
    row = session.get(model, row_id)
    if row is None:
        abort(404)
    return row


def _departments(session: Session) -> list[Department]:
    query = select(Department).options(selectinload(Department.head)).order_by(Department.name)
    return list(session.scalars(query))


def _person_values(person: Person) -> dict[str, Any]:
    return {
        "name": person.name,
        "mobile": person.mobile or "",
        "role": person.role,
        "is_active": "1" if person.is_active else "",
        "is_sms_enabled": "1" if person.is_sms_enabled else "",
        "department_ids": [str(d.id) for d in person.departments],
        "version": person.version,
    }


def _render_person(session: Session, person: Person | None, state: FormState) -> str:
    return render_template(
        "admin/person_form.html",
        person=person,
        form=state,
        departments=[(d.id, d.name) for d in _departments(session)],
    )


def _render_department(session: Session, department: Department | None, state: FormState) -> str:
    people = session.scalars(select(Person).where(Person.is_active).order_by(Person.name))
    return render_template(
        "admin/department_form.html",
        department=department,
        form=state,
        people=[(p.id, p.name) for p in people],
    )
