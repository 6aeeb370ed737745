"""Each web request has a time budget (``PUFA_REQUEST_BUDGET_SECONDS``): past it the
request stops with a clear 503 and changes nothing, and no other request notices.

Time is the budget's injected clock (``Pufa.monotonic``): nothing sleeps."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from service import budget
from service.context import Pufa, db_session
from service.models import Schedule
from tests.support.database import backend
from tests.support.web import sign_in
from tests.support.workflows import seed_demo

YEAR = "from=2026-01-01&to=2026-12-31"
NEW_LECTURE = {
    "kind": "lecture",
    "title": "机关职工每周一讲",
    "start": "2026-01-05T16:00",
    "duration_minutes": 60,
    "rrule": "FREQ=WEEKLY;BYDAY=MO",
    "is_for_everyone": True,
}


class Clock:
    """Seconds that pass only when the test says so, or after ``calls`` readings."""

    def __init__(self, jump_after: int | None = None) -> None:
        self.now, self.calls, self.jump_after = 0.0, 0, jump_after

    def __call__(self) -> float:
        self.calls += 1
        if self.jump_after is not None and self.calls > self.jump_after:
            return self.now + 3600
        return self.now


@pytest.fixture
def clock(pufa_state: Pufa) -> Clock:
    clock = Clock()
    pufa_state.monotonic = clock
    return clock


def stalled_after_start(pufa_state: Pufa) -> None:
    """From the request's first check on, an hour has passed."""
    pufa_state.monotonic = Clock(jump_after=1)


def test_an_export_past_its_budget_is_a_503_naming_the_problem_with_retry_after(
    client: FlaskClient, pufa_state: Pufa, viewer_headers: dict[str, str]
) -> None:
    seed_demo(pufa_state)
    for extension in ("csv", "xlsx"):
        stalled_after_start(pufa_state)
        response = client.get(f"/api/v1/ledger.{extension}?{YEAR}", headers=viewer_headers)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "30"
        body = response.get_json()
        assert body["error"] == "request_too_slow"
        assert "time budget of 10 s" in body["message"]


def test_the_next_request_has_its_own_budget(
    client: FlaskClient, pufa_state: Pufa, viewer_headers: dict[str, str], clock: Clock
) -> None:
    seed_demo(pufa_state)
    stalled_after_start(pufa_state)
    slow = client.get(f"/api/v1/ledger.csv?{YEAR}", headers=viewer_headers)
    assert slow.status_code == 503
    pufa_state.monotonic = clock  # an hour later, nothing slow in this one
    clock.now += 3600
    assert client.get(f"/api/v1/ledger.csv?{YEAR}", headers=viewer_headers).status_code == 200
    assert client.get("/api/v1/schedules", headers=viewer_headers).status_code == 200


def test_a_write_stopped_by_its_budget_leaves_nothing_behind(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str]
) -> None:
    seed_demo(pufa_state)
    with pufa_state.db.sessions() as session:
        before = session.scalar(select(func.count()).select_from(Schedule))
    stalled_after_start(pufa_state)  # the new schedule's re-plan runs out of time
    response = client.post("/api/v1/schedules", json=NEW_LECTURE, headers=admin_headers)
    assert response.status_code == 503, response.get_json()
    assert response.get_json()["error"] == "request_too_slow"
    with pufa_state.db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Schedule)) == before


def test_the_console_says_in_chinese_to_ask_for_less(
    client: FlaskClient, pufa_state: Pufa, clock: Clock
) -> None:
    seed_demo(pufa_state)
    sign_in(client, pufa_state)
    stalled_after_start(pufa_state)
    response = client.get(f"/admin/ledger/?{YEAR}&format=xlsx")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    page = response.get_data(as_text=True)
    assert "请求耗时过长" in page and "请缩小日期范围后重试" in page


def test_a_budget_belongs_to_its_own_request_thread() -> None:
    """A request running out of time in one thread does not stop another's."""
    spent = threading.Event()
    outcome: dict[str, Any] = {}

    def heavy() -> None:
        budget.start(1.0, clock=lambda: 0.0 if not spent.is_set() else 5.0)
        spent.set()
        try:
            budget.check()
        except budget.BudgetExceeded as error:
            outcome["heavy"] = error.code

    def light() -> None:
        spent.wait(timeout=5)
        budget.start(1.0, clock=lambda: 0.0)
        budget.check()
        outcome["light"] = "ok"

    threads = [threading.Thread(target=heavy), threading.Thread(target=light)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert outcome == {"heavy": "request_too_slow", "light": "ok"}


def test_outside_a_request_nothing_is_bounded() -> None:
    """The clock's ticks and the command line have no budget."""
    budget.lift()
    budget.check()
    assert budget.current() is None


@pytest.mark.skipif(backend() != "postgresql", reason="statement_timeout is PostgreSQL's")
def test_on_postgresql_a_statement_cannot_outlast_the_budget(app: Flask, pufa_state: Pufa) -> None:
    pufa_state.settings = replace(pufa_state.settings, request_budget_seconds=0.5)
    with app.test_request_context("/no-such-page"):
        app.preprocess_request()  # starts the request's budget
        session = db_session()
        assert session.scalar(text("SHOW statement_timeout")) == "1s"  # rounded up
        with pytest.raises(budget.BudgetExceeded):
            session.execute(text("SELECT pg_sleep(5)"))
