"""Evidence files across HTTP, the same for the JSON API and the console: an upload read
from a multipart form within its limit, and a stored file served so that a browser never
sniffs it nor runs it as a page."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from .errors import Invalid, NotFound, PayloadTooLarge
from .models import Attachment, AttachmentKind
from .records import files, texts

UPLOAD_LIMIT = files.MAX_BYTES + 256 * 1024  # the file plus its multipart framing


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
