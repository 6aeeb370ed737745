"""Default reminder rules per kind of schedule: one file in the package
(``default_rules.yaml``), or the operator's own named by ``PUFA_DEFAULT_RULES``.

A schedule or a study item's deadline created without rules (API or console) gets
these, so every schedule reminds someone unless an admin turns its rules off.
"""

from __future__ import annotations

import re
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from flask import current_app, has_app_context
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.orm import Session

from ..models import ReminderRule, Schedule
from .texts import TEMPLATES

PACKAGED = Path(__file__).resolve().parent / "default_rules.yaml"
KINDS = ("lecture", "meeting", "campaign", "deadline")
_LEAD = re.compile(r"^(-?)(\d+)([dhm])$")
_AT = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class DefaultRulesError(ValueError):
    """The rules file is malformed: names the file, the entry and the reason."""


def parse_lead(text: str) -> int:
    """'7d' -> 10080 minutes before; '-1d' -> 1440 minutes after."""
    match = _LEAD.match(text.strip())
    if not match:
        raise ValueError(f"lead {text!r} must look like 7d, 2h or 30m")
    sign, amount, unit = match.groups()
    minutes = int(amount) * {"d": 1440, "h": 60, "m": 1}[unit]
    return -minutes if sign else minutes


def parse_at(text: str) -> time:
    match = _AT.match(text.strip())
    if not match:
        raise ValueError(f"at {text!r} must be a local time of day like 09:00")
    return time(int(match.group(1)), int(match.group(2)))


class DefaultRule(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Annotated[str, Field(min_length=1, max_length=100)]
    lead: str
    template: str
    recipients: Literal["audience", "speaker", "unconfirmed", "overdue_heads"] = "audience"
    routine: bool = True
    at: str | None = None

    @field_validator("lead")
    @classmethod
    def _lead(cls, value: str) -> str:
        parse_lead(value)
        return value

    @field_validator("at")
    @classmethod
    def _at(cls, value: str | None) -> str | None:
        return None if value is None else parse_at(value).strftime("%H:%M")

    @field_validator("template")
    @classmethod
    def _template(cls, value: str) -> str:
        if not (TEMPLATES / f"{value}.txt.j2").is_file():
            raise ValueError(f"unknown SMS template {value!r}")
        return value

    def rule(self) -> ReminderRule:
        options: dict[str, Any] = {} if self.at is None else {"at": self.at}
        return ReminderRule(
            name=self.name,
            lead_minutes=parse_lead(self.lead),
            template=self.template,
            recipients=self.recipients,
            is_routine=self.routine,
            is_enabled=True,
            options=options,
        )


@lru_cache(maxsize=4)
def load(path: Path) -> dict[str, tuple[DefaultRule, ...]]:
    """The file's rules by kind; DefaultRulesError naming the file and entry."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise DefaultRulesError(f"{path}: cannot be read ({error})") from None
    if not isinstance(raw, dict) or not set(raw) <= set(KINDS):
        raise DefaultRulesError(f"{path}: top-level keys must be among {', '.join(KINDS)}")
    rules: dict[str, tuple[DefaultRule, ...]] = {}
    for kind, entries in raw.items():
        rules[kind] = tuple(_rule(path, kind, i, e) for i, e in enumerate(entries or []))
    return rules


def _rule(path: Path, kind: str, index: int, entry: object) -> DefaultRule:
    try:
        return DefaultRule.model_validate(entry)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "entry"
        raise DefaultRulesError(f"{path}: {kind}[{index}] {where}: {first['msg']}") from None


def configured_file() -> Path:
    """The operator's file (``PUFA_DEFAULT_RULES``) or the packaged one."""
    if has_app_context():
        state = current_app.extensions.get("pufa")
        if state is not None and state.settings.default_rules_file:
            return Path(state.settings.default_rules_file)
    return PACKAGED


def rules_for(kind: str) -> list[ReminderRule]:
    return [r.rule() for r in load(configured_file()).get(kind, ())]


def give_default_rules(session: Session, schedule: Schedule) -> list[ReminderRule]:
    """Add the kind's default rules to a schedule that has none; the rules added."""
    if schedule.rules:
        return []
    added = rules_for(schedule.kind)
    schedule.rules.extend(added)
    session.flush()
    return added
