"""Pull snapshot for a technician with 50 tickets and a 5,000-part catalog (SQLite).

Baseline in the same run: plain sqlite3 reading the same rows and json.dumps of them,
the floor for a pull that must read and serialise this much. Prints p50/p95 of both and
saves the query plan of the slowest statement of one pull."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import timedelta

from sqlalchemy import event

from backend.audit import Actor
from backend.catalog.models import ChecklistTemplate, FaultCode, FeeItem, Part
from backend.db import db, utcnow
from backend.inventory.service import SINGLETON_LOCATIONS, ensure_location, move_stock, van_of
from backend.people.service import create_user
from backend.tickets.service import assign_ticket, create_ticket
from bench.common import fresh_app, percentiles, save

RUNS, WARMUP = 60, 5


def build(tickets: int, parts: int) -> None:
    now = utcnow()
    admin = create_user("admin", "pw", "admin", "Admin")
    actor = Actor(user_id=admin.id, username="admin", role="admin", terminal="bench")
    for code in SINGLETON_LOCATIONS:
        ensure_location(code, code)
    db.session.add_all(Part(sku=f"SKU{i:05d}", name=f"零件 {i}", name_en=f"Part {i}",
                            category="air_conditioner", price_fen=1000 + i) for i in range(parts))
    db.session.add_all(FeeItem(item_code=f"labour.{i}", name=f"工时 {i}", kind="labour",
                               category="air_conditioner", amount_fen=5000 + i) for i in range(30))
    db.session.add_all(FaultCode(code=f"E{i}", kind="fault", category="air_conditioner",
                                 description=f"故障 {i}") for i in range(200))
    db.session.add(ChecklistTemplate(code="arrival", phase="arrival", items=[
        {"item_code": f"c{i}", "label": f"检查 {i}", "kind": "bool"} for i in range(8)]))
    tech = create_user("tech1", "pw", "technician", "Tech", technician={"skills": ["air_conditioner"]})
    van = van_of(tech.id, "tech1")
    for i in range(40):
        move_stock(actor, sku=f"SKU{i:05d}", qty=5, from_location=None, to_location=van,
                   reason="purchase", at=now)
    for t in range(tickets):
        ticket = create_ticket(actor, {
            "customer": {"name": f"客户{t}", "phone": f"1380000{t:04d}", "address": "上海市浦东新区",
                         "region": "浦东", "tier": "regular"},
            "appliance": {"brand": "格力", "category": "air_conditioner", "model": "KFR-35GW",
                          "serial": f"SN{t}", "purchase_date": None, "warranty_months": 12},
            "fault": {"category": "E1", "description": "不制冷"}, "urgency": "normal", "source": None,
        }, now)
        assign_ticket(actor, ticket, "tech1", now + timedelta(hours=t), None, now)
    db.session.commit()


def raw_snapshot(path: str) -> str:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    tech_id = conn.execute("SELECT id FROM users WHERE username='tech1'").fetchone()[0]
    tickets = [dict(r) for r in conn.execute(
        "SELECT t.*, c.name AS customer_name, c.phone, c.address, a.brand, a.model FROM tickets t "
        "JOIN customers c ON c.id = t.customer_id JOIN appliances a ON a.id = t.appliance_id "
        "WHERE t.technician_id = ?", (tech_id,))]
    ids = [t["id"] for t in tickets]
    marks = ",".join("?" * len(ids))
    for table in ("visits", "part_lines", "fee_lines", "payments", "signatures", "flags"):
        rows = [dict(r) for r in conn.execute(f"SELECT * FROM {table} WHERE ticket_id IN ({marks})", ids)]
        for ticket in tickets:
            ticket[table] = [r for r in rows if r["ticket_id"] == ticket["id"]]
    catalog = {name: [dict(r) for r in conn.execute(f"SELECT * FROM {name}")]
               for name in ("parts", "fee_items", "fault_codes", "checklist_templates")}
    body = json.dumps({"tickets": tickets, "catalog": catalog}, default=str, ensure_ascii=False)
    conn.close()
    return body


def main() -> None:
    app, path = fresh_app()
    with app.app_context():
        build(tickets=50, parts=5000)
    client = app.test_client()
    token = client.post("/api/auth/login", json={"username": "tech1", "password": "pw"}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}

    def pull() -> tuple[float, int]:
        started = time.perf_counter()
        response = client.get("/api/sync/pull?limit=100", headers=headers)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200 and len(response.get_json()["tickets"]) == 50
        return elapsed, len(response.data)

    for _ in range(WARMUP):
        pull()
        raw_snapshot(str(path))
    samples, size = [], 0
    for _ in range(RUNS):
        elapsed, size = pull()
        samples.append(elapsed)
    raw = []
    for _ in range(RUNS):
        started = time.perf_counter()
        raw_snapshot(str(path))
        raw.append(time.perf_counter() - started)

    with app.app_context():
        timings: list[tuple[float, str, object]] = []

        def before(conn, cursor, statement, params, context, executemany):
            context._bench_started = time.perf_counter()

        def after(conn, cursor, statement, params, context, executemany):
            timings.append((time.perf_counter() - context._bench_started, statement, params))

        event.listen(db.engine, "before_cursor_execute", before)
        event.listen(db.engine, "after_cursor_execute", after)
        pull()
        event.remove(db.engine, "before_cursor_execute", before)
        event.remove(db.engine, "after_cursor_execute", after)
        slowest = max(timings, key=lambda t: t[0])
        plan = [tuple(r) for r in db.session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + slowest[1], slowest[2]).fetchall()]
    result = {
        "tickets": 50, "catalog_parts": 5000, "response_bytes": size,
        "pull_snapshot": percentiles(samples), "raw_sqlite_baseline": percentiles(raw),
        "ratio_p50": round(percentiles(samples)["p50_ms"] / percentiles(raw)["p50_ms"], 2),
        "statements_per_pull": len(timings), "target_ms": 150,
        "slowest_statement": {"ms": round(slowest[0] * 1000, 2), "sql": slowest[1],
                              "query_plan": plan},
    }
    save("pull_snapshot", result)


if __name__ == "__main__":
    main()
