"""Signing is never forced, and what the customer signed is what they pay: a line added
after signing asks for a new signature; a refusal is recorded with its reason."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_adding_a_part_after_the_customer_signed_asks_for_a_new_signature(phone_factory, live_server):
    in_van = live_server.office("warehouse").van("tech2")["CAP-2UF"]
    phone = phone_factory("en-US")
    page = phone.page
    phone.login("tech2")  # 周先生's air conditioner is out of warranty: lines cost money
    phone.open_job("周先生")
    ticket_id = int(page.url.rstrip("/").split("/")[-1])
    page.get_by_role("button", name="Arrived").click()
    phone.tab("Fees & quote")
    page.get_by_role("button", name="+ Home inspection").click()
    expect(page.locator("table.lines tfoot")).to_contain_text("¥50.00")

    phone.tab("Complete")
    canvas = page.locator(".complete canvas")
    # The pad's backing store is in device pixels (the phone is 2x), so strokes are sharp.
    size = canvas.evaluate(
        "(c) => { const r = c.getBoundingClientRect(); return [c.width, c.height, r.width, r.height]; }")
    assert size[0] == round(size[2] * 2) and size[1] == round(size[3] * 2)
    phone.sign(".complete canvas")
    inked = phone.inked_pixels(".complete canvas")
    assert inked > 500
    # Turning the phone resizes the canvas, which clears it: the strokes are redrawn.
    page.set_viewport_size({"width": 412, "height": 740})
    page.wait_for_function("(c) => c.width === Math.round(c.getBoundingClientRect().width * 2)",
                           arg=canvas.element_handle())
    assert phone.inked_pixels(".complete canvas") > inked * 0.8
    page.set_viewport_size({"width": 360, "height": 740})
    page.wait_for_function("(c) => c.width === Math.round(c.getBoundingClientRect().width * 2)",
                           arg=canvas.element_handle())
    assert phone.inked_pixels(".complete canvas") > inked * 0.8
    page.get_by_role("button", name="Save signature").click()
    expect(page.locator("#signature-done")).to_be_visible()
    expect(page.locator("#resign-notice")).to_have_count(0)
    expect(page.locator(".complete canvas")).to_be_hidden()

    # A part added after the signature: the charges changed.
    phone.tab("Parts")
    page.get_by_label("Search the catalog").fill("fan capacitor")
    page.locator("#part-pick-CAP-2UF").click()
    expect(page.get_by_label("Paid by the customer")).to_be_checked()
    # One more than the van holds: allowed, with a warning.
    page.get_by_label("Quantity").fill(str(in_van + 1))
    expect(page.locator("#part-warning")).to_contain_text(f"The van shows {in_van}: this takes it to -1")
    page.get_by_role("button", name="Add part").click()
    expect(page.locator("#part-message")).to_contain_text("Van stock is now -1")
    expect(page.locator("#resign-notice")).to_contain_text("please ask the customer to sign again")
    phone.check_screen("11-parts-resign")

    phone.tab("Complete")
    expect(page.locator("#resign-notice")).to_be_visible()
    total = 5000 + 2500 * (in_van + 1)  # inspection + the capacitors, out of warranty
    expect(page.locator("table.lines tfoot")).to_contain_text(f"¥{total // 100}.00")
    expect(page.locator(".complete canvas")).to_be_visible()
    phone.check_screen("12-complete-resign")
    phone.sign(".complete canvas")
    page.get_by_role("button", name="Save signature").click()
    expect(page.locator("#signature-done")).to_be_visible()
    expect(page.locator("#resign-notice")).to_have_count(0)

    phone.wait_until_synced()
    ticket = live_server.office().ticket(ticket_id)
    completions = sorted((s for s in ticket["signatures"] if s["kind"] == "completion"),
                         key=lambda s: s["at"])
    assert len(completions) == 2
    assert all(s["summary_hash"] == s["server_summary_hash"] for s in completions)
    assert completions[0]["summary_hash"] != completions[1]["summary_hash"]
    assert ticket["total_fen"] == total
    flags = {f["kind"] for f in ticket["flags"]}
    assert "signature_summary_mismatch" not in flags
    assert "negative_van_stock" in flags  # recorded, never refused: the office is told
    assert phone.errors == []


def test_a_refusal_to_sign_is_recorded_with_its_reason_and_sign_out_asks_twice(phone_factory, live_server):
    phone = phone_factory("zh-CN")  # the default language of a Chinese phone
    page = phone.page
    page.goto("/app/")
    expect(page.get_by_role("heading", name="技师登录")).to_be_visible()
    page.get_by_label("用户名").fill("tech1")
    page.get_by_label("密码", exact=True).fill("demo")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="今日工单")).to_be_visible()
    phone.wait_for_service_worker()
    phone.check_screen("13-jobs-zh")
    ticket_id = phone.ticket_id_of("吴女士")
    phone.offline()
    page.get_by_role("link", name="吴女士").first.click()
    page.get_by_role("button", name="已到达").click()
    phone.check_screen("14-job-zh")
    page.get_by_role("navigation", name="工单步骤").get_by_role("link", name="完工").click()
    page.get_by_role("button", name="客户拒绝签字").click()
    page.get_by_label("拒签原因").fill("客户对收费有异议")
    page.get_by_role("button", name="记录拒签").click()
    expect(page.locator("#signature-refused")).to_be_visible()
    expect(page.get_by_text("拒签：客户对收费有异议")).to_be_visible()
    phone.check_screen("15-complete-refused-zh")

    # Sign-out with unsynced work: refused twice, with a warning each time.
    page.locator(".sync-badge").click()
    logout = page.locator("#logout")
    logout.click()
    expect(page.locator("#logout-warning")).to_contain_text("尚未同步")
    logout.click()
    expect(page.locator("#logout-warning")).to_contain_text("最后警告")
    phone.check_screen("16-sync-logout-warning-zh")
    assert len(phone.outbox()) == 2  # still signed in, nothing lost
    expect(page.get_by_role("heading", level=1, name="同步状态")).to_be_visible()

    # Synced, sign-out goes at once.
    phone.offline(False)
    phone.wait_until_synced()
    ticket = live_server.office().ticket(ticket_id)
    [refusal] = [s for s in ticket["signatures"] if s["kind"] == "completion"]
    assert refusal["refused"] is True and refusal["blob"] is None
    assert refusal["refusal_reason"] == "客户对收费有异议"
    page.reload()
    page.locator("#logout").click()
    expect(page.get_by_role("heading", name="技师登录")).to_be_visible()
    assert phone.errors == []
