"""``POST /api/v1/people/{id}/test-sms``: send one test message right away (admin).

Not a Delivery: deliveries are unique per (occurrence, rule, person). It is logged,
and the provider's answer is returned.
"""

from __future__ import annotations

import logging

from flask import g
from flask_openapi3.blueprint import APIBlueprint
from pydantic import BaseModel

from ..context import db_session, pufa
from ..errors import Invalid, NotFound, PufaError
from ..logs import mask_phone
from ..models import Person, utcnow
from ..sms.factory import app_gateway
from ..sms.gateway import SmsError
from ..sms.optout import SmsStop, stop_sms
from ..sms.texts import count_segments, render_sms
from ..sms.twilio_gateway import OPTED_OUT_CODE
from .common import blueprint_options

log = logging.getLogger("pufa.sms.test")

bp = APIBlueprint("sms", __name__, **blueprint_options("sms"))


class SmsUnavailable(PufaError):
    status, code = 503, "sms_unavailable"


class PersonPath(BaseModel):
    person_id: int


class TestSmsOut(BaseModel):
    person_id: int
    to: str  # masked
    provider_sid: str
    status: str
    segments: int
    backend: str


@bp.post("/people/<int:person_id>/test-sms", responses={200: TestSmsOut})
def send_test_sms(path: PersonPath) -> dict[str, object]:
    """Send the test template to one person now; 422 if they cannot receive SMS."""
    session = db_session()
    person = session.get(Person, path.person_id)
    if person is None:
        raise NotFound(f"No person with id {path.person_id}.")
    _check_reachable(person)
    assert person.mobile is not None
    body = render_sms("test_message", {"name": person.name})
    try:
        result = app_gateway().send(person.mobile, body, None)
    except SmsError as error:
        log.warning(
            "test sms refused",
            extra={"person": person.id, "code": error.code, "permanent": error.permanent},
        )
        if error.code == OPTED_OUT_CODE:
            stop_sms(
                session,
                person,
                SmsStop.OPTED_OUT,
                actor="twilio:21610",
                now=utcnow(),
                note="运营商错误 21610",
            )
            session.commit()
        if error.permanent:
            raise Invalid(
                f"The SMS provider refused the message: {error.message or error.code}",
                code="sms_refused",
                fields={"provider_code": error.code},
            ) from None
        raise SmsUnavailable(
            f"The SMS provider is unavailable ({error.code}); try again later."
        ) from None
    log.info(
        "test sms sent",
        extra={
            "person": person.id,
            "to": mask_phone(person.mobile),
            "sid": result.provider_sid,
            "actor": g.get("actor", ""),
        },
    )
    return {
        "person_id": person.id,
        "to": mask_phone(person.mobile),
        "provider_sid": result.provider_sid,
        "status": result.status,
        "segments": count_segments(body),
        "backend": pufa().settings.sms_backend,
    }


def _check_reachable(person: Person) -> None:
    reasons = {
        "no_mobile": person.mobile is None,
        "inactive": not person.is_active,
        "sms_disabled": not person.is_sms_enabled,
        "sms_opted_out": person.is_sms_opted_out,
    }
    for code, applies in reasons.items():
        if applies:
            raise Invalid(
                f"Person {person.id} cannot receive SMS: {code.replace('_', ' ')}.",
                code=code,
                fields={"person_id": code},
            )
