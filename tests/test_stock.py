"""The stock ledger: levels always equal the sum of moves; requisitions approved by value;
old parts tracked until returned; low-stock alerts; stocktakes; per-technician accounts."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import event

from backend.db import db, utcnow
from backend.inventory.models import StockLevel, StockLocation, StockMove
from backend.inventory.service import ledger_levels, level_of, location_by_code, reconcile_levels, van_of
from backend.tickets.models import AuditLog

pytestmark = pytest.mark.storage


def move(desk, sku, qty, src, dst, reason, ref=None):
    response = desk.post(
        "/api/stock/moves",
        json={"sku": sku, "qty": qty, "from": src, "to": dst, "reason": reason, "ref": ref},
    )
    assert response.status_code == 201, response.get_json()


def positions(desk, **holders):
    for username, position in holders.items():
        assert (
            desk.post("/api/stock/approvers", json={"username": username, "position": position}).status_code
            == 200
        )


def requisition(desk, technician, lines, expect=201):
    response = desk.post(
        "/api/stock/requisitions",
        json={"technician": technician, "lines": [{"sku": s, "qty": q} for s, q in lines]},
    )
    assert response.status_code == expect, response.get_json()
    return response.get_json()


@pytest.fixture
def store(shop, office):
    """A warehouse with two SKUs, a technician, and the office people who sign."""
    shop.locations()
    shop.part("CAP-35UF", 4500)
    shop.part("PCB-AC-IN", 38000)
    shop.technician("tech1")
    people = {role: office(role) for role in ("warehouse", "admin", "dispatcher", "finance")}
    move(people["warehouse"], "CAP-35UF", 100, None, "warehouse", "purchase", "PO-1")
    move(people["warehouse"], "PCB-AC-IN", 20, None, "warehouse", "purchase", "PO-1")
    return people


def test_cached_levels_always_equal_the_ledger(store, shop, phone):
    """A random day of purchases, transfers, field use, removals, scrap and a stocktake."""
    tech = db.session.execute(db.select(StockLocation).where(StockLocation.code == "van:tech1")).scalar_one()
    ticket = shop.ticket(_user("tech1"))
    device = phone("tech1")
    rng = random.Random(6)
    used = []
    for step in range(60):
        choice = rng.choice(["purchase", "transfer", "back", "use", "remove", "scrap"])
        sku = rng.choice(["CAP-35UF", "PCB-AC-IN"])
        if choice == "purchase":
            move(store["warehouse"], sku, rng.randint(1, 5), None, "warehouse", "purchase")
        elif choice == "transfer":
            move(store["warehouse"], sku, rng.randint(1, 3), "warehouse", "van:tech1", "transfer")
        elif choice == "back":
            move(store["warehouse"], sku, 1, "van:tech1", "warehouse", "transfer")
        elif choice == "use":
            line_id = f"L{step}"
            device.push(
                device.mutation(
                    "part.use",
                    ticket.id,
                    line_id=line_id,
                    sku=sku,
                    qty=rng.randint(1, 2),
                    source=rng.choice(["van", "warehouse"]),
                    charge="paid",
                )
            )
            used.append(line_id)
        elif choice == "remove" and used:
            device.push(device.mutation("part.remove", ticket.id, line_id=used.pop(rng.randrange(len(used)))))
        elif choice == "scrap":
            move(store["warehouse"], sku, 1, "warehouse", "scrap", "scrap")
    sheet = store["warehouse"].post("/api/stock/stocktakes", json={"location": "van:tech1"}).get_json()
    store["warehouse"].client.put(
        f"/api/stock/stocktakes/{sheet['id']}/counts",
        headers=store["warehouse"].headers,
        json={"counts": [{"sku": "CAP-35UF", "counted_qty": 0}]},
    )
    store["warehouse"].post(f"/api/stock/stocktakes/{sheet['id']}/post")

    assert reconcile_levels() == []
    for location in db.session.execute(db.select(StockLocation)).scalars():
        cached = {
            lv.sku: lv.qty
            for lv in db.session.execute(
                db.select(StockLevel).where(StockLevel.location_id == location.id)
            ).scalars()
            if lv.qty
        }
        assert cached == {k: v for k, v in ledger_levels(location).items() if v}, location.code
    assert store["finance"].get("/api/stock/reconcile").get_json() == {"ok": True, "mismatches": []}
    assert level_of(tech, "CAP-35UF") == 0


def _user(username):
    from backend.people.models import User

    return db.session.execute(db.select(User).where(User.username == username)).scalar_one()


def test_a_drifted_cache_is_reported(store):
    level = db.session.get(StockLevel, (location_by_code("warehouse").id, "CAP-35UF"))
    level.qty += 1
    db.session.commit()

    report = store["admin"].get("/api/stock/reconcile").get_json()

    assert report["ok"] is False
    assert report["mismatches"] == [
        {"location": "warehouse", "sku": "CAP-35UF", "cached": 101, "ledger": 100}
    ]


def test_up_to_500_yuan_the_service_centre_head_signs(store):
    positions(store["admin"], dispatcher="service_head")
    wanted = requisition(store["warehouse"], "tech1", [("CAP-35UF", 2)])  # ¥90

    refused = store["warehouse"].post(f"/api/stock/requisitions/{wanted['id']}/approve", json={})
    approved = store["dispatcher"].post(
        f"/api/stock/requisitions/{wanted['id']}/approve", json={"note": "同意"}
    )

    assert wanted["required_positions"] == ["service_head"] and wanted["value_fen"] == 9000
    assert refused.status_code == 403
    body = approved.get_json()
    assert body["status"] == "approved"
    assert [(a["user"], a["position"], a["decision"], a["note"]) for a in body["approvals"]] == [
        ("dispatcher", "service_head", "approved", "同意")
    ]


def test_up_to_2000_yuan_the_quality_manager_signs(store):
    positions(store["admin"], dispatcher="service_head", finance="quality_manager")
    wanted = requisition(store["warehouse"], "tech1", [("PCB-AC-IN", 5)])  # ¥1,900

    assert wanted["required_positions"] == ["quality_manager"]
    assert (
        store["dispatcher"].post(f"/api/stock/requisitions/{wanted['id']}/approve", json={}).status_code
        == 403
    )
    assert (
        store["finance"].post(f"/api/stock/requisitions/{wanted['id']}/approve", json={}).get_json()["status"]
        == "approved"
    )


def test_above_2000_yuan_both_vice_presidents_sign(store):
    positions(store["admin"], dispatcher="service_vp", finance="supply_vp")
    wanted = requisition(store["warehouse"], "tech1", [("PCB-AC-IN", 6)])  # ¥2,280

    first = store["dispatcher"].post(f"/api/stock/requisitions/{wanted['id']}/approve", json={}).get_json()
    too_early = store["warehouse"].post(f"/api/stock/requisitions/{wanted['id']}/issue")
    second = store["finance"].post(f"/api/stock/requisitions/{wanted['id']}/approve", json={}).get_json()

    assert wanted["required_positions"] == ["service_vp", "supply_vp"]
    assert (first["status"], first["waiting_for"]) == ("pending", ["supply_vp"])
    assert too_early.status_code == 409
    assert second["status"] == "approved" and len(second["approvals"]) == 2


def test_thresholds_are_configurable(store):
    positions(store["admin"], dispatcher="service_head", finance="quality_manager")
    response = store["admin"].client.put(
        "/api/stock/approval-rules",
        headers=store["admin"].headers,
        json={
            "rules": [
                {"max_fen": 10_000, "positions": ["service_head"]},
                {"max_fen": None, "positions": ["quality_manager"]},
            ]
        },
    )

    wanted = requisition(store["warehouse"], "tech1", [("CAP-35UF", 3)])  # ¥135

    assert response.status_code == 200
    assert wanted["required_positions"] == ["quality_manager"]
    denied = store["warehouse"].client.put(
        "/api/stock/approval-rules",
        headers=store["warehouse"].headers,
        json={"rules": [{"max_fen": None, "positions": ["service_head"]}]},
    )
    assert denied.status_code == 403


def test_an_issued_requisition_moves_stock_into_the_van_with_its_number(store):
    positions(store["admin"], dispatcher="service_head")
    wanted = requisition(store["warehouse"], "tech1", [("CAP-35UF", 4)])
    store["dispatcher"].post(f"/api/stock/requisitions/{wanted['id']}/approve", json={})

    issued = store["warehouse"].post(f"/api/stock/requisitions/{wanted['id']}/issue").get_json()
    again = store["warehouse"].post(f"/api/stock/requisitions/{wanted['id']}/issue")

    assert issued["status"] == "issued" and issued["issued_by"] == "warehouse"
    assert again.status_code == 409
    assert level_of(location_by_code("van:tech1"), "CAP-35UF") == 4
    [moved] = (
        db.session.execute(db.select(StockMove).where(StockMove.ref == wanted["number"])).scalars().all()
    )
    assert (moved.reason, moved.qty) == ("transfer", 4)
    audited = db.session.scalars(
        db.select(AuditLog.action).where(AuditLog.entity == "requisition").order_by(AuditLog.id)
    ).all()
    assert audited == ["create", "approved", "issue"]


def test_a_rejected_requisition_cannot_be_issued(store):
    positions(store["admin"], dispatcher="service_head")
    wanted = requisition(store["warehouse"], "tech1", [("CAP-35UF", 1)])

    rejected = store["dispatcher"].post(
        f"/api/stock/requisitions/{wanted['id']}/reject", json={"note": "车上还有"}
    )

    assert rejected.get_json()["status"] == "rejected"
    assert store["warehouse"].post(f"/api/stock/requisitions/{wanted['id']}/issue").status_code == 409


def test_a_technician_requests_for_their_own_van_only(store, phone):
    device = phone("tech1")
    mine = device.client.post(
        "/api/stock/requisitions",
        headers=device.headers,
        json={"lines": [{"sku": "CAP-35UF", "qty": 1}], "note": "车上没有电容了"},
    )
    other = device.client.post(
        "/api/stock/requisitions",
        headers=device.headers,
        json={"technician": "warehouse", "lines": [{"sku": "CAP-35UF", "qty": 1}]},
    )

    assert mine.status_code == 201 and mine.get_json()["technician"] == "tech1"
    assert other.status_code == 403
    listed = device.client.get("/api/stock/requisitions", headers=device.headers).get_json()["requisitions"]
    assert [r["number"] for r in listed] == [mine.get_json()["number"]]


def test_old_parts_are_tracked_until_returned_and_listed_when_overdue(store, shop, phone):
    tech = _user("tech1")
    shop.van(tech, {"CAP-35UF": 2})
    old = shop.ticket(tech)
    recent = shop.ticket(tech)
    device = phone("tech1")
    late = device.mutation("old_part.collect", old.id, line_id="OLD-1", sku="CAP-35UF", qty=1)
    late["at"] = (utcnow() - timedelta(days=31)).isoformat()
    device.push(late, device.mutation("old_part.collect", recent.id, line_id="OLD-2", sku="CAP-35UF", qty=1))

    overdue = store["warehouse"].get("/api/stock/old-parts?status=overdue").get_json()
    alerts = store["warehouse"].get("/api/stock/alerts").get_json()
    returned = store["warehouse"].post("/api/stock/old-parts/OLD-1/return", json={"to": "manufacturer"})
    twice = store["warehouse"].post("/api/stock/old-parts/OLD-1/return", json={"to": "manufacturer"})

    assert overdue["limit_days"] == 30
    assert [(o["line_id"], o["overdue"], o["days_held"]) for o in overdue["old_parts"]] == [
        ("OLD-1", True, 31)
    ]
    assert [o["line_id"] for o in alerts["overdue_old_parts"]] == ["OLD-1"]
    assert returned.status_code == 200 and returned.get_json()["returned_at"] is not None
    assert twice.status_code == 409
    held = store["warehouse"].get("/api/stock/old-parts").get_json()["old_parts"]
    assert [o["line_id"] for o in held] == ["OLD-2"]
    [back] = db.session.execute(db.select(StockMove).where(StockMove.ref == "old_part:OLD-1")).scalars().all()
    assert back.reason == "return_old" and back.to_location_id == location_by_code("manufacturer").id


def test_low_stock_raises_an_alert_until_restocked(store):
    store["warehouse"].client.put(
        "/api/stock/thresholds",
        headers=store["warehouse"].headers,
        json={"location": "warehouse", "sku": "PCB-AC-IN", "low_threshold": 25},
    )
    store["warehouse"].client.put(
        "/api/stock/thresholds",
        headers=store["warehouse"].headers,
        json={"location": "van:tech1", "sku": "CAP-35UF", "low_threshold": 1},
    )

    low = store["dispatcher"].get("/api/stock/alerts").get_json()["low_stock"]
    move(store["warehouse"], "PCB-AC-IN", 10, None, "warehouse", "purchase")
    later = store["dispatcher"].get("/api/stock/alerts").get_json()["low_stock"]

    assert [(a["location"], a["sku"], a["qty"], a["low_threshold"]) for a in low] == [
        ("van:tech1", "CAP-35UF", 0, 1),
        ("warehouse", "PCB-AC-IN", 20, 25),
    ]
    assert [a["location"] for a in later] == ["van:tech1"]
    assert reconcile_levels() == []  # a threshold row with no moves is still zero on both sides


def test_a_stocktake_posts_gains_and_losses_as_adjustments(store):
    desk = store["warehouse"]
    sheet = desk.post("/api/stock/stocktakes", json={"location": "warehouse", "note": "月末盘点"}).get_json()
    shop_floor = [{"sku": "CAP-35UF", "counted_qty": 97}, {"sku": "PCB-AC-IN", "counted_qty": 21}]

    counted = desk.client.put(
        f"/api/stock/stocktakes/{sheet['id']}/counts", headers=desk.headers, json={"counts": shop_floor}
    ).get_json()
    posted = desk.post(f"/api/stock/stocktakes/{sheet['id']}/post").get_json()

    assert [(line["sku"], line["book_qty"]) for line in sheet["lines"]] == [
        ("CAP-35UF", 100),
        ("PCB-AC-IN", 20),
    ]
    assert [line["difference"] for line in counted["lines"]] == [-3, 1]
    assert posted["status"] == "posted" and [line["posted_diff"] for line in posted["lines"]] == [-3, 1]
    warehouse = location_by_code("warehouse")
    assert (level_of(warehouse, "CAP-35UF"), level_of(warehouse, "PCB-AC-IN")) == (97, 21)
    adjustments = (
        db.session.execute(
            db.select(StockMove).where(StockMove.reason == "stocktake_adjust").order_by(StockMove.sku)
        )
        .scalars()
        .all()
    )
    assert [(m.sku, m.qty, m.ref, m.from_location_id is None) for m in adjustments] == [
        ("CAP-35UF", 3, f"ST-{sheet['id']}", False),
        ("PCB-AC-IN", 1, f"ST-{sheet['id']}", True),
    ]
    assert desk.post(f"/api/stock/stocktakes/{sheet['id']}/post").status_code == 409
    assert reconcile_levels() == []


def test_a_technicians_account_shows_borrowed_consumed_returned_and_held(store, shop, phone):
    positions(store["admin"], dispatcher="service_head")
    wanted = requisition(store["warehouse"], "tech1", [("CAP-35UF", 5)])
    store["dispatcher"].post(f"/api/stock/requisitions/{wanted['id']}/approve", json={})
    store["warehouse"].post(f"/api/stock/requisitions/{wanted['id']}/issue")
    ticket = shop.ticket(_user("tech1"))
    device = phone("tech1")
    device.push(
        device.mutation(
            "part.use", ticket.id, line_id="A", sku="CAP-35UF", qty=2, source="van", charge="paid"
        ),
        device.mutation("part.remove", ticket.id, line_id="A"),
        device.mutation(
            "part.use", ticket.id, line_id="B", sku="CAP-35UF", qty=1, source="van", charge="paid"
        ),
        device.mutation("old_part.collect", ticket.id, line_id="O", sku="CAP-35UF", qty=1),
    )
    move(store["warehouse"], "CAP-35UF", 1, "van:tech1", "warehouse", "transfer")

    mine = device.get("/api/stock/technicians/tech1").get_json()
    theirs = store["warehouse"].get("/api/stock/technicians/tech1").get_json()
    shop.technician("tech2")

    [line] = mine["parts"]
    assert (line["borrowed"], line["consumed"], line["returned"], line["held"]) == (5, 1, 1, 3)
    assert line["held"] == line["level"] == level_of(van_of(_user("tech1").id, "tech1"), "CAP-35UF")
    assert [o["line_id"] for o in mine["old_parts_held"]] == ["O"]
    assert theirs == mine
    assert device.get("/api/stock/technicians/tech2").status_code == 403


def test_the_ledger_lists_who_moved_what_why_and_the_reference(store):
    ledger = store["finance"].get("/api/stock/moves?location=warehouse&sku=CAP-35UF").get_json()["moves"]

    assert [(m["qty"], m["from"], m["to"], m["reason"], m["ref"], m["actor"]) for m in ledger] == [
        (100, None, "warehouse", "purchase", "PO-1", "warehouse")
    ]


@pytest.mark.parametrize(
    "role, method, path, body",
    [
        (
            "dispatcher",
            "put",
            "/api/stock/thresholds",
            {"location": "warehouse", "sku": "CAP-35UF", "low_threshold": 1},
        ),
        ("finance", "post", "/api/stock/stocktakes", {"location": "warehouse"}),
        (
            "dispatcher",
            "post",
            "/api/stock/approvers",
            {"username": "dispatcher", "position": "service_head"},
        ),
        ("finance", "post", "/api/stock/old-parts/X/return", {"to": "scrap"}),
    ],
)
def test_stock_changes_need_the_right_role(store, role, method, path, body):
    desk = store[role]
    response = getattr(desk.client, method)(path, headers=desk.headers, json=body)

    assert response.status_code == 403


def _statements_listing(desk) -> tuple[int, list[dict]]:
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        listed = desk.get("/api/stock/requisitions").get_json()["requisitions"]
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements), listed


def test_the_requisition_list_reads_people_and_parts_once_however_long_it_is(store):
    requisition(store["warehouse"], "tech1", [("CAP-35UF", 1), ("PCB-AC-IN", 1)])
    one, _ = _statements_listing(store["warehouse"])
    for qty in range(2, 6):
        requisition(store["warehouse"], "tech1", [("CAP-35UF", qty), ("PCB-AC-IN", 1)])

    five, listed = _statements_listing(store["warehouse"])

    assert five == one
    assert [r["lines"][0]["qty"] for r in listed] == [5, 4, 3, 2, 1]
    assert {(r["technician"], r["requested_by"], r["lines"][1]["name"]) for r in listed} == {
        ("tech1", "warehouse", "零件 PCB-AC-IN")}
