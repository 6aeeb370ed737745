"""Replies staff send to our number: keywords and study-item confirmations.

Keywords (case-insensitive; surrounding spaces, full-width forms and a trailing
full stop are ignored):

| keyword | effect |
|---|---|
| STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, 退订, TD, T | opt out (``is_sms_opted_out``) |
| START, UNSTOP, YES, 订阅 | opt back in |
| HELP, INFO, 帮助, ? | how to use these keywords |
| 确认 <id>, QR <id> (``确认12``, ``QR#12`` too) | confirm study item <id> done |

Twilio cannot receive replies from +86 numbers, so the staff page and the API offer
the same actions; this is the path for numbers Twilio can receive from.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audience import concerns
from ..errors import Conflict
from ..logs import mask_phone
from ..models import MAX_ID, Person, StudyItem
from ..sms.optout import SmsStop, resume_sms, stop_sms
from ..sms.wording import reply_text
from .study import confirm

log = logging.getLogger("pufa.sms.inbound")

STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "退订", "TD", "T"}
)
START_WORDS = frozenset({"START", "UNSTOP", "YES", "订阅"})
HELP_WORDS = frozenset({"HELP", "INFO", "帮助", "?"})
# Bounded: a longer number names no item and only makes the reply long.
_CONFIRM = re.compile(r"^(?:确认|QR)\s*[#:]?\s*(\d{0,30})$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass(frozen=True)
class Command:
    kind: str  # stop | start | help | confirm | unknown
    item_id: int | None = None


@dataclass(frozen=True)
class InboundReply:
    text: str
    outcome: str  # what happened, for logs and tests
    person_id: int | None = None


def parse_command(body: str) -> Command:
    text = unicodedata.normalize("NFKC", body)  # full-width ＳＴＯＰ, １２, 　 → ASCII
    text = " ".join(text.split()).rstrip("。.!！").strip().upper()
    if text in STOP_WORDS:
        return Command("stop")
    if text in START_WORDS:
        return Command("start")
    if text in HELP_WORDS:
        return Command("help")
    match = _CONFIRM.match(text)
    if match:
        return Command("confirm", int(match.group(1)) if match.group(1) else None)
    return Command("unknown")


def sender_e164(raw: str) -> str | None:
    """The sender in E.164, or None. Twilio sends E.164; anything else is parsed as a
    Chinese number before giving up."""
    raw = raw.strip()
    if _E164.match(raw):
        return raw
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def handle_inbound(session: Session, sender: str, body: str, now: datetime) -> InboundReply:
    """Act on one inbound message; flushes, the caller commits. Never raises on input."""
    command = parse_command(body)
    number = sender_e164(sender)
    person = None
    if number is not None:
        person = session.scalar(select(Person).where(Person.mobile == number))
    log.info(
        "inbound sms",
        extra={
            "from": mask_phone(number or sender),
            "command": command.kind,
            "person": person.id if person else None,
        },
    )
    if command.kind == "help":
        return InboundReply(reply_text("help"), "help", person.id if person else None)
    if person is None:
        return InboundReply(reply_text("unknown_number"), "unknown_number")
    actor = f"sms:{mask_phone(number)}"
    if command.kind == "stop":
        changed = stop_sms(
            session, person, SmsStop.OPTED_OUT, actor=actor, now=now, note="回复退订"
        )
        key = "opted_out" if changed else "already_opted_out"
        return InboundReply(reply_text(key), "opted_out", person.id)
    if command.kind == "start":
        resume_sms(session, person, SmsStop.OPTED_OUT, actor=actor, now=now)
        return InboundReply(reply_text("opted_in"), "opted_in", person.id)
    if command.kind == "confirm":
        return _confirm(session, person, command.item_id, now)
    return InboundReply(reply_text("unknown_command"), "unknown_command", person.id)


def _confirm(session: Session, person: Person, item_id: int | None, now: datetime) -> InboundReply:
    if item_id is None:
        return InboundReply(reply_text("missing_item_id"), "missing_item_id", person.id)
    # Ids are 32-bit columns: a larger number names no row (and would overflow the
    # driver, a 500 on SQLite and a 503 on PostgreSQL, instead of this answer).
    item = session.get(StudyItem, item_id) if 0 < item_id <= MAX_ID else None
    if item is None:
        return InboundReply(reply_text("unknown_item", item_id=item_id), "unknown_item", person.id)
    if item.plan.is_closed:
        return InboundReply(
            reply_text("plan_closed", year=item.plan.year), "plan_closed", person.id
        )
    if not concerns(item.schedule, person):
        return InboundReply(
            reply_text("not_concerned", title=item.title), "not_concerned", person.id
        )
    # The same workflow as the API: audit entry and immediate re-plan of the reminders.
    try:
        confirm(session, item.id, person_id=person.id, note="", now=now, actor=f"sms:{person.id}")
    except Conflict:  # already confirmed, perhaps by Twilio retrying this very request
        return InboundReply(
            reply_text("already_confirmed", title=item.title), "already_confirmed", person.id
        )
    log.info("study item confirmed by sms", extra={"person": person.id, "item": item.id})
    return InboundReply(reply_text("confirmed", title=item.title), "confirmed", person.id)
