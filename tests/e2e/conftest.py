"""Browser tests: the real app on a loopback port, Debian's Chromium driven by Playwright.

Each test gets a fresh copy of a seeded database and a fresh browser context (its own
IndexedDB and service worker); the PWA is built once per session into a temporary folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.live import PHONE, LiveServer, build_pwa, copy_database, launch_chromium, seeded_database
from tests.e2e.phone import SCREENSHOTS, Phone


@pytest.fixture(scope="session")
def pwa_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("pwa") / "dist"
    build_pwa(dist)
    return dist


@pytest.fixture(scope="session")
def pwa_dist_update(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same sources built under another name: a new version of the app and its worker."""
    dist = tmp_path_factory.mktemp("pwa-update") / "dist"
    build_pwa(dist, tag="e2e-update")
    return dist


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_database(tmp_path_factory.mktemp("e2e-db") / "template.sqlite")


@pytest.fixture
def live_server(demo_database: Path, pwa_dist: Path, tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(copy_database(demo_database, tmp_path / "e2e.sqlite"), pwa_dist)
    yield server
    server.stop()


# Package scope, not session: only one sync Playwright may run at a time in a process, and
# other browser-test packages (tests/e2e_office) start their own; ours ends with this package.
@pytest.fixture(scope="package")
def playwright_instance() -> Iterator[object]:
    from playwright.sync_api import expect, sync_playwright

    # The machine may be busy (two cores, other suites): wait longer than the default 5 s.
    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="package")
def browser(playwright_instance: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    browser = launch_chromium(playwright_instance, tmp_path_factory.mktemp("chromium"))
    yield browser
    browser.close()


@pytest.fixture
def phone_factory(browser: object, live_server: LiveServer) -> Iterator[object]:
    """phone_factory(locale='en-US') -> a Phone: a fresh browser context sized like a phone."""
    contexts = []

    def make(locale: str = "en-US") -> Phone:
        context = browser.new_context(base_url=live_server.url, locale=locale, **PHONE)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return Phone(context, live_server, SCREENSHOTS)

    yield make
    for context in contexts:
        context.close()
