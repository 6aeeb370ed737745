"""Helpers for the browser tests."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from service.context import Pufa
from tests.support.web import ADMIN_PASSWORD, ADMIN_USERNAME, make_admin

if TYPE_CHECKING:
    from playwright.sync_api import Page

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def shot(page: Page, name: str) -> None:
    """Save a full-page screenshot under tests/artifacts/ (kept by CI, ignored by git)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, state: Pufa, wanted: str = "/admin/") -> None:
    """Sign the admin in through the login form, starting from ``wanted``."""
    make_admin(state)
    page.goto(wanted)
    page.get_by_label("用户名").fill(ADMIN_USERNAME)
    page.get_by_label("密码").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="登录").click()
