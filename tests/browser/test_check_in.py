"""In a real browser: the clerk shows the check-in QR code, a staff member checks in
on a phone-sized page, and the roll call shows it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import select

from service.context import Pufa
from service.models import Attendance, Department, Person, Schedule, utcnow
from service.web.page_tokens import issue_page_token
from tests.support.browser import shot
from tests.support.web import ADMIN_PASSWORD, ADMIN_USERNAME, make_admin


def _meeting_in_ten_minutes(state: Pufa) -> tuple[int, str, str]:
    """A one-off meeting of 司法所 starting soon; (schedule id, original start, 王芳's link)."""
    with state.db.transaction() as session:
        office = Department(name="司法所")
        person = Person(name="王芳", mobile="+8613900008000", departments=[office])
        start = (utcnow() + timedelta(minutes=10)).replace(second=0, microsecond=0)
        meeting = Schedule(kind="meeting", title="法治建设工作会议", starts_at=start,
                           departments=[office], location="三楼会议室")  # fmt: skip
        session.add_all([person, meeting])
        session.flush()
        local = start.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
        token = issue_page_token(session, person, state.settings.secret_key)
        return meeting.id, local.isoformat(timespec="minutes"), token


def _check_in_link(page: Any, state: Pufa, schedule_id: int, original: str) -> str:
    make_admin(state)
    page.goto(f"/admin/records/{schedule_id}/{original}")
    page.get_by_label("用户名").fill(ADMIN_USERNAME)
    page.get_by_label("密码").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="显示签到二维码").click()
    assert page.get_by_role("img", name="签到二维码").is_visible()
    shot(page, "20-check-in-qr")
    link: str = page.locator("code").inner_text()
    return str(urlsplit(link).path)


def test_a_staff_member_checks_in_by_scanning_on_their_phone(
    page: Any, phone: Any, pufa_state: Pufa
) -> None:
    schedule_id, original, token = _meeting_in_ten_minutes(pufa_state)
    scan = _check_in_link(page, pufa_state, schedule_id, original)
    phone.goto(f"/me/{token}")  # the link from the SMS, opened once on this phone
    assert phone.get_by_role("heading", name="王芳，您好").is_visible()
    phone.goto(scan)
    assert phone.get_by_text("签到成功：法治建设工作会议").is_visible()
    assert phone.get_by_text("已签到").is_visible()
    assert phone.get_by_text("请假", exact=True).count() == 0
    shot(phone, "21-checked-in-phone")
    phone.goto(scan)  # scanning again changes nothing
    with pufa_state.db.sessions() as session:
        rows = session.scalars(select(Attendance)).all()
        assert [(r.status, r.source) for r in rows] == [("present", "check_in")]
    page.goto(f"/admin/records/{schedule_id}/{original}")
    assert page.get_by_text("扫码签到 ·").is_visible()


def test_a_phone_that_never_opened_the_personal_link_is_told_to_open_it_first(
    page: Any, phone: Any, pufa_state: Pufa
) -> None:
    schedule_id, original, _token = _meeting_in_ten_minutes(pufa_state)
    scan = _check_in_link(page, pufa_state, schedule_id, original)
    phone.goto(scan)
    assert phone.get_by_role("heading", name="扫码签到").is_visible()
    assert phone.get_by_text("请先打开党政办发给您的").is_visible()
    shot(phone, "22-check-in-needs-link")
    with pufa_state.db.sessions() as session:
        assert session.scalars(select(Attendance)).all() == []
