"""The deliveries list and the dashboard on the county data set (issue 22), this
checkout's code beside another's (``--baseline``), on the same copy of the county
database, each answer's median wall and CPU time (``benchmarks.county``'s ``Bench``).

    .venv/bin/python -m benchmarks.county_lists sqlite|postgresql [--baseline /work/wt/h22d]
    options: [--dir /tmp/pufa-county] [--name pufa_county] [--times 5] [--budget 60]

Each side runs in its own process (``--side`` names the checkout whose ``service`` it
imports) on a throw-away copy of the county database migrated to that checkout's head
(this one's adds the list indexes of 0018_delivery_lists: the time that takes is
printed), so neither side's indexes serve the other. The county database itself is
never migrated. Measured: the API's first page, the last page by ``page``, the same
position reached by ``after`` (when the side has cursors), a status-filtered page, the
console's 短信记录 (first page, and the next page by cursor where there is one) and the
dashboard ``/admin/``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("database", choices=("sqlite", "postgresql"))
    parser.add_argument("--baseline", type=Path, help="another checkout to measure beside")
    parser.add_argument("--side", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--dir", default="/tmp/pufa-county")
    parser.add_argument("--name", default="pufa_county")
    parser.add_argument("--times", type=int, default=5)
    parser.add_argument("--budget", type=float, default=60)
    args = parser.parse_args(argv)
    if args.side is not None:
        print(json.dumps(_measure(args)), flush=True)
        return
    here = Path(__file__).resolve().parent.parent
    sides = [("this", here)] + ([("baseline", args.baseline.resolve())] if args.baseline else [])
    print(f"load average before {os.getloadavg()}", flush=True)
    results: dict[str, dict[str, Any]] = {}
    for label, checkout in sides:
        command = [sys.executable, __file__, *(argv or sys.argv[1:]), "--side", str(checkout)]
        env = {**os.environ, "PYTHONPATH": str(checkout)}
        done = subprocess.run(command, env=env, cwd=checkout, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"{label} failed:\n{done.stderr[-3000:]}")
        sys.stderr.write(done.stderr)
        results[label] = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{label} ({checkout}): {results[label]['setup']}", flush=True)
    print(f"load average after {os.getloadavg()}")
    names = list(results["this"]["rows"])
    for label in results.get("baseline", {}).get("rows", {}):
        names += [label] if label not in names else []
    heads = " | ".join(f"{s} wall ms | {s} CPU ms" for s in results)
    print(f"\n| what | {heads} | wall ratio | CPU ratio |")
    print("|---|" + "---:|" * (2 * len(results) + 2))
    for name in names:
        cells: list[str] = []
        found = [side["rows"][name] for side in results.values() if name in side["rows"]]
        for side in results.values():
            row = side["rows"].get(name)
            cells += [f"{row[0]:,.1f}", f"{row[1]:,.1f}"] if row else ["", ""]
        # How many times this side's the baseline's wall and CPU time are.
        for i in (0, 1):
            both = len(found) == 2 and found[0][i]
            cells.append(f"{found[1][i] / found[0][i]:,.1f}×" if both else "")
        print(f"| {name} | {' | '.join(cells)} |")


def _measure(args: argparse.Namespace) -> dict[str, Any]:
    # Imported here: the side's own checkout is first on the path.
    from sqlalchemy import func, select

    import service
    from benchmarks.console_pages import sign_in
    from service import migrate
    from service.app import create_app
    from service.models import Delivery
    from service.settings import Settings
    from service.tokens import create_api_token
    from service.web.accounts import create_account

    county = _load_county(args.side)
    assert Path(service.__file__).is_relative_to(args.side), service.__file__
    bench = county.Bench(args.times, args.budget)
    url = county.county_url(args)
    with tempfile.TemporaryDirectory() as folder, _copy(county, url, Path(folder)) as work:
        started = time.monotonic()
        migrate.upgrade(work)
        setup = f"copy migrated to head in {time.monotonic() - started:.0f} s"
        settings = Settings(
            env="test", instance_dir=Path(folder), database_url=work,
            secret_key=county.SECRET, log_level="WARNING",
        )  # fmt: skip
        app = create_app(settings)
        state = app.extensions["pufa"]
        with state.db.transaction() as session:
            _row, token = create_api_token(session, name="bench", role="admin")
            create_account(session, "bench", "bench-password-1")
            rows = session.scalar(select(func.count()).select_from(Delivery)) or 0
        api = app.test_client()
        api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        last = rows // 100
        deep = api.get(f"/api/v1/deliveries?per_page=100&page={last - 1}").get_json()
        cursor = deep.get("next") if isinstance(deep, dict) else None
        paths = [
            "/api/v1/deliveries?per_page=100",
            f"/api/v1/deliveries?per_page=100&page={last}",
            "/api/v1/deliveries?per_page=100&status=failed",
            "/api/v1/deliveries?per_page=100&count=true",
        ]
        for path in paths:
            if api.get(path).status_code == 200:  # count= is this side's, perhaps not the other's
                bench.measure(f"GET {path}", lambda path=path: _ok(api, path))
        if cursor:
            bench.measure(
                f"GET /api/v1/deliveries?per_page=100&after=… (page {last}'s position)",
                lambda: _ok(api, "/api/v1/deliveries", {"per_page": "100", "after": cursor}),
            )
        console = app.test_client()
        sign_in(console, "bench", "bench-password-1")
        first = console.get("/admin/sms/deliveries").get_data(as_text=True)
        for path in ("/admin/sms/deliveries", "/admin/sms/deliveries?status=failed", "/admin/"):
            bench.measure(f"console {path}", lambda path=path: _ok(console, path))
        marker = 'href="/admin/sms/deliveries?after='
        if marker in first:
            href = first.split(marker, 1)[1].split('"', 1)[0].replace("&amp;", "&")
            bench.measure(
                "console /admin/sms/deliveries?after=… (下一页)",
                lambda: _ok(console, f"/admin/sms/deliveries?after={href}"),
            )
        state.db.dispose()
    return {"setup": setup, "rows": {w: (ms, cpu, n) for w, ms, cpu, n, _note in bench.rows}}


def _ok(client: Any, path: str, query: dict[str, str] | None = None) -> str:
    response = client.get(path, query_string=query)
    assert response.status_code == 200, (path, response.status_code, response.data[:300])
    return ""


@contextmanager
def _copy(county: Any, url: str, folder: Path) -> Iterator[str]:
    """A copy of the county database of this process's own (the other benchmarks' copies
    have fixed names)."""
    if url.startswith("sqlite:///"):
        copy = folder / "county.sqlite3"
        shutil.copyfile(url.removeprefix("sqlite:///"), copy)
        yield f"sqlite:///{copy}"
        return
    name = make_url(url).database
    copy_url = make_url(url).set(database=f"{name}_lists_{os.getpid()}")
    rendered = copy_url.render_as_string(hide_password=False)
    county._pg_create(rendered, template=name, replace=True)
    try:
        yield rendered
    finally:
        county._pg_drop(rendered)


def _load_county(checkout: Path) -> Any:
    """The side's own ``benchmarks.county`` (its working copy and timing helpers)."""
    import importlib

    sys.path.insert(0, str(checkout))
    return importlib.import_module("benchmarks.county")


if __name__ == "__main__":
    main()
