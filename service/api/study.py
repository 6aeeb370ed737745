"""Routes: /api/v1/study-plans and their items."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from flask import Response
from flask_openapi3.blueprint import APIBlueprint
from pydantic import BaseModel, Field

from ..context import db_session, pufa
from ..domain import study as admin
from ..domain.common import Day, Id, IdList, InputModel, LongText, Title, committed, get_or_404
from ..domain.queries import find_plans
from ..domain.study import ItemIn, PlanIn
from ..errors import NotFound
from ..models import StudyItem, StudyPlan
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

bp = APIBlueprint("study", __name__, **blueprint_options("study plans"))


class ItemOut(OutModel):
    id: int
    plan_id: int
    title: str
    material: str
    due_on: date
    schedule_id: int = Field(description="The item's `deadline` schedule (add reminders there)")
    version: int


class PlanOut(OutModel):
    id: int
    year: int
    title: str
    is_closed: bool
    items: list[ItemOut]
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of_plan(cls, plan: StudyPlan) -> PlanOut:
        return cls.of(plan, items=[ItemOut.of(i) for i in plan.items])


class PlansPage(PageMeta):
    items: list[PlanOut]


class PlanPatch(InputModel):
    year: Annotated[int, Field(ge=2000, le=2100)] | None = None
    title: Title | None = None
    is_closed: bool | None = None


class ItemPatch(InputModel):
    title: Title | None = None
    material: LongText | None = None
    due_on: Day | None = None
    is_for_everyone: bool | None = None
    department_ids: IdList | None = None
    person_ids: IdList | None = None


class PlanPath(BaseModel):
    plan_id: Id


class ItemPath(PlanPath):
    item_id: Id


def _item(path: ItemPath) -> StudyItem:
    item = db_session().get(StudyItem, path.item_id)
    if item is None or item.plan_id != path.plan_id:
        raise NotFound(f"Study plan {path.plan_id} has no item {path.item_id}.")
    return item


@bp.get("/study-plans", responses={200: PlansPage})
def list_plans(query: PageQuery) -> Response:
    rows, total = find_plans(db_session(), query.window)
    items = [PlanOut.of_plan(p) for p in rows]
    return answer(PlansPage(items=items, total=total, page=query.page, per_page=query.per_page))


@bp.post("/study-plans", responses={201: PlanOut})
def create_plan(body: PlanIn) -> Response:
    """Add the study plan (学法计划) of a year; one per year (409 otherwise)."""
    with committed(db_session()) as session:
        plan = admin.create_plan(session, actor(), body)
    location = f"/api/v1/study-plans/{plan.id}"
    return answer(PlanOut.of_plan(plan), 201, row=plan, location=location)


@bp.get("/study-plans/<int:plan_id>", responses={200: PlanOut})
def get_plan(path: PlanPath) -> Response:
    plan = get_or_404(db_session(), StudyPlan, path.plan_id, "Study plan")
    return answer(PlanOut.of_plan(plan), row=plan)


@bp.patch("/study-plans/<int:plan_id>", responses={200: PlanOut})
def update_plan(path: PlanPath, body: PlanPatch, header: IfMatch) -> Response:
    with committed(db_session()) as session:
        plan = get_or_404(session, StudyPlan, path.plan_id, "Study plan")
        changes = body.model_dump(exclude_unset=True)
        admin.update_plan(session, actor(), plan, changes, expected_version())
    return answer(PlanOut.of_plan(plan), row=plan)


@bp.delete("/study-plans/<int:plan_id>", responses={204: None})
def delete_plan(path: PlanPath, header: IfMatch) -> Response:
    """Delete the plan with its items and their deadline schedules."""
    with committed(db_session()) as session:
        plan = get_or_404(session, StudyPlan, path.plan_id, "Study plan")
        admin.delete_plan(session, actor(), plan, expected_version())
    return no_content()


@bp.post("/study-plans/<int:plan_id>/items", responses={201: ItemOut})
def create_item(path: PlanPath, body: ItemIn) -> Response:
    """Add an item; its deadline schedule is all-day on due_on, for everyone unless an
    audience is given."""
    with committed(db_session()) as session:
        plan = get_or_404(session, StudyPlan, path.plan_id, "Study plan")
        zone = pufa().settings.timezone
        item = admin.create_item(session, actor(), plan, body, zone)
    location = f"/api/v1/study-plans/{plan.id}/items/{item.id}"
    return answer(ItemOut.of(item), 201, row=item, location=location)


@bp.get("/study-plans/<int:plan_id>/items/<int:item_id>", responses={200: ItemOut})
def get_item(path: ItemPath) -> Response:
    item = _item(path)
    return answer(ItemOut.of(item), row=item)


@bp.patch("/study-plans/<int:plan_id>/items/<int:item_id>", responses={200: ItemOut})
def update_item(path: ItemPath, body: ItemPatch, header: IfMatch) -> Response:
    """Change an item; its deadline schedule follows (title, day, audience)."""
    with committed(db_session()) as session:
        item = _item(path)
        changes = body.model_dump(exclude_unset=True)
        admin.update_item(session, actor(), item, changes, expected_version())
    return answer(ItemOut.of(item), row=item)


@bp.delete("/study-plans/<int:plan_id>/items/<int:item_id>", responses={204: None})
def delete_item(path: ItemPath, header: IfMatch) -> Response:
    with committed(db_session()) as session:
        admin.delete_item(session, actor(), _item(path), expected_version())
    return no_content()
