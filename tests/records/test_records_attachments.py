"""Evidence files through the API: type from content, size, EXIF, admins only."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from service.context import Pufa
from service.models import Attachment, AuditEntry
from service.records.files import MAX_BYTES
from tests.support.records import LECTURE_PATH, jpeg_with_gps, png
from tests.support.workflows import lecture, local, seed_demo


@pytest.fixture
def base(pufa_state: Pufa) -> Iterator[str]:
    seed_demo(pufa_state)
    with pufa_state.db.sessions() as session:
        schedule_id = lecture(session).id
    with time_machine.travel(local(2026, 3, 2, 18, 0), tick=False):
        yield f"/api/v1/schedules/{schedule_id}/occurrences/{LECTURE_PATH}/attachments"


def upload(client: FlaskClient, url: str, headers: dict[str, str], data: bytes, name: str,
           **form: str) -> Any:  # fmt: skip
    body = {"file": (io.BytesIO(data), name), **form}
    return client.post(url, data=body, headers=headers, content_type="multipart/form-data")


def test_a_photo_is_stored_without_its_gps_exif_and_with_a_thumbnail(
    client: FlaskClient, admin_headers: dict[str, str], base: str
) -> None:
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the arrangement
    response = upload(client, base, admin_headers, original, "现场.jpg")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["content_type"] == "image/jpeg"
    assert response.get_json()["has_thumbnail"] is True
    stored = client.get(f"{base}/{response.get_json()['id']}", headers=admin_headers)
    assert stored.status_code == 200
    assert stored.headers["X-Content-Type-Options"] == "nosniff"
    image = Image.open(io.BytesIO(stored.data))
    assert image.size == (1200, 900)
    assert not image.getexif().get_ifd(0x8825)
    assert len(image.getexif()) == 0
    assert b"PhoneMaker" not in stored.data
    thumb = client.get(f"{base}/{response.get_json()['id']}/thumbnail", headers=admin_headers)
    assert max(Image.open(io.BytesIO(thumb.data)).size) <= 320


def test_the_type_comes_from_the_content_not_the_name(
    client: FlaskClient, admin_headers: dict[str, str], base: str
) -> None:
    renamed = upload(client, base, admin_headers, b"MZ\x90\x00 not a picture", "photo.jpg")
    assert renamed.status_code == 415
    assert "JPEG" in renamed.get_json()["message"]
    pdf = upload(client, base, admin_headers, b"%PDF-1.4\n%...\n", "sign-in.bin")
    assert pdf.status_code == 201
    assert pdf.get_json()["content_type"] == "application/pdf"
    assert pdf.get_json()["has_thumbnail"] is False
    listed = client.get(base, headers=admin_headers).get_json()["items"]
    assert [item["filename"] for item in listed] == ["sign-in.bin"]


def test_an_empty_a_missing_and_a_damaged_file_are_422(
    client: FlaskClient, admin_headers: dict[str, str], base: str
) -> None:
    empty = upload(client, base, admin_headers, b"", "a.png")
    assert (empty.status_code, empty.get_json()["message"]) == (422, "文件是空的，请重新选择。")
    missing = client.post(base, data={"kind": "evidence"}, headers=admin_headers,
                          content_type="multipart/form-data")  # fmt: skip
    assert missing.status_code == 422
    assert "请选择要上传的文件" in missing.get_json()["message"]
    damaged = upload(client, base, admin_headers, png()[:40], "cut.png")
    assert damaged.status_code == 422
    assert "已损坏" in damaged.get_json()["message"]


def test_a_file_over_10_mb_is_413_in_chinese_and_nothing_is_stored(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str], base: str
) -> None:
    just_over = b"%PDF-1.4\n" + b"0" * MAX_BYTES
    response = upload(client, base, admin_headers, just_over, "big.pdf")
    assert response.status_code == 413
    assert response.get_json()["message"] == "文件超过 10 MB，请压缩后再上传。"
    far_over = b"%PDF-1.4\n" + b"0" * (MAX_BYTES + 2 * 1024 * 1024)
    response = upload(client, base, admin_headers, far_over, "bigger.pdf")
    assert response.status_code == 413
    assert "10 MB" in response.get_json()["message"]
    with pufa_state.db.sessions() as session:
        assert session.scalar(select(Attachment.id)) is None


def test_json_bodies_elsewhere_still_stop_at_one_megabyte(
    client: FlaskClient, admin_headers: dict[str, str], base: str
) -> None:
    response = client.post(
        "/api/v1/people", data=b"{" + b" " * (1024 * 1024 + 10) + b"}",
        headers=admin_headers, content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 413


def test_files_are_served_to_admins_only_and_deleting_is_audited(
    client: FlaskClient,
    pufa_state: Pufa,
    admin_headers: dict[str, str],
    viewer_headers: dict[str, str],
    base: str,
) -> None:
    created = upload(client, base, admin_headers, png(), "签到表.png").get_json()
    assert client.get(base, headers=viewer_headers).status_code == 200
    refused = client.get(f"{base}/{created['id']}", headers=viewer_headers)
    assert refused.status_code == 403
    assert "管理员" in refused.get_json()["message"]
    assert client.delete(f"{base}/{created['id']}", headers=viewer_headers).status_code == 403
    assert client.delete(f"{base}/{created['id']}", headers=admin_headers).status_code == 204
    assert client.get(base, headers=admin_headers).get_json()["items"] == []
    with pufa_state.db.sessions() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.resource == "attachment")
        ).all()
    assert sorted(actions) == ["create", "delete"]


def test_the_lecture_keeps_its_material_and_summary(
    client: FlaskClient, admin_headers: dict[str, str], base: str
) -> None:
    material = upload(client, base, admin_headers, b"%PDF-1.7\n", "讲稿.pdf", kind="material")
    assert material.status_code == 201
    assert material.get_json()["kind"] == "material"
    wrong = upload(client, base, admin_headers, png(), "x.png", kind="slides")
    assert wrong.status_code == 422
    summary_url = base.replace("/attachments", "/summary")
    assert client.get(summary_url, headers=admin_headers).get_json()["summary"] == ""
    saved = client.put(summary_url, json={"summary": "讲解民法典合同编。"}, headers=admin_headers)
    assert saved.status_code == 200
    assert (
        client.get(summary_url, headers=admin_headers).get_json()["summary"] == "讲解民法典合同编。"
    )
    refused = client.put(summary_url, json={"summary": "a\x0bb"}, headers=admin_headers)
    assert refused.status_code == 422


@pytest.mark.parametrize("kind", ["PNG", "WEBP"])
def test_png_and_webp_photos_lose_their_exif_too(
    client: FlaskClient, admin_headers: dict[str, str], base: str, kind: str
) -> None:
    located = Image.open(io.BytesIO(jpeg_with_gps((200, 100))))
    out = io.BytesIO()
    located.save(out, kind, exif=located.getexif())
    assert Image.open(io.BytesIO(out.getvalue())).getexif().get_ifd(0x8825)  # the arrangement
    created = upload(
        client, base, admin_headers, out.getvalue(), f"photo.{kind.lower()}"
    ).get_json()
    stored = client.get(f"{base}/{created['id']}", headers=admin_headers)
    assert stored.mimetype == f"image/{kind.lower()}"
    assert len(Image.open(io.BytesIO(stored.data)).getexif()) == 0
