"""Rotating SECRET_KEY: links and sessions made under the old key keep working while it
is listed in PUFA_OLD_SECRET_KEYS, and stop when it is dropped."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from service.app import create_app
from service.context import Pufa
from service.feeds.tokens import current_token, issue_token
from service.models import Person
from service.settings import Settings, SettingsError
from service.web.page_tokens import issue_page_token
from tests.support.database import TEST_SECRET
from tests.support.web import sign_in

NEW_KEY = "the-new-secret-key-after-rotation-0123456789"


@pytest.fixture
def rotated(settings: Settings) -> Iterator[Flask]:
    app = create_app(replace(settings, secret_key=NEW_KEY, secret_key_fallbacks=(TEST_SECRET,)))
    app.config["TESTING"] = True
    yield app
    app.extensions["pufa"].db.dispose()


@pytest.fixture
def finished(settings: Settings) -> Iterator[Flask]:
    app = create_app(replace(settings, secret_key=NEW_KEY))
    app.config["TESTING"] = True
    yield app
    app.extensions["pufa"].db.dispose()


def links(session: Session) -> tuple[str, str]:
    person = Person(name="孙丽", mobile="+8613900008000")
    session.add(person)
    session.flush()
    page = issue_page_token(session, person, TEST_SECRET)
    feed = issue_token(session, TEST_SECRET, person)
    session.commit()
    return page, feed


def test_during_a_rotation_old_feed_and_page_links_still_open(
    app: Flask, rotated: Flask, session: Session
) -> None:
    page, feed = links(session)
    client = rotated.test_client()
    assert client.get(f"/calendar/{feed}.ics").status_code == 200
    assert client.get(f"/me/{page}").status_code == 200
    # The staff page shows the feed URL it has, not a new one.
    assert feed in client.get(f"/me/{page}").get_data(as_text=True)
    person = session.get(Person, 1)
    assert person is not None
    assert current_token(NEW_KEY, person, (TEST_SECRET,)) == feed


def test_after_the_rotation_old_links_stop_and_reissued_ones_work(
    app: Flask, finished: Flask, session: Session
) -> None:
    page, feed = links(session)
    client = finished.test_client()
    assert client.get(f"/calendar/{feed}.ics").status_code == 404
    assert client.get(f"/me/{page}").status_code == 404
    person = session.get(Person, 1)
    assert person is not None
    new_feed = issue_token(session, NEW_KEY, person)
    session.commit()
    assert client.get(f"/calendar/{new_feed}.ics").status_code == 200


def test_a_console_session_survives_a_rotation_only_while_the_old_key_is_listed(
    app: Flask, rotated: Flask, finished: Flask, pufa_state: Pufa
) -> None:
    old = app.test_client()
    sign_in(old, pufa_state)
    cookie = old.get_cookie("session")
    assert cookie is not None
    during, after = rotated.test_client(), finished.test_client()
    during.set_cookie("session", cookie.value)
    after.set_cookie("session", cookie.value)
    assert during.get("/admin/").status_code == 200
    assert after.get("/admin/").status_code == 302


def test_old_keys_must_be_as_strong_as_the_key_in_production(tmp_path: object) -> None:
    environ = {
        "PUFA_ENV": "production",
        "SECRET_KEY": NEW_KEY,
        "PUFA_OLD_SECRET_KEYS": f"{TEST_SECRET}, short",
        "PUFA_INSTANCE_DIR": str(tmp_path),
    }
    with pytest.raises(SettingsError, match="PUFA_OLD_SECRET_KEYS"):
        Settings.from_env(environ)
    environ["PUFA_OLD_SECRET_KEYS"] = f"{TEST_SECRET}, {'o' * 40}"
    assert Settings.from_env(environ).secret_key_fallbacks == (TEST_SECRET, "o" * 40)


def test_trusted_proxies_must_be_addresses(tmp_path: object) -> None:
    environ = {"PUFA_TRUSTED_PROXIES": "10.0.0.0/8, nginx", "PUFA_INSTANCE_DIR": str(tmp_path)}
    with pytest.raises(SettingsError, match="PUFA_TRUSTED_PROXIES"):
        Settings.from_env(environ)
