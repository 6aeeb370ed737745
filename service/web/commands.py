"""``pufa admin …``: console accounts are made on the command line, never by the web."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from .accounts import AccountError, create_account

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
