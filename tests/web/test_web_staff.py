"""The staff page: a secret link, upcoming events, SMS on/off, no password."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from service.context import Pufa
from service.models import (
    AuditEntry,
    Delivery,
    Department,
    Person,
    ReminderRule,
    Schedule,
    utcnow,
)
from service.web.page_tokens import issue_page_token
from tests.support.web import csrf_from, sign_in


def _staff(state: Pufa) -> tuple[int, str]:
    """A 司法所 member with a weekly lecture they speak at; returns (id, page token)."""
    with state.db.transaction() as session:
        office = Department(name="司法所")
        person = Person(name="王芳", mobile="+8613900008000", departments=[office])
        start = (utcnow() + timedelta(days=2)).replace(microsecond=0)
        session.add(
            Schedule(
                kind="lecture",
                title="机关职工每周一讲",
                starts_at=start,
                rrule="FREQ=WEEKLY",
                departments=[office],
                speaker=person,
                topic="宪法学习",
                location="三楼会议室",
                rules=[
                    ReminderRule(name="提前一天", lead_minutes=1440, template="lecture_audience")
                ],
            )
        )
        session.add(person)
        session.flush()
        token = issue_page_token(session, person, state.settings.secret_key)
        return person.id, token


def test_the_page_shows_the_persons_upcoming_events(client: FlaskClient, pufa_state: Pufa) -> None:
    _id, token = _staff(pufa_state)
    response = client.get(f"/me/{token}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "王芳，您好" in html
    assert "机关职工每周一讲" in html and "三楼会议室" in html
    assert "您是主讲人" in html


def test_the_page_is_never_cached_or_leaked_by_referer(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    _id, token = _staff(pufa_state)
    response = client.get(f"/me/{token}")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_an_unknown_link_gets_a_friendly_not_found(client: FlaskClient) -> None:
    response = client.get("/me/not-a-real-token")
    assert response.status_code == 404
    assert "找不到这个页面" in response.get_data(as_text=True)


def test_a_rotated_link_stops_working(client: FlaskClient, pufa_state: Pufa) -> None:
    person_id, old = _staff(pufa_state)
    sign_in(client, pufa_state)
    people_page = client.get("/admin/people/").get_data(as_text=True)
    response = client.post(
        f"/admin/people/{person_id}/page-link",
        data={"csrf_token": csrf_from(people_page), "confirm": "1"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    new = html.split("/me/")[1].split("<")[0]
    assert new != old
    assert client.get(f"/me/{old}").status_code == 404
    assert client.get(f"/me/{new}").status_code == 200


def test_the_token_is_stored_only_as_an_hmac(pufa_state: Pufa) -> None:
    person_id, token = _staff(pufa_state)
    with pufa_state.db.sessions() as session:
        stored = session.get(Person, person_id)
        assert stored is not None and stored.page_token_hash not in (None, token)


def test_an_inactive_persons_link_does_not_open(client: FlaskClient, pufa_state: Pufa) -> None:
    person_id, token = _staff(pufa_state)
    with pufa_state.db.transaction() as session:
        person = session.get(Person, person_id)
        assert person is not None
        person.is_active = False
    assert client.get(f"/me/{token}").status_code == 404


def test_turning_sms_off_and_on(client: FlaskClient, pufa_state: Pufa) -> None:
    person_id, token = _staff(pufa_state)
    page = client.get(f"/me/{token}").get_data(as_text=True)
    response = client.post(f"/me/{token}/sms", data={"sms": "off", "csrf_token": csrf_from(page)})
    assert response.status_code == 302
    page = client.get(f"/me/{token}").get_data(as_text=True)
    assert "短信提醒已关闭" in page and "已关闭" in page
    with pufa_state.db.sessions() as session:
        assert session.get_one(Person, person_id).is_sms_enabled is False
    client.post(f"/me/{token}/sms", data={"sms": "on", "csrf_token": csrf_from(page)})
    with pufa_state.db.sessions() as session:
        assert session.get_one(Person, person_id).is_sms_enabled is True


def test_turning_sms_off_retracts_pending_deliveries(client: FlaskClient, pufa_state: Pufa) -> None:
    pytest.importorskip("service.sms.planner")
    person_id, token = _staff(pufa_state)
    with pufa_state.db.transaction() as session:
        schedule = session.scalars(select(Schedule)).one()
        start = schedule.starts_at
        session.add(
            Delivery(
                schedule_id=schedule.id,
                original_start_at=start,
                rule_id=schedule.rules[0].id,
                person_id=person_id,
                due_at=start - timedelta(days=1),
                useful_until=start,
                occurrence_start_at=start,
                to="+8613900008000",
                body="明天每周一讲",
                segments=1,
            )
        )
    page = client.get(f"/me/{token}").get_data(as_text=True)
    client.post(f"/me/{token}/sms", data={"sms": "off", "csrf_token": csrf_from(page)})
    with pufa_state.db.sessions() as session:
        assert session.scalars(select(Delivery.status)).one() == "retracted"


def test_a_post_without_csrf_token_changes_nothing(client: FlaskClient, pufa_state: Pufa) -> None:
    person_id, token = _staff(pufa_state)
    response = client.post(f"/me/{token}/sms", data={"sms": "off"})
    assert response.status_code == 400
    with pufa_state.db.sessions() as session:
        assert session.get_one(Person, person_id).is_sms_enabled is True


def test_times_are_shown_in_the_offices_timezone(client: FlaskClient, pufa_state: Pufa) -> None:
    _id, token = _staff(pufa_state)
    with pufa_state.db.sessions() as session:
        start = session.scalars(select(Schedule.starts_at)).one()
    local = start.astimezone(pufa_state.settings.zone)
    html = client.get(f"/me/{token}").get_data(as_text=True)
    assert f"{local:%Y-%m-%d}" in html and f"{local:%H:%M}" in html
    assert start.tzinfo is UTC or start.utcoffset() == timedelta(0)
    assert datetime.now(UTC) < start + timedelta(days=7)


def test_subscribing_shows_a_webcal_link_and_a_qr_code_that_open_the_feed(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    pytest.importorskip("service.feeds.tokens")
    _id, token = _staff(pufa_state)
    page = client.get(f"/me/{token}").get_data(as_text=True)
    assert "获取我的订阅链接" in page
    response = client.post(
        f"/me/{token}/subscribe", data={"csrf_token": csrf_from(page)}, follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    webcal = html.split('href="webcal://')[1].split('"')[0]
    assert "<svg" in html and "日历订阅二维码" in html
    feed_path = "/" + webcal.split("/", 1)[1]
    feed = client.get(feed_path)
    assert feed.status_code == 200
    assert "BEGIN:VCALENDAR" in feed.get_data(as_text=True)


def test_the_page_keeps_showing_the_same_feed_link_until_a_new_one_is_asked_for(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    _id, token = _staff(pufa_state)

    def feed_path(html: str) -> str:
        return "/" + html.split('href="webcal://')[1].split('"')[0].split("/", 1)[1]

    page = client.get(f"/me/{token}").get_data(as_text=True)
    issued = client.post(
        f"/me/{token}/subscribe", data={"csrf_token": csrf_from(page)}, follow_redirects=True
    )
    first = feed_path(issued.get_data(as_text=True))
    later = client.get(f"/me/{token}").get_data(as_text=True)  # another device, say
    assert feed_path(later) == first and "换一个新链接" in later
    assert client.get(first).status_code == 200  # the first device's still works
    renewed = client.post(
        f"/me/{token}/subscribe", data={"csrf_token": csrf_from(later)}, follow_redirects=True
    )
    second = feed_path(renewed.get_data(as_text=True))
    assert second != first
    assert client.get(first).status_code == 404 and client.get(second).status_code == 200
    with pufa_state.db.sessions() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [(e.actor, e.action, e.before, e.after) for e in entries] == [
            (f"staff:{_id}", "issue_feed_token", None, None),
            (f"staff:{_id}", "rotate_feed_token", None, None),
        ]


def test_turning_sms_off_is_audited(client: FlaskClient, pufa_state: Pufa) -> None:
    pytest.importorskip("service.domain.people")

    person_id, token = _staff(pufa_state)
    page = client.get(f"/me/{token}").get_data(as_text=True)
    client.post(f"/me/{token}/sms", data={"sms": "off", "csrf_token": csrf_from(page)})
    with pufa_state.db.sessions() as session:
        entry = session.scalars(select(AuditEntry)).one()
        assert entry.actor == f"staff:{person_id}" and entry.after is not None
        assert entry.after["is_sms_enabled"] is False


def test_confirming_a_study_item_with_a_note(client: FlaskClient, pufa_state: Pufa) -> None:
    pytest.importorskip("service.workflows.study")
    from datetime import date

    from service.models import StudyConfirmation, StudyItem, StudyPlan

    person_id, token = _staff(pufa_state)
    year = utcnow().astimezone(pufa_state.settings.zone).year
    with pufa_state.db.transaction() as session:
        deadline = Schedule(
            kind="deadline",
            title="学法截止：民法典",
            starts_at=utcnow(),
            is_all_day=True,
            is_for_everyone=True,
        )
        plan = StudyPlan(year=year, title=f"{year}年度学法计划")
        plan.items.append(StudyItem(title="民法典", due_on=date(year, 12, 31), schedule=deadline))
        session.add(plan)
        session.flush()
        item_id = plan.items[0].id
    page = client.get(f"/me/{token}").get_data(as_text=True)
    assert "确认已学习" in page
    too_long = client.post(
        f"/me/{token}/study/{item_id}", data={"note": "笔" * 2001, "csrf_token": csrf_from(page)}
    )
    assert too_long.status_code == 400
    assert f'id="note-{item_id}-error"' in too_long.get_data(as_text=True)
    for odd in ("学习\x00笔记", "学习\x0b笔记"):  # NUL: PostgreSQL refuses it on write
        refused = client.post(
            f"/me/{token}/study/{item_id}", data={"note": odd, "csrf_token": csrf_from(page)}
        )
        assert refused.status_code == 400
        assert "不能包含控制字符" in refused.get_data(as_text=True)
    asked = client.post(
        f"/me/{token}/study/{item_id}",
        data={"note": "学习了婚姻家庭编", "csrf_token": csrf_from(page)},
    )
    assert asked.status_code == 200 and "确认已学习“民法典”？" in asked.get_data(as_text=True)
    with pufa_state.db.sessions() as session:
        assert session.scalars(select(StudyConfirmation)).first() is None
    response = client.post(
        f"/me/{token}/study/{item_id}",
        data={"note": "学习了婚姻家庭编", "confirm": "1", "csrf_token": csrf_from(page)},
    )
    assert response.status_code == 302
    with pufa_state.db.sessions() as session:
        confirmation = session.scalars(select(StudyConfirmation)).one()
        assert confirmation.person_id == person_id and confirmation.note == "学习了婚姻家庭编"
    assert "已完成" in client.get(f"/me/{token}").get_data(as_text=True)


def _newcomer(state: Pufa) -> int:
    with state.db.transaction() as session:
        person = Person(name="赵敏", mobile="+8613900008001")
        session.add(person)
        session.flush()
        return person.id


def _page_hash(state: Pufa, person_id: int) -> str | None:
    with state.db.sessions() as session:
        person = session.get(Person, person_id)
        assert person is not None
        return person.page_token_hash


def test_issuing_a_link_redirects_and_a_reload_does_not_issue_again(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    person_id = _newcomer(pufa_state)
    sign_in(client, pufa_state)
    people_page = client.get("/admin/people/").get_data(as_text=True)
    posted = client.post(
        f"/admin/people/{person_id}/page-link", data={"csrf_token": csrf_from(people_page)}
    )
    assert posted.status_code == 303
    assert posted.headers["Location"].endswith(f"/admin/people/{person_id}/page-link")
    shown = client.get(posted.headers["Location"])
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    token = html.split("/me/")[1].split("<")[0]
    assert "已生成个人页面链接" in html and "失效" not in html.split("<main")[1].split("<h1")[0]
    assert 'data-copy="page-link"' in html and "copy.js" in html
    assert 'aria-label="个人页面链接二维码"' in html
    issued = _page_hash(pufa_state, person_id)
    reloaded = client.get(posted.headers["Location"])
    again = reloaded.get_data(as_text=True)
    assert reloaded.status_code == 200 and "/me/" not in again and "只在生成时显示一次" in again
    assert _page_hash(pufa_state, person_id) == issued
    assert client.get(f"/me/{token}").status_code == 200
    with pufa_state.db.sessions() as session:
        entries = session.scalars(select(AuditEntry)).all()
        assert [(e.action, e.resource_id) for e in entries] == [
            ("issue_page_token", str(person_id))
        ]
        assert token not in str([(e.before, e.after) for e in entries])
    # Issued but never looked at: the next people page drops it from the cookie.
    client.post(
        f"/admin/people/{person_id}/page-link",
        data={"csrf_token": csrf_from(again), "confirm": "1"},
    )
    client.get("/admin/people/")
    assert "/me/" not in client.get(posted.headers["Location"]).get_data(as_text=True)


def test_replacing_a_live_link_asks_first(client: FlaskClient, pufa_state: Pufa) -> None:
    person_id, old = _staff(pufa_state)
    sign_in(client, pufa_state)
    people_page = client.get("/admin/people/").get_data(as_text=True)
    asked = client.post(
        f"/admin/people/{person_id}/page-link", data={"csrf_token": csrf_from(people_page)}
    )
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "更换王芳的个人页面链接？" in html
    assert 'name="confirm" value="1"' in html
    assert client.get(f"/me/{old}").status_code == 200  # nothing replaced yet
    replaced = client.post(
        f"/admin/people/{person_id}/page-link",
        data={"csrf_token": csrf_from(html), "confirm": "1"},
        follow_redirects=True,
    )
    page = replaced.get_data(as_text=True)
    assert "旧链接已失效" in page
    new = page.split("/me/")[1].split("<")[0]
    assert client.get(f"/me/{old}").status_code == 404
    assert client.get(f"/me/{new}").status_code == 200
    with pufa_state.db.sessions() as session:
        actions = [e.action for e in session.scalars(select(AuditEntry))]
        assert actions == ["rotate_page_token"]


def test_the_first_feed_link_does_not_say_an_old_one_stopped(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    _id, token = _staff(pufa_state)
    page = client.get(f"/me/{token}").get_data(as_text=True)
    first = client.post(
        f"/me/{token}/subscribe", data={"csrf_token": csrf_from(page)}, follow_redirects=True
    ).get_data(as_text=True)
    assert "已生成订阅链接" in first and "旧的订阅链接已失效" not in first
    second = client.post(
        f"/me/{token}/subscribe", data={"csrf_token": csrf_from(first)}, follow_redirects=True
    ).get_data(as_text=True)
    assert "旧的订阅链接已失效" in second


def test_the_subscribe_section_wraps_the_url_and_explains_phones_in_china(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    _id, token = _staff(pufa_state)
    page = client.get(f"/me/{token}").get_data(as_text=True)
    html = client.post(
        f"/me/{token}/subscribe", data={"csrf_token": csrf_from(page)}, follow_redirects=True
    ).get_data(as_text=True)
    assert '<p class="link-text"><code id="feed-url">https://' in html
    assert 'data-copy="feed-url"' in html
    assert "添加已订阅的日历" in html and "在浏览器打开" in html and "华为" in html
    assert "Google" not in html and "谷歌" not in html


def _local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_upcoming_events_are_grouped_today_this_week_later(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    import time_machine

    # Wednesday 2 December 2026, 10:00 in 蟒河镇.
    with time_machine.travel(_local(2026, 12, 2, 10, 0), tick=False):
        _id, token = _staff(pufa_state)  # weekly from Friday 4 December
        with pufa_state.db.transaction() as session:
            session.add(
                Schedule(
                    kind="meeting",
                    title="今天下午的会",
                    starts_at=_local(2026, 12, 2, 15, 0).astimezone(UTC),
                    is_for_everyone=True,
                )
            )
        html = client.get(f"/me/{token}").get_data(as_text=True)
    today = html.index(">今天</h3>")
    week = html.index(">本周</h3>")
    later = html.index(">以后</h3>")
    assert today < html.index("今天下午的会") < week
    assert week < html.index("机关职工每周一讲") < later


def _study_item(state: Pufa, year: int) -> int:
    from datetime import date

    from service.models import StudyItem, StudyPlan

    with state.db.transaction() as session:
        deadline = Schedule(
            kind="deadline",
            title="学法截止：宪法",
            starts_at=_local(year, 12, 31, 0, 0).astimezone(UTC),
            is_all_day=True,
            is_for_everyone=True,
        )
        plan = StudyPlan(year=year, title=f"{year}年度学法计划")
        plan.items.append(StudyItem(title="宪法", due_on=date(year, 12, 31), schedule=deadline))
        session.add(plan)
        session.flush()
        return plan.items[0].id


def test_a_study_confirmation_can_be_undone_the_same_day_only(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    import time_machine

    from service.models import StudyConfirmation

    with time_machine.travel(_local(2026, 12, 2, 9, 0), tick=False) as clock:
        person_id, token = _staff(pufa_state)
        item_id = _study_item(pufa_state, 2026)
        page = client.get(f"/me/{token}").get_data(as_text=True)
        csrf = csrf_from(page)
        sure = {"note": "", "confirm": "1", "csrf_token": csrf}
        client.post(f"/me/{token}/study/{item_id}", data=sure)
        clock.move_to(_local(2026, 12, 2, 23, 30))  # late, still the same local day
        page = client.get(f"/me/{token}").get_data(as_text=True)
        assert "撤销确认" in page
        undone = client.post(
            f"/me/{token}/study/{item_id}/undo", data={"csrf_token": csrf}, follow_redirects=True
        )
        assert "已撤销“宪法”的学习确认" in undone.get_data(as_text=True)
        with pufa_state.db.sessions() as session:
            assert session.scalars(select(StudyConfirmation)).first() is None
            entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
            assert entry is not None and entry.action == "unconfirm"
            assert entry.actor == f"staff:{person_id}" and entry.after is None
        client.post(f"/me/{token}/study/{item_id}", data=sure)  # confirmed again, 23:30
        clock.move_to(_local(2026, 12, 3, 0, 30))  # the next local day (16:30 UTC before)
        page = client.get(f"/me/{token}").get_data(as_text=True)
        assert "撤销确认" not in page
        refused = client.post(
            f"/me/{token}/study/{item_id}/undo", data={"csrf_token": csrf}, follow_redirects=True
        )
        assert "只能在确认当天撤销" in refused.get_data(as_text=True)
        assert "2026年12月2日" in refused.get_data(as_text=True)
        with pufa_state.db.sessions() as session:
            assert session.scalars(select(StudyConfirmation)).one().person_id == person_id


def test_the_link_is_sent_by_sms_through_the_outbox_once_and_audited(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    person_id = _newcomer(pufa_state)
    sign_in(client, pufa_state)
    people_page = client.get("/admin/people/").get_data(as_text=True)
    shown = client.post(
        f"/admin/people/{person_id}/page-link",
        data={"csrf_token": csrf_from(people_page)},
        follow_redirects=True,
    ).get_data(as_text=True)
    token = shown.split('name="token" value="')[1].split('"')[0]
    link = f"{pufa_state.settings.public_base_url}/me/{token}"
    form = {"csrf_token": csrf_from(shown), "token": token}
    sent = client.post(f"/admin/people/{person_id}/page-link/sms", data=form, follow_redirects=True)
    assert "已把赵敏的个人页面链接放入短信发送队列，将发到 ***8001" in sent.get_data(as_text=True)
    client.post(f"/admin/people/{person_id}/page-link/sms", data=form)  # pressed twice
    with pufa_state.db.sessions() as session:
        row = session.scalars(select(Delivery)).one()
        assert row.person_id == person_id and row.to == "+8613900008001"
        assert row.schedule_id is None and row.rule_id is None and row.status == "pending"
        assert row.body == (
            f"【蟒河镇普法】赵敏您好，这是您的个人页面链接，可查看日程、订阅日历、确认学法、"
            f"设置短信提醒：{link} 链接仅供本人使用，请勿转发。"
        )
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "send_page_link")
        ).one()
        assert entry.after == {"delivery_id": row.id, "to": "***8001"}
        assert token not in str(entry.after)
    records = client.get("/admin/sms/deliveries").get_data(as_text=True)
    assert "个人页面链接" in records and token not in records


def test_a_replaced_link_is_not_sent(client: FlaskClient, pufa_state: Pufa) -> None:
    person_id, old = _staff(pufa_state)
    sign_in(client, pufa_state)
    people_page = client.get("/admin/people/").get_data(as_text=True)
    client.post(
        f"/admin/people/{person_id}/page-link",
        data={"csrf_token": csrf_from(people_page), "confirm": "1"},
    )
    refused = client.post(
        f"/admin/people/{person_id}/page-link/sms",
        data={"csrf_token": csrf_from(people_page), "token": old},
        follow_redirects=True,
    )
    assert "这个链接已被更换" in refused.get_data(as_text=True)
    with pufa_state.db.sessions() as session:
        assert session.scalars(select(Delivery)).first() is None
