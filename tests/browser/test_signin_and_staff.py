"""In a real browser: signing in, the keyboard path, and a staff member's page."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from service.context import Pufa
from service.models import Delivery, Department, Person, ReminderRule, Schedule, utcnow
from service.web.page_tokens import issue_page_token
from tests.support.browser import shot, sign_in
from tests.support.web import ADMIN_USERNAME, make_admin

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_an_admin_signs_in_and_lands_on_the_page_they_asked_for(
    page: Page, pufa_state: Pufa
) -> None:
    page.goto("/admin/people/")
    assert "/admin/login" in page.url
    shot(page, "01-login")
    sign_in(page, pufa_state, page.url)
    page.wait_for_url("**/admin/people/")
    assert page.get_by_role("heading", name="人员与站所").is_visible()
    page.goto("/admin/")
    assert page.get_by_role("heading", name="总览").is_visible()
    shot(page, "02-dashboard")


def test_a_wrong_password_shows_the_error_and_keeps_the_username(
    page: Page, pufa_state: Pufa
) -> None:
    make_admin(pufa_state)
    page.goto("/admin/login")
    page.get_by_label("用户名").fill(ADMIN_USERNAME)
    page.get_by_label("密码").fill("wrong password")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_text("用户名或密码不正确").is_visible()
    assert page.get_by_label("用户名").input_value() == ADMIN_USERNAME


def test_the_skip_link_is_the_first_stop_for_the_keyboard(page: Page) -> None:
    page.goto("/admin/login")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "跳到主要内容"
    page.keyboard.press("Enter")
    assert page.url.endswith("#content")


def _staff_with_pending_sms(state: Pufa) -> str:
    with state.db.transaction() as session:
        office = Department(name="司法所")
        person = Person(name="王芳", mobile="+8613900008000", departments=[office])
        start = (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0)
        rule = ReminderRule(name="提前一天", lead_minutes=1440, template="lecture_audience")
        schedule = Schedule(
            kind="lecture",
            title="机关职工每周一讲",
            starts_at=start,
            rrule="FREQ=WEEKLY",
            departments=[office],
            speaker=person,
            topic="民法典婚姻家庭编",
            location="三楼会议室",
            rules=[rule],
        )
        session.add_all([person, schedule])
        session.flush()
        session.add(
            Delivery(
                schedule_id=schedule.id,
                original_start_at=start,
                rule_id=rule.id,
                person_id=person.id,
                due_at=start - timedelta(days=1),
                useful_until=start,
                occurrence_start_at=start,
                to=person.mobile or "",
                body="明天每周一讲",
                segments=1,
            )
        )
        return issue_page_token(session, person, state.settings.secret_key)


def test_a_staff_member_turns_sms_off_on_their_phone(phone: Page, pufa_state: Pufa) -> None:
    planner = pytest.importorskip("service.sms.planner")
    assert planner.retract_for_person
    token = _staff_with_pending_sms(pufa_state)
    phone.goto(f"/me/{token}")
    assert phone.get_by_role("heading", name="王芳，您好").is_visible()
    assert phone.get_by_text("您是主讲人").first.is_visible()
    shot(phone, "10-staff-page-phone")
    phone.get_by_role("button", name="关闭短信提醒").click()
    assert phone.get_by_text("短信提醒已关闭，尚未发送的提醒已撤回").is_visible()
    assert phone.get_by_role("button", name="开启短信提醒").is_visible()
    with pufa_state.db.sessions() as session:
        assert session.scalars(select(Delivery.status)).one() == "retracted"
        assert session.scalars(select(Person.is_sms_enabled)).one() is False


def test_the_staff_page_with_a_subscription_link_fits_a_390_px_phone(
    phone: Page, pufa_state: Pufa
) -> None:
    token = _staff_with_pending_sms(pufa_state)
    phone.goto(f"/me/{token}")
    phone.get_by_role("button", name="获取我的订阅链接").click()
    expect(phone.locator("#feed-url")).to_be_visible()
    # The script adds the button once it has run: waited for, not checked at once.
    expect(phone.get_by_role("button", name="复制订阅地址")).to_be_visible()
    shot(phone, "11-staff-page-subscribed-phone")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a 390 px phone"


def test_an_admin_issues_a_staff_link_copies_it_and_a_reload_shows_no_secret(
    page: Page, pufa_state: Pufa
) -> None:
    with pufa_state.db.transaction() as session:
        session.add(Person(name="赵敏", mobile="+8613900008001"))
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, pufa_state, "/admin/people/")
    page.wait_for_url("**/admin/people/")
    page.get_by_role("button", name="生成链接").click()
    link = page.locator("#page-link").inner_text().strip()
    assert "/me/" in link
    page.get_by_role("button", name="复制链接").click()
    # The clipboard answers asynchronously: wait for the button to say so.
    expect(page.get_by_role("button", name="已复制")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link
    shot(page, "12-staff-link-once")
    page.reload()
    assert page.get_by_text("链接只在生成时显示一次").is_visible()
    assert page.locator("#page-link").count() == 0
    page.get_by_role("button", name="更换链接").click()
    assert page.get_by_role("heading", name="更换赵敏的个人页面链接？").is_visible()
