"""Study plans (学法计划): plans, their items, and who has confirmed what.

Plans and items are saved by ``service.domain.study`` (as the API does); progress comes
from ``service.workflows.study.progress``, the same figures the API reports.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...context import db_session, pufa
from ...domain.study import ItemIn, PlanIn, create_item, create_plan
from ...models import Department, Schedule, StudyItem, StudyPlan, has_reminders, utcnow
from ...workflows.study import progress
from .. import messages
from ..blueprints import web_blueprint
from ..forms import FormState, integer, posted
from ..saving import save

bp = web_blueprint("web_study", __name__, "/admin/study", admin=True)


@bp.get("/")
def index() -> ResponseReturnValue:
    year = utcnow().astimezone(pufa().settings.zone).year
    planned = set(db_session().scalars(select(StudyPlan.year)))
    while year in planned:  # propose the first year that has no plan yet
        year += 1
    return _render_index(FormState({"year": str(year), "title": f"{year}年度学法计划"}))


@bp.post("/")
def new_plan() -> ResponseReturnValue:
    session = db_session()
    state = posted()
    data = {"year": integer(state.value("year")), "title": state.value("title")}
    plan = save(session, state, PlanIn, data, lambda db, valid: create_plan(db, g.actor, valid))
    if isinstance(plan, StudyPlan):
        flash(messages.SAVED, "success")
        return redirect(url_for("web_study.plan", plan_id=plan.id))
    return _render_index(state), 400


@bp.get("/<int:plan_id>")
def plan(plan_id: int) -> ResponseReturnValue:
    return _render_plan(plan_id, FormState({"is_for_everyone": "1", "department_ids": []}))


@bp.post("/<int:plan_id>/items")
def new_item(plan_id: int) -> ResponseReturnValue:
    session = db_session()
    row = session.get(StudyPlan, plan_id)
    if row is None:
        abort(404)
    state = posted("department_ids")
    data: dict[str, Any] = {
        "title": state.value("title"),
        "material": state.value("material"),
        "due_on": state.value("due_on") or None,
        "is_for_everyone": bool(state.value("is_for_everyone")),
        "department_ids": integer(state.value("department_ids", [])),
    }
    zone = pufa().settings.timezone

    def action(db: Session, valid: ItemIn) -> object:
        return create_item(db, g.actor, row, valid, zone)

    if save(session, state, ItemIn, data, action):
        flash(messages.SAVED, "success")
        return redirect(url_for("web_study.plan", plan_id=plan_id))
    return _render_plan(plan_id, state), 400


def _render_index(state: FormState) -> str:
    plans = db_session().scalars(select(StudyPlan).order_by(StudyPlan.year.desc()))
    return render_template("admin/study_plans.html", plans=list(plans), form=state)


def _render_plan(plan_id: int, state: FormState) -> str:
    session = db_session()
    report = progress(session, plan_id, utcnow())
    departments = session.scalars(select(Department).order_by(Department.name))
    return render_template(
        "admin/study_plan.html",
        report=report,
        form=state,
        item_schedules=dict(
            session.execute(
                select(StudyItem.id, StudyItem.schedule_id).where(StudyItem.plan_id == plan_id)
            ).all()
        ),
        departments=[(d.id, d.name) for d in departments],
        silent=set(
            session.scalars(
                select(StudyItem.schedule_id)
                .join(Schedule, Schedule.id == StudyItem.schedule_id)
                .where(StudyItem.plan_id == plan_id, ~has_reminders())
            )
        ),
    )
