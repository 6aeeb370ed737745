"""What a request or a clock job reaches for: the app's shared objects and the request's
database session. Kept apart from the app factory so that modules which need them do not
import ``create_app`` (and the factory can import them without a circle), as flaskr's
``db.get_db()`` does."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app, g, has_request_context, request
from sqlalchemy.orm import Session

from .db import Database
from .settings import Settings


@dataclass
class Pufa:
    """What a request or a clock job needs, hung on the app as ``extensions['pufa']``."""

    settings: Settings
    db: Database
    # The clock of the requests' time budgets (service/budget.py); tests replace it.
    monotonic: Callable[[], float] = field(default=time.monotonic)


def pufa() -> Pufa:
    ext: Pufa = current_app.extensions["pufa"]
    return ext


def db_session() -> Session:
    """The request's session; closed (rolled back if uncommitted) at teardown.

    Requests that may change data (POST, PUT, PATCH, DELETE) get a writer session, so
    on SQLite they queue for the write lock instead of failing halfway; reads never wait.
    Requests that only read get ``Database.read_sessions`` (autocommit on PostgreSQL);
    code outside a request gets a plain session.
    """
    if "db_session" not in g:
        db = pufa().db
        if not has_request_context():
            g.db_session = db.sessions()
        elif request.method in ("GET", "HEAD", "OPTIONS"):
            g.db_session = db.read_sessions()
        else:
            g.db_session = db.write_sessions()
    session: Session = g.db_session
    return session


def close_session(_exc: BaseException | None) -> None:
    """Teardown: give the request's session back (rolled back if left uncommitted)."""
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()
