"""``pufa admin …``: console accounts are made on the command line, never by the web."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from .accounts import (
    AccountError,
    create_account,
    disable_account,
    enable_account,
    find_account,
    list_accounts,
    set_password,
)

admin_group = AppGroup("admin", help="Accounts for the admin console.")


@admin_group.command("create", help="Create a console account; prompts for the password.")
@click.option("--username", required=True)
@click.password_option("--password", help="Prompted for (hidden, asked twice) if omitted.")
def admin_create(username: str, password: str) -> None:
    database = current_app.extensions["pufa"].db
    try:
        with database.transaction() as session:
            account = create_account(session, username, password)
    except AccountError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"created admin account {account.username!r}")


@admin_group.command("list", help="List console accounts, whether active, live sessions.")
def admin_list() -> None:
    database = current_app.extensions["pufa"].db
    with database.transaction() as session:
        rows = list_accounts(session)
    if not rows:
        click.echo("no console accounts")
    for account, live in rows:
        state = "active" if account.is_active else "disabled"
        last = account.last_sign_in_at.isoformat() if account.last_sign_in_at else "never"
        click.echo(f"{account.username}\t{state}\tsessions={live}\tlast_sign_in={last}")


@admin_group.command(
    "reset-password", help="Set a new password (prompted); signs the account out everywhere."
)
@click.option("--username", required=True)
@click.password_option("--password", help="Prompted for (hidden, asked twice) if omitted.")
def admin_reset_password(username: str, password: str) -> None:
    database = current_app.extensions["pufa"].db
    try:
        with database.transaction() as session:
            ended = set_password(session, find_account(session, username), password)
    except AccountError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"new password for {username.strip()!r}; {ended} session(s) ended")


@admin_group.command("disable", help="Stop an account signing in; ends its sessions.")
@click.option("--username", required=True)
def admin_disable(username: str) -> None:
    database = current_app.extensions["pufa"].db
    try:
        with database.transaction() as session:
            ended = disable_account(session, find_account(session, username))
    except AccountError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"disabled {username.strip()!r}; {ended} session(s) ended")


@admin_group.command("enable", help="Let a disabled account sign in again.")
@click.option("--username", required=True)
def admin_enable(username: str) -> None:
    database = current_app.extensions["pufa"].db
    try:
        with database.transaction() as session:
            enable_account(find_account(session, username))
    except AccountError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"enabled {username.strip()!r}")
