"""Routes: evidence files and lecture material of one occurrence (multipart uploads).

The app refuses bodies over 1 MB; these upload routes alone take up to the file limit
(plus the multipart framing), and say so in Chinese when a file is larger.
"""

from __future__ import annotations

from datetime import datetime

from flask import Response, g
from flask_openapi3.blueprint import APIBlueprint
from pydantic import BaseModel

from ..context import db_session
from ..domain.common import Id, committed
from ..errors import Forbidden, NotFound
from ..models import Attachment, AttachmentKind, utcnow
from ..records import attachments, texts
from ..records.occurrence import find
from ..transfers import file_response, uploaded_file
from .attendance import BASE, OccurrencePath
from .common import actor, answer, blueprint_options, no_content

bp = APIBlueprint("attachments", __name__, **blueprint_options("records"))


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
