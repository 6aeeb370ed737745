from pathlib import Path

import pytest

from service.settings import Settings, SettingsError


def env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"PUFA_INSTANCE_DIR": str(tmp_path / "instance"), **values}


def test_defaults_need_no_environment(tmp_path: Path) -> None:
    settings = Settings.from_env(env(tmp_path))
    assert settings.env == "development"
    assert settings.database_url == f"sqlite:///{tmp_path / 'instance' / 'pufa.sqlite3'}"
    assert settings.timezone == "Asia/Shanghai"
    assert settings.sms_backend == "console"
    assert settings.plan_horizon_hours == 48
    assert str(settings.quiet_hours.start) == "21:30:00"


def test_development_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = Settings.from_env(env(tmp_path)).secret_key
    second = Settings.from_env(env(tmp_path)).secret_key
    assert len(first) >= 32
    assert first == second
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"PUFA_TIMEZONE": "Mars/Olympus"}, "PUFA_TIMEZONE"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL"),
        ({"SMS_BACKEND": "pigeon"}, "SMS_BACKEND"),
        ({"PUFA_ENV": "staging"}, "PUFA_ENV"),
        ({"PUFA_PLAN_HORIZON_HOURS": "two days"}, "PUFA_PLAN_HORIZON_HOURS"),
        ({"PUFA_QUIET_HOURS": "late"}, "PUFA_QUIET_HOURS"),
        ({"PUFA_SMS_RATE_PER_SECOND": "-1"}, "PUFA_SMS_RATE_PER_SECOND"),
    ],
)
def test_bad_settings_stop_start_up_naming_the_variable(
    tmp_path: Path, values: dict[str, str], named: str
) -> None:
    with pytest.raises(SettingsError, match=named):
        Settings.from_env(env(tmp_path, **values))


def test_production_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="SECRET_KEY must be set in production"):
        Settings.from_env(env(tmp_path, PUFA_ENV="production"))
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_twilio_backend_requires_its_credentials(tmp_path: Path) -> None:
    base = env(tmp_path, SMS_BACKEND="twilio", TWILIO_FROM="+15005550006")
    with pytest.raises(SettingsError, match="TWILIO_ACCOUNT_SID"):
        Settings.from_env(base)
    with pytest.raises(SettingsError, match="TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID"):
        Settings.from_env(
            env(tmp_path, SMS_BACKEND="twilio", TWILIO_ACCOUNT_SID="AC1", TWILIO_AUTH_TOKEN="x")
        )
    ok = Settings.from_env({**base, "TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t"})
    assert ok.sms_backend == "twilio"


def test_plain_postgresql_url_uses_psycopg3(tmp_path: Path) -> None:
    settings = Settings.from_env(env(tmp_path, DATABASE_URL="postgresql://u:p@db/pufa"))
    assert settings.database_url == "postgresql+psycopg://u:p@db/pufa"


def test_quiet_hours_wrap_midnight(tmp_path: Path) -> None:
    from datetime import time

    quiet = Settings.from_env(env(tmp_path)).quiet_hours
    assert quiet.contains(time(23, 0))
    assert quiet.contains(time(6, 59))
    assert not quiet.contains(time(7, 30))
    assert not quiet.contains(time(12, 0))
