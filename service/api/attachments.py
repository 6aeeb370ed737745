"""Routes: evidence files and lecture material of one occurrence (multipart uploads).

The app refuses bodies over 1 MB; these upload routes alone take up to the file limit
(plus the multipart framing), and say so in Chinese when a file is larger.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from flask import Response, g, request
from flask_openapi3.blueprint import APIBlueprint
from pydantic import BaseModel
from werkzeug.exceptions import RequestEntityTooLarge

from ..context import db_session
from ..domain.common import Id, committed
from ..errors import Forbidden, Invalid, NotFound, PayloadTooLarge
from ..models import Attachment, AttachmentKind, utcnow
from ..records import attachments, files, texts
from ..records.occurrence import find
from .attendance import BASE, OccurrencePath
from .common import actor, answer, blueprint_options, no_content

bp = APIBlueprint("attachments", __name__, **blueprint_options("records"))
UPLOAD_LIMIT = files.MAX_BYTES + 256 * 1024  # the file plus its multipart framing


class AttachmentPath(OccurrencePath):
    attachment_id: Id


class AttachmentOut(BaseModel):
    id: int
    kind: AttachmentKind
    filename: str
    content_type: str
    size: int
    has_thumbnail: bool
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, row: Attachment) -> AttachmentOut:
        return cls(
            id=row.id, kind=AttachmentKind(row.kind), filename=row.filename,
            content_type=row.content_type, size=row.size, created_by=row.created_by,
            created_at=row.created_at, has_thumbnail=row.is_image,
        )  # fmt: skip


class AttachmentsOut(BaseModel):
    items: list[AttachmentOut]


def uploaded_file(limit: int = UPLOAD_LIMIT) -> tuple[bytes, str, AttachmentKind]:
    """The ``file`` field of a multipart upload, with the optional ``kind``."""
    request.max_content_length = limit
    try:
        upload = request.files.get("file")
        kind_value = request.form.get("kind", AttachmentKind.EVIDENCE)
    except RequestEntityTooLarge:
        raise PayloadTooLarge(
            texts.FILE_TOO_LARGE.format(limit=files.MAX_MB), fields={"file": "size"}
        ) from None
    if upload is None:
        raise Invalid(texts.FILE_MISSING, fields={"file": "required"}, code="file_missing")
    try:
        kind = AttachmentKind(kind_value)
    except ValueError:
        raise Invalid(texts.KIND, fields={"kind": "choice"}) from None
    return upload.read(files.MAX_BYTES + 1), upload.filename or "", kind


def _own(row: Attachment, path: AttachmentPath) -> Attachment:
    target = find(db_session(), path.schedule_id, path.original_start)
    if (row.schedule_id, row.original_start_at) != target.key:
        raise NotFound(texts.NO_ATTACHMENT.format(id=row.id), code="no_attachment")
    return row


@bp.get(f"{BASE}/attachments", responses={200: AttachmentsOut})
def list_attachments(path: OccurrencePath) -> Response:
    target = find(db_session(), path.schedule_id, path.original_start)
    rows = attachments.listing(db_session(), target)
    return answer(AttachmentsOut(items=[AttachmentOut.of(r) for r in rows]))


@bp.post(f"{BASE}/attachments", responses={201: AttachmentOut})
def post_attachment(path: OccurrencePath) -> Response:
    """Multipart field ``file`` (JPEG, PNG, WebP or PDF, at most 10 MB) and optional
    ``kind`` (evidence | material). 415 for another type, 413 when too large."""
    data, filename, kind = uploaded_file()
    with committed(db_session()) as session:
        target = find(session, path.schedule_id, path.original_start)
        row = attachments.add(session, target, data, filename, kind, actor=actor(), now=utcnow())
    return answer(AttachmentOut.of(row), 201)


@bp.get(f"{BASE}/attachments/<int:attachment_id>", responses={200: None})
def get_attachment(path: AttachmentPath) -> Response:
    """The file itself; admins only (photos show people)."""
    return _serve(path, thumbnail=False)


@bp.get(f"{BASE}/attachments/<int:attachment_id>/thumbnail", responses={200: None})
def get_thumbnail(path: AttachmentPath) -> Response:
    return _serve(path, thumbnail=True)


@bp.delete(f"{BASE}/attachments/<int:attachment_id>", responses={204: None})
def delete_attachment(path: AttachmentPath) -> Response:
    with committed(db_session()) as session:
        row = _own(attachments.get(session, path.attachment_id), path)
        attachments.delete(session, row, actor=actor(), now=utcnow())
    return no_content()


def _serve(path: AttachmentPath, *, thumbnail: bool) -> Response:
    if g.role != "admin":
        raise Forbidden(texts.ADMINS_ONLY, code="admins_only")
    row = _own(attachments.get(db_session(), path.attachment_id, with_content=True), path)
    return file_response(row, thumbnail=thumbnail)


def file_response(row: Attachment, *, thumbnail: bool) -> Response:
    """The bytes, never sniffed by the browser nor run as a page."""
    if thumbnail and row.thumbnail is None:
        raise NotFound(texts.NO_ATTACHMENT.format(id=row.id), code="no_thumbnail")
    body = row.thumbnail if thumbnail else row.content
    mimetype = "image/jpeg" if thumbnail else row.content_type
    response = Response(body, mimetype=mimetype)
    disposition = "inline" if row.is_image else "attachment"
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename*=UTF-8''{quote(row.filename)}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
