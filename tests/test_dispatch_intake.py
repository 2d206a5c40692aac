"""Intake from the office: the caller found by phone with their appliances, warranty and
recent repairs; a repeat repair warned about; a known appliance reused even without serial."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from backend.customers.models import Appliance
from backend.db import db
from backend.tickets.models import Ticket

pytestmark = pytest.mark.storage


def complete(device, ticket, resolution="fixed"):
    visit_id = next(t for t in device.pull()["tickets"] if t["id"] == ticket.id)["visits"][0]["id"]
    device.push(device.mutation("visit.arrive", ticket.id, visit_id=visit_id),
                device.mutation("work.complete", ticket.id, visit_id=visit_id, resolution=resolution))
    assert db.session.get(Ticket, ticket.id).status == "completed"


def intake_body(**overrides):
    body = {
        "customer": {"name": "王先生", "phone": "13800001111", "address": "上海市浦东新区张杨路 500 号",
                     "region": "浦东"},
        "appliance": {"brand": "格力", "category": "air_conditioner", "model": "KFR-35GW", "serial": None,
                      "purchase_date": "2025-05-01", "warranty_months": 12},
        "fault": {"category": "E1", "description": "不制冷"}, "urgency": "normal", "source": "phone",
    }
    body.update(overrides)
    return body


def test_the_caller_is_found_by_phone_with_appliances_warranty_and_open_tickets(shop, office):
    tech = shop.technician("tech1")
    ticket = shop.ticket(tech, phone="13800002222", in_warranty=True)

    body = office("dispatcher").get("/office/api/callers?phone=13800002222").get_json()

    assert body["customer"]["name"] == "刘女士" and body["customer"]["tier"] == "regular"
    [appliance] = body["appliances"]
    assert appliance["brand"] == "格力" and appliance["in_warranty"] is True
    assert date.fromisoformat(appliance["warranty_until"]) > date.today()
    assert [t["number"] for t in body["open_tickets"]] == [ticket.number]
    assert body["repeat_repair_days"] == 90


def test_an_unknown_number_offers_customers_whose_number_starts_the_same(shop, office):
    shop.ticket(phone="13800003333")
    shop.ticket(phone="13800003344")

    body = office("dispatcher").get("/office/api/callers?phone=1380000").get_json()

    assert body["customer"] is None
    assert [c["phone"] for c in body["candidates"]] == ["13800003333", "13800003344"]
    assert office("dispatcher").get("/office/api/callers?phone=1%25").status_code == 400


def test_a_repair_completed_as_fixed_within_the_window_is_listed_for_the_repeat_warning(shop, phone, office):
    tech = shop.technician("tech1")
    device = phone("tech1")
    fixed = shop.ticket(tech, phone="13800004444")
    complete(device, fixed)
    not_fixed = shop.ticket(tech, phone="13800005555")
    complete(device, not_fixed, resolution="not_fixed")

    found = office("dispatcher").get("/office/api/callers?phone=13800004444").get_json()
    other = office("dispatcher").get("/office/api/callers?phone=13800005555").get_json()

    [repair] = found["appliances"][0]["recent_repairs"]
    assert repair["number"] == fixed.number and repair["fault_category"] == "E1"
    assert other["appliances"][0]["recent_repairs"] == []  # not fixed: not a repeat


def test_a_repair_older_than_the_window_is_not_a_repeat(app, shop, phone, office, monkeypatch):
    tech = shop.technician("tech1")
    fixed = shop.ticket(tech, phone="13800006666")
    complete(phone("tech1"), fixed)
    db.session.get(Ticket, fixed.id).completed_at -= timedelta(days=10)
    db.session.commit()
    monkeypatch.setitem(app.config, "REPEAT_REPAIR_DAYS", 7)

    body = office("dispatcher").get("/office/api/callers?phone=13800006666").get_json()

    assert body["appliances"][0]["recent_repairs"] == [] and body["repeat_repair_days"] == 7


def test_office_intake_reuses_the_chosen_appliance_even_without_a_serial(shop, office):
    desk = office("dispatcher")
    first = desk.post("/office/api/tickets", json=intake_body())
    assert first.status_code == 201, first.get_json()
    appliance_id = first.get_json()["appliance"]["id"]

    again = desk.post("/office/api/tickets", json={**intake_body(fault={"category": "E5", "description": ""}),
                                                    "appliance_id": appliance_id})
    public = desk.post("/api/tickets", json=intake_body())  # the public API: no serial, new appliance

    assert again.status_code == 201 and again.get_json()["appliance"]["id"] == appliance_id
    assert public.status_code == 201 and public.get_json()["appliance"]["id"] != appliance_id
    assert db.session.scalar(db.select(db.func.count()).select_from(Appliance)) == 2


def test_office_intake_refuses_another_customers_appliance(shop, office):
    other = shop.ticket(phone="13800007777")

    response = office("dispatcher").post("/office/api/tickets", json={
        **intake_body(), "appliance_id": other.appliance_id})

    assert response.status_code == 404
    assert db.session.scalar(db.select(db.func.count()).select_from(Ticket)) == 1


def test_office_intake_keeps_the_vip_tier_and_needs_the_csrf_token_in_a_session(shop, client):
    from tests.test_dispatch_pages import login_session

    shop.user("dispatcher")
    token = login_session(client, "dispatcher")
    body = intake_body(customer={"name": "孙女士", "phone": "13900000009", "address": "徐汇区",
                                 "region": "徐汇", "tier": "vip"}, urgency="emergency")

    refused = client.post("/office/api/tickets", json=body)
    created = client.post("/office/api/tickets", json=body, headers={"X-CSRF-Token": token})

    assert refused.status_code == 400
    assert created.status_code == 201
    ticket = created.get_json()
    assert ticket["customer"]["tier"] == "vip" and ticket["urgency"] == "emergency"
    page = client.get(f"/office/tickets/{ticket['id']}?lang=en").get_data(as_text=True)
    assert "VIP" in page and "Emergency" in page
