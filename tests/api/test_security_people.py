"""People's secrets: viewers see no full mobile; someone deactivated loses their links."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from service.context import Pufa
from service.feeds.tokens import issue_token
from service.models import Person
from service.web.page_tokens import issue_page_token
from tests.support.database import TEST_SECRET

API = "/api/v1"
MOBILE = "+8613900008000"


def add_person(session: Session) -> Person:
    person = Person(name="孙丽", mobile=MOBILE)
    session.add(person)
    session.flush()
    return person


def test_viewers_see_only_the_last_four_digits_of_a_mobile(
    client: FlaskClient,
    session: Session,
    viewer_headers: dict[str, str],
    admin_headers: dict[str, str],
) -> None:
    person = add_person(session)
    session.commit()
    listed = client.get(f"{API}/people", headers=viewer_headers).get_json()
    one = client.get(f"{API}/people/{person.id}", headers=viewer_headers).get_json()
    assert listed["items"][0]["mobile"] == one["mobile"] == "***8000"
    assert MOBILE[3:] not in client.get(f"{API}/people", headers=viewer_headers).get_data(True)
    admin_view = client.get(f"{API}/people/{person.id}", headers=admin_headers).get_json()
    assert admin_view["mobile"] == MOBILE


def test_viewers_cannot_find_a_mobile_digit_by_digit_through_the_search(
    client: FlaskClient,
    session: Session,
    viewer_headers: dict[str, str],
    admin_headers: dict[str, str],
) -> None:
    add_person(session)
    session.commit()
    by_number = client.get(f"{API}/people?q=1390000", headers=viewer_headers).get_json()
    assert by_number["total"] == 0
    by_name = client.get(f"{API}/people?q=孙", headers=viewer_headers).get_json()
    assert by_name["total"] == 1
    assert client.get(f"{API}/people?q=1390000", headers=admin_headers).get_json()["total"] == 1


def test_a_person_without_a_mobile_shows_none_to_viewers(
    client: FlaskClient, session: Session, viewer_headers: dict[str, str]
) -> None:
    session.add(Person(name="何芳"))
    session.commit()
    assert (
        client.get(f"{API}/people", headers=viewer_headers).get_json()["items"][0]["mobile"] is None
    )


def test_deactivating_a_person_revokes_their_page_and_feed_links_for_good(
    client: FlaskClient, session: Session, admin_headers: dict[str, str], pufa_state: Pufa
) -> None:
    person = add_person(session)
    page = issue_page_token(session, person, TEST_SECRET)
    feed = issue_token(session, TEST_SECRET, person)
    session.commit()
    assert client.get(f"/me/{page}").status_code == 200
    assert client.get(f"/calendar/{feed}.ics").status_code == 200

    for active in (False, True):
        version = client.get(f"{API}/people/{person.id}", headers=admin_headers).headers["ETag"]
        answer = client.patch(
            f"{API}/people/{person.id}",
            json={"is_active": active},
            headers={**admin_headers, "If-Match": version},
        )
        assert answer.status_code == 200, answer.get_json()

    assert client.get(f"/me/{page}").status_code == 404
    assert client.get(f"/calendar/{feed}.ics").status_code == 404
    session.expire_all()
    back = session.get(Person, person.id)
    assert back is not None and back.is_active
    assert back.page_token_hash is None and back.feed_token_hash is None
