"""The ``pufa`` command: database, demo data, tokens, and ``up`` for a local run."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from . import migrate
from .county import COUNTY, CountyError, CountySpec, seed_county
from .db import Database
from .models import TOKEN_ROLES, Schedule, utcnow
from .seed import DEMO_FILE, SeedError, load_demo_file, seed
from .settings import Settings, SettingsError
from .tokens import create_api_token, ensure_api_token, new_secret
from .web.dev_account import ensure_dev_account


def _create_app() -> Flask:
    from .app import create_app

    try:
        return create_app()
    except SettingsError as error:
        raise click.ClickException(f"configuration error: {error}") from None


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False)
def main() -> None:
    """Pufa: schedules and SMS reminders for a township legal-affairs office."""


def register_commands(app: Flask) -> None:
    app.cli.add_command(db_group)
    app.cli.add_command(seed_command)
    app.cli.add_command(token_group)
    app.cli.add_command(up_command)


def _pufa() -> Any:
    from .context import pufa

    return pufa()


@click.group("db", cls=AppGroup, help="Database migrations.")
def db_group() -> None:
    pass


@db_group.command("upgrade", help="Apply every migration not yet applied.")
def db_upgrade() -> None:
    migrate.upgrade(_pufa().settings.database_url)
    click.echo(f"database at migration {migrate.head_revision()}")


@click.command("seed", help="Load the 蟒河镇 demo data (idempotent), or a county-scale data set.")
@click.option("--demo", is_flag=True, help="The demo data set (the default scale).")
@click.option(
    "--scale",
    type=click.Choice(("demo", "county")),
    default="demo",
    show_default=True,
    help="demo: the 蟒河镇 demo; county: 40 站所, 2,000 people, 300 schedules, three years "
    "of history and 1,000,000 deliveries, into an empty database (for benchmarks).",
)
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=DEMO_FILE,
    show_default=True,
)
@click.option("--database", "database_url", help="Seed this database instead of DATABASE_URL.")
@click.option("--force", is_flag=True, help="county: empty the database's data first.")
@click.option("--departments", type=int, default=COUNTY.departments, hidden=True)
@click.option("--people", type=int, default=COUNTY.people, hidden=True)
@click.option("--schedules", type=int, default=COUNTY.schedules, hidden=True)
@click.option("--deliveries", type=int, default=COUNTY.deliveries, hidden=True)
@with_appcontext
def seed_command(
    demo: bool, scale: str, path: Path, database_url: str | None, force: bool, **size: int
) -> None:
    if demo and scale != "demo":
        raise click.UsageError("--demo and --scale county ask for different data sets")
    db = Database(database_url) if database_url else _pufa().db
    try:
        if scale == "county":
            _seed_county(db, database_url, CountySpec(**size), force)
        else:
            _seed_demo(db, path)
    finally:
        if database_url:
            db.dispose()


def _seed_demo(db: Database, path: Path) -> None:
    try:
        data = load_demo_file(path)
    except SeedError as error:
        raise click.ClickException(str(error)) from None
    try:
        with db.transaction() as session:
            created = seed(session, data)
    except SeedError as error:
        raise click.ClickException(str(error)) from None
    except IntegrityError as error:
        # A clash _check_no_clash does not foresee: say which, as one line, not a traceback.
        detail = str(error.orig).splitlines()[0] if error.orig else type(error).__name__
        raise click.ClickException(
            f"the demo data clash with rows already stored ({detail}); nothing was written"
        ) from None
    click.echo("created " + ", ".join(f"{n} {kind}" for kind, n in created.items()))


def _seed_county(db: Database, database_url: str | None, spec: CountySpec, force: bool) -> None:
    started = time.monotonic()
    migrate.upgrade(database_url or _pufa().settings.database_url)
    try:
        with db.transaction() as session:
            created = seed_county(session, spec, utcnow(), _pufa().settings.zone, force=force)
    except CountyError as error:
        raise click.ClickException(f"{error}; nothing was written") from None
    counts = ", ".join(f"{n} {kind}" for kind, n in created.items())
    click.echo(f"created {counts} in {time.monotonic() - started:.0f} s")


@click.group("token", cls=AppGroup, help="API tokens.")
def token_group() -> None:
    pass


@token_group.command("create", help="Create an API token and print it once.")
@click.option("--role", type=click.Choice(TOKEN_ROLES), required=True)
@click.option("--name", required=True, help="Who or what uses the token (shown in the audit log).")
def token_create(role: str, name: str) -> None:
    with _pufa().db.transaction() as session:
        _row, plaintext = create_api_token(session, name=name, role=role)
    click.echo(plaintext)


@click.command("up", help="Migrate, load the demo data if empty, run web and clock together.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@with_appcontext
def up_command(host: str, port: int) -> None:
    app_state = _pufa()
    settings: Settings = app_state.settings
    migrate.upgrade(settings.database_url)
    with app_state.db.transaction() as session:
        if not session.scalar(select(func.count()).select_from(Schedule)):
            created = seed(session, load_demo_file())
            click.echo("loaded the 蟒河镇 demo data: " + str(created))
        token = None if settings.is_production else _dev_admin_token(settings, session)
        account = (
            None if settings.is_production else ensure_dev_account(session, settings.instance_dir)
        )

    processes = [
        subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"{host}:{port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "service.wsgi:app",
            ],
        ),
        subprocess.Popen([sys.executable, "-m", "jobs.clock"]),
    ]
    base = f"http://{host}:{port}"
    click.echo(f"\nPufa is running: {base}/healthz  ·  API {base}/api/v1/openapi.json")
    if token:
        click.echo(f"admin API token (development): {token}")
    if account:
        click.echo(
            f"console (development): {base}/admin/  ·  用户名 {account[0]}  ·  密码 {account[1]}"
        )
    click.echo("SMS backend: " + settings.sms_backend + "  ·  Ctrl-C stops web and clock\n")
    _supervise(processes)


def _dev_admin_token(settings: Settings, session: Any) -> str:
    """One development admin token, kept under instance/ so every ``up`` prints it."""
    path = settings.instance_dir / "admin_token"
    if path.exists():
        plaintext = path.read_text().strip()
    else:
        plaintext = "pufa_" + new_secret()
        settings.instance_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(plaintext)
        path.chmod(0o600)
    ensure_api_token(session, name="development admin", role="admin", plaintext=plaintext)
    return plaintext


def _supervise(processes: list[subprocess.Popen[bytes]]) -> None:
    """Run until Ctrl-C/SIGTERM or until one child dies; then stop the others cleanly."""
    stopping = False

    def _stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    while not stopping and all(p.poll() is None for p in processes):
        time.sleep(0.2)
    for p in processes:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    for p in processes:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
    codes = [p.returncode for p in processes]
    click.echo(f"stopped (exit codes {codes})")
    if not stopping:
        raise SystemExit(1)
