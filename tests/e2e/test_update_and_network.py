"""The outbox against the two ways a day goes wrong: a new version of the app arrives while
work is waiting, and the network drops in the middle of a push."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import Route, expect

from tests.e2e.live import PHONE, chromium_options
from tests.e2e.phone import SCREENSHOTS, Phone

pytestmark = pytest.mark.e2e


def record_some_work_offline(phone) -> str:
    """On my way, arrived, a capacitor from the van and a fee; returns the part's line id."""
    page = phone.page
    phone.offline()
    phone.open_job("刘女士")
    page.get_by_role("button", name="On my way").click()
    page.get_by_role("button", name="Arrived").click()
    expect(page.locator("#visit-arrive")).to_be_disabled()
    phone.tab("Parts")
    page.get_by_label("Search the catalog").fill("CAP-35")
    page.locator("#part-pick-CAP-35UF").click()
    page.get_by_label("Paid by the customer").check()
    page.get_by_role("button", name="Add part").click()
    expect(page.locator(".part-line")).to_have_count(1)
    phone.tab("Fees & quote")
    page.get_by_role("button", name="+ Capacitor replacement labour").click()
    expect(page.locator(".fee-line")).to_have_count(1)
    return next(e["args"]["line_id"] for e in phone.outbox() if e["name"] == "part.use")


def test_an_update_of_the_app_while_the_outbox_holds_work_loses_nothing(
        phone_factory, live_server, pwa_dist_update):
    warehouse = live_server.office("warehouse")
    van_before = warehouse.van("tech1")["CAP-35UF"]
    phone = phone_factory("en-US")
    page = phone.page
    phone.login("tech1")
    old_build = page.evaluate("document.documentElement.dataset.build")
    ticket_id = phone.ticket_id_of("刘女士")
    record_some_work_offline(phone)
    assert len(phone.outbox()) == 4

    # Pushes fail for now (the outbox keeps its work while online), and the server has a
    # new version of the app.
    phone.context.route("**/api/sync/push", lambda route: route.abort())
    live_server.use_dist(pwa_dist_update)
    phone.offline(False)

    # A customer is signing: no update offer while the pad holds strokes.
    phone.tab("Complete")
    phone.sign(".complete canvas")
    page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
    page.wait_for_function("navigator.serviceWorker.getRegistration().then((r) => r.waiting !== null)")
    page.wait_for_timeout(1500)
    expect(page.get_by_text("A new version is ready.")).to_be_hidden()
    page.get_by_role("button", name="Clear").click()
    expect(page.get_by_text("A new version is ready.")).to_be_visible(timeout=5000)
    phone.check_screen("10-update-offer")
    assert len(phone.outbox()) == 4

    page.get_by_role("button", name="Update now").click()
    page.wait_for_function("document.documentElement.dataset.build === 'e2e-update'", timeout=15_000)
    assert old_build != "e2e-update"
    worker_build = page.evaluate("""() => new Promise((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = (event) => resolve(event.data.build);
        navigator.serviceWorker.controller.postMessage({type: 'GET_VERSION'}, [channel.port2]);
    })""")
    assert worker_build == "e2e-update"
    # The outbox survived the update, untouched.
    outbox = phone.outbox()
    assert [(e["seq"], e["name"], e["status"]) for e in outbox] == [
        (1, "visit.depart", "pending"), (2, "visit.arrive", "pending"), (3, "part.use", "pending"),
        (4, "fee.set", "pending")]

    # Pushes get through again: everything arrives once.
    phone.context.unroute("**/api/sync/push")
    phone.sync_screen()
    page.get_by_role("button", name="Sync now").click()
    phone.wait_until_synced()
    expect(page.locator("#all-synced")).to_be_visible()
    ticket = live_server.office().ticket(ticket_id)
    assert [(p["sku"], p["charge"]) for p in ticket["parts"]] == [("CAP-35UF", "paid")]
    assert [f["item_code"] for f in ticket["fees"]] == ["labour.capacitor"]
    assert any(v["arrived_at"] for v in ticket["visits"])
    assert warehouse.van("tech1")["CAP-35UF"] == van_before - 1
    assert phone.errors == []


def test_the_network_cut_in_the_middle_of_a_push_causes_no_doubles(phone_factory, live_server):
    warehouse = live_server.office("warehouse")
    van_before = warehouse.van("tech1")["CAP-35UF"]
    phone = phone_factory("en-US")
    page = phone.page
    phone.login("tech1")
    ticket_id = phone.ticket_id_of("刘女士")
    line_id = record_some_work_offline(phone)
    page.get_by_role("button", name="+ Home inspection").click()
    expect(page.locator(".fee-line")).to_have_count(2)
    sent = phone.outbox()
    assert len(sent) == 5

    # The first push reaches the server and is applied, but its answer never comes back;
    # later pushes go through, and their answers are kept for a look.
    pushes: list[dict] = []

    def cut_first_answer(route: Route) -> None:
        response = route.fetch()
        pushes.append({"status": response.status, "body": json.loads(response.text())})
        if len(pushes) == 1:
            route.abort("connectionreset")
        else:
            route.fulfill(response=response)

    phone.context.route("**/api/sync/push", cut_first_answer)
    phone.offline(False)
    page.wait_for_function("() => document.querySelector('.sync-badge').dataset.syncing === '0'")
    page.wait_for_timeout(300)
    assert len(pushes) >= 1 and pushes[0]["status"] == 200
    assert {r["status"] for r in pushes[0]["body"]["results"]} == {"applied"}

    # The phone did not hear it: its outbox still holds the five (unless a pull already
    # settled them through device_last_seq), and resuming sends nothing twice.
    phone.sync_screen()
    page.get_by_role("button", name="Sync now").click()
    phone.wait_until_synced()
    expect(page.locator("#all-synced")).to_be_visible()
    assert phone.outbox() == []
    print([[r["status"] for r in push["body"]["results"]] for push in pushes])
    # Resent: the server recognised every mutation and applied none again.
    assert len(pushes) == 2
    assert [r["status"] for r in pushes[1]["body"]["results"]] == ["duplicate"] * 5

    ticket = live_server.office().ticket(ticket_id)
    assert [p["line_id"] for p in ticket["parts"]] == [line_id]
    assert sorted(f["item_code"] for f in ticket["fees"]) == ["inspect", "labour.capacitor"]
    assert len([e for e in ticket["timeline"] if e["action"] == "part.use"]) == 1
    assert warehouse.van("tech1")["CAP-35UF"] == van_before - 1
    assert phone.errors == []


def test_a_mutation_the_server_refuses_is_shown_with_its_message_and_never_dropped(
        phone_factory, live_server):
    phone = phone_factory("en-US")
    page = phone.page
    phone.login("tech1")
    ticket_id = phone.ticket_id_of("刘女士")
    phone.offline()
    phone.open_job("刘女士")
    page.get_by_role("button", name="Arrived").click()
    phone.queue_as_another_app_version("rating.record", ticket_id, {"score": 9})
    phone.offline(False)
    phone.sync_screen()
    page.get_by_role("button", name="Sync now").click()
    phone.wait_until_synced()

    refused = page.locator("#rejected-list li")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text("Rating")
    expect(refused).to_contain_text("Not accepted by the server: Invalid arguments")
    expect(page.locator("#all-synced")).to_be_visible()  # nothing waits: the office has it for review
    phone.check_screen("17-sync-rejected")
    page.reload()  # settled by the pull, kept to be read until dismissed
    expect(page.locator("#rejected-list li")).to_have_count(1)
    page.locator("#rejected-list").get_by_role("button", name="Dismiss").click()
    expect(page.locator("#rejected-list")).to_have_count(0)
    ticket = live_server.office().ticket(ticket_id)
    assert ticket["rating"] is None and any(v["arrived_at"] for v in ticket["visits"])
    assert phone.errors == []


def test_the_outbox_survives_closing_and_reopening_the_browser(playwright_instance, live_server, tmp_path):
    profile = tmp_path / "profile"  # the phone's browser profile, kept between the two runs

    def open_browser(offline: bool = False) -> Phone:
        context = playwright_instance.chromium.launch_persistent_context(
            str(profile), base_url=live_server.url, locale="en-US", offline=offline, **PHONE,
            **chromium_options(tmp_path / "chromium-files"))
        context.set_default_timeout(10_000)
        return Phone(context, live_server, SCREENSHOTS)

    phone = open_browser()
    phone.login("tech1")
    ticket_id = phone.ticket_id_of("刘女士")
    # Online, but every push fails: the work stays in the outbox. (Recorded offline, it
    # would also be sent by Background Sync as soon as the browser starts again: the next
    # test is about that.)
    phone.context.route("**/api/sync/push", lambda route: route.abort())
    phone.open_job("刘女士")
    phone.page.get_by_role("button", name="On my way").click()
    phone.page.get_by_role("button", name="Arrived").click()
    expect(phone.page.locator("#visit-arrive")).to_be_disabled()
    assert len(phone.outbox()) == 2
    phone.context.close()  # the browser is closed (battery, a restart...)

    # Reopened without a network, at the job's own address.
    phone = open_browser(offline=True)
    phone.page.goto(f"/app/job/{ticket_id}")
    expect(phone.page.locator("#visit-arrive")).to_be_disabled()
    assert [e["name"] for e in phone.outbox()] == ["visit.depart", "visit.arrive"]
    phone.offline(False)
    phone.wait_until_synced()
    ticket = live_server.office().ticket(ticket_id)
    assert any(v["departed_at"] and v["arrived_at"] for v in ticket["visits"])
    phone.context.close()


def test_background_sync_sends_the_outbox_from_the_worker_with_the_app_closed(
        playwright_instance, live_server, tmp_path):
    def open_browser() -> Phone:
        context = playwright_instance.chromium.launch_persistent_context(
            str(tmp_path / "profile"), base_url=live_server.url, locale="en-US", **PHONE,
            **chromium_options(tmp_path / "chromium-files"))
        context.set_default_timeout(10_000)
        return Phone(context, live_server, SCREENSHOTS)

    phone = open_browser()
    phone.login("tech1")
    ticket_id = phone.ticket_id_of("刘女士")
    phone.offline()
    phone.open_job("刘女士")
    phone.tab("Complete")
    phone.page.get_by_label("4 of 5").check()
    phone.page.get_by_role("button", name="Save rating").click()
    expect(phone.page.locator("#rating-done")).to_be_visible()
    assert [e["name"] for e in phone.outbox()] == ["rating.record"]
    phone.context.close()

    # The browser comes back with a network, the app is not opened: the worker's 'sync'
    # event (registered when the rating was recorded offline) sends the outbox.
    phone = open_browser()
    office = live_server.office()
    deadline = time.monotonic() + 30
    while office.ticket(ticket_id)["rating"] is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert office.ticket(ticket_id)["rating"] == {"score": 4, "comment": None}
    phone.page.goto("/app/sync")
    expect(phone.page.locator("#all-synced")).to_be_visible()
    phone.context.close()
