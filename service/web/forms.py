"""Form handling for the console: the API's own pydantic schemas (or the service
layer) decide what is valid; this module only turns their verdict into messages
shown next to each field, keeping what the user typed."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError

from ..budget import BudgetExceeded
from ..errors import PreconditionFailed, PufaError
from . import messages

M = TypeVar("M", bound=BaseModel)
_INTEGER = re.compile(r"-?\d{1,12}")


@dataclass
class FormState:
    """What a form template needs: the values to show and an error per field."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def value(self, name: str, default: Any = "") -> Any:
        return self.values.get(name, default)

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)


def posted(*multi: str) -> FormState:
    """The submitted form; fields named in ``multi`` keep all their values as a list."""
    values: dict[str, Any] = {}
    for key in request.form:
        if key == "csrf_token":
            continue
        values[key] = request.form.getlist(key) if key in multi else request.form[key].strip()
    for key in multi:
        values.setdefault(key, [])
    return FormState(values=values)


def validate(
    schema: type[M],
    data: Mapping[str, Any],
    state: FormState,
    *,
    field_messages: Mapping[str, str] | None = None,
    field_names: Mapping[str, str] | None = None,
) -> M | None:
    """Validate ``data`` with ``schema``; on failure record one message per field.

    ``field_messages`` replaces the schema's own (English) reason for a field with a
    fixed Chinese sentence; ``field_names`` maps a schema field to the form field
    that should show its error.
    """
    try:
        # As JSON, exactly as the API receives a body (its schemas are strict about
        # JSON types, so numbers must already be numbers: see ``integer``).
        return schema.model_validate_json(json.dumps(dict(data), default=str))
    except ValidationError as error:
        for item in error.errors(include_url=False):
            loc = item["loc"]
            key = str(loc[0]) if loc else "__all__"
            key = (field_names or {}).get(key, key)
            special = (field_messages or {}).get(key)
            if special and item["type"] not in ("missing", "string_too_short"):
                state.add(key, special)
            else:
                state.add(key, messages.pydantic_message(item))
        return None


def integer(value: Any) -> Any:
    """A form's digits as a number; anything else unchanged, for the schema to refuse."""
    if isinstance(value, list):
        return [integer(item) for item in value]
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value)
    return value


_VERSION = re.compile(r"[0-9]{1,9}")


def form_version(state: FormState) -> int | None:
    """The row version an edit form was rendered with (its hidden ``version``), or None
    when it holds none a row can have: the edit then goes ahead as the API's ``*``."""
    raw = str(state.value("version"))
    return int(raw) if _VERSION.fullmatch(raw) else None


def absorb(
    error: PufaError, state: FormState, field_names: Mapping[str, str] | None = None
) -> None:
    """A service-layer refusal becomes field errors (or a form-level one); a request
    stopped by its time budget is no fault of the form and gets the error page."""
    if isinstance(error, BudgetExceeded):
        raise error
    if isinstance(error, PreconditionFailed):
        state.add("__all__", messages.STALE)
        return
    if not error.fields:
        state.add("__all__", messages.service_reason(error.message))
    for key, reason in error.fields.items():
        name = key.split(".")[0]
        state.add((field_names or {}).get(name, name), messages.service_reason(reason))
