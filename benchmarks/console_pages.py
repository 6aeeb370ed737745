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
        page = client.get("/admin/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token
        client.post(
            "/admin/login",
            data={
                "username": "bench",
                "password": "bench-password-1",
                "csrf_token": token.group(1),
            },
        )
        lecture = next(sid for sid, kind in schedules if kind == "lecture")
        paths = [
            "/admin/",
            "/admin/schedules/",
            "/admin/schedules/new",
            *[f"/admin/schedules/{sid}" for sid, _ in schedules[:5]],
            "/admin/calendar/",
            "/admin/calendar/?month=2026-10",
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
        rows = []
        for path in paths:
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            rows.append((statistics.median(times), path))
        for ms, path in sorted(rows, reverse=True):
            print(f"{ms:7.1f} ms  {path}")


if __name__ == "__main__":
    main()
