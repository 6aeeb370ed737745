"""The check-in QR code: a signed (schedule, original start) pair in a URL. The signature
stops anyone making a code for another occurrence; when it may be used is decided by the
occurrence itself at scan time (see ``attendance.check_in_window``), so a moved
occurrence needs no new code."""

from __future__ import annotations

from datetime import UTC, datetime

from itsdangerous import BadSignature, URLSafeSerializer

from ..errors import NotFound
from . import texts

_SALT = "pufa.records.check-in"


def make(secret_key: str, schedule_id: int, original_at: datetime) -> str:
    serializer = URLSafeSerializer(secret_key, salt=_SALT)
    return str(serializer.dumps([schedule_id, int(original_at.timestamp())]))


def read(secret_key: str, code: str) -> tuple[int, datetime]:
    serializer = URLSafeSerializer(secret_key, salt=_SALT)
    try:
        schedule_id, stamp = serializer.loads(code)
        if not isinstance(schedule_id, int) or not isinstance(stamp, int):
            raise BadSignature("shape")
        return schedule_id, datetime.fromtimestamp(stamp, UTC)
    except (BadSignature, ValueError, TypeError, OverflowError):
        raise NotFound(texts.CHECK_IN_BAD_CODE, code="bad_check_in_code") from None
