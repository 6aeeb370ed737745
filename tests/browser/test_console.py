"""In a real browser: the schedule editor, the rota (and the feed following it), and
forms that keep what the user typed when the server refuses it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from service.context import Pufa
from service.models import Department, OccurrenceOverride, Person, Schedule, utcnow
from service.web.page_tokens import issue_page_token
from tests.support.browser import shot, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page


def _office_and_people(state: Pufa) -> None:
    with state.db.transaction() as session:
        office = Department(name="司法所")
        session.add_all(
            [
                Person(name="王芳", mobile="+8613900008000", departments=[office]),
                Person(name="李强", mobile="+8613900009000", departments=[office]),
            ]
        )


def test_create_a_weekly_schedule_with_the_recurrence_editor(page: Page, pufa_state: Pufa) -> None:
    _office_and_people(pufa_state)
    sign_in(page, pufa_state, "/admin/schedules/new")
    page.wait_for_url("**/admin/schedules/new")
    page.get_by_label("名称").fill("机关职工每周一讲")
    page.get_by_label("类别", exact=True).select_option("lecture")
    page.get_by_label("第一次的日期").fill((date.today() + timedelta(days=1)).isoformat())
    page.get_by_label("开始时间").fill("16:00")
    page.get_by_label("每周某一天").check()
    page.get_by_label("星期几", exact=True).select_option("WE")
    page.get_by_label("遇到法定节假日").select_option("next_workday")
    page.get_by_label("司法所").check()
    page.get_by_label("地点", exact=True).fill("三楼会议室")
    shot(page, "03-schedule-editor")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/admin/schedules/*")
    assert page.get_by_text("已保存").is_visible()
    upcoming = page.locator("section", has_text="接下来的安排")
    assert upcoming.get_by_text("（周三）").count() >= 10
    shot(page, "04-schedule-occurrences")
    page.goto("/admin/schedules/")
    assert page.get_by_text("每周星期三").is_visible()
    with pufa_state.db.sessions() as session:
        assert session.scalars(select(Schedule.rrule)).one() == "FREQ=WEEKLY;BYDAY=WE"


def test_bad_input_is_shown_next_to_the_field_and_kept(page: Page, pufa_state: Pufa) -> None:
    sign_in(page, pufa_state, "/admin/people/new")
    page.wait_for_url("**/admin/people/new")
    page.get_by_label("姓名").fill("赵敏")
    page.get_by_label("手机号码").fill("12345")
    page.get_by_role("button", name="保存").click()
    error = page.locator("#mobile-error")
    assert error.is_visible() and "请输入有效的手机号码" in error.inner_text()
    assert page.get_by_label("手机号码").input_value() == "12345"
    assert page.get_by_label("姓名").input_value() == "赵敏"
    assert page.get_by_label("手机号码").get_attribute("aria-invalid") == "true"
    shot(page, "05-person-form-error")


def _lecture_with_rota(state: Pufa) -> tuple[int, str]:
    with state.db.transaction() as session:
        office = Department(name="司法所")
        wang = Person(name="王芳", mobile="+8613900008000", departments=[office])
        li = Person(name="李强", mobile="+8613900009000", departments=[office])
        start = (utcnow() + timedelta(days=1)).replace(second=0, microsecond=0)
        schedule = Schedule(
            kind="lecture",
            title="机关职工每周一讲",
            starts_at=start,
            rrule="FREQ=WEEKLY",
            departments=[office],
            location="三楼会议室",
        )
        session.add_all([wang, li, schedule])
        session.flush()
        for week, person, topic in ((0, wang, "宪法"), (1, li, "民法典")):
            session.add(
                OccurrenceOverride(
                    schedule_id=schedule.id,
                    original_start_at=start + timedelta(weeks=week),
                    speaker_id=person.id,
                    topic=topic,
                )
            )
        return schedule.id, issue_page_token(session, wang, state.settings.secret_key)


def test_swapping_two_speakers_changes_the_rota_and_the_feed(page: Page, pufa_state: Pufa) -> None:
    schedule_id, wang_page = _lecture_with_rota(pufa_state)
    # 王芳 subscribes first, so we can read her feed before and after the swap.
    page.goto(f"/me/{wang_page}")
    page.get_by_role("button", name="获取我的订阅链接").click()
    webcal = page.get_by_role("link", name="一键订阅日历").get_attribute("href")
    assert webcal is not None
    feed_path = "/" + webcal.split("://", 1)[1].split("/", 1)[1]
    before = page.request.get(feed_path).text()
    assert "主讲人：王芳" in before or "王芳" in before

    sign_in(page, pufa_state, f"/admin/rota/{schedule_id}")
    page.wait_for_url(f"**/admin/rota/{schedule_id}")
    rows = page.locator("tbody tr")
    assert rows.nth(0).get_by_label("主讲人").input_value() != ""
    first_speaker = rows.nth(0).locator("select option:checked").inner_text()
    second_speaker = rows.nth(1).locator("select option:checked").inner_text()
    assert (first_speaker, second_speaker) == ("王芳", "李强")
    shot(page, "06-rota-before")
    options = page.get_by_label("这一周", exact=True).locator("option")
    page.get_by_label("这一周", exact=True).select_option(index=1)
    page.get_by_label("与这一周交换").select_option(index=2)
    page.get_by_label("题目一起交换").check()
    page.get_by_role("button", name="交换主讲人").click()
    assert page.get_by_text("已交换两周的主讲人和题目").is_visible()
    rows = page.locator("tbody tr")
    assert rows.nth(0).locator("select option:checked").inner_text() == "李强"
    assert rows.nth(1).locator("select option:checked").inner_text() == "王芳"
    assert options.count() >= 3
    shot(page, "07-rota-after")
    after = page.request.get(feed_path).text()
    assert after != before
    assert "李强" in after


def test_screenshots_of_the_main_pages_with_demo_data(page: Page, pufa_state: Pufa) -> None:
    from service.seed import load_demo_file, seed

    with pufa_state.db.transaction() as session:
        seed(session, load_demo_file())
    sign_in(page, pufa_state, "/admin/")
    page.wait_for_url("**/admin/")
    for path, name in [
        ("/admin/", "20-dashboard-demo"),
        ("/admin/schedules/", "21-schedules"),
        ("/admin/people/", "22-people"),
        ("/admin/study/", "23-study-plans"),
        ("/admin/holidays/", "24-holidays"),
        ("/admin/sms/preview", "25-sms-preview"),
        ("/admin/sms/deliveries", "26-deliveries"),
        ("/admin/ledger/", "27-ledger"),
    ]:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        shot(page, name)
