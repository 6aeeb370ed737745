import json
import logging
import re
import sys
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service.app import create_app
from service.context import Pufa
from service.logs import JsonFormatter, mask_text
from service.models import ApiToken
from service.settings import Settings
from service.tokens import sha256


def test_healthz_reports_database_migrations_clock_and_holidays(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["database"] == "ok"
    assert body["migrations"]["is_current"] is True
    assert body["clock"] == {"last_tick_at": None, "age_seconds": None}
    assert body["holidays"]["official_years"][0] <= 2026


def test_healthz_answers_503_when_the_database_is_unreachable(settings: Settings) -> None:
    from dataclasses import replace

    broken = replace(settings, database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = create_app(broken).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_token_create_prints_the_token_once_and_stores_only_its_hash(
    app: Flask, pufa_state: Pufa
) -> None:
    result = app.test_cli_runner().invoke(
        args=["token", "create", "--role", "viewer", "--name", "法治办"]
    )
    assert result.exit_code == 0, result.output
    plaintext = result.output.strip().splitlines()[-1]
    assert plaintext.startswith("pufa_") and len(plaintext) > 40
    with pufa_state.db.sessions() as session:
        row = session.scalars(select(ApiToken)).one()
    assert row.token_hash == sha256(plaintext)
    assert plaintext not in (row.prefix, row.name, row.token_hash)


def test_logs_are_json_lines_without_phone_numbers_or_whole_tokens() -> None:
    record = logging.makeLogRecord(
        {"msg": "sent to +8613900000007", "path": "/calendar/AbCdEfGhIjKlMnOpQrStUv.ics"}
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["event"] == "sent to ***0007"
    assert "AbCdEfGhIjKl" not in line["path"]
    assert mask_text("/me/0123456789abcdefXYZ") == "/me/012345…"


@pytest.mark.parametrize(
    ("text", "logged"),
    [
        ("call 13900000007 now", "call ***0007 now"),
        ("13900000007号", "***0007号"),
        ("+86 139 0000 0007.", "***0007."),
        ("From=%2B8613900000007&To=%2B8613800000000", "From=%2B***0007&To=%2B***0000"),
        ("'row\\n13900000007'", "'row\\n***0007'"),  # as a repr in a traceback
        ("tel%3A13900000007", "tel%3A***0007"),
        ("139 0000 0007", "***0007"),
        ("+15005550006", "***0006"),
        ("delivery 2147483647 of 2147483648", "delivery 2147483647 of 2147483648"),
        ("at 1764628200000 ms, item 99999999999999999999", None),
        ("order 40012345678", None),
    ],
)
def test_a_phone_number_is_masked_wherever_it_stands(text: str, logged: str | None) -> None:
    assert mask_text(text) == (text if logged is None else logged)


def test_a_provider_sid_is_logged_whole_but_a_phone_number_beside_it_is_not() -> None:
    sid = "SM0123456789abcdef0123456789abcdef"  # ten digits in a row, as SIDs often have
    record = logging.makeLogRecord({"msg": "status", "sid": sid, "to": "+8613900000007"})
    line = json.loads(JsonFormatter().format(record))
    assert (line["sid"], line["to"]) == (sid, "***0007")
    hidden = logging.makeLogRecord({"msg": "x", "sid": "SM13900000007 13900000007"})
    assert "13900000007" not in JsonFormatter().format(hidden)  # not a SID: masked


def test_a_logged_traceback_is_masked_too() -> None:
    try:
        raise ValueError("no feed at /calendar/AbCdEfGhIjKlMnOpQrStUv.ics for +8613900000007")
    except ValueError:
        record = logging.makeLogRecord({"msg": "failed", "exc_info": sys.exc_info()})
    line = json.loads(JsonFormatter().format(record))
    assert "ValueError: no feed at /calendar/AbCdEf….ics for ***0007" in line["exception"]
    assert "AbCdEfGhIjKl" not in line["exception"] and "13900000007" not in line["exception"]


def test_a_log_line_writes_any_value_as_the_json_module_would() -> None:
    due = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    record = logging.makeLogRecord(
        {"msg": "due", "due_at": due, "count": 2**70, "labels": {1: "一"}, "ratio": 0.5}
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["due_at"] == str(due)  # str(), not orjson's own form
    assert line["count"] == 2**70  # past 64 bits: written by the json module instead
    assert line["labels"] == {"1": "一"}
    assert line["ratio"] == 0.5


def test_each_request_logs_one_access_line_with_the_callers_request_id(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="pufa.http"):
        response = client.get("/healthz", headers={"X-Request-Id": "from-the-proxy-1"})
    assert response.headers["X-Request-Id"] == "from-the-proxy-1"
    (record,) = [r for r in caplog.records if r.name == "pufa.http"]
    line = json.loads(JsonFormatter().format(record))
    assert line["event"] == "request"
    assert line["request_id"] == "from-the-proxy-1"
    assert (line["method"], line["route"], line["path"]) == ("GET", "/healthz", "/healthz")
    assert line["status"] == 200
    assert 0 <= line["duration_ms"] < 60_000


def test_the_access_line_masks_tokens_and_phone_numbers_wherever_they_come_from(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    token = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg"
    with caplog.at_level(logging.INFO, logger="pufa.http"):
        response = client.get(f"/calendar/{token}.ics", headers={"X-Request-Id": "+8613900000007"})
        unrouted = client.get(f"/me/{token}/nothing/13900000007")
    assert response.status_code == 404 and unrouted.status_code == 404
    feed, page = (json.loads(JsonFormatter().format(r)) for r in caplog.records)
    assert feed["route"] == "/calendar/<token>.ics"
    assert feed["path"] == "/calendar/AbCdEf….ics"
    assert feed["request_id"] == "***0007"
    assert page["route"] == page["path"] == "/me/AbCdEf…/nothing/***0007"
    assert response.headers["X-Request-Id"] == "+8613900000007"  # the caller's own, as sent


def test_a_request_without_an_id_gets_a_new_one(client: FlaskClient) -> None:
    first = client.get("/healthz").headers["X-Request-Id"]
    second = client.get("/healthz").headers["X-Request-Id"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{16}", first) and first != second


def test_unknown_api_path_answers_json(client: FlaskClient, viewer_headers: dict[str, str]) -> None:
    assert client.get("/api/v1/nothing-here").status_code == 401
    response = client.get("/api/v1/nothing-here", headers=viewer_headers)
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"
