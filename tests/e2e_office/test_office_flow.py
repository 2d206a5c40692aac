"""A dispatcher's morning in Chromium: a call comes in, the caller is found, the ticket is
created and given to a suggested technician, whose phone then pulls it; the board, the SLA
list and the review queue. Screenshots of each page go to tests/e2e/screenshots/office-*.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_intake_finds_the_caller_warns_of_a_repeat_repair_and_assigns_a_suggested_technician(desk):
    office = desk()
    office.login()
    page = office.page
    page.goto("/office/intake")

    page.fill("#phone", "13800000002")  # 周先生: his air conditioner was fixed for E5 last week
    expect(page.locator("#caller-status")).to_contain_text("周先生")
    expect(page.locator('#customer input[name="name"]')).to_have_value("周先生")
    expect(page.locator('#customer input[name="name"]')).to_be_disabled()
    expect(page.locator(".appliance")).to_have_count(1)
    expect(page.locator(".appliance input")).to_be_checked()
    expect(page.locator("#new-appliance")).to_be_hidden()
    expect(page.locator("#warranty")).to_contain_text("已过保")
    page.fill('input[name="fault_category"]', "E5")
    page.fill('textarea[name="description"]', "又不转了，外机有异响")
    expect(page.locator("#repeat-warning")).to_contain_text("返修")
    page.check('input[name="urgency"][value="urgent"]')
    office.shot("intake")

    page.click('#intake button[type="submit"]')

    expect(page.locator("#created-title")).to_contain_text("已生成工单")
    suggestions = page.locator("#suggestions li.suggestion")
    expect(suggestions.first).to_be_visible()
    first = suggestions.first
    chosen = first.get_attribute("data-username")
    expect(first.locator(".reason").first).to_be_visible()
    assert chosen in {"tech1", "tech3", "tech5"}  # the air-conditioner technicians
    office.shot("intake-suggestions")
    number = re.search(r"FS\d{6}-\d{6}", page.locator("#created-title").inner_text()).group(0)

    first.locator("button").click()

    page.wait_for_url("**/office/tickets/*")
    expect(page.locator(".ticket-head h1")).to_contain_text(number)
    expect(page.locator(".kv").nth(2)).to_contain_text(chosen)

    pulled = office.server.phone(chosen).pull()
    job = next(t for t in pulled["tickets"] if t["number"] == number)
    assert job["fault"] == {"category": "E5", "description": "又不转了，外机有异响"}
    assert job["urgency"] == "urgent" and job["scheduled_start"] is not None
    assert job["customer"]["phone"] == "13800000002"


def test_a_new_caller_and_a_new_appliance_are_entered_inline(desk):
    office = desk()
    office.login()
    page = office.page
    page.goto("/office/intake")

    page.fill("#phone", "139 1234 5678")
    expect(page.locator("#customer-note")).to_contain_text("新客户")
    page.fill('#customer input[name="name"]', "黄女士")
    page.fill('#customer input[name="region"]', "徐汇")
    page.fill('#customer input[name="address"]', "上海市徐汇区宜山路 700 号 12 楼")
    page.select_option('#customer select[name="tier"]', "vip")
    page.select_option('select[name="category"]', "washer")
    page.fill('input[name="brand"]', "小天鹅")
    page.fill('input[name="model"]', "TG100V")
    page.fill('input[name="serial"]', "LS2026A777")
    page.fill('input[name="purchase_date"]', "2026-06-01")
    expect(page.locator("#warranty")).to_contain_text("保修期内")
    page.fill('input[name="fault_category"]', "W-DRAIN")
    page.check('input[name="urgency"][value="emergency"]')

    page.click('#intake button[type="submit"]')

    expect(page.locator("#suggestions li.suggestion").first).to_be_visible()
    top = page.locator("#suggestions li.suggestion").first
    assert top.get_attribute("data-username") in {"tech2", "tech4"}  # the washer technicians
    expect(top.locator(".reason.yes").first).to_be_visible()
    top.locator("button").click()
    page.wait_for_url("**/office/tickets/*")
    expect(page.locator(".ticket-head")).to_contain_text("VIP")
    expect(page.locator(".ticket-head")).to_contain_text("特急")


def test_the_board_assigns_by_drag_and_cancels_with_a_reason(desk):
    office = desk()
    office.login()
    page = office.page
    page.goto("/office/board")
    unassigned = page.locator(".unassigned .card")
    expect(unassigned).to_have_count(3)
    # VIP first, then the emergency, then the overdue normal one
    expect(unassigned.first).to_contain_text("VIP")
    expect(page.locator(".unassigned .card.sla-overdue")).to_have_count(1)
    expect(page.locator('.lane[data-drop="tech1"] .live')).to_contain_text("在途")
    office.shot("board")

    heater = page.locator(".unassigned .card", has_text="A.O.史密斯")
    number = heater.get_attribute("data-number")
    heater.drag_to(page.locator('.lane[data-drop="tech5"]'))

    expect(page.locator(f'.lane[data-drop="tech5"] .card[data-number="{number}"]')).to_be_visible()
    expect(page.locator(".unassigned .card")).to_have_count(2)

    page.locator(".unassigned .card").first.click()
    expect(page.locator("#drawer")).to_be_visible()
    expect(page.locator("#suggestions li.suggestion").first).to_be_visible()
    office.shot("board-drawer")
    page.click("#drawer .cancel-box summary")
    page.fill('#cancel-form input[name="reason"]', "客户已自行修好")
    page.click("#cancel-form button")

    expect(page.locator("#drawer")).to_be_hidden()
    expect(page.locator(".unassigned .card")).to_have_count(1)


def test_the_review_queue_resolves_a_flag_with_a_note(desk):
    office = desk()
    office.login()
    page = office.page
    page.goto("/office/review")
    rows = page.locator("#review tbody tr")
    expect(rows).to_have_count(2)
    flag_row = page.locator('#review tr[data-kind="flag"]')
    expect(flag_row).to_contain_text("取消后完工")
    expect(flag_row).to_contain_text("visit.arrive")
    expect(page.locator('#review tr[data-kind="rejected"]')).to_contain_text("rating.record")
    office.shot("review")
    flag_id = int(flag_row.get_attribute("data-id"))

    flag_row.locator('input[name="note"]').fill("已与陈师傅核实：到达时客户不在，上门费不收")
    flag_row.locator("button").click()

    expect(flag_row).to_have_class(re.compile("done"))
    expect(flag_row).to_contain_text("已处理")
    page.reload()
    expect(page.locator('#review tr[data-kind="flag"]')).to_have_count(0)
    flags = office.server.office().get("/api/flags")["flags"]
    assert flag_id not in [f["id"] for f in flags]


def test_the_sla_ticket_search_and_login_pages_look_right(desk):
    office = desk()
    page = office.page
    page.goto("/office/login")
    office.shot("login")
    office.login()

    page.goto("/office/sla")
    expect(page.locator(".sla-page tr.sla-overdue").first).to_contain_text("钱先生")
    office.shot("sla")

    page.goto("/office/search?phone=1380000")
    expect(page.locator("table.results tbody tr")).to_have_count(5)
    office.shot("search")
    page.goto("/office/search?phone=13800000002&status=completed")
    page.locator("table.results a", has_text="FS").first.click()
    page.wait_for_url("**/office/tickets/*")
    expect(page.locator("table.timeline tbody tr")).to_have_count(5)  # created, assigned, arrived, ...
    expect(page.locator(".actions a", has_text="PDF")).to_have_count(2)  # completed: report and receipt
    office.shot("ticket")


def test_the_office_in_english(desk):
    office = desk("en-US")
    office.login()
    page = office.page
    page.goto("/office/board")
    expect(page.locator(".menu")).to_contain_text("Dispatch board")
    office.shot("board-en")
    page.click('.lang a[lang="zh-CN"]')
    expect(page.locator(".menu")).to_contain_text("调度看板")
