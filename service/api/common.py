"""What every API module shares: the error body, pagination, ETag and If-Match."""

from __future__ import annotations

from typing import Annotated, Any, Self

from flask import Response, g, request
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Row

from ..domain.queries import Window
from ..errors import PreconditionFailed, PreconditionRequired

MAX_PER_PAGE = 100


class ErrorBody(BaseModel):
    """Every 4xx answer (guarantee 6)."""

    error: str = Field(description="A machine-readable code, e.g. invalid, not_found")
    message: str
    fields: dict[str, str] = Field(description="Field name -> what is wrong with it")


_ERRORS = (400, 401, 403, 404, 409, 412, 422, 428, 429)
ERROR_RESPONSES: dict[int, Any] = dict.fromkeys(_ERRORS, ErrorBody)


class CachedSchema(BaseModel):
    """flask-openapi3 asks query and header models for their JSON schema on every
    request, with no arguments, only to read the parameters' types: that call is
    answered from a cache, the same dict each time. Calls with arguments (building the
    OpenAPI document) compute a fresh schema as usual."""

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if args or kwargs:
            return super().model_json_schema(*args, **kwargs)
        if cls not in _SCHEMAS:
            _SCHEMAS[cls] = super().model_json_schema()
        return _SCHEMAS[cls]


_SCHEMAS: dict[type[BaseModel], dict[str, Any]] = {}


class PageQuery(CachedSchema):
    page: Annotated[int, Field(ge=1, le=100_000)] = 1
    per_page: Annotated[int, Field(ge=1, le=MAX_PER_PAGE)] = 20

    @property
    def window(self) -> Window:
        return Window(offset=(self.page - 1) * self.per_page, limit=self.per_page)


class PageMeta(BaseModel):
    total: int
    page: int
    per_page: int


class OutModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, row: Any, **extra: Any) -> Self:
        """Built from an entity's attributes or a plain row's columns, plus values the row
        has no attribute for."""
        if isinstance(row, Row):  # its columns by name, as pydantic reads a dict
            return cls.model_validate({**row._mapping, **extra})
        values = {name: getattr(row, name) for name in cls.model_fields if name not in extra}
        return cls.model_validate({**values, **extra})


class IfMatch(CachedSchema):
    """PATCH, PUT and DELETE name the version they change (from the ETag of a GET)."""

    if_match: str | None = Field(
        default=None,
        alias="If-Match",
        description='The ETag you read, e.g. "3"; * accepts any version',
    )


def blueprint_options(name: str) -> dict[str, Any]:
    from . import SECURITY

    return {
        "url_prefix": "/api/v1",
        "abp_security": SECURITY,
        "abp_tags": [Tag(name=name)],
        "abp_responses": ERROR_RESPONSES,
    }


def actor() -> str:
    name: str = g.actor
    return name


def etag(row: Any) -> str:
    return f'"{row.version}"'


def expected_version() -> int | None:
    """The version named by If-Match: 428 without it, 412 when it names no version.
    ``*`` means the caller accepts overwriting whatever is there (returns None)."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise PreconditionRequired(
            "This change needs If-Match with the ETag you read (GET it first).",
            fields={"If-Match": "required"},
        )
    if header == "*":
        return None
    value = header.removeprefix("W/").strip('"')
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise PreconditionFailed(
            f"If-Match {header!r} names no version of this resource.",
            fields={"If-Match": "no such version"},
        )
    return int(value)


def answer(
    payload: BaseModel,
    status: int = 200,
    *,
    row: Any = None,
    location: str | None = None,
) -> Response:
    # Serialised by pydantic in one step, much cheaper than jsonify on a dict, and kept as
    # the UTF-8 bytes it makes: model_dump_json() would decode them into a str for the
    # response to encode again, which for a page of Chinese text cost as much as its
    # serialising (docs/performance.md).
    body = payload.__pydantic_serializer__.to_json(payload)
    response = Response(body, status, mimetype="application/json")
    if row is not None:
        response.headers["ETag"] = etag(row)
    if location:
        response.headers["Location"] = location
    return response


def no_content() -> Response:
    return Response(status=204)
