"""Deleting from the console: a schedule, a study item, a holiday entry. Each first
shows what will go and asks; the delete itself is the API's own (audited, version
checked, so a row changed since the question was asked is not deleted unseen)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...context import db_session
from ...domain.common import committed
from ...domain.holidays import delete_holiday_override
from ...domain.schedules import delete_schedule
from ...domain.study import delete_item
from ...errors import PreconditionFailed, PufaError
from ...models import HolidayOverride, Schedule, StudyItem
from .. import messages
from ..blueprints import web_blueprint
from ..forms import form_version, posted

bp = web_blueprint("web_delete", __name__, "/admin/delete", admin=True)


@dataclass(frozen=True)
class Question:
    title: str
    consequences: list[str]
    version: int
    back: str
    done: str


@bp.route("/schedule/<int:row_id>", methods=["GET", "POST"])
def schedule(row_id: int) -> ResponseReturnValue:
    session = db_session()
    row = session.get(Schedule, row_id)
    if row is None:
        abort(404)
    item = session.scalar(select(StudyItem).where(StudyItem.schedule_id == row.id))
    if item is not None:  # a study deadline goes with its item
        return redirect(url_for("web_delete.study_item", row_id=item.id))
    question = Question(
        title=f"删除日程“{row.title}”",
        consequences=[
            "日程的全部安排（包括改期、取消和主讲人）都会删除，日历订阅里也随之消失；",
            f"{len(row.rules)} 条短信提醒规则一并删除，尚未发出的提醒不再发送；",
            f"{len(row.overrides)} 次单次调整一并删除；",
            "删除会记入操作日志，但不能在页面上撤销。",
        ],
        version=row.version,
        back=url_for("web_schedules.edit", schedule_id=row.id),
        done=url_for("web_schedules.index"),
    )
    return _ask_or_delete(session, question, lambda db, v: delete_schedule(db, g.actor, row, v))


@bp.route("/study-item/<int:row_id>", methods=["GET", "POST"])
def study_item(row_id: int) -> ResponseReturnValue:
    session = db_session()
    row = session.get(StudyItem, row_id)
    if row is None:
        abort(404)
    question = Question(
        title=f"删除学法事项“{row.title}”",
        consequences=[
            f"已有的 {len(row.confirmations)} 条学习确认记录一并删除；",
            "它的截止日程和短信提醒一并删除，尚未发出的提醒不再发送；",
            "删除会记入操作日志，但不能在页面上撤销。",
        ],
        version=row.version,
        back=url_for("web_study.plan", plan_id=row.plan_id),
        done=url_for("web_study.plan", plan_id=row.plan_id),
    )
    return _ask_or_delete(session, question, lambda db, v: delete_item(db, g.actor, row, v))


@bp.route("/holiday/<int:row_id>", methods=["GET", "POST"])
def holiday(row_id: int) -> ResponseReturnValue:
    session = db_session()
    row = session.get(HolidayOverride, row_id)
    if row is None:
        abort(404)
    kind = "调休上班" if row.is_workday else "放假"
    question = Question(
        title=f"删除补录的 {row.day.isoformat()}（{kind}{'，' + row.name if row.name else ''}）",
        consequences=[
            "这一天将按官方数据或推算规则计算是否上班；",
            "遇节假日顺延或取消的日程会随之重新计算。",
        ],
        version=row.version,
        back=url_for("web_holidays.index"),
        done=url_for("web_holidays.index"),
    )
    return _ask_or_delete(
        session, question, lambda db, v: delete_holiday_override(db, g.actor, row, v)
    )


def _ask_or_delete(
    session: Session, question: Question, delete: Callable[[Session, int | None], None]
) -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("admin/confirm_delete.html", q=question)
    state = posted()
    try:
        with committed(session):
            delete(session, form_version(state))
    except PreconditionFailed:
        flash(messages.STALE, "error")
        return render_template("admin/confirm_delete.html", q=question), 409
    except PufaError as error:
        return render_template(
            "admin/confirm_delete.html", q=question, error=messages.service_reason(error.message)
        ), error.status
    flash(messages.DELETED_THING.format(what=question.title.removeprefix("删除")), "success")
    return redirect(question.done)
