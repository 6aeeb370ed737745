"""Server time of every console page on the 蟒河镇 demo data (Flask test client, SQLite).

    .venv/bin/python -m benchmarks.console_pages [--repeat 5]

Prints the median of ``repeat`` requests per page, slowest first. The budget is 150 ms.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

from flask.testing import FlaskClient


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from service import migrate
    from service.app import create_app
    from service.models import Schedule, StudyPlan
    from service.seed import load_demo_file, seed
    from service.settings import Settings
    from service.web.accounts import create_account

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'pufa.db'}"
        migrate.upgrade(url)
        settings = Settings(
            env="test",
            instance_dir=Path(tmp),
            database_url=url,
            secret_key="x" * 40,
            log_level="WARNING",
        )
        app = create_app(settings)
        state = app.extensions["pufa"]
        with state.db.transaction() as session:
            seed(session, load_demo_file())
            create_account(session, "bench", "bench-password-1")
        with state.db.sessions() as session:
            schedules = list(session.query(Schedule.id, Schedule.kind))
            plans = [p for (p,) in session.query(StudyPlan.id)]
        client = app.test_client()
        sign_in(client, "bench", "bench-password-1")
        for ms, cpu, path in sorted(
            server_times(client, pages(schedules, plans), args.repeat), reverse=True
        ):
            print(f"{ms:7.1f} ms  (CPU {cpu:6.1f} ms)  {path}")


def sign_in(client: FlaskClient, username: str, password: str) -> None:
    """Sign a test client in to the console (the login form, with its CSRF token)."""
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    client.post(
        "/admin/login",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
    )


def pages(schedules: list[tuple[int, str]], plans: list[int], month: str = "2026-10") -> list[str]:
    """Every console page worth timing: ``schedules`` as (id, kind), ``plans`` ids."""
    lecture = next(sid for sid, kind in schedules if kind == "lecture")
    return [
        "/admin/",
        "/admin/schedules/",
        "/admin/schedules/new",
        *[f"/admin/schedules/{sid}" for sid, _ in schedules[:5]],
        "/admin/calendar/",
        f"/admin/calendar/?month={month}",
        f"/admin/reminders/{lecture}",
        f"/admin/rota/{lecture}",
        f"/admin/delete/schedule/{lecture}",
        "/admin/study/",
        *[f"/admin/study/{p}" for p in plans[:2]],
        "/admin/people/",
        "/admin/people/new",
        "/admin/holidays/",
        "/admin/sms/preview",
        "/admin/sms/deliveries",
        "/admin/ledger/",
        "/admin/search/?q=司法所",
    ]


def server_times(
    client: FlaskClient, paths: list[str], repeat: int
) -> list[tuple[float, float, str]]:
    """(median ms of ``repeat`` GETs, median CPU ms of this process, path) for each path;
    every answer must be 200. The CPU time is the server's work, whatever else the
    machine runs (and on SQLite includes the database's)."""
    rows = []
    for path in paths:
        times, cpu = [], []
        for _ in range(repeat):
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        rows.append((statistics.median(times), statistics.median(cpu), path))
    return rows


if __name__ == "__main__":
    main()
