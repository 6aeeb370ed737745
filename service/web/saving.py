"""Saving a console form: the API's schema validates it, the API's service function
writes it in the API's own transaction helper, and every refusal lands on its field."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.orm import Session

from ..domain.common import committed
from ..errors import PufaError
from .forms import FormState, absorb, validate

M = TypeVar("M", bound=BaseModel)


def save(
    session: Session,
    state: FormState,
    schema: type[M],
    data: Mapping[str, Any],
    action: Callable[[Session, M], object],
    *,
    field_messages: Mapping[str, str] | None = None,
    field_names: Mapping[str, str] | None = None,
) -> object | None:
    """Validate, then run ``action`` in one transaction (``committed``, as the API does).

    Returns what the action returned, or None with the reasons recorded in ``state``.
    """
    valid = validate(schema, data, state, field_messages=field_messages, field_names=field_names)
    if valid is None:
        return None
    try:
        with committed(session):
            return action(session, valid)
    except PufaError as error:
        absorb(error, state, field_names)
        return None
