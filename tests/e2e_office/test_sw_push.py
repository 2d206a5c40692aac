"""The technician's service worker receives a push (Chromium's DevTools protocol delivers it,
as a push service would): it shows the new job and starts a sync that brings the job in.

Needs /app/sw.js to install pwa/static/src/sw_push.js (installPushHandlers)."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from backend.db import db
from backend.notify.tasks import dispatch_payload
from backend.tickets.models import Ticket
from tests.e2e_office.live import LiveServer, build_pwa

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "timezone_id": "Asia/Shanghai"}


@pytest.fixture(scope="session")
def pwa_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("office-pwa") / "dist"
    build_pwa(dist)
    return dist


@pytest.fixture
def app_server(morning_database: Path, pwa_dist: Path, tmp_path: Path) -> Iterator[LiveServer]:
    database = tmp_path / "push.sqlite"
    shutil.copyfile(morning_database, database)
    server = LiveServer(database, PWA_DIST_DIR=str(pwa_dist))
    yield server
    server.stop()


def eventually(page, check, timeout: float = 30.0):
    """Poll `check`; waiting through the page lets Playwright deliver CDP events meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        page.wait_for_timeout(100)


NOTIFICATIONS = """async () => {
  const registration = await navigator.serviceWorker.ready;
  const shown = await registration.getNotifications();
  return shown.map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data }));
}"""

STORED_TICKET = """(id) => new Promise((resolve) => {
  const open = indexedDB.open('fieldsync');
  open.onsuccess = () => {
    const request = open.result.transaction('tickets').objectStore('tickets').get(id);
    request.onsuccess = () => {
      resolve(request.result ? request.result.server.number : null);
      open.result.close();
    };
    request.onerror = () => { resolve(null); open.result.close(); };
  };
  open.onerror = () => resolve(null);
})"""


def test_a_push_shows_the_new_job_and_starts_a_sync_that_brings_it(browser, app_server):
    server = app_server
    context = browser.new_context(base_url=server.url, locale="zh-CN", **PHONE)
    context.set_default_timeout(30_000)
    context.grant_permissions(["notifications"], origin=server.url)
    try:
        page = context.new_page()
        page.goto("/app/login")
        page.fill('input[name="username"]', "tech3")
        page.fill('input[name="password"]', "demo")
        page.click('button[type="submit"]')
        page.wait_for_url(lambda url: not url.rstrip("/").endswith("/login"))
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.wait_for_function("navigator.serviceWorker.controller !== null")

        cdp = context.new_cdp_session(page)
        registrations: list[dict] = []
        cdp.on("ServiceWorker.workerRegistrationUpdated",
               lambda event: registrations.extend(event["registrations"]))
        cdp.send("ServiceWorker.enable")
        scope = f"{server.url}/app/"
        registration = eventually(page, lambda: next(
            (r for r in registrations if r["scopeURL"] == scope and not r.get("isDeleted")), None))
        assert registration, registrations

        # The office gives tech3 a new job (as the dispatcher's assign does) ...
        office = server.office("dispatcher")
        with server.app.app_context():
            number = db.session.execute(
                db.select(Ticket.number).where(Ticket.status == "new").order_by(Ticket.id)).scalars().first()
            ticket_id = db.session.execute(
                db.select(Ticket.id).where(Ticket.number == number)).scalar_one()
        office.post(f"/api/tickets/{ticket_id}/assign", {"technician": "tech3"})
        with server.app.test_request_context(), force_locale("zh"):
            payload = dispatch_payload(db.session.get(Ticket, ticket_id), ZoneInfo("Asia/Shanghai"))
        assert page.evaluate(STORED_TICKET, ticket_id) is None
        pulls_before = sum(1 for _m, path, _a in server.requests if path == "/api/sync/pull")

        # ... and the push service delivers the message the server sent for it.
        cdp.send("ServiceWorker.deliverPushMessage", {
            "origin": server.url, "registrationId": registration["registrationId"],
            "data": json.dumps(payload, ensure_ascii=False)})

        shown = eventually(page, lambda: page.evaluate(NOTIFICATIONS))
        assert [n["title"] for n in shown] == [payload["title"]], shown
        assert shown[0]["tag"] == f"ticket-{ticket_id}"
        assert shown[0]["body"] == payload["body"] and payload["district"] in shown[0]["body"]
        assert shown[0]["data"]["url"] == f"/app/job/{ticket_id}"
        assert eventually(page, lambda: sum(1 for _m, path, _a in server.requests
                                      if path == "/api/sync/pull") > pulls_before), "no sync started"
        assert eventually(page, lambda: page.evaluate(STORED_TICKET, ticket_id)) == number
    finally:
        context.close()
