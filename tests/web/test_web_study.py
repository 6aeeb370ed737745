"""Study plans in the console: plans, items and progress."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from service.context import Pufa
from service.models import Person, StudyConfirmation, StudyItem, StudyPlan
from tests.support.web import post_form, sign_in


def test_a_plan_and_an_item_then_progress_counts_a_confirmation(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    with pufa_state.db.transaction() as session:
        session.add_all([Person(name="王芳"), Person(name="李强")])
    sign_in(client, pufa_state)
    response = post_form(
        client, "/admin/study/", "/admin/study/", {"year": "2027", "title": "2027年度学法计划"}
    )
    assert response.status_code == 302
    plan_page = response.headers["Location"]
    response = post_form(
        client,
        plan_page,
        plan_page + "/items",
        {"title": "民法典", "due_on": "2027-06-30", "is_for_everyone": "1"},
    )
    assert response.status_code == 302
    with pufa_state.db.transaction() as session:
        item = session.scalars(select(StudyItem)).one()
        wang = session.scalars(select(Person).where(Person.name == "王芳")).one()
        session.add(StudyConfirmation(item_id=item.id, person_id=wang.id))
    html = client.get(plan_page).get_data(as_text=True)
    assert "民法典" in html and "1 / 2" in html and "50%" in html
    assert "未分配站所" in html  # neither belongs to a 站所


def test_the_new_plan_form_proposes_the_first_year_without_a_plan(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    from service.models import utcnow

    year = utcnow().astimezone(pufa_state.settings.zone).year
    with pufa_state.db.transaction() as session:
        session.add_all(
            [StudyPlan(year=year, title="今年"), StudyPlan(year=year + 1, title="明年")]
        )
    sign_in(client, pufa_state)
    html = client.get("/admin/study/").get_data(as_text=True)
    assert f'value="{year + 2}"' in html


def test_a_duplicate_plan_year_is_refused_on_the_year_field(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    with pufa_state.db.transaction() as session:
        session.add(StudyPlan(year=2027, title="已有"))
    sign_in(client, pufa_state)
    response = post_form(
        client, "/admin/study/", "/admin/study/", {"year": "2027", "title": "重复"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="year-error"' in html and 'value="重复"' in html


def test_an_item_without_a_deadline_is_flagged(client: FlaskClient, pufa_state: Pufa) -> None:
    with pufa_state.db.transaction() as session:
        plan = StudyPlan(year=2027, title="计划")
        session.add(plan)
        session.flush()
        plan_id = plan.id
    sign_in(client, pufa_state)
    page = f"/admin/study/{plan_id}"
    response = post_form(client, page, page + "/items", {"title": "宪法", "due_on": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="due_on-error"' in html and 'value="宪法"' in html
