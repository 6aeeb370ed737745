"""Routes: /api/v1/people and /api/v1/departments."""

from __future__ import annotations

from datetime import datetime

from flask import Response, g
from flask_openapi3.blueprint import APIBlueprint
from pydantic import BaseModel, Field

from ..context import db_session
from ..domain import people as admin
from ..domain.common import Id, InputModel, Label, Name, Note, committed, get_or_404
from ..domain.people import DepartmentIn, PersonIn, Role
from ..domain.queries import find_departments, find_people
from ..logs import mask_phone
from ..models import Department, Person
from .common import (
    IfMatch,
    OutModel,
    PageMeta,
    PageQuery,
    actor,
    answer,
    blueprint_options,
    expected_version,
    no_content,
)

bp = APIBlueprint("people", __name__, **blueprint_options("people"))


class PersonOut(OutModel):
    id: int
    name: str
    mobile: str | None
    role: str
    is_active: bool
    is_sms_enabled: bool
    is_sms_opted_out: bool
    department_ids: list[int]
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of_person(cls, person: Person) -> PersonOut:
        """The person as the caller may see them: a viewer sees only the mobile's last
        four digits, as in deliveries and the preview; only admins need the number."""
        mobile = person.mobile if g.get("role") == "admin" else mask_phone(person.mobile) or None
        return cls.of(person, department_ids=[d.id for d in person.departments], mobile=mobile)


class PersonPatch(InputModel):
    name: Name | None = None
    mobile: str | None = None
    role: Role | None = None
    is_active: bool | None = None
    is_sms_enabled: bool | None = None
    department_ids: list[Id] | None = Field(default=None, max_length=200)


class PeopleQuery(PageQuery):
    q: Label | None = Field(default=None, description="Part of the name or mobile number")
    department_id: Id | None = None
    is_active: bool | None = None


class PeoplePage(PageMeta):
    items: list[PersonOut]


class PersonPath(BaseModel):
    person_id: Id


@bp.get("/people", responses={200: PeoplePage})
def list_people(query: PeopleQuery) -> Response:
    """People, filtered by name or number (q), department and whether active."""
    rows, total = find_people(
        db_session(),
        query.window,
        q=query.q,
        department_id=query.department_id,
        is_active=query.is_active,
        # Otherwise a viewer could read a number digit by digit through the search.
        match_mobile=g.get("role") == "admin",
    )
    items = [PersonOut.of_person(p) for p in rows]
    return answer(PeoplePage(items=items, total=total, page=query.page, per_page=query.per_page))


@bp.post("/people", responses={201: PersonOut})
def create_person(body: PersonIn) -> Response:
    """Add a person; the mobile number is stored in E.164 (default region CN)."""
    with committed(db_session()) as session:
        person = admin.create_person(session, actor(), body)
    return answer(
        PersonOut.of_person(person), 201, row=person, location=f"/api/v1/people/{person.id}"
    )


@bp.get("/people/<int:person_id>", responses={200: PersonOut})
def get_person(path: PersonPath) -> Response:
    person = get_or_404(db_session(), Person, path.person_id, "Person")
    return answer(PersonOut.of_person(person), row=person)


@bp.patch("/people/<int:person_id>", responses={200: PersonOut})
def update_person(path: PersonPath, body: PersonPatch, header: IfMatch) -> Response:
    with committed(db_session()) as session:
        person = get_or_404(session, Person, path.person_id, "Person")
        changes = body.model_dump(exclude_unset=True)
        admin.update_person(session, actor(), person, changes, expected_version())
    return answer(PersonOut.of_person(person), row=person)


@bp.delete("/people/<int:person_id>", responses={204: None})
def delete_person(path: PersonPath, header: IfMatch) -> Response:
    """Delete a person without SMS history (otherwise: 409; set is_active false)."""
    with committed(db_session()) as session:
        person = get_or_404(session, Person, path.person_id, "Person")
        admin.delete_person(session, actor(), person, expected_version())
    return no_content()


class DepartmentOut(OutModel):
    id: int
    name: str
    description: str
    head_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class DepartmentPatch(InputModel):
    name: Name | None = None
    description: Note | None = None
    head_id: Id | None = None


class DepartmentsQuery(PageQuery):
    q: Label | None = Field(default=None, description="Part of the name")


class DepartmentsPage(PageMeta):
    items: list[DepartmentOut]


class DepartmentPath(BaseModel):
    department_id: Id


@bp.get("/departments", responses={200: DepartmentsPage})
def list_departments(query: DepartmentsQuery) -> Response:
    rows, total = find_departments(db_session(), query.window, q=query.q)
    items = [DepartmentOut.of(d) for d in rows]
    page = DepartmentsPage(items=items, total=total, page=query.page, per_page=query.per_page)
    return answer(page)


@bp.post("/departments", responses={201: DepartmentOut})
def create_department(body: DepartmentIn) -> Response:
    """Add a department (站所); the name must be new (409 otherwise)."""
    with committed(db_session()) as session:
        row = admin.create_department(session, actor(), body)
    location = f"/api/v1/departments/{row.id}"
    return answer(DepartmentOut.of(row), 201, row=row, location=location)


@bp.get("/departments/<int:department_id>", responses={200: DepartmentOut})
def get_department(path: DepartmentPath) -> Response:
    row = get_or_404(db_session(), Department, path.department_id, "Department")
    return answer(DepartmentOut.of(row), row=row)


@bp.patch("/departments/<int:department_id>", responses={200: DepartmentOut})
def update_department(path: DepartmentPath, body: DepartmentPatch, header: IfMatch) -> Response:
    with committed(db_session()) as session:
        row = get_or_404(session, Department, path.department_id, "Department")
        changes = body.model_dump(exclude_unset=True)
        admin.update_department(session, actor(), row, changes, expected_version())
    return answer(DepartmentOut.of(row), row=row)


@bp.delete("/departments/<int:department_id>", responses={204: None})
def delete_department(path: DepartmentPath, header: IfMatch) -> Response:
    """Delete a department no one belongs to and no schedule addresses (409 otherwise)."""
    with committed(db_session()) as session:
        row = get_or_404(session, Department, path.department_id, "Department")
        admin.delete_department(session, actor(), row, expected_version())
    return no_content()
