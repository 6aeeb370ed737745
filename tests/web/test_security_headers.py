"""Console and staff pages carry a CSP without inline script, refuse frames and
sniffing, and pages that show a secret are never cached."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from service.context import Pufa
from service.models import Person
from service.web.page_tokens import issue_page_token
from tests.support.database import TEST_SECRET
from tests.support.web import csrf_token, sign_in

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def assert_protected(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy and "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in ("same-origin", "no-referrer")


@pytest.mark.parametrize("path", ["/admin/login", "/admin/", "/admin/people/", "/admin/nowhere"])
def test_console_pages_carry_the_protective_headers(
    client: FlaskClient, pufa_state: Pufa, path: str
) -> None:
    if path != "/admin/login":
        sign_in(client, pufa_state)
    assert_protected(client.get(path))


def test_the_staff_page_carries_them_and_is_never_cached(
    client: FlaskClient, session: Session
) -> None:
    person = Person(name="孙丽", mobile="+8613900008000")
    session.add(person)
    session.flush()
    token = issue_page_token(session, person, TEST_SECRET)
    session.commit()
    response = client.get(f"/me/{token}")
    assert response.status_code == 200
    assert_protected(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_a_new_staff_link_is_shown_on_a_page_no_cache_keeps(
    client: FlaskClient, pufa_state: Pufa, session: Session
) -> None:
    session.add(Person(name="孙丽", mobile="+8613900008000"))
    session.commit()
    sign_in(client, pufa_state)
    response = client.post(
        "/admin/people/1/page-link",
        data={"csrf_token": csrf_token(client, "/admin/people/")},
        follow_redirects=True,
    )
    assert response.status_code == 200 and "/me/" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert_protected(response)


def test_api_answers_are_not_sniffed(client: FlaskClient) -> None:
    assert client.get("/api/v1/people").headers["X-Content-Type-Options"] == "nosniff"


def test_no_template_has_inline_script_or_style_or_event_handlers() -> None:
    # What the policy forbids must not be needed: it would break the page, not an attack.
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)|<style|\son[a-z]+\s*=|\sstyle\s*=|[\"']javascript:", re.I
    )
    offenders = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if inline.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_stored_text_is_escaped_on_console_and_staff_pages(
    client: FlaskClient, pufa_state: Pufa, session: Session
) -> None:
    person = Person(name='<script>alert(1)</script><img src=x onerror="x()">')
    session.add(person)
    session.flush()
    token = issue_page_token(session, person, TEST_SECRET)
    session.commit()
    staff = client.get(f"/me/{token}").get_data(as_text=True)
    sign_in(client, pufa_state)
    console = client.get("/admin/people/").get_data(as_text=True)
    for page in (staff, console):
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
