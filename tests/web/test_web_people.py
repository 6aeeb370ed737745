"""People and departments in the console: the API's rules, shown next to the field."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from service.context import Pufa
from service.models import AuditEntry, Department, Person
from tests.support.web import post_form, sign_in


def _department(state: Pufa, name: str = "司法所") -> int:
    with state.db.transaction() as session:
        department = Department(name=name)
        session.add(department)
        session.flush()
        return department.id


def test_adding_a_person_stores_the_mobile_in_e164_and_audits_it(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    sign_in(client, pufa_state)
    office = _department(pufa_state)
    response = post_form(
        client,
        "/admin/people/new",
        "/admin/people/new",
        {
            "name": "李强",
            "mobile": "139 0000 8000",
            "role": "staff",
            "department_ids": [str(office)],
            "is_sms_enabled": "1",
            "is_active": "1",
        },
    )
    assert response.status_code == 302
    with pufa_state.db.sessions() as session:
        person = session.scalars(select(Person)).one()
        assert person.mobile == "+8613900008000"
        assert [d.id for d in person.departments] == [office]
        entry = session.scalars(select(AuditEntry)).one()
        assert entry.actor == "web:fazhiban" and entry.resource == "person"


def test_a_bad_mobile_is_flagged_next_to_the_field_and_the_input_kept(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    sign_in(client, pufa_state)
    response = post_form(
        client,
        "/admin/people/new",
        "/admin/people/new",
        {"name": "李强", "mobile": "12345", "role": "staff", "is_active": "1"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="mobile-error"' in html and "请输入有效的手机号码" in html
    assert 'value="12345"' in html and 'value="李强"' in html
    with pufa_state.db.sessions() as session:
        assert session.scalars(select(Person)).all() == []


def test_an_empty_name_is_required(client: FlaskClient, pufa_state: Pufa) -> None:
    sign_in(client, pufa_state)
    response = post_form(
        client, "/admin/people/new", "/admin/people/new", {"name": " ", "role": "staff"}
    )
    assert response.status_code == 400
    assert 'id="name-error"' in response.get_data(as_text=True)


def test_a_mobile_already_in_use_is_refused_on_its_field(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    with pufa_state.db.transaction() as session:
        session.add(Person(name="王芳", mobile="+8613900008000"))
    sign_in(client, pufa_state)
    response = post_form(
        client,
        "/admin/people/new",
        "/admin/people/new",
        {"name": "李强", "mobile": "13900008000", "role": "staff", "is_active": "1"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="mobile-error"' in html and "已被其他人使用" in html


def test_editing_a_person_keeps_their_departments_and_bumps_the_version(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    office = _department(pufa_state)
    with pufa_state.db.transaction() as session:
        person = Person(name="王芳", mobile="+8613900008000")
        person.departments = [session.get_one(Department, office)]
        session.add(person)
        session.flush()
        person_id = person.id
    sign_in(client, pufa_state)
    page = f"/admin/people/{person_id}"
    form = client.get(page).get_data(as_text=True)
    assert 'value="王芳"' in form and "checked" in form
    response = post_form(
        client,
        page,
        page,
        {
            "name": "王芳芳",
            "mobile": "+8613900008000",
            "role": "head",
            "department_ids": [str(office)],
            "is_active": "1",
            "version": "1",
        },
    )
    assert response.status_code == 302
    with pufa_state.db.sessions() as session:
        edited = session.get(Person, person_id)
        assert edited is not None and edited.name == "王芳芳" and edited.role == "head"
        assert edited.is_sms_enabled is False  # the box was left unticked


def test_a_stale_edit_is_refused_with_a_clear_message(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    with pufa_state.db.transaction() as session:
        person = Person(name="王芳")
        session.add(person)
        session.flush()
        person_id = person.id
    sign_in(client, pufa_state)
    page = f"/admin/people/{person_id}"
    response = post_form(
        client, page, page, {"name": "新名字", "role": "staff", "is_active": "1", "version": "7"}
    )
    assert response.status_code == 400
    assert "刚被别人修改过" in response.get_data(as_text=True)


def test_departments_are_created_and_duplicates_refused(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    sign_in(client, pufa_state)
    page = "/admin/people/departments/new"
    assert post_form(client, page, page, {"name": "妇联"}).status_code == 302
    again = post_form(client, page, page, {"name": "妇联"})
    assert again.status_code == 400
    assert 'id="name-error"' in again.get_data(as_text=True)


def test_an_unknown_person_is_a_friendly_404(client: FlaskClient, pufa_state: Pufa) -> None:
    sign_in(client, pufa_state)
    response = client.get("/admin/people/999")
    assert response.status_code == 404
    assert "找不到这个页面" in response.get_data(as_text=True)
