"""Every setting Pufa reads from the environment, in one place.

Each helper fails loudly with the variable's name; nothing else in the code reads
``os.environ``. In production no secret has a default.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ENVIRONMENTS = ("development", "test", "production")
SMS_BACKENDS = ("console", "twilio")


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    def contains(self, local: time) -> bool:
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    instance_dir: Path = Path("instance")
    database_url: str = "sqlite:///instance/pufa.sqlite3"
    timezone: str = "Asia/Shanghai"
    secret_key: str = field(default="", repr=False)
    # Keys SECRET_KEY replaced, still accepted for sessions and feed/page tokens while a
    # rotation runs (docs/security.md); new tokens and cookies use SECRET_KEY only.
    secret_key_fallbacks: tuple[str, ...] = field(default=(), repr=False)
    public_base_url: str = "http://127.0.0.1:8000"
    proxy_count: int = 0
    # Peers whose X-Forwarded-* headers are believed (at most proxy_count of them).
    trusted_proxies: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    sms_backend: str = "console"
    twilio_account_sid: str = ""
    twilio_auth_token: str = field(default="", repr=False)
    twilio_from: str = ""
    twilio_messaging_service_sid: str = ""
    twilio_api_base_url: str = ""
    twilio_timeout_seconds: float = 10.0
    quiet_hours: QuietHours = QuietHours(time(21, 30), time(7, 30))
    plan_horizon_hours: int = 48
    sms_concurrency: int = 8
    sms_rate_per_second: float = 0.0
    sending_grace_minutes: int = 30
    log_level: str = "INFO"
    default_rules_file: str = ""
    # How long one web request may compute before it stops with 503 (service/budget.py).
    request_budget_seconds: float = 10.0

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def secret_keys(self) -> tuple[str, ...]:
        """SECRET_KEY first, then the old keys still accepted during a rotation."""
        return (self.secret_key, *self.secret_key_fallbacks)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = _Env(os.environ if environ is None else environ)
        mode = env.choice("PUFA_ENV", "development", ENVIRONMENTS)
        instance_dir = Path(env.text("PUFA_INSTANCE_DIR", "instance")).resolve()
        production = mode == "production"
        database_url = env.database_url(
            "DATABASE_URL", f"sqlite:///{instance_dir / 'pufa.sqlite3'}"
        )
        sms_backend = env.choice("SMS_BACKEND", "console", SMS_BACKENDS)
        twilio_required = sms_backend == "twilio"
        messaging_sid = env.text("TWILIO_MESSAGING_SERVICE_SID", "")
        twilio_from = env.text("TWILIO_FROM", "")
        if twilio_required and not (messaging_sid or twilio_from):
            raise SettingsError(
                "TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID must be set when SMS_BACKEND=twilio"
            )
        return cls(
            env=mode,
            instance_dir=instance_dir,
            database_url=database_url,
            timezone=env.timezone("PUFA_TIMEZONE", "Asia/Shanghai"),
            secret_key=env.secret("SECRET_KEY", production, instance_dir),
            public_base_url=env.text("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
            secret_key_fallbacks=env.secret_list("PUFA_OLD_SECRET_KEYS", production),
            proxy_count=env.integer("PUFA_PROXY_COUNT", 0, minimum=0),
            trusted_proxies=env.networks("PUFA_TRUSTED_PROXIES", "127.0.0.0/8,::1/128"),
            sms_backend=sms_backend,
            twilio_account_sid=env.text("TWILIO_ACCOUNT_SID", "", required=twilio_required),
            twilio_auth_token=env.text("TWILIO_AUTH_TOKEN", "", required=twilio_required),
            twilio_from=twilio_from,
            twilio_messaging_service_sid=messaging_sid,
            twilio_api_base_url=env.text("TWILIO_API_BASE_URL", "").rstrip("/"),
            twilio_timeout_seconds=env.number("TWILIO_TIMEOUT_SECONDS", 10.0, minimum=0.1),
            request_budget_seconds=env.number("PUFA_REQUEST_BUDGET_SECONDS", 10.0, minimum=0.1),
            quiet_hours=env.quiet_hours("PUFA_QUIET_HOURS", "21:30-07:30"),
            plan_horizon_hours=env.integer("PUFA_PLAN_HORIZON_HOURS", 48, minimum=1),
            sms_concurrency=env.integer("PUFA_SMS_CONCURRENCY", 8, minimum=1),
            sms_rate_per_second=env.number("PUFA_SMS_RATE_PER_SECOND", 0.0, minimum=0.0),
            sending_grace_minutes=env.integer("PUFA_SENDING_GRACE_MINUTES", 30, minimum=1),
            log_level=env.choice("PUFA_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")),
            default_rules_file=env.readable_file("PUFA_DEFAULT_RULES"),
        )


class _Env:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def text(self, name: str, default: str, *, required: bool = False) -> str:
        value = self._environ.get(name, "").strip()
        if not value:
            if required:
                raise SettingsError(f"{name} must be set")
            return default
        return value

    def readable_file(self, name: str) -> str:
        """A path to an existing file, or "" when unset."""
        value = self.text(name, "")
        if value and not Path(value).is_file():
            raise SettingsError(f"{name} must name a readable file, got {value!r}")
        return value

    def integer(self, name: str, default: int, *, minimum: int) -> int:
        raw = self.text(name, str(default))
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
        if value < minimum:
            raise SettingsError(f"{name} must be at least {minimum}, got {value}")
        return value

    def number(self, name: str, default: float, *, minimum: float) -> float:
        raw = self.text(name, str(default))
        try:
            value = float(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a number, got {raw!r}") from None
        if value < minimum:
            raise SettingsError(f"{name} must be at least {minimum}, got {value}")
        return value

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.text(name, default)
        if value not in choices:
            raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
        return value

    def timezone(self, name: str, default: str) -> str:
        value = self.text(name, default)
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(f"{name} is not an IANA timezone: {value!r}") from None
        return value

    def database_url(self, name: str, default: str) -> str:
        value = self.text(name, default)
        try:
            url = make_url(value)
        except ArgumentError:
            raise SettingsError(f"{name} is not a database URL: {_redact(value)!r}") from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise SettingsError(
                f"{name} must be a sqlite:// or postgresql+psycopg:// URL, "
                f"got {url.get_backend_name()!r}"
            )
        if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
            value = url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        return value

    def quiet_hours(self, name: str, default: str) -> QuietHours:
        raw = self.text(name, default)
        try:
            start, end = (time.fromisoformat(part.strip()) for part in raw.split("-"))
        except ValueError:
            raise SettingsError(f"{name} must look like 21:30-07:30, got {raw!r}") from None
        return QuietHours(start, end)

    def secret_list(self, name: str, production: bool) -> tuple[str, ...]:
        """Comma-separated secrets (old keys during a rotation); each as strong as a key."""
        values = tuple(v.strip() for v in self.text(name, "").split(",") if v.strip())
        if production and any(len(v) < 32 for v in values):
            raise SettingsError(f"each key in {name} must be at least 32 characters")
        return values

    def networks(self, name: str, default: str) -> tuple[str, ...]:
        """Comma-separated addresses or networks (CIDR)."""
        raw = self.text(name, default)
        values = tuple(v.strip() for v in raw.split(",") if v.strip())
        for value in values:
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise SettingsError(f"{name}: {value!r} is not an address or network") from None
        return values

    def secret(self, name: str, production: bool, instance_dir: Path) -> str:
        value = self.text(name, "")
        if value:
            if production and len(value) < 32:
                raise SettingsError(f"{name} must be at least 32 characters in production")
            return value
        if production:
            raise SettingsError(f"{name} must be set in production (PUFA_ENV=production)")
        # Development only: one random secret, generated once and kept with the data.
        path = instance_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        instance_dir.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        path.write_text(value)
        path.chmod(0o600)
        return value


def _redact(url: str) -> str:
    head, sep, tail = url.rpartition("@")
    return f"{head.split(':')[0]}:***@{tail}" if sep else url
