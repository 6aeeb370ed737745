"""The schedule form's 变更通知 switch, and the warnings for a schedule or study item that
reminds nobody (no enabled reminder rule): on its page, in the list, on the dashboard and
in the API."""

from __future__ import annotations

from datetime import date, timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from service.context import Pufa
from service.models import AuditEntry, Schedule
from tests.support.sms_world import World
from tests.support.web import post_form, sign_in

NEW = "/admin/schedules/new"
WARNING = "未设置提醒规则：不会发送短信提醒。"


def _form(kind: str, **extra: str) -> dict[str, str]:
    return {
        "title": "普法会议",
        "kind": kind,
        "start_date": (date.today() + timedelta(days=1)).isoformat(),
        "start_time": "16:00",
        "duration_minutes": "60",
        "duration_days": "1",
        "repeat": "once",
        "holiday_policy": "keep",
        "is_for_everyone": "1",
        **extra,
    }


def _notices(state: Pufa) -> dict[str, bool]:
    with state.db.sessions() as session:
        return {s.kind: s.change_notices for s in session.scalars(select(Schedule))}


def test_a_new_schedule_left_to_its_kind_gets_notices_for_lectures_and_meetings_only(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    sign_in(client, pufa_state)
    page = client.get(NEW).get_data(as_text=True)
    assert "变更时通知已提醒的人" in page
    assert '<option value="" selected>按类别' in page
    for kind in ("lecture", "meeting", "campaign"):
        answer = post_form(client, NEW, NEW, _form(kind, change_notices=""))
        assert answer.status_code == 302, answer.get_data(as_text=True)
    assert _notices(pufa_state) == {"lecture": True, "meeting": True, "campaign": False}


def test_the_switch_is_saved_shown_and_audited(client: FlaskClient, pufa_state: Pufa) -> None:
    sign_in(client, pufa_state)
    created = post_form(client, NEW, NEW, _form("campaign", change_notices="1"))
    page = created.headers["Location"]
    assert _notices(pufa_state) == {"campaign": True}
    html = client.get(page).get_data(as_text=True)
    assert '<option value="1" selected>通知</option>' in html
    assert "按类别" not in html  # an existing schedule has a choice already

    answer = post_form(client, page, page, _form("campaign", change_notices="0", version="1"))
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert _notices(pufa_state) == {"campaign": False}
    with pufa_state.db.sessions() as session:
        updated = (AuditEntry.action == "update", AuditEntry.resource == "schedule")
        entry = session.scalars(select(AuditEntry).where(*updated)).one()
        assert entry.before is not None and entry.after is not None
        assert (entry.before["change_notices"], entry.after["change_notices"]) == (True, False)


def test_an_unknown_choice_is_refused_by_the_field(client: FlaskClient, pufa_state: Pufa) -> None:
    sign_in(client, pufa_state)
    answer = post_form(client, NEW, NEW, _form("lecture", change_notices="yes"))
    assert answer.status_code == 400
    assert "请选择改期、取消或换主讲人时是否发送变更通知。" in answer.get_data(as_text=True)
    assert _notices(pufa_state) == {}


def _silent_and_reminding(state: Pufa) -> tuple[int, int, int]:
    """A lecture without rules, a campaign whose only rule is off, a study item with a rule."""
    with state.db.transaction() as session:
        world = World(session)
        silent = world.lecture()
        off = world.campaign()
        world.rule(off, 1440, "campaign_day_before", is_enabled=False)
        item = world.study_item("民法典", date(2026, 12, 31))
        world.rule(item.schedule, 1440, "study_deadline", recipients="unconfirmed")
        return silent.id, off.id, item.schedule.id


def test_a_schedule_without_an_enabled_rule_says_so_on_its_page_the_list_and_the_dashboard(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    silent, off, deadline = _silent_and_reminding(pufa_state)
    sign_in(client, pufa_state)
    for schedule_id in (silent, off):
        page = client.get(f"/admin/schedules/{schedule_id}").get_data(as_text=True)
        assert WARNING in page
        assert f'href="/admin/reminders/{schedule_id}"' in page
    assert WARNING not in client.get(f"/admin/schedules/{deadline}").get_data(as_text=True)
    assert WARNING in client.get(f"/admin/reminders/{off}").get_data(as_text=True)

    listing = client.get("/admin/schedules/").get_data(as_text=True)
    assert listing.count(WARNING) == 2
    assert 'aria-label="为机关职工每周一讲设置短信提醒"' in listing
    only_silent = client.get("/admin/schedules/?reminders=none").get_data(as_text=True)
    assert "学法截止：民法典" not in only_silent and only_silent.count(WARNING) == 2
    assert "学法截止：民法典" in listing

    dashboard = client.get("/admin/").get_data(as_text=True)
    assert "2 个日程未设置提醒规则：不会发送短信提醒。" in dashboard
    assert 'href="/admin/schedules/?reminders=none"' in dashboard


def test_a_study_item_without_an_enabled_rule_says_so_on_its_plan(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    with pufa_state.db.transaction() as session:
        item = World(session).study_item("宪法", date(2026, 12, 31))
        plan_id, deadline = item.plan_id, item.schedule_id
    sign_in(client, pufa_state)
    page = client.get(f"/admin/study/{plan_id}").get_data(as_text=True)
    assert WARNING in page
    assert f'href="/admin/reminders/{deadline}" aria-label="为宪法设置短信提醒"' in page


def test_the_api_says_whether_a_schedule_reminds_anyone(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa
) -> None:
    silent, off, deadline = _silent_and_reminding(pufa_state)
    one = {
        i: client.get(f"/api/v1/schedules/{i}", headers=admin_headers).get_json()["has_reminders"]
        for i in (silent, off, deadline)
    }
    assert one == {silent: False, off: False, deadline: True}
    listed = client.get("/api/v1/schedules", headers=admin_headers).get_json()["items"]
    assert {s["id"]: s["has_reminders"] for s in listed} == one
