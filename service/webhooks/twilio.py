"""Twilio's webhooks: message status callbacks and inbound messages.

Both check the signature first (403, nothing read or changed, when it fails), hand the
fields to ``service.sms`` and commit. Bad fields are logged and answered, never a 500.
"""

from __future__ import annotations

import logging

from flask import Response, request
from sqlalchemy.exc import SQLAlchemyError
from twilio.twiml.messaging_response import MessagingResponse

from ..context import db_session
from ..errors import BadRequest, PufaError
from ..logs import mask_phone
from ..models import MAX_ID, utcnow
from ..sms.status import apply_status
from ..workflows.inbound import handle_inbound
from .signature import verified_form

log = logging.getLogger("pufa.webhooks")


class StorageUnavailable(PufaError):
    status, code = 503, "unavailable"


def status_callback() -> Response:
    form = verified_form()
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    status = form.get("MessageStatus") or form.get("SmsStatus") or ""
    delivery_id = _delivery_id(request.args.get("delivery"))
    if not sid or not status:
        log.warning(
            "malformed status callback",
            extra={"sid": sid, "status": status, "delivery": delivery_id},
        )
        raise BadRequest(
            "A status callback needs MessageSid and MessageStatus.",
            code="malformed_callback",
            fields={
                k: "missing" for k, v in (("MessageSid", sid), ("MessageStatus", status)) if not v
            },
        )
    session = db_session()
    try:
        result = apply_status(session, delivery_id, sid, status, form.get("ErrorCode"), utcnow())
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        log.exception("status callback not stored", extra={"sid": sid})
        raise StorageUnavailable("The status could not be stored; try again.") from None
    log.info(
        "status callback",
        extra={"sid": sid, "status": status, "outcome": result.outcome, "delivery": delivery_id},
    )
    return Response(status=204)


def inbound_message() -> Response:
    form = verified_form()
    sender, body = form.get("From", ""), form.get("Body", "")
    session = db_session()
    try:
        reply = handle_inbound(session, sender, body, utcnow())
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        log.exception("inbound sms not stored", extra={"from": mask_phone(sender)})
        raise StorageUnavailable("The message could not be stored; try again.") from None
    twiml = MessagingResponse()
    twiml.message(reply.text)
    return Response(str(twiml), status=200, mimetype="application/xml")


def _delivery_id(raw: str | None) -> int | None:
    """The ``delivery`` query parameter we put in the StatusCallback URL, if sane."""
    if raw is None:
        return None
    # Only a number a row can have: a larger one would overflow the 32-bit column in the
    # driver. The callback is then settled by its MessageSid alone, as without one.
    if raw.isascii() and raw.isdigit() and 0 < len(raw) <= len(str(MAX_ID)):
        number = int(raw)
        if 0 < number <= MAX_ID:
            return number
    log.warning("status callback with a malformed delivery id", extra={"delivery": raw[:40]})
    return None
