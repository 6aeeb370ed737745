"""The console's 短信记录 walks the outbox by cursor: 下一页 until the end, every row
once, newest first; the count is exact when cheap, else 超过 N 条."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from service.context import Pufa
from service.domain import deliveries
from service.web.admin import sms
from tests.support.sms_world import World, local, outbox
from tests.support.web import sign_in

RETRY = re.compile(r"/admin/sms/deliveries/(\d+)/retry")
NEXT = re.compile(r'<a href="([^"]+)">下一页</a>')


def _failed(state: Pufa, count: int) -> list[int]:
    """``count`` failed rows (each shows its retry form), two or three per ``due_at``."""
    with state.db.sessions() as session:
        rows = outbox(World(session), count, local(2026, 12, 6, 15), local(2026, 12, 7, 16))
        for i, row in enumerate(rows):
            row.status = "failed"
            row.due_at = local(2026, 12, 6, 15) - timedelta(hours=i % 3)
        session.commit()
        ordered = sorted(rows, key=lambda r: (r.due_at, r.id), reverse=True)
        return [row.id for row in ordered]


def test_next_pages_walk_every_row_once(
    client: FlaskClient, pufa_state: Pufa, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _failed(pufa_state, 7)
    monkeypatch.setattr(sms, "PER_PAGE", 3)
    sign_in(client, pufa_state)

    seen, pages, url = [], [], "/admin/sms/deliveries?status=failed"
    while url:
        page = client.get(url).get_data(as_text=True)
        pages.append(page)
        seen += [int(i) for i in RETRY.findall(page)]
        found = NEXT.search(page)
        url = html.unescape(found.group(1)) if found else ""

    assert seen == expected
    assert len(pages) == 3 and all("共 7 条" in page for page in pages)
    assert "第一页" not in pages[0] and "第一页" in pages[1]
    assert "status=failed" in NEXT.findall(pages[0])[0]  # the filter is kept


def test_a_count_past_the_cap_reads_as_more_than(
    client: FlaskClient, pufa_state: Pufa, monkeypatch: pytest.MonkeyPatch
) -> None:
    _failed(pufa_state, 7)
    monkeypatch.setattr(sms, "PER_PAGE", 3)
    monkeypatch.setattr(deliveries, "MAX_COUNTED", 5)
    sign_in(client, pufa_state)

    page = client.get("/admin/sms/deliveries").get_data(as_text=True)

    assert "超过 5 条" in page


def test_a_bad_cursor_is_flagged_and_the_first_page_shown(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    expected = _failed(pufa_state, 2)
    sign_in(client, pufa_state)

    response = client.get("/admin/sms/deliveries?after=yesterday")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert [int(i) for i in RETRY.findall(page)] == expected
    assert "共 2 条" in page
    assert "翻页位置无效" in page
