"""The ledger (台账) export from the console."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient

from service.context import Pufa
from service.models import Department, Person, Schedule, utcnow
from tests.support.web import sign_in


def _lecture(state: Pufa) -> None:
    with state.db.transaction() as session:
        office = Department(name="司法所")
        session.add(Person(name="王芳", mobile="+8613900008000", departments=[office]))
        session.add(
            Schedule(
                kind="lecture",
                title="机关职工每周一讲",
                starts_at=utcnow() + timedelta(days=3),
                rrule="FREQ=WEEKLY",
                departments=[office],
            )
        )


def test_the_ledger_downloads_as_xlsx_and_csv(client: FlaskClient, pufa_state: Pufa) -> None:
    _lecture(pufa_state)
    sign_in(client, pufa_state)
    today = utcnow().date()
    span = f"from={today.isoformat()}&to={(today + timedelta(days=30)).isoformat()}"
    xlsx = client.get(f"/admin/ledger/?{span}")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    csv = client.get(f"/admin/ledger/?{span}&format=csv")
    assert csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert csv.status_code == 200 and "attachment" in csv.headers["Content-Disposition"]


def test_a_backwards_ledger_range_is_flagged_on_the_field(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    sign_in(client, pufa_state)
    response = client.get("/admin/ledger/?from=2026-05-01&to=2026-04-01")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="to-error"' in html and "结束日期不能早于开始日期" in html
    assert 'value="2026-05-01"' in html


def test_dates_out_of_range_or_malformed_are_flagged_in_chinese(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    sign_in(client, pufa_state)
    far = client.get("/admin/ledger/?from=9999-12-31&to=9999-12-31")
    assert far.status_code == 400
    assert 'id="from-error">年份须在 1970 到 2200 之间。' in far.get_data(as_text=True)
    garbled = client.get("/admin/ledger/?from=2026-13-01&to=2026-12-31")
    assert garbled.status_code == 400
    assert 'id="from-error">请输入有效日期，例如 2026-03-08。' in garbled.get_data(as_text=True)


def test_a_range_over_a_year_is_explained_in_chinese(client: FlaskClient, pufa_state: Pufa) -> None:
    sign_in(client, pufa_state)
    response = client.get("/admin/ledger/?from=2026-01-01&to=2027-01-02")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "一次最多导出一年" in html and "days after from" not in html
