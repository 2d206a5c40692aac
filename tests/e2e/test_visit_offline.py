"""A technician loses the network for the whole visit: from arrival to the signature, the
payment and the rating, everything is done offline, survives a reload, and reaches the
server exactly once when the network comes back."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.e2e.phone import camera_png

pytestmark = pytest.mark.e2e


def test_a_whole_visit_done_offline_reaches_the_server_exactly_once(phone_factory, live_server):
    warehouse = live_server.office("warehouse")
    van_before = warehouse.van("tech1")
    phone = phone_factory("en-US")
    page = phone.page
    phone.login("tech1", screenshot="01-login")
    phone.check_screen("02-jobs")
    # Open jobs in schedule order: 刘女士 at 11:00, then 吴女士 at 15:00.
    ticket_id = phone.ticket_id_of("刘女士")
    listed = page.locator(".job-card").evaluate_all("(cards) => cards.map((c) => Number(c.dataset.ticket))")
    assert listed.index(ticket_id) < listed.index(phone.ticket_id_of("吴女士"))
    card = page.locator(f".job-card[data-ticket='{ticket_id}']")
    address = "上海市浦东新区世纪大道 100 号 1201 室"
    expect(card.get_by_role("link", name=f"Open {address} in the map app")).to_have_attribute(
        "href", f"geo:0,0?q={quote(address)}")
    expect(card.get_by_role("link", name="Call 13800000001")).to_have_attribute("href", "tel:13800000001")

    phone.offline()
    phone.open_job("刘女士")

    # On my way, arrived, the arrival checklist.
    page.get_by_role("button", name="On my way").click()
    page.get_by_role("button", name="Arrived").click()
    expect(page.locator("#visit-arrive")).to_be_disabled()
    arrival = ("Shoe covers on", "ID card shown", "Fault confirmed with the customer",
               "Supply voltage normal")
    for item in arrival:
        page.get_by_label(item).check()
        expect(page.get_by_label(item)).to_be_checked()

    # Diagnosis, with codes searched offline.
    expect(page.get_by_label("Fault", exact=True)).to_have_value("E1")  # from the intake
    page.get_by_label("Search codes").fill("capacitor")
    page.get_by_label("Cause").select_option("C-CAP")
    page.get_by_label("Search codes").fill("")
    page.get_by_label("Handling").select_option("H-REPLACE")
    page.get_by_role("button", name="Save diagnosis").click()
    expect(page.get_by_text("Saved: E1 / C-CAP / H-REPLACE")).to_be_visible()

    # A photo from the camera input, compressed in the browser.
    page.get_by_label("Caption (optional)").fill("outdoor unit")
    page.locator("#photo-input").set_input_files(
        files=[{"name": "unit.png", "mimeType": "image/png", "buffer": camera_png()}])
    expect(page.get_by_text("Photo saved")).to_be_visible()
    expect(page.locator(".thumbs img")).to_have_count(1)
    phone.check_screen("03-job")

    # Parts: a capacitor from the van (in warranty), and the old one collected.
    phone.tab("Parts")
    page.get_by_label("Search the catalog").fill("35")
    page.locator("#part-pick-CAP-35UF").click()
    in_van = van_before["CAP-35UF"]
    expect(page.get_by_label(f"From my van (holds {in_van})")).to_be_checked()
    expect(page.get_by_label("Warranty (free to the customer)")).to_be_checked()
    page.get_by_role("button", name="Add part").click()
    line = page.locator(".part-line")
    expect(line).to_have_count(1)
    line_id = line.get_attribute("data-line")
    line.get_by_role("button", name="Old part collected").click()
    expect(line.get_by_text("Old part collected ✓")).to_be_visible()
    page.get_by_label("Search the catalog").fill("35")
    expect(page.locator("#part-pick-CAP-35UF")).to_contain_text(f"in van: {in_van - 1}")
    phone.check_screen("04-parts")

    # Fees: inspection (covered by warranty, at 0 with the reason) and travel (paid).
    phone.tab("Fees & quote")
    page.get_by_role("button", name="+ Home inspection").click()
    page.get_by_role("button", name="+ Long-distance travel").click()
    expect(page.locator(".fee-line")).to_have_count(2)
    expect(page.locator(".fee-line[data-item='inspect']")).to_contain_text("Warranty: free to the customer")
    expect(page.locator(".fee-line[data-item='inspect']")).to_contain_text("¥0.00")
    expect(page.locator("table.lines tfoot")).to_contain_text("¥30.00")
    # The customer accepts the quote by signing, before the work.
    phone.sign(".fees canvas")
    page.get_by_role("button", name="Customer accepts the quote").click()
    expect(page.locator("#quote-accepted")).to_contain_text("Quote accepted by 刘女士")
    phone.check_screen("05-fees-quote")

    # Completion: test run, resolution, the customer signs the summary.
    phone.tab("Complete")
    for item in ("Test run OK", "Work area cleaned", "Explained to the customer"):
        page.get_by_label(item).check()
    expect(page.get_by_label("Fixed", exact=True)).to_be_checked()
    page.get_by_role("button", name="Complete the visit").click()
    expect(page.locator("#complete-done")).to_contain_text("Visit completed: Fixed")
    phone.sign(".complete canvas")
    page.get_by_role("button", name="Save signature").click()
    expect(page.locator("#signature-done")).to_be_visible()
    expect(page.locator(".signature-shown img")).to_be_visible()

    # Payment in cash and the rating.
    expect(page.get_by_label("Cash")).to_be_checked()
    expect(page.get_by_label("Amount (¥)")).to_have_value("30.00")
    page.get_by_role("button", name="Record payment").click()
    expect(page.locator(".payments")).to_contain_text("Paid ¥30.00 · still due ¥0.00")
    page.get_by_label("5 of 5").check()
    page.get_by_label("Comment (optional)").fill("很快修好了")
    page.get_by_role("button", name="Save rating").click()
    expect(page.locator("#rating-done")).to_contain_text("Rated 5 of 5")
    phone.check_screen("06-complete")

    # The receipt, offline, with the same total and the signature.
    page.get_by_role("link", name="Show the receipt to the customer").click()
    expect(page.get_by_role("heading", level=1, name="Service receipt")).to_be_visible()
    expect(page.locator("table.lines tfoot")).to_contain_text("¥30.00")
    expect(page.locator(".signature-shown img")).to_be_visible()
    phone.check_screen("07-receipt")

    # Reloaded while offline, the deep link opens from the service worker, and the job
    # and the outbox are still there.
    page.reload()
    expect(page.get_by_role("heading", level=1, name="Service receipt")).to_be_visible()
    expect(page.locator(".signature-shown img")).to_be_visible()
    page.goto(f"/app/job/{ticket_id}")
    expect(page.get_by_role("heading", level=1, name="刘女士")).to_be_visible()
    expect(page.locator("#visit-done")).to_contain_text("Visit completed: Fixed")
    expect(page.get_by_label("Shoe covers on")).to_be_checked()
    expect(page.get_by_text("Saved: E1 / C-CAP / H-REPLACE")).to_be_visible()
    outbox = phone.outbox()
    assert len(outbox) == 20 and all(entry["status"] == "pending" for entry in outbox)
    assert [entry["seq"] for entry in outbox] == list(range(1, 21))
    phone.sync_screen()
    expect(page.locator("#not-synced")).to_be_visible()
    expect(page.locator("#pending-count")).to_have_text("20")
    expect(page.locator("#blob-count")).to_have_text("3")
    expect(page.locator("#outbox-list li")).to_have_count(20)
    phone.check_screen("08-sync-offline")

    # Back online: everything goes, once.
    phone.offline(False)
    phone.wait_until_synced()
    expect(page.locator("#all-synced")).to_be_visible()
    phone.check_screen("09-sync-done")
    assert phone.outbox() == []

    office = live_server.office("dispatcher")
    ticket = office.ticket(ticket_id)
    assert ticket["status"] == "completed"
    assert [(p["line_id"], p["sku"], p["qty"], p["source"], p["charge"]) for p in ticket["parts"]] == [
        (line_id, "CAP-35UF", 1, "van", "warranty")]
    assert len(ticket["old_parts"]) == 1
    fees = sorted((f["item_code"], f["amount_fen"], f["charge"]) for f in ticket["fees"])
    assert fees == [("inspect", 0, "warranty"), ("travel.far", 3000, "paid")]
    assert len({f["line_id"] for f in ticket["fees"]}) == 2
    assert ticket["total_fen"] == 3000
    assert [(p["method"], p["amount_fen"]) for p in ticket["payments"]] == [("cash", 3000)]
    assert ticket["rating"] == {"score": 5, "comment": "很快修好了"}
    assert len(ticket["checklist"]) == 7
    assert [(d["fault_code"], d["cause_code"], d["handling_code"]) for d in ticket["diagnoses"]] == [
        ("E1", "C-CAP", "H-REPLACE")]
    visit = next(v for v in ticket["visits"] if v["completed_at"])
    assert visit["departed_at"] and visit["arrived_at"] and visit["resolution"] == "fixed"
    kinds = sorted(s["kind"] for s in ticket["signatures"])
    assert kinds == ["completion", "quote"]
    for signature in ticket["signatures"]:
        assert signature["summary_hash"] == signature["server_summary_hash"]
        assert office.get(f"/api/sync/blobs/{signature['blob']}").startswith(b"\x89PNG")
    assert len(ticket["photos"]) == 1 and ticket["photos"][0]["caption"] == "outdoor unit"
    assert office.get(f"/api/sync/blobs/{ticket['photos'][0]['blob']}")[:4] == b"RIFF"  # WebP
    assert "signature_summary_mismatch" not in {f["kind"] for f in ticket["flags"]}
    part_uses = [e for e in ticket["timeline"] if e["action"] == "part.use"]
    assert len(part_uses) == 1
    assert warehouse.van("tech1")["CAP-35UF"] == van_before["CAP-35UF"] - 1

    # Nothing authenticated was put in Cache Storage.
    cached = page.evaluate("""async () => {
        const urls = [];
        for (const name of await caches.keys()) {
          for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
        }
        return urls;
    }""")
    assert cached and not [url for url in cached if "/api/" in url]
    assert phone.errors == []
