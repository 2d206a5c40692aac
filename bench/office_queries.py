"""The office's queries on PostgreSQL at scale: 1,000,000 tickets, 200,000 customers, 500
technicians, loaded with COPY. Times the dispatch board, the overdue list and five
combination searches through the same service functions the pages call; p50/p95 over
RUNS runs after a warm-up, beside a baseline measured in the same run (one ticket by
primary key with its customer, the floor of any page). The board and the overdue list are
also timed as "SQL only": their statements replayed and fetched without building the
cards, which separates what the database costs from the Python that shapes the rows.
Saves EXPLAIN (ANALYZE, BUFFERS) of every statement of the slowest query beside the
figures (bench/results/office_queries_explain.txt). Target: p95 < 100 ms.

    python -m bench.office_queries [--url postgresql+psycopg://postgres@127.0.0.1:5432/test]

It empties and migrates that database first (the test suite uses the same one: run it
when no tests are running) and leaves the schema migrated and empty at the end.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, text

from backend.db import db
from backend.dispatch import search as ticket_search
from backend.dispatch import service
from backend.dispatch.service import Clock
from bench.common import RESULTS, fresh_app, percentiles, save

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
RUNS, WARMUP = 60, 5
TICKETS, CUSTOMERS, TECHNICIANS = 1_000_000, 200_000, 500
DAYS = 730  # two years of tickets
ZONE = ZoneInfo("Asia/Shanghai")
REGIONS = ["浦东", "徐汇", "静安", "闵行", "黄浦", "长宁", "普陀", "杨浦", "虹口", "宝山", "嘉定", "松江",
           "青浦", "奉贤", "金山", "崇明"]
CATEGORIES = ["air_conditioner", "washer", "fridge", "water_heater"]
BRANDS = ["格力", "美的", "海尔", "海信", "奥克斯", "小天鹅", "西门子", "A.O.史密斯", "志高", "TCL"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌鹏辉"
FAULTS = ["E1", "E5", "W-DRAIN", "F-WARM", "H-NOHEAT", "E6", "P4", "F1"]


def _copy(conn: Any, table: str, columns: list[str], rows: Any) -> int:
    count = 0
    with conn.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _without_indexes(conn: Any, tables: list[str]) -> list[str]:
    """Drop the plain indexes of `tables` (COPY is several times faster without them);
    returns the statements that create them again."""
    rows = conn.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
        "LEFT JOIN pg_constraint c ON c.conname = i.indexname "
        "WHERE i.schemaname = 'public' AND i.tablename = ANY(%s) AND c.conname IS NULL",
        (tables,)).fetchall()
    for name, _definition in rows:
        conn.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in rows]


def generate(conn: Any, now: datetime, seed: int = 5) -> dict[str, Any]:
    """Users, technicians, devices, customers, appliances, tickets and visits, by COPY."""
    rng = random.Random(seed)
    started = time.perf_counter()
    recreate = _without_indexes(conn, ["tickets", "customers", "appliances", "visits"])
    password = "pbkdf2:sha256:1000$bench$0"
    users = [(1, "admin", "管理员", password, "admin", True, now), (2, "dispatcher", "调度员", password,
                                                                    "dispatcher", True, now)]
    technicians, devices = [], []
    for i in range(TECHNICIANS):
        user_id = 100 + i
        users.append((user_id, f"tech{i:03d}", f"师傅{i:03d}", password, "technician", True, now))
        skills = rng.sample(CATEGORIES, rng.choice((1, 2, 2, 3)))
        regions = rng.sample(REGIONS, rng.choice((1, 2, 3)))
        technicians.append((user_id, _json(skills), _json(regions), rng.choice(("junior", "intermediate",
                                                                                "senior")),
                            rng.choice((5, 6, 6, 8)), f"139{i:08d}"))
        devices.append((str(uuid.UUID(int=rng.getrandbits(128))), user_id, "phone", f"{i:064x}", now,
                        now - timedelta(minutes=rng.randint(0, 600)), 0, "bench", None, 0))
    _copy(conn, "users", ["id", "username", "display_name", "password_hash", "role", "active", "created_at"],
          users)
    _copy(conn, "technicians", ["user_id", "skills", "regions", "grade", "daily_capacity", "phone"],
          technicians)
    _copy(conn, "devices", ["id", "user_id", "name", "token_hash", "created_at", "last_seen_at",
                            "clock_offset_ms", "client_version", "revoked_at", "last_settled_seq"], devices)

    def customers():
        for i in range(1, CUSTOMERS + 1):
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + ("" if rng.random() < .4 else rng.choice(GIVEN))
            region = rng.choice(REGIONS)
            yield (i, name, f"13{i:09d}", f"上海市{region}区某路 {i % 999} 号", region,
                   "vip" if rng.random() < .05 else "regular", now - timedelta(days=DAYS + 10))
    _copy(conn, "customers", ["id", "name", "phone", "address", "region", "tier", "created_at"], customers())

    appliance_owner: list[int] = []

    def appliances():
        appliance_id = 0
        for customer_id in range(1, CUSTOMERS + 1):
            for _ in range(1 + (rng.random() < .3)):
                appliance_id += 1
                appliance_owner.append(customer_id)
                purchase = date.today() - timedelta(days=rng.randint(30, 3000))
                yield (appliance_id, customer_id, rng.choice(BRANDS), rng.choice(CATEGORIES),
                       f"M{rng.randint(100, 999)}", f"SN{appliance_id:09d}" if rng.random() < .8 else None,
                       purchase, rng.choice((12, 24, 36)))
    _copy(conn, "appliances", ["id", "customer_id", "brand", "category", "model", "serial", "purchase_date",
                               "warranty_months"], appliances())

    tech_ids = [t[0] for t in technicians]
    horizon = now - timedelta(days=DAYS)
    visits: list[tuple] = []
    counts: dict[str, int] = {}

    def tickets():
        for ticket_id in range(1, TICKETS + 1):
            # evenly over two years, the newest last; a few scheduled into the next days
            created = horizon + timedelta(seconds=(ticket_id / TICKETS) * DAYS * 86400 - rng.randint(0, 3600))
            age = now - created
            appliance_id = rng.randint(1, len(appliance_owner))
            customer_id = appliance_owner[appliance_id - 1]
            roll = rng.random()
            if age > timedelta(days=14):
                status = "completed" if roll < .95 else "cancelled"
            elif age > timedelta(days=2):
                status = ("completed" if roll < .80 else "cancelled" if roll < .85
                          else "pending" if roll < .90 else "assigned")
            else:
                status = ("new" if roll < .10 else "assigned" if roll < .60 else "in_progress" if roll < .75
                          else "completed" if roll < .95 else "cancelled")
            counts[status] = counts.get(status, 0) + 1
            technician = None if status == "new" else rng.choice(tech_ids)
            start = end = completed = cancelled = None
            if status != "new" and not (status == "assigned" and rng.random() < .05):
                start = (created + timedelta(hours=rng.randint(2, 40))).replace(minute=0, second=0,
                                                                                 microsecond=0)
                end = start + timedelta(hours=2)
            if status == "completed":
                completed = (end or created) + timedelta(minutes=rng.randint(-60, 60))
            if status == "cancelled":
                cancelled = created + timedelta(hours=1)
            local_day = created.astimezone(ZONE)
            if technician is not None:
                visit_id = str(uuid.UUID(int=rng.getrandbits(128)))
                arrived = start + timedelta(minutes=10) if start and status in ("in_progress", "completed",
                                                                               "pending") else None
                departed = arrived - timedelta(minutes=30) if arrived else None
                visits.append((visit_id, ticket_id, technician, start, departed, arrived, completed,
                               "fixed" if completed else None, "{}"))
            yield (ticket_id, f"FS{local_day:%y%m%d}-{ticket_id:07d}", customer_id, appliance_id,
                   rng.choice(FAULTS), "", rng.choices(("normal", "urgent", "emergency"), (85, 12, 3))[0],
                   "phone", status, technician, start, end, created, 2, completed, cancelled,
                   "客户取消" if cancelled else None, 0, 0)
    _copy(conn, "tickets", ["id", "number", "customer_id", "appliance_id", "fault_category",
                            "fault_description", "urgency", "source", "status", "technician_id",
                            "scheduled_start", "scheduled_end", "created_at", "created_by_id", "completed_at",
                            "cancelled_at", "cancel_reason", "total_fen", "change_seq"], tickets())
    _copy(conn, "visits", ["id", "ticket_id", "technician_id", "scheduled_start", "departed_at", "arrived_at",
                           "completed_at", "resolution", "field_times"], visits)
    loaded = time.perf_counter() - started
    for statement in recreate:
        conn.execute(statement)
    for table in ("users", "customers", "appliances", "tickets"):
        conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    # As after any bulk load: statistics, and the visibility map (so that autovacuum does not
    # start on these tables in the middle of the measurements).
    conn.execute("VACUUM ANALYZE")
    finished = time.perf_counter() - started - loaded
    return {"copy_s": round(loaded, 1), "indexes_and_vacuum_s": round(finished, 1), "statuses": counts,
            "visits": len(visits)}


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def queries(now: datetime) -> dict[str, Any]:
    """name -> a function that runs one office query the way its page does."""
    clock = Clock(now=now, zone=ZONE)
    today = now.astimezone(ZONE).date()
    phone = db.session.execute(text(
        "SELECT c.phone FROM customers c JOIN tickets t ON t.customer_id = c.id "
        "GROUP BY c.phone ORDER BY count(*) DESC LIMIT 1")).scalar_one()
    serial = db.session.execute(text("SELECT serial FROM appliances WHERE serial IS NOT NULL "
                                     "ORDER BY id DESC LIMIT 1")).scalar_one()
    busy_tech = db.session.execute(text(
        "SELECT u.username FROM users u JOIN tickets t ON t.technician_id = u.id "
        "GROUP BY u.username ORDER BY count(*) DESC LIMIT 1")).scalar_one()
    page = {"page": 1, "per_page": 50}
    searches = {
        "search_phone": {"phone": phone},
        "search_name_prefix_and_category": {"name": "王伟", "category": "air_conditioner"},
        "search_serial": {"serial": serial},
        "search_technician_status_30_days": {"technician": busy_tech, "status": "completed",
                                             "date_from": today - timedelta(days=30), "date_to": today},
        "search_region_brand_7_days": {"region": "浦东", "brand": "海尔",
                                       "date_from": today - timedelta(days=7), "date_to": today},
    }
    # Beyond the target, reported apart: a one-character surname matches 2 % of all customers.
    searches["stress_search_surname_only"] = {"name": "王"}
    probe = db.session.execute(text("SELECT max(id) / 2 FROM tickets")).scalar_one()

    def baseline() -> Any:
        return db.session.execute(text(
            "SELECT t.*, c.name, c.phone FROM tickets t JOIN customers c ON c.id = t.customer_id "
            "WHERE t.id = :id"), {"id": probe}).one()

    runs = {"baseline_ticket_by_id": baseline,
            "board": lambda: service.board(clock),
            "overdue": lambda: service.overdue(clock)}
    runs["board_sql_only"] = sql_only(runs["board"])
    runs["overdue_sql_only"] = sql_only(runs["overdue"])
    for name, filters in searches.items():
        runs[name] = (lambda f: lambda: ticket_search.search({**page, **f}, ZONE, now))(filters)
    return runs


def measure(run) -> list[float]:
    for _ in range(WARMUP):
        run()
        db.session.rollback()
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
        db.session.rollback()  # each run its own transaction, as each page request is
    return samples


def statements_of(run) -> list[tuple[str, Any]]:
    """The SQL one run sends, with its parameters."""
    statements: list[tuple[str, Any]] = []

    def capture(conn, cursor, statement, params, context, executemany):
        statements.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    db.session.rollback()
    return statements


def sql_only(run):
    """The same statements, executed and fetched without building the page's rows: what the
    database costs, apart from the Python that turns rows into cards and lanes."""
    statements = statements_of(run)

    def replay() -> None:
        connection = db.session.connection()
        for statement, params in statements:
            connection.exec_driver_sql(statement, params).fetchall()

    return replay


def explain(run) -> list[dict[str, Any]]:
    statements = statements_of(run)
    plans = []
    with db.engine.connect() as conn:
        for statement, params in statements:
            started = time.perf_counter()
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params).scalars().all()
            plans.append({"sql": statement, "params": repr(params)[:500],
                          "explain_ms": round((time.perf_counter() - started) * 1000, 2), "plan": plan})
    return plans


def empty(conn: Any) -> None:
    tables = [r[0] for r in conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
        "AND tablename NOT IN ('alembic_version', 'sync_counter')").fetchall()]
    conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    conn.execute("UPDATE sync_counter SET value = 0, catalog_seq = 0")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--keep", action="store_true", help="leave the generated data in place")
    args = parser.parse_args()
    app, _ = fresh_app(args.url)
    now = datetime.now(UTC)
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            conn = raw.driver_connection
            conn.autocommit = True
            generated = generate(conn, now)
        finally:
            raw.close()
        print(f"generated in {generated['copy_s']} s "
              f"(+ {generated['indexes_and_vacuum_s']} s indexes, vacuum)")
        figures: dict[str, Any] = {}
        runs = queries(now)
        # As a production worker should after start-up (gunicorn post_fork / when_ready): move
        # the long-lived objects of the loaded app out of the collector's sight. Otherwise a
        # full collection now and then scans them all, which is the board's p95 (measured:
        # about 190 ms unfrozen against 86 ms frozen, for a p50 of 78 ms either way).
        gc.collect()
        gc.freeze()
        for name, run in runs.items():
            figures[name] = percentiles(measure(run))
            print(f"{name:38s} p50 {figures[name]['p50_ms']:8.2f} ms   p95 {figures[name]['p95_ms']:8.2f} ms")
        timed = {k: v for k, v in figures.items() if not k.startswith(("baseline", "stress"))}
        slowest = max(timed, key=lambda k: timed[k]["p95_ms"])
        plans = explain(runs[slowest])
        board = service.board(Clock(now=now, zone=ZONE))
        db.session.rollback()
        sizes = {"unassigned_shown": len(board["unassigned"]), "unassigned_total": board["unassigned_total"],
                 "today_on_lanes": sum(len(lane["tickets"]) for lane in board["lanes"]),
                 "lanes": len(board["lanes"]), "waiting": len(board["waiting"]),
                 "overdue": len(service.overdue(Clock(now=now, zone=ZONE)))}
        db.session.rollback()
        if not args.keep:
            raw = db.engine.raw_connection()
            try:
                conn = raw.driver_connection
                conn.autocommit = True
                empty(conn)
            finally:
                raw.close()
    baseline = figures["baseline_ticket_by_id"]["p50_ms"]
    result = {
        "database": "postgresql", "tickets": TICKETS, "customers": CUSTOMERS, "technicians": TECHNICIANS,
        "generation": generated, "result_sizes": sizes, "runs": RUNS, "warmup": WARMUP, "target_p95_ms": 100,
        "queries": figures,
        "ratio_p50_to_baseline": {k: round(v["p50_ms"] / baseline, 1) for k, v in timed.items()},
        # The target is about the queries; "board" and "overdue" also build every card's dict
        # (2,000 at this scale) in Python, shown apart as the service figures.
        "queries_under_target": {k: v["p95_ms"] < 100 for k, v in timed.items()
                                 if k not in ("board", "overdue")},
        "service_under_target": {k: figures[k]["p95_ms"] < 100 for k in ("board", "overdue")},
        "slowest": slowest, "explain_file": "office_queries_explain.txt",
        # the machine is shared: the load during the run says how much the figures may be inflated
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count(),
        "gc_frozen_after_startup": True,
    }
    save("office_queries", result)
    RESULTS.mkdir(exist_ok=True)
    with open(RESULTS / "office_queries_explain.txt", "w") as out:
        out.write(f"EXPLAIN (ANALYZE, BUFFERS) of each statement of the slowest query: {slowest} "
                  f"(p95 {figures[slowest]['p95_ms']} ms)\n\n")
        for plan in plans:
            out.write(f"-- {plan['sql']}\n-- params: {plan['params']}\n")
            out.write("\n".join(plan["plan"]) + "\n\n")


if __name__ == "__main__":
    main()
