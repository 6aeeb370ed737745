"""People and departments: the list, the editor, and each person's staff-page link."""

from __future__ import annotations

from flask import abort, flash, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...app import db_session, pufa
from ...models import Department, Person
from .. import messages
from ..blueprints import web_blueprint
from ..page_tokens import issue_page_token

bp = web_blueprint("web_people", __name__, "/admin/people", admin=True)


@bp.get("/")
def index() -> ResponseReturnValue:
    session = db_session()
    people = session.scalars(
        select(Person).options(selectinload(Person.departments)).order_by(Person.name)
    )
    departments = session.scalars(select(Department).order_by(Department.name))
    return render_template("admin/people.html", people=list(people), departments=list(departments))


@bp.post("/<int:person_id>/page-link")
def page_link(person_id: int) -> ResponseReturnValue:
    """Issue a new staff-page link; shown once, the old link stops working."""
    session = db_session()
    person = session.get(Person, person_id)
    if person is None:
        abort(404)
    token = issue_page_token(session, person, pufa().settings.secret_key)
    session.commit()
    link = f"{pufa().settings.public_base_url}/me/{token}"
    flash(messages.PAGE_LINK_ISSUED, "success")
    return render_template("admin/page_link.html", person=person, link=link)
