"""Fixtures of the office's browser tests (pytest -m e2e): a live server per test over a
copy of a seeded database, one Chromium per session, a desktop-sized context per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e_office.live import DESKTOP, SCREENSHOTS, LiveServer, launch_chromium, seeded_morning


@pytest.fixture(scope="session")
def morning_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_morning(tmp_path_factory.mktemp("office-db") / "template.sqlite")


@pytest.fixture
def live_server(morning_database: Path, tmp_path: Path) -> Iterator[LiveServer]:
    database = tmp_path / "office.sqlite"
    shutil.copyfile(morning_database, database)
    server = LiveServer(database, VAPID_KEYS_PATH=str(tmp_path / "vapid.json"))
    yield server
    server.stop()


# One sync Playwright per package: tests/e2e has its own, and two in one session clash.
@pytest.fixture(scope="package")
def playwright_instance() -> Iterator[object]:
    from playwright.sync_api import expect, sync_playwright

    # The machine may be busy (two cores, other suites): wait longer than the default 5 s.
    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="package")
def browser(playwright_instance: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    browser = launch_chromium(playwright_instance, tmp_path_factory.mktemp("chromium-office"))
    yield browser
    browser.close()


class Desk:
    """A dispatcher's desktop browser on the live server."""

    def __init__(self, context, server: LiveServer) -> None:
        self.context, self.server = context, server
        self.page = context.new_page()
        self.page.on("dialog", lambda dialog: dialog.accept())  # "assign over capacity?" -> yes

    def login(self, username: str = "dispatcher", password: str = "demo") -> None:
        self.page.goto("/office/login")
        self.page.fill('input[name="username"]', username)
        self.page.fill('input[name="password"]', password)
        self.page.click('button[type="submit"]')
        self.page.wait_for_url("**/office/**")

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"office-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def desk(browser, live_server) -> Iterator[Desk]:
    contexts = []

    def make(locale: str = "zh-CN") -> Desk:
        context = browser.new_context(base_url=live_server.url, locale=locale, **DESKTOP)
        context.set_default_timeout(20_000)
        contexts.append(context)
        return Desk(context, live_server)

    yield make
    for context in contexts:
        context.close()
