"""What a visitor meets outside the console's own pages: the bare address leads to the
console, and an unknown address answers in Chinese (JSON on the API as before)."""

from __future__ import annotations

from flask.testing import FlaskClient


def test_the_bare_address_leads_to_the_console(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"


def test_an_unknown_page_says_so_in_chinese(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "找不到这个页面" in page
    assert "Not Found" not in page


def test_an_unknown_api_address_stays_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code in (401, 404)
    assert response.is_json
