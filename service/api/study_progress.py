"""Routes of the study-plan workflows: confirmations, progress and year roll-over.
Plain plan and item CRUD lives with the admin API; the logic in workflows.study."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from flask import g
from flask_openapi3.blueprint import APIBlueprint
from pydantic import BaseModel, ConfigDict, Field

from ..context import db_session
from ..domain.common import Id, NoNul, committed
from ..models import utcnow
from ..workflows import rollover, study
from .common import blueprint_options

bp = APIBlueprint("study_workflows", __name__, **blueprint_options("study"))


class ItemPath(BaseModel):
    item_id: int


class PlanPath(BaseModel):
    plan_id: int


class ConfirmBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    person_id: Id
    note: Annotated[str, NoNul] = Field(
        "", max_length=10_000, description="学习笔记: what was studied"
    )


class ConfirmationOut(BaseModel):
    id: int
    item_id: int
    person_id: int
    confirmed_at: datetime
    note: str


class ItemProgressOut(BaseModel):
    item_id: int
    title: str
    due_on: date
    is_past_deadline: bool
    audience: int
    confirmed: int
    rate: float
    overdue: list[str] = Field(description="names of people overdue on this item")


class TallyOut(BaseModel):
    id: int
    name: str
    assigned: int
    confirmed: int
    rate: float
    overdue: list[str]


class PlanOut(BaseModel):
    id: int
    year: int
    title: str
    is_closed: bool


class ProgressOut(BaseModel):
    plan: PlanOut
    as_of: datetime
    items: list[ItemProgressOut]
    people: list[TallyOut]
    departments: list[TallyOut]


class NewItemOut(BaseModel):
    id: int
    title: str
    due_on: date
    schedule_id: int


class RolledOverOut(PlanOut):
    items: list[NewItemOut]


@bp.post("/study-items/<int:item_id>/confirmations", responses={201: ConfirmationOut})
def confirm_item(path: ItemPath, body: ConfirmBody) -> tuple[dict[str, object], int]:
    session = db_session()
    with committed(session):
        confirmation = study.confirm(
            session, path.item_id, person_id=body.person_id, note=body.note, now=utcnow(),
            actor=g.actor,
        )  # fmt: skip
    out = ConfirmationOut.model_validate(confirmation, from_attributes=True)
    return out.model_dump(mode="json"), 201


@bp.get("/study-plans/<int:plan_id>/progress", responses={200: ProgressOut})
def plan_progress(path: PlanPath) -> dict[str, object]:
    report = study.progress(db_session(), path.plan_id, utcnow())
    names = {pid: person.name for pid, (person, _) in report.people.items()}
    out = ProgressOut(
        plan=PlanOut.model_validate(report.plan, from_attributes=True),
        as_of=report.as_of,
        items=[
            ItemProgressOut(
                item_id=i.item_id, title=i.title, due_on=i.due_on,
                is_past_deadline=i.is_past_deadline, audience=i.audience,
                confirmed=i.confirmed, rate=i.rate,
                overdue=[names.get(p, str(p)) for p in i.overdue_ids],
            )
            for i in report.items
        ],
        people=[_tally(p.id, p.name, t) for p, t in report.people.values()],
        departments=[_tally(d.id, d.name, t) for d, t in report.departments.values()],
    )  # fmt: skip
    return out.model_dump(mode="json")


def _tally(id_: int, name: str, tally: study.Tally) -> TallyOut:
    return TallyOut(
        id=id_, name=name, assigned=tally.assigned, confirmed=tally.confirmed,
        rate=tally.rate, overdue=tally.overdue,
    )  # fmt: skip


@bp.post("/study-plans/<int:plan_id>/rollover", responses={201: RolledOverOut})
def rollover_plan(path: PlanPath) -> tuple[dict[str, object], int]:
    """Copy the plan to next year (dates +1 year, Feb 29 -> Feb 28) for admins to edit."""
    session = db_session()
    with committed(session):
        plan = rollover.rollover(session, path.plan_id, now=utcnow(), actor=g.actor)
    out = RolledOverOut(
        id=plan.id, year=plan.year, title=plan.title, is_closed=plan.is_closed,
        items=[NewItemOut.model_validate(i, from_attributes=True) for i in plan.items],
    )  # fmt: skip
    return out.model_dump(mode="json"), 201
