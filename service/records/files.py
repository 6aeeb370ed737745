"""Uploaded files made safe to keep: the type read from the content (not the name), a
size limit, photos re-encoded without their EXIF (which can hold where they were taken)
and a small JPEG thumbnail. PDFs are kept as they came."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import Invalid, PayloadTooLarge, UnsupportedMediaType
from . import texts

MAX_MB = 10
MAX_BYTES = MAX_MB * 1024 * 1024
# Far above any camera's, far below what would exhaust memory while decoding.
MAX_PIXELS = 60_000_000
THUMBNAIL_BOX = (320, 320)
PDF, JPEG, PNG, WEBP = "application/pdf", "image/jpeg", "image/png", "image/webp"
_PIL_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}
_EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png", WEBP: ".webp"}
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\\"]")


@dataclass(frozen=True)
class CleanFile:
    content: bytes
    content_type: str
    filename: str
    thumbnail: bytes | None


def sniff(head: bytes) -> str | None:
    """The content type the first bytes prove, or None."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None


def clean(data: bytes, filename: str) -> CleanFile:
    if not data:
        raise Invalid(texts.FILE_EMPTY, fields={"file": "empty"}, code="empty_file")
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(texts.FILE_TOO_LARGE.format(limit=MAX_MB), fields={"file": "size"})
    content_type = sniff(data[:16])
    if content_type is None:
        raise UnsupportedMediaType(texts.FILE_TYPE, fields={"file": "type"})
    name = safe_name(filename, content_type)
    if content_type == PDF:
        return CleanFile(data, PDF, name, None)
    content, thumbnail = _reencode(data, _PIL_FORMATS[content_type])
    return CleanFile(content, content_type, name, thumbnail)


def safe_name(filename: str, content_type: str) -> str:
    base = re.split(r"[/\\]", filename or "")[-1]
    base = _UNSAFE_NAME.sub("", base).strip()[:150]
    return base or f"附件{_EXTENSIONS[content_type]}"


def _reencode(data: bytes, pil_format: str) -> tuple[bytes, bytes]:
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.format != pil_format:
                raise UnsupportedMediaType(texts.FILE_TYPE, fields={"file": "type"})
            if opened.width * opened.height > MAX_PIXELS:
                raise Invalid(texts.FILE_DAMAGED, fields={"file": "damaged"}, code="damaged_file")
            opened.load()
            # The orientation lives in EXIF: apply it to the pixels before EXIF goes.
            image = ImageOps.exif_transpose(opened)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise Invalid(texts.FILE_DAMAGED, fields={"file": "damaged"}, code="damaged_file") from None
    # Only the colour profile is kept: EXIF, XMP and comments stay behind.
    icc_profile = image.info.get("icc_profile")
    image.info = {}
    if pil_format == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    out = io.BytesIO()
    options: dict[str, object] = {"quality": 90} if pil_format in ("JPEG", "WEBP") else {}
    if icc_profile:
        options["icc_profile"] = icc_profile
    image.save(out, pil_format, **options)
    thumb = image.convert("RGB")
    thumb.thumbnail(THUMBNAIL_BOX)
    thumb_out = io.BytesIO()
    thumb.save(thumb_out, "JPEG", quality=80)
    return out.getvalue(), thumb_out.getvalue()
