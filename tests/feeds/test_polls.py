"""Polls that are 304s are answered in front of Flask, exactly as the route answers them,
and everything else still reaches the route."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from service.context import Pufa
from service.feeds.fast import polls
from service.feeds.tokens import issue_token
from service.logs import JsonFormatter
from service.settings import Settings
from tests.support.feeds import NOW, fetch, person

pytestmark = pytest.mark.usefixtures("feed_day")


@pytest.fixture
def etag(client: FlaskClient, feed_token: str) -> str:
    """The current ETag, from a first full answer (which makes the process remember it)."""
    value: str = fetch(client, feed_token).headers["ETag"]
    return value


@pytest.fixture
def route_calls(app: Flask) -> list[str]:
    """The tokens the feed route was called with, from here on."""
    calls: list[str] = []
    view: Callable[..., Any] = app.view_functions["feeds.calendar_feed"]

    def spy(token: str) -> Any:
        calls.append(token)
        return view(token)

    app.view_functions["feeds.calendar_feed"] = spy
    return calls


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    formatter = JsonFormatter()
    return [
        json.loads(formatter.format(record))
        for record in caplog.records
        if record.name == "pufa.http"
    ]


def test_a_remembered_poll_with_the_current_etag_never_reaches_the_route(
    client: FlaskClient, feed_token: str, etag: str, route_calls: list[str]
) -> None:
    response = fetch(client, feed_token, **{"If-None-Match": etag})
    assert response.status_code == 304
    assert response.headers["ETag"] == etag
    assert route_calls == []
    head = client.head(f"/calendar/{feed_token}.ics", headers={"If-None-Match": etag})
    assert head.status_code == 304
    assert head.get_data() == b""
    for weak_or_any in (f"W/{etag}", f'"other", {etag}', "*"):
        assert fetch(client, feed_token, **{"If-None-Match": weak_or_any}).status_code == 304
    last_modified = fetch(client, feed_token).headers["Last-Modified"]
    assert fetch(client, feed_token, **{"If-Modified-Since": last_modified}).status_code == 304
    assert route_calls == [feed_token]  # only the unconditional GET


def test_it_answers_with_the_routes_headers_and_access_line(
    app: Flask,
    client: FlaskClient,
    feed_token: str,
    etag: str,
    route_calls: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    app.extensions["pufa_known_feeds"].clear()  # forgotten: the route answers the next poll
    with caplog.at_level(logging.INFO, logger="pufa.http"):
        by_route = fetch(client, feed_token, **{"If-None-Match": etag})
        in_front = fetch(client, feed_token, **{"If-None-Match": etag})
    assert route_calls == [feed_token]
    assert by_route.status == in_front.status == "304 NOT MODIFIED"
    assert in_front.get_data() == b""

    def without_request_id(headers: Any) -> list[tuple[str, str]]:
        return [(name, value) for name, value in headers.items() if name != "X-Request-Id"]

    assert without_request_id(in_front.headers) == without_request_id(by_route.headers)
    assert in_front.headers["X-Request-Id"] != by_route.headers["X-Request-Id"]
    lines = access_lines(caplog)
    assert len(lines) == 2
    for line, response in zip(lines, (by_route, in_front), strict=True):
        assert line["request_id"] == response.headers["X-Request-Id"]
        del line["request_id"], line["duration_ms"]
    assert lines[1] == lines[0]
    assert feed_token not in json.dumps(lines)
    assert lines[1]["status"] == 304 and lines[1]["route"] == "/calendar/<token>.ics"


def test_a_head_poll_logs_its_method(
    client: FlaskClient, feed_token: str, etag: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="pufa.http"):
        client.head(f"/calendar/{feed_token}.ics", headers={"If-None-Match": etag})
    assert [(line["method"], line["status"]) for line in access_lines(caplog)] == [("HEAD", 304)]


@pytest.mark.parametrize(
    "since",
    [
        "Mon, 01 Jan 99999999999999999999 00:00:00 GMT",
        "not a date",
        "Mon, 01 Jan 0000 00:00:00 GMT",
    ],
)
def test_an_if_modified_since_that_is_no_date_is_ignored(
    client: FlaskClient, feed_token: str, etag: str, since: str
) -> None:
    # RFC 9110 §13.1.3: an invalid date means the field is ignored, so the full feed.
    response = fetch(client, feed_token, **{"If-Modified-Since": since})
    assert response.status_code == 200
    assert response.headers["ETag"] == etag


def test_the_callers_request_id_is_kept(
    client: FlaskClient, feed_token: str, etag: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="pufa.http"):
        response = fetch(client, feed_token, **{"If-None-Match": etag, "X-Request-Id": "poll-7"})
    assert response.status_code == 304
    assert response.headers["X-Request-Id"] == "poll-7"
    assert [line["request_id"] for line in access_lines(caplog)] == ["poll-7"]


def test_a_stale_etag_or_no_condition_gets_the_feed_from_the_route(
    client: FlaskClient, feed_token: str, etag: str, route_calls: list[str]
) -> None:
    assert fetch(client, feed_token, **{"If-None-Match": '"stale"'}).status_code == 200
    earlier = "Thu, 01 Jan 2015 00:00:00 GMT"
    assert fetch(client, feed_token, **{"If-Modified-Since": earlier}).status_code == 200
    assert fetch(client, feed_token).status_code == 200
    assert route_calls == [feed_token] * 3


def test_other_methods_and_other_paths_reach_flask(
    client: FlaskClient, feed_token: str, etag: str, route_calls: list[str]
) -> None:
    conditional = {"If-None-Match": etag}
    assert client.post(f"/calendar/{feed_token}.ics", headers=conditional).status_code == 405
    assert client.get(f"/calendar/{feed_token}.ics/", headers=conditional).status_code == 404
    assert client.get(f"/calendar/{feed_token}.ical", headers=conditional).status_code == 404
    assert route_calls == []


def test_unknown_and_malformed_tokens_get_the_routes_404(
    client: FlaskClient, feed_token: str, etag: str, route_calls: list[str]
) -> None:
    unknown = feed_token[:-1] + ("A" if feed_token[-1] != "A" else "B")
    for other in (unknown, "short", "not a token!"):
        response = fetch(client, other, **{"If-None-Match": etag})
        assert response.status_code == 404
        assert response.json == {
            "error": "not_found",
            "message": "No calendar at this address.",
            "fields": {},
        }
    assert route_calls == [unknown, "short", "not a token!"]


def test_a_rotated_token_answers_404_on_its_next_poll(
    client: FlaskClient, feed_token: str, etag: str, pufa_state: Pufa, settings: Settings
) -> None:
    with pufa_state.db.transaction() as session:
        new = issue_token(session, settings.secret_key, person(session, "孙丽"))
    assert fetch(client, feed_token, **{"If-None-Match": etag}).status_code == 404
    assert fetch(client, new, **{"If-None-Match": etag}).status_code == 200  # person changed


def test_on_a_new_day_the_route_gives_the_new_feed(
    client: FlaskClient, feed_token: str, etag: str, route_calls: list[str]
) -> None:
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        response = fetch(client, feed_token, **{"If-None-Match": etag})
    assert response.status_code == 200
    assert response.headers["ETag"] != etag
    assert route_calls == [feed_token]


def test_when_the_change_mark_cannot_be_read_the_route_answers(
    client: FlaskClient,
    feed_token: str,
    etag: str,
    route_calls: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unreadable(*_args: Any) -> None:
        raise OSError("database unreachable")

    monkeypatch.setattr(polls, "change_mark", unreadable)
    assert fetch(client, feed_token, **{"If-None-Match": etag}).status_code == 304
    assert route_calls == [feed_token]
