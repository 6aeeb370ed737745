"""The dashboard's SMS card: counts that stop past the cap, the latest changes of every
status that needs a look, merged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from service.context import Pufa
from service.domain import deliveries
from service.models import Delivery, utcnow
from service.web.admin import dashboard
from tests.support.sms_world import World, local, outbox
from tests.support.web import sign_in

LECTURE = local(2026, 12, 7, 16)


def _statuses(state: Pufa, statuses: list[str]) -> list[int]:
    """One row per status, each changed a minute after the one before."""
    with state.db.sessions() as session:
        rows = outbox(World(session), len(statuses), local(2026, 12, 6, 15), LECTURE)
        for minutes, (row, status) in enumerate(zip(rows, statuses, strict=True)):
            row.status = status
            row.updated_at = utcnow() + timedelta(minutes=minutes)
        session.commit()
        return [row.id for row in rows]


def test_a_count_past_the_cap_reads_as_more_than(
    client: FlaskClient, pufa_state: Pufa, monkeypatch: pytest.MonkeyPatch
) -> None:
    _statuses(pufa_state, ["failed"] * 4 + ["unknown"] * 3)
    monkeypatch.setattr(deliveries, "MAX_COUNTED", 3)
    monkeypatch.setattr(dashboard, "MAX_COUNTED", 3)
    sign_in(client, pufa_state)

    html = client.get("/admin/").get_data(as_text=True)

    assert '<a href="/admin/sms/deliveries?status=failed">发送失败：超过 3 条</a>' in html
    assert '<a href="/admin/sms/deliveries?status=unknown">状态不明：3 条</a>' in html


def test_the_latest_that_need_a_look_are_merged_across_statuses(pufa_state: Pufa) -> None:
    ids = _statuses(pufa_state, ["failed", "unknown", "delivered", "undelivered", "failed"])

    with pufa_state.db.sessions() as session:
        latest = dashboard.latest_of(session, dashboard.NEEDS_ATTENTION, 3)
        names = dashboard.person_names(session, {latest[0].person_id})

    assert [row.id for row in latest] == [ids[4], ids[3], ids[1]]
    assert all(isinstance(row, Delivery) for row in latest)
    assert list(names.values()) == ["周伟"]
