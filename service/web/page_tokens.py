"""The staff page's secret link (``/me/<token>``): stored as an HMAC, like feed tokens,
so a leaked database does not hand out working links; rotating it kills the old one."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..models import Person
from ..tokens import new_secret, personal_token_digest


def issue_page_token(session: Session, person: Person, secret_key: str) -> str:
    """A fresh token for the person's page; the previous link stops working."""
    token = new_secret()
    person.page_token_hash = personal_token_digest(secret_key, token)
    session.flush()
    return token


def revoke_page_token(session: Session, person: Person) -> None:
    person.page_token_hash = None
    session.flush()


def person_for_page(session: Session, secret_keys: tuple[str, ...], token: str) -> Person | None:
    """The active person whose page this token opens, or None. ``secret_keys``: the
    current key first, then old ones still accepted during a rotation."""
    if not token or len(token) > 100:
        return None
    digests = [personal_token_digest(key, token) for key in secret_keys]
    person = session.scalar(
        select(Person)
        .where(Person.page_token_hash.in_(digests))
        .options(selectinload(Person.departments))
    )
    return person if person is not None and person.is_active else None
