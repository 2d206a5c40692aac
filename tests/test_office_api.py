"""The dispatcher's and warehouse's side: intake, the ticket list, assignment as the phone sees
it, cancellation, the full ticket view, and stock kept as a ledger."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from backend.customers.models import Appliance, Customer
from backend.db import db
from backend.inventory.models import StockLocation, StockMove
from backend.inventory.service import ledger_levels, location_by_code
from backend.tickets.models import AuditLog
from tests.conftest import PNG_1X1


def intake(phone="13800001111", serial="SN-GREE-0001", **overrides):
    body = {
        "customer": {"name": "王先生", "phone": phone, "address": "上海市浦东新区张杨路 500 号",
                     "region": "浦东"},
        "appliance": {"brand": "格力", "category": "air_conditioner", "model": "KFR-35GW",
                      "serial": serial, "purchase_date": "2024-05-01", "warranty_months": 12},
        "fault": {"category": "E1", "description": "不制冷"},
        "urgency": "urgent",
        "source": "phone",
    }
    body.update(overrides)
    return body


def count(model):
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def pull_page(device):
    """One pull page as the device gets it, raw (with `removed` and its reasons)."""
    query = {"cursor": device.cursor} if device.cursor else {}
    response = device.client.get("/api/sync/pull", headers=device.headers, query_string=query)
    assert response.status_code == 200, response.get_json()
    page = response.get_json()
    device.cursor = page["cursor"]
    return page


def ticket_ids(pulled):
    return [t["id"] for t in pulled["tickets"]]


def test_intake_creates_the_customer_the_appliance_and_a_numbered_ticket(office):
    desk = office("dispatcher")

    response = desk.post("/api/tickets", json=intake())

    assert response.status_code == 201
    ticket = response.get_json()
    assert re.fullmatch(r"FS\d{6}-\d{6}", ticket["number"])
    assert ticket["status"] == "new" and ticket["urgency"] == "urgent"
    assert ticket["customer"]["phone"] == "13800001111"
    assert ticket["appliance"]["serial"] == "SN-GREE-0001"
    assert ticket["fault"] == {"category": "E1", "description": "不制冷"}
    assert [e["action"] for e in ticket["timeline"]] == ["create"]
    assert (count(Customer), count(Appliance)) == (1, 1)


def test_a_second_intake_with_the_same_phone_and_serial_reuses_customer_and_appliance(office):
    desk = office("dispatcher")
    first = desk.post("/api/tickets", json=intake()).get_json()

    again = desk.post("/api/tickets", json=intake(fault={"category": "E2", "description": "漏水"}))
    other_unit = desk.post("/api/tickets", json=intake(serial="SN-GREE-0002"))

    assert again.status_code == other_unit.status_code == 201
    again, other_unit = again.get_json(), other_unit.get_json()
    assert again["customer"]["id"] == other_unit["customer"]["id"] == first["customer"]["id"]
    assert again["appliance"]["id"] == first["appliance"]["id"]
    assert other_unit["appliance"]["id"] != first["appliance"]["id"]
    assert len({first["number"], again["number"], other_unit["number"]}) == 3
    assert (count(Customer), count(Appliance)) == (1, 2)


def test_the_list_filters_by_status_technician_and_phone_and_pages(shop, office):
    tech1, tech2 = shop.technician("tech1"), shop.technician("tech2")
    mine = [shop.ticket(tech1), shop.ticket(tech1)]
    theirs = shop.ticket(tech2)
    waiting = shop.ticket(phone="13912345678")
    desk = office("dispatcher")

    def listed(**query):
        response = desk.get("/api/tickets", query_string=query)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    assert [t["id"] for t in listed(status="new")["tickets"]] == [waiting.id]
    assert {t["id"] for t in listed(status="assigned")["tickets"]} == {t.id for t in [*mine, theirs]}
    assert {t["id"] for t in listed(technician="tech1")["tickets"]} == {t.id for t in mine}
    [found] = listed(q="13912345678")["tickets"]
    assert (found["id"], found["phone"], found["technician"]) == (waiting.id, "13912345678", None)
    assert listed(q=waiting.number)["total"] == 1
    pages = [listed(per_page=3, page=n) for n in (1, 2, 3)]
    assert [p["total"] for p in pages] == [4, 4, 4]
    assert [len(p["tickets"]) for p in pages] == [3, 1, 0]
    paged = [t["id"] for p in pages for t in p["tickets"]]
    assert sorted(paged) == sorted(t.id for t in [*mine, theirs, waiting])


@pytest.mark.storage
def test_an_assigned_ticket_reaches_the_technicians_next_pull(shop, phone, office):
    shop.technician("tech1")
    device = phone("tech1")
    assert device.pull()["tickets"] == []
    ticket = office("dispatcher").post("/api/tickets", json=intake()).get_json()
    start = datetime(2030, 6, 1, 2, 0, tzinfo=UTC)

    response = office("dispatcher").post(f"/api/tickets/{ticket['id']}/assign", json={
        "technician": "tech1", "scheduled_start": start.isoformat(),
        "scheduled_end": (start + timedelta(hours=2)).isoformat()})

    assert response.status_code == 200
    assert response.get_json()["status"] == "assigned"
    pulled = device.pull()
    assert ticket_ids(pulled) == [ticket["id"]]
    [mine] = pulled["tickets"]
    assert mine["technician"] == "tech1"
    assert datetime.fromisoformat(mine["scheduled_start"]) == start
    assert ticket_ids(phone("tech1", "new phone").pull()) == [ticket["id"]]


@pytest.mark.storage
def test_a_reassigned_ticket_is_removed_once_from_the_first_technician(shop, phone, office):
    first, _ = shop.technician("tech1"), shop.technician("tech2")
    ticket = shop.ticket(first)
    old, new = phone("tech1"), phone("tech2")
    assert ticket_ids(old.pull()) == [ticket.id]
    assert new.pull()["tickets"] == []

    response = office("dispatcher").post(f"/api/tickets/{ticket.id}/assign", json={"technician": "tech2"})

    assert response.status_code == 200
    page = pull_page(old)
    assert page["removed_ticket_ids"] == [ticket.id]
    assert page["removed"] == [{"ticket_id": ticket.id, "reason": "reassigned"}]
    assert page["tickets"] == []
    again = old.pull()
    assert again["removed_ticket_ids"] == [] and again["tickets"] == []
    assert ticket_ids(new.pull()) == [ticket.id]
    assert old.pull(fresh=True)["tickets"] == []


@pytest.mark.storage
def test_a_ticket_given_back_comes_back_without_a_removal(shop, phone, office):
    first, _ = shop.technician("tech1"), shop.technician("tech2")
    ticket = shop.ticket(first)
    device = phone("tech1")
    device.pull()
    desk = office("dispatcher")
    desk.post(f"/api/tickets/{ticket.id}/assign", json={"technician": "tech2"})
    assert device.pull()["removed_ticket_ids"] == [ticket.id]

    desk.post(f"/api/tickets/{ticket.id}/assign", json={"technician": "tech1"})

    back = device.pull()
    assert ticket_ids(back) == [ticket.id] and back["removed_ticket_ids"] == []
    desk.post(f"/api/tickets/{ticket.id}/assign", json={"technician": "tech2"})
    desk.post(f"/api/tickets/{ticket.id}/assign", json={"technician": "tech1"})
    bounced = device.pull()
    assert ticket_ids(bounced) == [ticket.id] and bounced["removed_ticket_ids"] == []


@pytest.mark.storage
def test_a_cancelled_ticket_is_removed_from_the_technician_with_its_reason(shop, phone, office):
    tech = shop.technician("tech1")
    ticket, other = shop.ticket(tech), shop.ticket(tech)
    device = phone("tech1")
    assert sorted(ticket_ids(device.pull())) == sorted([ticket.id, other.id])

    response = office("dispatcher").post(f"/api/tickets/{ticket.id}/cancel",
                                         json={"reason": "客户已自行修好"})

    assert response.status_code == 200
    cancelled = response.get_json()
    assert (cancelled["status"], cancelled["cancel_reason"]) == ("cancelled", "客户已自行修好")
    page = pull_page(device)
    assert page["removed"] == [{"ticket_id": ticket.id, "reason": "cancelled"}]
    assert page["removed_ticket_ids"] == [ticket.id] and page["tickets"] == []
    assert device.pull()["removed_ticket_ids"] == []
    assert ticket_ids(device.pull(fresh=True)) == [other.id]


@pytest.mark.storage
def test_a_completed_ticket_cannot_be_cancelled_or_reassigned(shop, phone, office):
    tech = shop.technician("tech1")
    shop.technician("tech2")
    ticket = shop.ticket(tech)
    device = phone("tech1")
    done = device.push(device.mutation("work.complete", ticket.id, visit_id=ticket.visits[0].id,
                                       resolution="fixed"))
    assert done["results"][0]["status"] == "applied"
    desk = office("dispatcher")
    audit_rows = count(AuditLog)

    cancel = desk.post(f"/api/tickets/{ticket.id}/cancel", json={"reason": "太晚了"})
    assign = desk.post(f"/api/tickets/{ticket.id}/assign", json={"technician": "tech2"})

    for response in (cancel, assign):
        assert response.status_code == 409
        assert response.get_json()["error"]["code"] == "ticket_closed"
    detail = desk.get(f"/api/tickets/{ticket.id}").get_json()
    assert (detail["status"], detail["technician"], detail["cancel_reason"]) == ("completed", "tech1", None)
    assert count(AuditLog) == audit_rows


@pytest.mark.storage
def test_the_ticket_view_shows_lines_payments_signatures_flags_and_a_timeline(shop, phone, office):
    tech = shop.technician("tech1")
    shop.van(tech, {"CAP-35UF": 1})
    shop.fee("labour.capacitor", 8000)
    desk = office("dispatcher")
    ticket = desk.post("/api/tickets", json=intake()).get_json()
    desk.post(f"/api/tickets/{ticket['id']}/assign", json={"technician": "tech1"})
    device = phone("tech1")
    [pulled] = device.pull()["tickets"]
    visit_id = pulled["visits"][0]["id"]
    sha = device.put_blob(PNG_1X1)
    from backend.fees.service import summary_hash, summary_of

    results = device.push(
        device.mutation("visit.arrive", ticket["id"], visit_id=visit_id),
        device.mutation("part.use", ticket["id"], line_id="L-1", sku="CAP-35UF", qty=2, source="van",
                        charge="paid"),
        device.mutation("fee.set", ticket["id"], line_id="F-1", item_code="labour.capacitor", qty=1),
        device.mutation("signature.capture", ticket["id"], blob=sha, signer_name="王先生",
                        summary_hash=summary_hash(summary_of(ticket["id"], [], []))),
        device.mutation("payment.record", ticket["id"], payment_id="PAY-1", method="wechat",
                        amount_fen=17000),
    )["results"]
    assert [r["status"] for r in results] == ["applied"] * 5

    detail = desk.get(f"/api/tickets/{ticket['id']}").get_json()

    [visit] = detail["visits"]
    assert (visit["id"], visit["technician"]) == (visit_id, "tech1") and visit["arrived_at"]
    assert [(p["line_id"], p["sku"], p["qty"], p["amount_fen"]) for p in detail["parts"]] == [
        ("L-1", "CAP-35UF", 2, 9000)]
    assert [(f["line_id"], f["item_code"], f["amount_fen"]) for f in detail["fees"]] == [
        ("F-1", "labour.capacitor", 8000)]
    assert [(p["payment_id"], p["method"], p["amount_fen"]) for p in detail["payments"]] == [
        ("PAY-1", "wechat", 17000)]
    [signature] = detail["signatures"]
    assert (signature["blob"], signature["signer_name"], signature["kind"]) == (sha, "王先生", "completion")
    assert {f["kind"] for f in detail["flags"]} == {"negative_van_stock", "signature_summary_mismatch"}
    assert detail["total_fen"] == 17000
    timeline = detail["timeline"]
    office_device = db.session.scalars(db.select(AuditLog.device_id).where(
        AuditLog.action == "assign")).one()
    assert [(e["action"], e["actor"]) for e in timeline[:2]] == [("create", "dispatcher"),
                                                                 ("assign", "dispatcher")]
    assert timeline[1]["device_id"] == office_device != device.device_id
    field = [e for e in timeline if e["actor"] == "tech1"]
    assert {e["action"] for e in field} >= {"arrive", "part.use", "fee.set", "signature.completion",
                                           "payment.record"}
    assert all(e["device_id"] == device.device_id and e["at"] for e in field)
    [used] = [e for e in field if e["action"] == "part.use"]
    assert used["after"]["sku"] == "CAP-35UF" and used["entity_id"] == "L-1"


def levels(desk, location):
    response = desk.get("/api/stock", query_string={"location": location})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["location"] == location
    return {row["sku"]: row["qty"] for row in body["levels"]}


def assert_levels_match_the_ledger():
    for location in db.session.scalars(db.select(StockLocation)):
        cached = {sku: qty for sku, qty in db.session.execute(
            db.text("SELECT sku, qty FROM stock_levels WHERE location_id = :id"), {"id": location.id})}
        assert cached == ledger_levels(location), location.code


@pytest.mark.storage
def test_stock_levels_are_shown_for_the_warehouse_and_each_van(shop, office):
    tech = shop.technician("tech1")
    shop.van(tech, {"CAP-35UF": 3, "FAN-MOTOR": 1})
    desk = office("warehouse")

    assert levels(desk, "warehouse") == {"CAP-35UF": 0, "FAN-MOTOR": 0}
    assert levels(desk, "van:tech1") == {"CAP-35UF": 3, "FAN-MOTOR": 1}
    [row] = [r for r in desk.get("/api/stock?location=van:tech1").get_json()["levels"]
             if r["sku"] == "CAP-35UF"]
    assert row == {"sku": "CAP-35UF", "name": "零件 CAP-35UF", "qty": 3, "low_threshold": None,
                   "low": False}
    assert office("finance").get("/api/stock?location=van:tech1").status_code == 200
    assert_levels_match_the_ledger()


@pytest.mark.storage
def test_purchases_and_transfers_change_levels_and_are_audited(shop, phone, office):
    shop.technician("tech1")
    shop.locations()
    shop.part("CAP-35UF")
    device = phone("tech1")
    device.pull()
    desk = office("warehouse")
    moves_before, audit_before = count(StockMove), count(AuditLog)

    bought = desk.post("/api/stock/moves", json={"sku": "CAP-35UF", "qty": 10, "from": None,
                                                 "to": "warehouse", "reason": "purchase",
                                                 "ref": "PO-2024-17"})
    sent = desk.post("/api/stock/moves", json={"sku": "CAP-35UF", "qty": 4, "from": "warehouse",
                                               "to": "van:tech1", "reason": "transfer",
                                               "note": "周一领料"})

    assert (bought.status_code, sent.status_code) == (201, 201)
    assert bought.get_json() == {"id": bought.get_json()["id"], "sku": "CAP-35UF", "qty": 10, "from": None,
                                 "to": "warehouse", "reason": "purchase"}
    assert levels(desk, "warehouse") == {"CAP-35UF": 6}
    assert levels(desk, "van:tech1") == {"CAP-35UF": 4}
    assert count(StockMove) == moves_before + 2
    rows = db.session.scalars(db.select(AuditLog).where(AuditLog.entity == "stock_move")
                              .order_by(AuditLog.id)).all()
    assert count(AuditLog) == audit_before + 2
    assert [(r.action, r.after["qty"], r.after["from"], r.after["to"]) for r in rows] == [
        ("purchase", 10, None, "warehouse"), ("transfer", 4, "warehouse", "van:tech1")]
    assert rows[0].after["ref"] == "PO-2024-17"
    warehouse_user = db.session.scalar(db.text("SELECT id FROM users WHERE username = 'warehouse'"))
    assert {(r.actor_id, r.device_id is not None) for r in rows} == {(warehouse_user, True)}
    move = db.session.get(StockMove, sent.get_json()["id"])
    assert (move.from_location_id, move.to_location_id) == (
        location_by_code("warehouse").id, location_by_code("van:tech1").id)
    assert move.note == "周一领料"
    assert device.pull()["stock"] == {"location": "van:tech1", "levels": [{"sku": "CAP-35UF", "qty": 4}]}
    assert_levels_match_the_ledger()


@pytest.mark.storage
def test_levels_equal_the_ledger_after_office_moves_and_field_use(shop, phone, office):
    tech = shop.technician("tech1")
    shop.van(tech, {"CAP-35UF": 2})
    ticket = shop.ticket(tech)
    desk = office("warehouse")
    device = phone("tech1")

    desk.post("/api/stock/moves", json={"sku": "CAP-35UF", "qty": 5, "from": None, "to": "warehouse",
                                        "reason": "purchase"})
    desk.post("/api/stock/moves", json={"sku": "CAP-35UF", "qty": 1, "from": "warehouse", "to": "scrap",
                                        "reason": "scrap", "ref": "damaged in transit"})
    device.push(device.mutation("part.use", ticket.id, line_id="L1", sku="CAP-35UF", qty=3, source="van",
                                charge="paid"),
                device.mutation("part.remove", ticket.id, line_id="L1"),
                device.mutation("part.use", ticket.id, line_id="L2", sku="CAP-35UF", qty=1, source="van",
                                charge="paid"))
    desk.post("/api/stock/moves", json={"sku": "CAP-35UF", "qty": 2, "from": "warehouse",
                                        "to": "van:tech1", "reason": "transfer"})

    assert levels(desk, "warehouse") == {"CAP-35UF": 2}
    assert levels(desk, "van:tech1") == {"CAP-35UF": 3}
    assert levels(desk, "scrap") == {"CAP-35UF": 1}
    assert levels(desk, "customer") == {"CAP-35UF": 1}
    assert_levels_match_the_ledger()
