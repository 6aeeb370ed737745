"""Records in the console and on the staff page: roll call, files, summary, check-in
by QR code, leave requests on the dashboard."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
import time_machine
from flask.testing import FlaskClient
from sqlalchemy import select

from service.context import Pufa
from service.models import (
    Attachment,
    Attendance,
    AttendanceSource,
    AttendanceStatus,
    Schedule,
)
from service.records import codes
from service.records.occurrence import find
from service.web.page_tokens import issue_page_token
from tests.support.records import LECTURE_PATH, LECTURE_START, jpeg_with_gps
from tests.support.web import csrf_from, sign_in
from tests.support.workflows import lecture, local, person, seed_demo


@pytest.fixture
def demo(pufa_state: Pufa) -> int:
    seed_demo(pufa_state)
    with pufa_state.db.sessions() as session:
        return lecture(session).id


@pytest.fixture
def after_the_lecture() -> Iterator[None]:
    with time_machine.travel(local(2026, 3, 2, 18, 0), tick=False):
        yield


def page_token(state: Pufa, name: str) -> str:
    with state.db.transaction() as session:
        return issue_page_token(session, person(session, name), state.settings.secret_key)


def check_in_path(state: Pufa, schedule_id: int) -> str:
    return f"/me/check-in/{codes.make(state.settings.secret_key, schedule_id, LECTURE_START)}"


def statuses(state: Pufa) -> dict[str, tuple[str, str]]:
    with state.db.sessions() as session:
        rows = session.scalars(select(Attendance)).all()
        return {row.person.name: (row.status, row.source) for row in rows}


def test_the_roll_call_saves_one_persons_choice_at_once(
    client: FlaskClient, pufa_state: Pufa, demo: int, after_the_lecture: None
) -> None:
    sign_in(client, pufa_state)
    page = f"/admin/records/{demo}/{LECTURE_PATH}"
    html = client.get(page).get_data(as_text=True)
    assert "点名" in html and "孙丽" in html
    with pufa_state.db.sessions() as session:
        sun = person(session, "孙丽").id
    response = client.post(f"{page}/attendance", data={
        "person_id": sun, "status": "leave", "note": "病假", "csrf_token": csrf_from(html),
    })  # fmt: skip
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#person-{sun}")
    assert statuses(pufa_state) == {"孙丽": ("leave", "roll_call")}
    assert "出席 0，请假 1" in client.get(page).get_data(as_text=True)


def test_a_photo_uploaded_in_the_console_is_listed_with_a_thumbnail_and_can_be_deleted(
    client: FlaskClient, pufa_state: Pufa, demo: int, after_the_lecture: None
) -> None:
    sign_in(client, pufa_state)
    page = f"/admin/records/{demo}/{LECTURE_PATH}"
    token = csrf_from(client.get(page).get_data(as_text=True))
    response = client.post(
        f"{page}/attachments",
        data={"file": (io.BytesIO(jpeg_with_gps((3000, 2000))), "现场.jpg"), "kind": "evidence",
              "csrf_token": token},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 302
    html = client.get(page).get_data(as_text=True)
    thumb = re.search(r'src="([^"]+\?size=thumbnail)"', html)
    assert thumb is not None
    assert client.get(thumb.group(1).replace("&amp;", "&")).mimetype == "image/jpeg"
    with pufa_state.db.sessions() as session:
        attachment_id = session.scalars(select(Attachment.id)).one()
    client.post(f"{page}/attachments/{attachment_id}/delete", data={"csrf_token": token})
    with pufa_state.db.sessions() as session:
        assert session.scalar(select(Attachment.id)) is None


def test_a_wrong_file_type_in_the_console_is_explained_in_chinese(
    client: FlaskClient, pufa_state: Pufa, demo: int, after_the_lecture: None
) -> None:
    sign_in(client, pufa_state)
    page = f"/admin/records/{demo}/{LECTURE_PATH}"
    token = csrf_from(client.get(page).get_data(as_text=True))
    gif = {"file": (io.BytesIO(b"GIF89a...."), "a.gif"), "csrf_token": token}
    client.post(f"{page}/attachments", content_type="multipart/form-data", data=gif)
    assert "只能上传 JPEG、PNG、WebP 图片或 PDF 文件" in client.get(page).get_data(as_text=True)


def test_attachments_are_not_served_without_signing_in(
    client: FlaskClient, demo: int, after_the_lecture: None
) -> None:
    response = client.get(f"/admin/records/{demo}/{LECTURE_PATH}/attachments/1")
    assert response.status_code in (302, 401, 403)


def test_a_scan_with_the_personal_link_opened_before_checks_in_once(
    client: FlaskClient, pufa_state: Pufa, demo: int
) -> None:
    token = page_token(pufa_state, "孙丽")
    with time_machine.travel(local(2026, 3, 2, 15, 45), tick=False):
        client.get(f"/me/{token}")  # the phone now knows whose it is
        first = client.get(check_in_path(pufa_state, demo))
        assert first.status_code == 302
        assert first.headers["Location"].startswith(f"/me/{token}")
        client.get(check_in_path(pufa_state, demo))  # twice is harmless
        html = client.get(f"/me/{token}").get_data(as_text=True)
    assert "签到成功" in html
    assert statuses(pufa_state) == {"孙丽": ("present", "check_in")}


def test_a_scan_without_the_personal_link_says_how_to_open_it_first(
    client: FlaskClient, pufa_state: Pufa, demo: int
) -> None:
    with time_machine.travel(local(2026, 3, 2, 16, 5), tick=False):
        response = client.get(check_in_path(pufa_state, demo))
    assert response.status_code == 200
    assert "请先打开党政办发给您的" in response.get_data(as_text=True)
    assert statuses(pufa_state) == {}


def test_a_scan_outside_the_window_or_with_a_forged_code_records_nothing(
    client: FlaskClient, pufa_state: Pufa, demo: int
) -> None:
    token = page_token(pufa_state, "孙丽")
    client.get(f"/me/{token}")
    with time_machine.travel(local(2026, 3, 2, 18, 1), tick=False):
        late = client.get(check_in_path(pufa_state, demo))
    assert late.status_code == 409
    assert "签到时间为活动开始前 30 分钟至开始后 2 小时" in late.get_data(as_text=True)
    with time_machine.travel(local(2026, 3, 2, 15, 29), tick=False):
        assert client.get(check_in_path(pufa_state, demo)).status_code == 409
    forged = client.get("/me/check-in/WzEsMTc3MjQzODQwMF0.forged")
    assert forged.status_code == 404
    assert "二维码无效" in forged.get_data(as_text=True)
    assert statuses(pufa_state) == {}


def test_someone_outside_the_audience_cannot_check_in(
    client: FlaskClient, pufa_state: Pufa, demo: int
) -> None:
    with pufa_state.db.transaction() as session:
        women_day = session.scalars(select(Schedule).where(Schedule.title.contains("妇女"))).one()
        target = find(session, women_day.id, local(2026, 3, 8, 0, 0))
        code = codes.make(pufa_state.settings.secret_key, women_day.id, target.original_at)
        start = target.occurrence.start
    token = page_token(pufa_state, "孙丽")  # 党政办: not among the campaign's departments
    client.get(f"/me/{token}")
    with time_machine.travel(start, tick=False):
        response = client.get(f"/me/check-in/{code}")
    assert response.status_code == 403
    assert "不在这次活动的参加范围内" in response.get_data(as_text=True)
    assert statuses(pufa_state) == {}


def test_leave_asked_for_on_the_staff_page_shows_on_the_dashboard(
    client: FlaskClient, pufa_state: Pufa, demo: int
) -> None:
    token = page_token(pufa_state, "周伟")
    with time_machine.travel(local(2026, 3, 1, 9, 0), tick=False):
        html = client.get(f"/me/{token}").get_data(as_text=True)
        assert "提交请假" in html
        empty = client.post(f"/me/{token}/leave", data={
            "schedule_id": demo, "original_start": LECTURE_START.isoformat(), "reason": " ",
            "csrf_token": csrf_from(html),
        })  # fmt: skip
        assert "请填写请假事由" in client.get(empty.headers["Location"]).get_data(as_text=True)
        client.post(f"/me/{token}/leave", data={
            "schedule_id": demo, "original_start": LECTURE_START.isoformat(),
            "reason": "下村调解", "csrf_token": csrf_from(html),
        })  # fmt: skip
        assert "已请假" in client.get(f"/me/{token}").get_data(as_text=True)
        sign_in(client, pufa_state)
        dashboard = client.get("/admin/").get_data(as_text=True)
    assert "请假申请" in dashboard and "周伟：下村调解" in dashboard
    assert statuses(pufa_state) == {
        "周伟": (AttendanceStatus.LEAVE.value, AttendanceSource.LEAVE_REQUEST.value)
    }


def test_leave_after_the_start_is_refused(client: FlaskClient, pufa_state: Pufa, demo: int) -> None:
    token = page_token(pufa_state, "周伟")
    with time_machine.travel(local(2026, 3, 2, 16, 30), tick=False):
        html = client.get(f"/me/{token}").get_data(as_text=True)
        response = client.post(f"/me/{token}/leave", data={
            "schedule_id": demo, "original_start": LECTURE_START.isoformat(),
            "reason": "临时有事", "csrf_token": csrf_from(html),
        })  # fmt: skip
        assert "已经开始，不能再请假" in client.get(response.headers["Location"]).get_data(
            as_text=True
        )
    assert statuses(pufa_state) == {}


def test_the_annual_report_page_shows_drafts_and_offers_word(
    client: FlaskClient, pufa_state: Pufa, demo: int, after_the_lecture: None
) -> None:
    sign_in(client, pufa_state)
    html = client.get("/admin/reports/annual?year=2026").get_data(as_text=True)
    assert "草稿" in html and "机关职工每周一讲" in html
    word = client.get("/admin/reports/annual.docx?year=2026")
    assert word.status_code == 200
    assert str(word.mimetype).endswith("wordprocessingml.document")
    assert client.get("/admin/reports/annual?year=abc").status_code == 400


def test_a_console_upload_over_the_limit_gets_a_chinese_page_and_stores_nothing(
    client: FlaskClient, pufa_state: Pufa, demo: int, after_the_lecture: None
) -> None:
    sign_in(client, pufa_state)
    page = f"/admin/records/{demo}/{LECTURE_PATH}"
    token = csrf_from(client.get(page).get_data(as_text=True))
    huge = b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024)
    response = client.post(
        f"{page}/attachments", content_type="multipart/form-data",
        data={"file": (io.BytesIO(huge), "big.pdf"), "csrf_token": token},
    )  # fmt: skip
    assert response.status_code == 413
    assert "文件太大" in response.get_data(as_text=True)
    with pufa_state.db.sessions() as session:
        assert session.scalar(select(Attachment.id)) is None
