"""Pull: what a technician's phone receives, page by page, and that no change is ever skipped."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import event

from backend.db import db, utcnow
from backend.inventory.service import ensure_location, ledger_levels, level_of, location_by_code, move_stock
from backend.tickets.models import Ticket

pytestmark = pytest.mark.storage


def ids(tickets):
    return sorted(t["id"] for t in tickets)


def test_the_first_pull_is_a_snapshot_of_my_work_the_catalog_and_my_van(shop, phone):
    me, other = shop.technician("tech1"), shop.technician("tech2")
    shop.van(me, {"CAP-35UF": 2})
    shop.checklist()
    mine = [shop.ticket(me) for _ in range(3)]
    shop.ticket(other)
    shop.ticket()  # not assigned to anyone

    pulled = phone("tech1").pull()

    assert ids(pulled["tickets"]) == sorted(t.id for t in mine)
    assert [p["sku"] for p in pulled["catalog"]["parts"]] == ["CAP-35UF"]
    assert pulled["catalog"]["checklists"][0]["code"] == "arrival"
    assert pulled["stock"] == {"location": "van:tech1", "levels": [{"sku": "CAP-35UF", "qty": 2}]}
    ticket = pulled["tickets"][0]
    assert ticket["visits"][0]["id"] and ticket["customer"]["phone"]
    assert ticket["appliance"]["in_warranty"] is False


def test_a_snapshot_pages_without_losing_or_repeating_tickets(shop, phone):
    me = shop.technician("tech1")
    mine = [shop.ticket(me) for _ in range(7)]

    pulled = phone("tech1").pull(limit=3)

    assert pulled["pages"] == 3
    assert [t["id"] for t in pulled["tickets"]] == [t.id for t in mine]


def test_completed_tickets_stay_in_the_snapshot_for_two_weeks(shop, phone):
    me = shop.technician("tech1")
    recent, old = shop.ticket(me), shop.ticket(me)
    for ticket, days in ((recent, 3), (old, 20)):
        row = db.session.get(Ticket, ticket.id)
        row.status, row.completed_at = "completed", utcnow() - timedelta(days=days)
    db.session.commit()

    assert ids(phone("tech1").pull()["tickets"]) == [recent.id]


def test_a_cursor_returns_only_what_changed_after_it(shop, phone, office):
    me = shop.technician("tech1")
    shop.part("CAP-35UF")
    first, second = shop.ticket(me), shop.ticket(me)
    device = phone("tech1")
    device.pull()

    assert device.pull()["tickets"] == []
    office().post(f"/api/tickets/{second.id}/assign", json={
        "technician": "tech1", "scheduled_start": (utcnow() + timedelta(days=1)).isoformat()})
    changed = device.pull()

    assert ids(changed["tickets"]) == [second.id]
    assert "catalog" not in changed and "stock" not in changed
    assert first.id not in ids(changed["tickets"])


def test_a_delta_pages_by_change_order(shop, phone):
    me = shop.technician("tech1")
    device = phone("tech1")
    device.pull()
    tickets = [shop.ticket(me) for _ in range(5)]

    pulled = device.pull(limit=2)

    assert pulled["pages"] == 3
    assert [t["id"] for t in pulled["tickets"]] == [t.id for t in tickets]


def test_van_stock_and_catalog_changes_come_with_the_next_pull(shop, phone, office):
    me = shop.technician("tech1")
    shop.van(me, {"CAP-35UF": 1})
    device = phone("tech1")
    device.pull()
    shop.user("warehouse", role="warehouse")
    office("warehouse").post("/api/stock/moves", json={
        "sku": "CAP-35UF", "qty": 1, "from": None, "to": "van:tech1", "reason": "transfer"})
    shop.part("CAP-2UF")

    changed = device.pull()

    assert changed["stock"]["levels"] == [{"sku": "CAP-35UF", "qty": 2}]
    assert {p["sku"] for p in changed["catalog"]["parts"]} == {"CAP-35UF", "CAP-2UF"}


def test_my_own_push_comes_back_in_my_next_pull(shop, phone):
    me = shop.technician("tech1")
    shop.van(me, {"CAP-35UF": 2})
    ticket = shop.ticket(me)
    device = phone("tech1")
    device.pull()

    device.push(device.mutation("part.use", ticket.id, line_id="L1", sku="CAP-35UF", qty=1,
                                source="van", charge="paid"))
    changed = device.pull()

    assert [p["line_id"] for p in changed["tickets"][0]["parts"]] == ["L1"]
    assert changed["stock"]["levels"] == [{"sku": "CAP-35UF", "qty": 1}]
    assert changed["device_last_seq"] == 1


def test_a_ticket_taken_away_is_listed_once_and_returns_when_given_back(shop, phone, office):
    me, other = shop.technician("tech1"), shop.technician("tech2")
    ticket = shop.ticket(me)
    device = phone("tech1")
    device.pull()
    desk = office()

    desk.post(f"/api/tickets/{ticket.id}/assign", json={"technician": "tech2"})
    assert device.pull()["removed_ticket_ids"] == [ticket.id]
    assert device.pull()["removed_ticket_ids"] == []

    desk.post(f"/api/tickets/{ticket.id}/assign", json={"technician": "tech1"})
    back = device.pull()
    assert ids(back["tickets"]) == [ticket.id] and back["removed_ticket_ids"] == []
    assert other is not None


def test_a_cancelled_ticket_is_removed_with_its_reason(shop, phone, office, client):
    me = shop.technician("tech1")
    ticket = shop.ticket(me)
    device = phone("tech1")
    device.pull()

    office().post(f"/api/tickets/{ticket.id}/cancel", json={"reason": "客户已自行修好"})
    response = client.get("/api/sync/pull", headers=device.headers,
                          query_string={"cursor": device.cursor})

    page = response.get_json()
    assert page["removed_ticket_ids"] == [ticket.id]
    assert page["removed"] == [{"ticket_id": ticket.id, "reason": "cancelled"}]
    assert page["tickets"] == []


def test_the_same_batch_pushed_twice_at_once_is_applied_once(app, shop, phone):
    me = shop.technician("tech1")
    shop.van(me, {"CAP-35UF": 5})
    ticket = shop.ticket(me)
    device = phone("tech1")
    batch = [device.mutation("part.use", ticket.id, line_id=f"L{i}", sku="CAP-35UF", qty=1,
                             source="van", charge="paid") for i in range(3)]
    body = {"device_id": device.device_id, "clock": utcnow().isoformat(), "mutations": batch}
    answers = []

    def send():
        answers.append(app.test_client().post("/api/sync/push", headers=device.headers, json=body))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [a.status_code for a in answers] == [200, 200], [a.get_json() for a in answers]
    statuses = sorted(tuple(r["status"] for r in a.get_json()["results"]) for a in answers)
    assert statuses == [("applied",) * 3, ("duplicate",) * 3]
    pulled = device.pull()
    assert pulled["stock"]["levels"] == [{"sku": "CAP-35UF", "qty": 2}]
    assert len(pulled["tickets"][0]["parts"]) == 3


@pytest.mark.postgres_only
def test_a_writer_that_commits_late_is_never_skipped_by_the_cursor(app, shop, phone):
    """Writer A takes its change number first but commits after B started: the counter row
    makes B wait for A, so B's number is larger and commits later; a pull in between sees
    neither, and the next one sees both."""
    me = shop.technician("tech1")
    first, second = shop.ticket(me), shop.ticket(me)
    device = phone("tech1")
    device.pull()
    a_holds_number, release_a, b_started = threading.Event(), threading.Event(), threading.Event()
    errors = []

    def write(ticket_id, before_commit=None):
        try:
            with app.app_context():
                row = db.session.get(Ticket, ticket_id)
                row.fault_description = f"changed {ticket_id}"
                if before_commit:
                    connection = db.session.connection()
                    event.listen(connection, "commit", lambda conn: before_commit())
                else:
                    b_started.set()
                db.session.commit()
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)

    def hold_a():
        a_holds_number.set()
        release_a.wait(10)

    writer_a = threading.Thread(target=write, args=(first.id, hold_a))
    writer_a.start()
    assert a_holds_number.wait(10)
    writer_b = threading.Thread(target=write, args=(second.id,))
    writer_b.start()
    assert b_started.wait(10)
    time.sleep(0.3)

    assert writer_b.is_alive(), "B must wait for A's number to commit"
    assert device.pull()["tickets"] == []
    release_a.set()
    writer_a.join(10)
    writer_b.join(10)

    assert not errors
    assert ids(device.pull()["tickets"]) == sorted([first.id, second.id])
    db.session.expire_all()
    assert db.session.get(Ticket, second.id).change_seq > db.session.get(Ticket, first.id).change_seq


def test_a_large_pull_travels_gzipped_when_the_phone_accepts_it(shop, phone, client):
    me = shop.technician("tech1")
    for _ in range(5):
        shop.ticket(me)
    device = phone("tech1")

    response = client.get("/api/sync/pull", headers={**device.headers, "Accept-Encoding": "gzip"})

    assert response.headers["Content-Encoding"] == "gzip"
    import gzip
    import json

    assert len(json.loads(gzip.decompress(response.data))["tickets"]) == 5


def test_two_phones_taking_from_the_warehouse_at_once_both_count(app, shop, phone):
    first, second = shop.technician("tech1"), shop.technician("tech2")
    shop.van(first, {"CAP-35UF": 10})  # also stocks the warehouse: 10 bought, 10 sent out
    move_stock(shop.actor, sku="CAP-35UF", qty=20, from_location=None,
               to_location=ensure_location("warehouse", "warehouse"), reason="purchase", at=utcnow())
    db.session.commit()
    tickets = {first: shop.ticket(first), second: shop.ticket(second)}
    devices = {tech: phone(tech.username) for tech in (first, second)}
    bodies = []
    for tech, device in devices.items():
        use = [device.mutation("part.use", tickets[tech].id, line_id=f"{tech.username}-{i}",
                               sku="CAP-35UF", qty=1, source="warehouse", charge="paid")
               for i in range(5)]
        bodies.append((device, {"device_id": device.device_id, "clock": utcnow().isoformat(),
                                "mutations": use}))
    answers = []

    def send(device, body):
        answers.append(app.test_client().post("/api/sync/push", headers=device.headers, json=body))

    threads = [threading.Thread(target=send, args=pair) for pair in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [a.status_code for a in answers] == [200, 200]
    db.session.rollback()
    warehouse = location_by_code("warehouse")
    assert level_of(warehouse, "CAP-35UF") == 20 - 10
    assert ledger_levels(warehouse)["CAP-35UF"] == 10
