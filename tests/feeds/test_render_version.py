"""A feed rendered differently gets a new ``RENDER_VERSION``, so no client keeps old
output behind a 304 (see the note in ``service/feeds/fast/__init__.py``).

``PINS`` holds, for each render version, a fingerprint of the rendering code and the
bytes of fixed feeds. Changing either without a new version fails here, and the failure
says what to change.
"""

from __future__ import annotations

import ast
import hashlib
from datetime import datetime
from typing import NamedTuple

import pytest

from service.context import Pufa
from service.feeds import validators
from service.feeds.content import FeedOwner, OwnerKind, load_content
from service.feeds.fast import RENDER_VERSION
from service.feeds.fast.blocks import block_key
from service.feeds.render import render_feed
from service.settings import Settings
from tests.support import ROOT
from tests.support.feeds import NOW, department, person, seed_demo


class Pin(NamedTuple):
    code: str  # rendering_code_fingerprint()
    feeds: str  # fixed_feeds_fingerprint()


# One line per render version, never edited once released: a new version is a new line.
PINS = {
    2: Pin(code="779f7111cc7f6411", feeds="059822439bf8a3be"),
    # VTIMEZONE written from zoneinfo with yearly observances; all-day EXDATE as a DATE.
    3: Pin(code="b1b4cc74535ca895", feeds="4d772c774aa70bff"),
    # Alarms of all-day events at the reminder's time of day (09:00), not midnight.
    4: Pin(code="55639186b2a46b36", feeds="6d6e2ab7db19aace"),
}
FEEDS = ROOT / "service" / "feeds"
# What decides a feed's bytes, given the rows: comments, docstrings and layout aside.
RENDERING_CODE = (
    "content.py",
    "series.py",
    "render.py",
    "texts.py",
    "fast/blocks.py",
    "fast/ical_writer.py",
    "fast/vevent.py",
    "vtimezone.py",
)
# A speaker, a member of the audience, a study-plan member, and a department.
OWNERS: tuple[tuple[OwnerKind, str], ...] = (
    ("person", "孙丽"),
    ("person", "王建国"),
    ("person", "郑洁"),
    ("department", "党政办"),
)
HOW_TO_BUMP = (
    "bump RENDER_VERSION in service/feeds/fast/__init__.py (it is in every ETag, so "
    "clients fetch the new output) and add a line for the new version to PINS in "
    "tests/feeds/test_render_version.py: "
)


def rendering_code_fingerprint() -> str:
    digest = hashlib.sha256()
    for name in RENDERING_CODE:
        tree = ast.parse((FEEDS / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and _is_docstring(body[0]):
                body[0] = ast.Pass()
        digest.update(f"{name}\0{_shape(tree)!r}\0".encode())
    return digest.hexdigest()[:16]


def _is_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def _shape(node: object) -> object:
    """The syntax tree as plain values, leaving out empty fields: newer Pythons add
    fields (``type_params``) and ``ast.dump`` changes what it shows, the code does not."""
    if isinstance(node, ast.AST):
        fields = [(name, _shape(getattr(node, name, None))) for name in node._fields]
        return (type(node).__name__, *[(n, v) for n, v in fields if v is not None and v != []])
    if isinstance(node, list):
        return [_shape(item) for item in node]
    return node


def fixed_feeds_fingerprint(state: Pufa, timezone: str, now: datetime) -> str:
    digest = hashlib.sha256()
    with state.db.sessions() as session:
        for kind, name in OWNERS:
            row = person(session, name) if kind == "person" else department(session, name)
            content = load_content(session, FeedOwner(kind, row.id))
            assert content is not None, name
            digest.update(render_feed(content, now, timezone))
    return digest.hexdigest()[:16]


@pytest.mark.usefixtures("feed_day")
def test_feeds_rendered_differently_need_a_new_render_version(
    pufa_state: Pufa, settings: Settings
) -> None:
    seed_demo(pufa_state)
    feeds = fixed_feeds_fingerprint(pufa_state, settings.timezone, NOW)
    pinned = PINS.get(RENDER_VERSION)
    assert pinned is not None, (
        f"RENDER_VERSION {RENDER_VERSION} has no line in PINS: add "
        f'{RENDER_VERSION}: Pin(code="{rendering_code_fingerprint()}", feeds="{feeds}")'
    )
    assert feeds == pinned.feeds, (
        f"The fixed feeds render differently from what RENDER_VERSION {RENDER_VERSION} "
        f"rendered: {HOW_TO_BUMP}"
        f'{RENDER_VERSION + 1}: Pin(code="{rendering_code_fingerprint()}", feeds="{feeds}")'
    )


def test_rendering_code_changed_under_the_same_version_is_a_decision() -> None:
    code = rendering_code_fingerprint()
    pinned = PINS.get(RENDER_VERSION)
    assert pinned is not None, f"RENDER_VERSION {RENDER_VERSION} has no line in PINS"
    assert code == pinned.code, (
        f"The feed rendering code changed (fingerprint {code}). If the change can alter "
        f"the bytes of any feed (not only the fixed feeds this test renders), {HOW_TO_BUMP}"
        f'{RENDER_VERSION + 1}: Pin(code="{code}", feeds=…). If it cannot (a pure '
        f'refactoring), put code="{code}" in the line of version {RENDER_VERSION}.'
    )


def test_each_render_version_pins_its_own_output() -> None:
    feeds = [pin.feeds for pin in PINS.values()]
    assert len(set(feeds)) == len(feeds), "two render versions pin the same feeds"
    assert max(PINS) == RENDER_VERSION, "RENDER_VERSION is behind the newest line of PINS"


def test_the_render_version_is_in_every_etag_and_every_block_key(
    pufa_state: Pufa, feed_day: None
) -> None:
    assert f"pufa-feed-{RENDER_VERSION}" == validators.FORMAT
    seed_demo(pufa_state)
    with pufa_state.db.sessions() as session:
        content = load_content(session, FeedOwner("person", person(session, "孙丽").id))
        assert content is not None
        key = block_key(content, content.schedules[0], NOW, NOW)
    assert isinstance(key, tuple) and key[0] == RENDER_VERSION
