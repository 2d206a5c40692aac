"""Commission month: 500 technicians, 300,000 completed tickets, on PostgreSQL.

Builds the synced facts with COPY (tickets, completions, fee and part lines, ratings,
repeat repairs, upheld complaints) and the month's commission lines (in production each
ticket's lines are written as it completes; here `rebuild_month` derives them all at once,
which is also what a mid-month rule change runs, and is timed for the record). Then:

- the commission month: `close_month`, which computes every technician's statement (fee
  and material commission, grade coefficient, per-ticket and monthly caps, base wage,
  repeat-repair and complaint deductions, bonuses, adjustments) and locks it. Target < 10 s.
- the baseline, in the same run: the month recomputed line by line from the raw facts, a
  deliberately plain and independent reading of the rules, one fee line and one part line
  at a time, summed per technician. Its totals must equal the locked statements to the fen.
- the per-ticket path (what completing one ticket runs) on a sample, which must leave the
  sample's lines unchanged.

Usage: python -m bench.commission_month [--url postgresql+psycopg://...] [--tickets N]
The schema of that database is dropped and left empty afterwards.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from backend.audit import Actor
from backend.commission.models import CommissionGrade, CommissionRule
from backend.commission.service import close_month, rebuild_month, refresh_tickets
from backend.db import db
from backend.fees.periods import month_bounds, month_of
from bench.common import fresh_app, save

URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MONTH = "2026-10"
GRADES = {
    "junior": (900, 250_000, 5_000, 300_000),
    "intermediate": (1000, 300_000, 8_000, 400_000),
    "senior": (1200, 350_000, None, None),
}
FEES = [  # item_code, kind, unit_fen
    ("inspect", "inspection", 5000),
    ("labour.capacitor", "labour", 8000),
    ("labour.board", "labour", 12000),
    ("labour.refrigerant", "labour", 15000),
    ("labour.pump", "labour", 9000),
    ("travel.far", "travel", 3000),
    ("handling.order", "handling", 2000),
]
RULES = [  # applies_to, item_code, fee_kind, mode, rate_bp, amount_fen, min_score
    ("fee", "labour.board", None, "percent", 1500, None, None),
    ("fee", None, "labour", "percent", 1000, None, None),
    ("fee", None, "inspection", "fixed", None, 500, None),
    ("fee", None, "travel", "percent", 5000, None, None),
    ("fee", None, None, "percent", 500, None, None),
    ("material", None, None, "percent", 1000, None, None),
    ("repeat_repair", None, None, "fixed", None, 5000, None),
    ("complaint", None, None, "fixed", None, 10000, None),
    ("rating_bonus", None, None, "fixed", None, 1000, 5),
]
PARTS = [(f"SKU{i:03d}", 1000 + 137 * i, 500 + 61 * i) for i in range(50)]  # sku, price, cost


def copy(conn, table: str, columns: tuple[str, ...], rows) -> int:
    raw = conn.connection.driver_connection
    count = 0
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as out:
        for row in rows:
            out.write_row(row)
            count += 1
    return count


def build(technicians: int, tickets: int, seed: int = 6) -> dict:
    rng = random.Random(seed)
    start, end = month_bounds(MONTH)
    span = (end - start).total_seconds()
    created = datetime(2026, 9, 1, tzinfo=UTC)
    conn = db.session.connection()
    counts = {}
    grades = {}
    users = [(1, "admin", "Admin", "x", "admin", True, created)]
    for i in range(technicians):
        grades[i + 2] = rng.choice(list(GRADES))
        users.append((i + 2, f"tech{i:03d}", f"师傅{i:03d}", "x", "technician", True, created))
    counts["users"] = copy(
        conn,
        "users",
        ("id", "username", "display_name", "password_hash", "role", "active", "created_at"),
        users,
    )
    copy(
        conn,
        "technicians",
        ("user_id", "skills", "regions", "grade", "daily_capacity"),
        ((uid, "[]", "[]", grade, 6) for uid, grade in grades.items()),
    )
    copy(
        conn,
        "parts",
        ("sku", "name", "category", "price_fen", "cost_fen", "warranty_months", "active"),
        ((sku, f"零件{sku}", "air_conditioner", price, cost, 3, True) for sku, price, cost in PARTS),
    )
    copy(
        conn,
        "fee_items",
        ("id", "item_code", "name", "kind", "category", "difficulty", "amount_fen", "warranty_covered"),
        (
            (i + 1, code, code, kind, "air_conditioner", 1, fen, True)
            for i, (code, kind, fen) in enumerate(FEES)
        ),
    )
    appliances = tickets // 3
    copy(
        conn,
        "customers",
        ("id", "name", "phone", "address", "region", "tier", "created_at"),
        ((i, f"客户{i}", f"1{i:010d}", "上海", "浦东", "regular", created) for i in range(1, appliances + 1)),
    )
    copy(
        conn,
        "appliances",
        ("id", "customer_id", "brand", "category", "model", "warranty_months"),
        ((i, i, "格力", "air_conditioner", "KFR-35GW", 12) for i in range(1, appliances + 1)),
    )

    ticket_rows, completions, fee_rows, part_rows, ratings, complaints = [], [], [], [], [], []
    last_on_appliance: dict[int, int] = {}
    tech_ids = list(grades)
    for tid in range(1, tickets + 1):
        tech = rng.choice(tech_ids)
        done = start + timedelta(seconds=span * (tid - 0.5) / tickets)  # in id order through the month
        appliance = rng.randint(1, appliances)
        repeat_of = last_on_appliance.get(appliance) if rng.random() < 0.06 else None
        last_on_appliance[appliance] = tid
        total = 0
        for n in range(rng.choice((1, 1, 2, 2, 3))):
            code, _kind, unit = rng.choice(FEES)
            qty = rng.choice((1, 1, 1, 2))
            roll = rng.random()
            charge = "repeat" if repeat_of and _kind == "labour" else ("warranty" if roll < 0.15 else "paid")
            amount = 0 if charge != "paid" else (unit * qty if roll > 0.05 else rng.randint(0, unit * qty))
            unit_line = 0 if charge == "repeat" else unit
            total += amount
            fee_rows.append(
                (f"F{tid}-{n}", tid, code, qty, unit_line, amount, charge, roll <= 0.05, tech, done)
            )
        for n in range(rng.choice((0, 0, 1, 1, 2))):
            sku, price, _cost = rng.choice(PARTS)
            source = "customer" if rng.random() < 0.05 else "van"
            charge = "warranty" if rng.random() < 0.15 else "paid"
            amount = 0 if charge == "warranty" or source == "customer" else price
            total += amount
            part_rows.append((f"P{tid}-{n}", tid, sku, 1, source, charge, price, amount, tech, done))
        ticket_rows.append(
            (
                tid,
                f"BN{tid:08d}",
                appliance,
                appliance,
                "E1",
                "",
                "normal",
                "completed",
                tech,
                created,
                done,
                total,
                repeat_of,
                0,
            )
        )
        completions.append((tid, tech, done, month_of(done)))
        if rng.random() < 0.6:
            ratings.append((tid, rng.choice((3, 4, 5, 5, 5)), done))
        if rng.random() < 0.005:
            complaints.append(
                (len(complaints) + 1, tid, tech, "投诉", created, "upheld", done + timedelta(hours=2))
            )
    counts["tickets"] = copy(
        conn,
        "tickets",
        (
            "id",
            "number",
            "customer_id",
            "appliance_id",
            "fault_category",
            "fault_description",
            "urgency",
            "status",
            "technician_id",
            "created_at",
            "completed_at",
            "total_fen",
            "repeat_of_id",
            "change_seq",
        ),
        ticket_rows,
    )
    counts["completions"] = copy(
        conn, "ticket_completions", ("ticket_id", "technician_id", "completed_at", "month"), completions
    )
    counts["fee_lines"] = copy(
        conn,
        "fee_lines",
        (
            "line_id",
            "ticket_id",
            "item_code",
            "qty",
            "unit_fen",
            "amount_fen",
            "charge",
            "overridden",
            "technician_id",
            "corrected_at",
        ),
        fee_rows,
    )
    counts["part_lines"] = copy(
        conn,
        "part_lines",
        (
            "line_id",
            "ticket_id",
            "sku",
            "qty",
            "source",
            "charge",
            "unit_price_fen",
            "amount_fen",
            "technician_id",
            "at",
        ),
        part_rows,
    )
    counts["ratings"] = copy(conn, "ratings", ("ticket_id", "score", "corrected_at"), ratings)
    counts["complaints"] = copy(
        conn,
        "complaints",
        ("id", "ticket_id", "technician_id", "description", "received_at", "status", "decided_at"),
        complaints,
    )
    for grade, (coefficient, base, per_ticket, monthly) in GRADES.items():
        db.session.add(
            CommissionGrade(
                grade=grade,
                coefficient_pm=coefficient,
                base_wage_fen=base,
                per_ticket_cap_fen=per_ticket,
                monthly_cap_fen=monthly,
            )
        )
    for i, (applies_to, code, kind, mode, rate, amount, score) in enumerate(RULES):
        db.session.add(
            CommissionRule(
                name=f"rule {i}",
                applies_to=applies_to,
                item_code=code,
                fee_kind=kind,
                mode=mode,
                rate_bp=rate,
                amount_fen=amount,
                min_score=score,
            )
        )
    for table in ("users", "customers", "appliances", "tickets", "fee_items", "complaints"):
        conn.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        )
    db.session.commit()
    conn = db.session.connection()
    conn.execute(text("ANALYZE"))
    db.session.commit()
    return counts


def round_half_up(numerator: int, denominator: int) -> int:
    sign = -1 if numerator < 0 else 1
    return sign * ((abs(numerator) * 2 + denominator) // (2 * denominator))


def line_by_line() -> dict[str, int]:
    """The baseline: the rules read plainly, one line at a time, summed per technician."""
    conn = db.session.connection()
    q = lambda sql: conn.exec_driver_sql(sql).fetchall()  # noqa: E731
    grade_of = dict(q("SELECT user_id, grade FROM technicians"))
    grades = {
        g: (c, b, t, m)
        for g, c, b, t, m in q(
            "SELECT grade, coefficient_pm, base_wage_fen, per_ticket_cap_fen, monthly_cap_fen "
            "FROM commission_grades"
        )
    }
    kinds = dict(q("SELECT DISTINCT item_code, kind FROM fee_items"))
    rules = q(
        "SELECT applies_to, item_code, fee_kind, mode, rate_bp, amount_fen, min_score FROM commission_rules "
        "WHERE active ORDER BY id"
    )
    by_code = {r[1]: r for r in rules if r[0] == "fee" and r[1]}
    by_kind = {r[2]: r for r in rules if r[0] == "fee" and not r[1] and r[2]}
    default = next((r for r in rules if r[0] == "fee" and not r[1] and not r[2]), None)
    other = {r[0]: r for r in rules if r[0] != "fee"}
    start, end = month_bounds(MONTH)
    tickets = {
        row[0]: row
        for row in conn.execute(
            text(
                "SELECT t.id, c.technician_id, t.total_fen, t.repeat_of_id FROM tickets t "
                "JOIN ticket_completions c ON c.ticket_id = t.id WHERE t.status = 'completed' "
                "AND t.completed_at >= :s AND t.completed_at < :e"
            ),
            {"s": start, "e": end},
        )
    }
    earned: dict[tuple[int, int], int] = defaultdict(int)  # (ticket, technician) -> fee + material
    for ticket_id, code, qty, unit, amount, charge, tech in conn.execute(
        text(
            "SELECT f.ticket_id, f.item_code, f.qty, f.unit_fen, f.amount_fen, f.charge, f.technician_id "
            "FROM fee_lines f JOIN tickets t ON t.id = f.ticket_id WHERE t.completed_at >= :s AND "
            "t.completed_at < :e"
        ),
        {"s": start, "e": end},
    ):
        if charge == "repeat":
            continue
        rule = by_code.get(code) or by_kind.get(kinds.get(code)) or default
        coefficient = grades[grade_of[tech]][0]
        base = unit * qty if charge == "warranty" else amount
        if rule[3] == "percent":
            earned[(ticket_id, tech)] += round_half_up(base * rule[4] * coefficient, 10_000_000)
        else:
            earned[(ticket_id, tech)] += round_half_up(rule[5] * qty * coefficient, 1000)
    material = other["material"]
    for ticket_id, qty, source, charge, price, cost, tech in conn.execute(
        text(
            "SELECT p.ticket_id, p.qty, p.source, p.charge, p.unit_price_fen, pt.cost_fen, p.technician_id "
            "FROM part_lines p JOIN parts pt ON pt.sku = p.sku JOIN tickets t ON t.id = p.ticket_id "
            "WHERE p.removed_at IS NULL AND t.completed_at >= :s AND t.completed_at < :e"
        ),
        {"s": start, "e": end},
    ):
        margin = (price - cost) * qty
        if charge == "paid" and source != "customer" and margin > 0:
            earned[(ticket_id, tech)] += round_half_up(margin * material[4], 10_000)
    commission: dict[int, int] = defaultdict(int)
    for (_ticket, tech), amount in earned.items():
        cap = grades[grade_of[tech]][2]
        commission[tech] += min(amount, cap) if cap is not None else amount
    extra: dict[int, int] = defaultdict(int)
    for ticket_id, score in q("SELECT ticket_id, score FROM ratings"):
        if ticket_id in tickets and score >= other["rating_bonus"][6]:
            extra[tickets[ticket_id][1]] += other["rating_bonus"][5]
    completed_by = dict(q("SELECT ticket_id, technician_id FROM ticket_completions"))
    for ticket in tickets.values():
        if ticket[3]:
            extra[completed_by[ticket[3]]] -= other["repeat_repair"][5]
    for (tech,) in conn.execute(
        text(
            "SELECT technician_id FROM complaints WHERE status = 'upheld' "
            "AND decided_at >= :s AND decided_at < :e"
        ),
        {"s": start, "e": end},
    ):
        extra[tech] -= other["complaint"][5]
    totals = {}
    for uid, username in q("SELECT id, username FROM users WHERE role = 'technician'"):
        coefficient, base, _cap, monthly = grades[grade_of[uid]]
        earned_total = commission.get(uid, 0)
        if monthly is not None:
            earned_total = min(earned_total, monthly)
        totals[username] = base + earned_total + extra.get(uid, 0)
    return totals


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=URL)
    parser.add_argument("--technicians", type=int, default=500)
    parser.add_argument("--tickets", type=int, default=300_000)
    parser.add_argument("--sample", type=int, default=300)
    options = parser.parse_args()
    app, _ = fresh_app(options.url)
    try:
        with app.app_context():
            started = time.perf_counter()
            counts = build(options.technicians, options.tickets)
            build_seconds = time.perf_counter() - started
            now = datetime.now(UTC)

            # Lines: in production each ticket's lines are written when it completes; here the
            # whole month's are derived at once (what a rule change would run).
            started = time.perf_counter()
            result = rebuild_month(None, MONTH, now)
            db.session.commit()
            rebuild_seconds = time.perf_counter() - started

            started = time.perf_counter()
            rerun = rebuild_month(None, MONTH, now)
            db.session.commit()
            rerun_seconds = time.perf_counter() - started

            sample = random.Random(1).sample(range(1, options.tickets + 1), options.sample)
            started = time.perf_counter()
            unchanged = 0
            for ticket_id in sample:
                one = refresh_tickets([ticket_id], now, audit=False)
                unchanged += one.inserted == 0 and one.deleted == 0
            per_ticket_seconds = (time.perf_counter() - started) / len(sample)
            db.session.rollback()

            # The commission month: every technician's statement, computed and locked.
            admin = Actor(user_id=1, username="admin", role="finance", terminal="bench")
            started = time.perf_counter()
            closed = close_month(admin, MONTH, now)
            db.session.commit()
            month_seconds = time.perf_counter() - started

            started = time.perf_counter()
            baseline = line_by_line()
            baseline_seconds = time.perf_counter() - started
            db.session.rollback()
            lines = db.session.execute(text("SELECT count(*) FROM commission_lines")).scalar_one()

        ours = {s["technician"]: s["total_fen"] for s in closed}
        differing = sorted(name for name in baseline if baseline[name] != ours.get(name))
        save(
            "commission_month",
            {
                "database": "postgresql",
                "month": MONTH,
                "technicians": options.technicians,
                "tickets": options.tickets,
                "facts": counts,
                "commission_lines": lines,
                "commission_month_seconds": round(month_seconds, 3),
                "commission_month_target_seconds": 10,
                "baseline_line_by_line_seconds": round(baseline_seconds, 3),
                "ratio_month_to_line_by_line": round(month_seconds / baseline_seconds, 3),
                "same_as_line_by_line": not differing and len(baseline) == len(ours),
                "technicians_differing": differing[:10],
                "total_fen": sum(ours.values()),
                "baseline_total_fen": sum(baseline.values()),
                "lines_per_ticket_refresh_ms": round(per_ticket_seconds * 1000, 2),
                "lines_per_ticket_sample_unchanged": f"{unchanged}/{len(sample)}",
                "lines_rebuild_whole_month_seconds": round(rebuild_seconds, 2),
                "lines_rebuild_inserted": result.inserted,
                "lines_rebuild_rerun_seconds": round(rerun_seconds, 2),
                "lines_rebuild_rerun_changes": {"inserted": rerun.inserted, "deleted": rerun.deleted},
                "build_facts_seconds": round(build_seconds, 2),
            },
        )
    finally:
        with app.app_context():
            db.session.rollback()
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
            db.engine.dispose()


if __name__ == "__main__":
    main()
