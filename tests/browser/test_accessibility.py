"""axe-core (npm, pinned in package.json) on every console page and the staff page:
no serious or critical violation, at desktop and phone width."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from service.context import Pufa
from service.models import (
    Department,
    HolidayOverride,
    OccurrenceOverride,
    Person,
    ReminderRule,
    Schedule,
    StudyItem,
    StudyPlan,
    utcnow,
)
from service.web.page_tokens import issue_page_token
from tests.support.browser import sign_in

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BAD = ("serious", "critical")


def _world(state: Pufa) -> tuple[dict[str, int], str]:
    """A little of everything, so every page has rows, links and forms to check."""
    start = (utcnow() + timedelta(days=2)).replace(hour=8, minute=0, second=0, microsecond=0)
    with state.db.transaction() as session:
        office = Department(name="司法所")
        wang = Person(name="王芳", mobile="+8613900008000", departments=[office])
        li = Person(name="李强", mobile="+8613900009000", departments=[office])
        lecture = Schedule(
            kind="lecture",
            title="机关职工每周一讲",
            starts_at=start,
            rrule="FREQ=WEEKLY",
            departments=[office],
            speaker=wang,
        )
        plan = StudyPlan(year=start.year, title=f"{start.year}年度学法计划")
        deadline = Schedule(
            kind="deadline",
            title="学习宪法",
            starts_at=start + timedelta(days=20),
            is_all_day=True,
            is_for_everyone=True,
        )
        session.add_all([wang, li, lecture, plan, deadline])
        session.flush()
        item = StudyItem(
            plan=plan,
            title="学习宪法",
            due_on=date.today() + timedelta(days=20),
            schedule=deadline,
        )
        session.add_all(
            [
                item,
                OccurrenceOverride(
                    schedule_id=lecture.id, original_start_at=start, is_cancelled=True, note="出差"
                ),
                ReminderRule(
                    schedule_id=lecture.id,
                    name="提前一天",
                    lead_minutes=1440,
                    template="lecture_audience",
                ),
                HolidayOverride(day=date(2031, 10, 1), is_workday=False, name="国庆节"),
            ]
        )
        session.flush()
        token = issue_page_token(session, wang, state.settings.secret_key)
        ids = {
            "lecture": lecture.id,
            "plan": plan.id,
            "item": item.id,
            "person": wang.id,
            "department": office.id,
            "holiday": session.query(HolidayOverride.id).scalar() or 0,
        }
    return ids, token


def _pages(ids: dict[str, int], original: str) -> list[str]:
    return [
        "/admin/",
        "/admin/schedules/",
        "/admin/schedules/new",
        f"/admin/schedules/{ids['lecture']}",
        f"/admin/occurrences/{ids['lecture']}/{original}",
        "/admin/calendar/",
        f"/admin/rota/{ids['lecture']}",
        "/admin/study/",
        f"/admin/study/{ids['plan']}",
        "/admin/people/",
        "/admin/people/new",
        f"/admin/people/{ids['person']}",
        "/admin/people/import/",
        "/admin/people/departments/new",
        f"/admin/people/departments/{ids['department']}",
        "/admin/holidays/",
        f"/admin/delete/holiday/{ids['holiday']}",
        f"/admin/delete/schedule/{ids['lecture']}",
        "/admin/sms/preview",
        "/admin/sms/deliveries",
        "/admin/ledger/",
        "/admin/search/?q=司法所",
        f"/admin/reminders/{ids['lecture']}",
    ]


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A desktop page that lets axe in: axe is injected as a script, which the pages'
    CSP rightly refuses. The audit is of the markup; the policy has tests of its own."""
    context = browser.new_context(base_url=live_server, locale="zh-CN", bypass_csp=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser: Browser, live_server: str) -> Iterator[Page]:
    """A phone-sized page that lets axe in (see ``page``)."""
    context = browser.new_context(
        base_url=live_server,
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        bypass_csp=True,
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        f"{page.url}: {v['id']} ({v['impact']}) {[n['target'] for n in v['nodes']][:3]}"
        for v in result
        if v["impact"] in BAD
    ]


@pytest.mark.skipif(not AXE.exists(), reason="axe-core not installed (npm install)")
def test_no_serious_accessibility_violation_on_any_page(
    page: Any, phone: Any, pufa_state: Pufa
) -> None:
    ids, token = _world(pufa_state)
    from service.occurrences.query import load_schedules

    with pufa_state.db.sessions() as session:
        (lecture,) = load_schedules(session, [ids["lecture"]])
        zone = pufa_state.settings.zone
        original = lecture.starts_at.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
    problems: list[str] = []
    page.goto("/admin/login")
    problems += _violations(page)
    sign_in(page, pufa_state)
    page.wait_for_url("**/admin/")
    for path in _pages(ids, original):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        problems += _violations(page)
    # A staff link: the page after the fact, the confirm step, the link shown once.
    page.goto(f"/admin/people/{ids['person']}/page-link")
    problems += _violations(page)
    page.locator("main form button[type=submit]").first.click()
    if page.get_by_role("button", name="确认更换链接").count():
        problems += _violations(page)
        page.get_by_role("button", name="确认更换链接").click()
    assert page.locator("#page-link").is_visible()
    problems += _violations(page)
    phone.goto(f"/me/{token}")
    problems += _violations(phone)
    if phone.get_by_role("button", name="获取我的订阅链接").count():
        phone.get_by_role("button", name="获取我的订阅链接").click()
        problems += _violations(phone)  # with the link, the phone help and the QR code
    phone.context.add_cookies(page.context.cookies())
    for path in ("/admin/calendar/", f"/admin/rota/{ids['lecture']}"):
        phone.goto(path)
        problems += _violations(phone)
    assert problems == []
