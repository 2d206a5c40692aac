"""The rows one push reads and writes.

A push of a hundred mutations touches a handful of tickets. The working set loads what
those tickets hold with one query per kind of row (the first time a handler asks for that
kind), lets the handlers read and change plain dicts, and stores what the push wrote with
one statement per table (`flush`). Handlers refuse before they write, so a refused
mutation leaves nothing here; `service.apply_push` decides when to flush and what happens
when the database refuses the rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any, NamedTuple

from sqlalchemy import Connection, Table, and_, bindparam, delete, select, update

from backend.audit import Actor
from backend.catalog.models import Part
from backend.customers.models import Appliance, Customer
from backend.db import Prepared, db, expanding, insert_rows, mark_changed
from backend.fees.service import fee_items_for, find_repeat_priors, fitted_parts, price_list
from backend.inventory.models import StockLevel, StockLocation, StockMove
from backend.inventory.service import find_van, level_upsert, location_by_code, stock_move_row, van_of
from backend.sync.models import Blob
from backend.tickets.models import Assignment, Flag, OldPart, Payment, Ticket

# Natural keys, by which a row is found again and updated.
KEYS: dict[str, tuple[str, ...]] = {
    "visits": ("id",), "checklist_answers": ("visit_id", "item_code"), "diagnoses": ("visit_id",),
    "part_lines": ("line_id",), "fee_lines": ("line_id",), "ratings": ("ticket_id",),
    "photos": ("ticket_id", "blob_sha256"), "tickets": ("id",),
}
# Parents before children (foreign keys are enforced on both databases).
INSERT_ORDER = ("visits", "checklist_answers", "diagnoses", "part_lines", "part_warranties",
                "fee_lines", "old_parts", "payments", "ratings", "photos", "signatures", "flags")
# Rows of these tables belong to a ticket that phones pull again when they change.
TICKET_TABLES = frozenset(INSERT_ORDER) - {"part_warranties"}
# Arguments that name stored rows: gathered from the raw push so that one query per kind
# finds them all (an argument that fails validation later costs nothing).
REFERENCES = frozenset(("visit_id", "line_id", "payment_id", "sku", "blob", "signature_blob"))


class CatalogPart(NamedTuple):
    sku: str
    price_fen: int
    warranty_months: int


class Place(NamedTuple):
    """A stock location as the handlers need it."""

    id: int
    code: str
    kind: str


@dataclass(slots=True)
class TicketFacts:
    """What the handlers read of a ticket, its appliance and its customer's region."""

    id: int
    number: str
    status: str
    technician_id: int | None
    appliance_id: int
    fault_category: str
    created_at: datetime
    completed_at: datetime | None
    repeat_of_id: int | None
    total_fen: int
    category: str
    brand: str
    region: str
    purchase_date: date | None
    warranty_months: int | None
    was_assigned: bool  # to the pushing technician, now or ever


def _table(name: str) -> Table:
    return db.metadata.tables[name]


def _key(table: str, row: dict[str, Any]) -> tuple:
    return tuple(row[k] for k in KEYS[table])


def _by_key(table: str) -> Any:
    """WHERE the row's natural key equals the k_ parameters."""
    t = _table(table)
    return and_(*(t.c[k] == bindparam(f"k_{k}") for k in KEYS[table]))


def _key_params(table: str, key: tuple) -> dict[str, Any]:
    """The k_ parameters of a natural key."""
    return {f"k_{k}": v for k, v in zip(KEYS[table], key, strict=True)}


# By natural key; an UPDATE sets the columns its parameter rows name.
UPDATE_BY_KEY = {table: Prepared(update(_table(table)).where(_by_key(table))) for table in KEYS}
DELETE_BY_KEY = {table: Prepared(delete(_table(table)).where(_by_key(table))) for table in KEYS}
_PART_WARRANTIES = _table("part_warranties")
WARRANTY_REMOVED = Prepared(update(_PART_WARRANTIES).where(
    _PART_WARRANTIES.c.line_id == bindparam("k_line_id"), _PART_WARRANTIES.c.removed_at.is_(None)))


# Built once: a statement built per push spends more time being built than being run.
TICKET_FACTS = Prepared(
    select(Ticket.id, Ticket.number, Ticket.status, Ticket.technician_id, Ticket.appliance_id,
           Ticket.fault_category, Ticket.created_at, Ticket.completed_at, Ticket.repeat_of_id,
           Ticket.total_fen, Appliance.category, Appliance.brand, Customer.region,
           Appliance.purchase_date, Appliance.warranty_months)
    .join(Appliance, Appliance.id == Ticket.appliance_id)
    .join(Customer, Customer.id == Ticket.customer_id)
    .where(Ticket.id.in_(expanding("tickets")))
)
ASSIGNED = Prepared(select(Assignment.ticket_id).where(Assignment.ticket_id.in_(expanding("tickets")),
                                                       Assignment.technician_id == bindparam("user_id")))
OF_TICKETS = {name: Prepared(select(_table(name)).where(_table(name).c.ticket_id.in_(expanding("tickets"))))
              for name in ("checklist_answers", "diagnoses", "ratings", "photos")}
# Rows of the push's tickets, and rows the push names that may belong to another ticket.
OF_TICKETS_OR_NAMED = {
    name: Prepared(select(_table(name)).where(_table(name).c.ticket_id.in_(expanding("tickets"))
                                              | _table(name).c[column].in_(expanding("refs"))))
    for name, column in (("visits", "id"), ("part_lines", "line_id"), ("fee_lines", "line_id"))}
PAYMENTS_NAMED = Prepared(select(Payment.payment_id, Payment.ticket_id).where(
    Payment.payment_id.in_(expanding("refs"))))
OLD_PARTS_NAMED = Prepared(select(OldPart.line_id).where(OldPart.line_id.in_(expanding("refs"))))
OPEN_FLAGS = Prepared(select(Flag.ticket_id, Flag.kind).where(Flag.ticket_id.in_(expanding("tickets")),
                                                              Flag.resolved_at.is_(None)))
BLOBS_NAMED = Prepared(select(Blob.sha256).where(Blob.sha256.in_(expanding("refs"))))
PARTS_NAMED = Prepared(select(Part.sku, Part.price_fen, Part.warranty_months).where(
    Part.sku.in_(expanding("refs"))))
LOCATIONS_NAMED = Prepared(select(StockLocation.id, StockLocation.code, StockLocation.kind).where(
    StockLocation.code.in_(expanding("codes"))))
LEVELS = Prepared(select(StockLevel.sku, StockLevel.qty).where(
    StockLevel.location_id == bindparam("location_id"), StockLevel.sku.in_(expanding("refs"))))
LEVEL_UPSERT = {dialect: Prepared(level_upsert(dialect)) for dialect in ("sqlite", "postgresql")}


class WorkingSet:
    """What one push reads and writes (see the module's docstring)."""

    def __init__(self, actor: Actor, mutations: list[dict[str, Any]], repeat_days: int) -> None:
        self.actor = actor
        self.repeat_days = repeat_days
        self.conn: Connection = db.session.connection()
        self.ticket_ids = sorted({m["ticket_id"] for m in mutations})
        refs: dict[str, set[str]] = defaultdict(set)
        for mutation in mutations:
            args = mutation["args"] if isinstance(mutation["args"], dict) else {}
            for name in REFERENCES.intersection(args):
                value = args[name]
                if isinstance(value, str) and 0 < len(value) <= 64:
                    refs[name].add(value)
        self.refs = refs
        self.tickets = self._load_tickets()
        # What is written and not yet stored.
        self._inserts: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._new: set[int] = set()  # id() of rows waiting in _inserts
        self._updates: dict[str, dict[tuple, dict[str, Any]]] = defaultdict(dict)
        self._deletes: dict[str, list[tuple]] = defaultdict(list)
        self._moves: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (move, its audit row)
        self._deltas: dict[tuple[int, str], int] = defaultdict(int)
        self._levels: dict[tuple[int, str], int] = {}
        self._warranty_removals: list[dict[str, Any]] = []
        self._audit: list[dict[str, Any]] = []
        self._vans: dict[int, StockLocation | None] = {}
        self._fee_items: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        self._totals_due: set[int] = set()
        self.touched: set[int] = set()
        self.money_changed: set[int] = set()  # lines, rating or completion: claims and commission follow
        self.completed: set[int] = set()  # by this push (a subset of money_changed)

    # --- loading ---------------------------------------------------------------------

    def _load_tickets(self) -> dict[int, TicketFacts]:
        facts = {}
        for row in TICKET_FACTS.rows(self.conn, {"tickets": self.ticket_ids}):
            ticket = TicketFacts(*row, was_assigned=False)
            ticket.was_assigned = ticket.technician_id == self.actor.user_id
            facts[ticket.id] = ticket
        others = [f.id for f in facts.values() if not f.was_assigned]
        if others:
            for (ticket_id,) in ASSIGNED.rows(self.conn, {"tickets": others, "user_id": self.actor.user_id}):
                facts[ticket_id].was_assigned = True
        return facts

    def _rows(self, statement: Prepared, **params: Any) -> list[dict[str, Any]]:
        names = statement.names
        return [dict(zip(names, row, strict=True)) for row in statement.rows(self.conn, params)]

    def _of_tickets(self, table: str) -> list[dict[str, Any]]:
        return self._rows(OF_TICKETS[table], tickets=self.ticket_ids)

    def _of_tickets_or_named(self, table: str, ref: str) -> list[dict[str, Any]]:
        return self._rows(OF_TICKETS_OR_NAMED[table], tickets=self.ticket_ids, refs=self.refs[ref])

    @cached_property
    def visits(self) -> dict[str, dict[str, Any]]:
        return {r["id"]: r for r in self._of_tickets_or_named("visits", "visit_id")}

    @cached_property
    def answers(self) -> dict[tuple, dict[str, Any]]:
        return {_key("checklist_answers", r): r for r in self._of_tickets("checklist_answers")}

    @cached_property
    def diagnoses(self) -> dict[str, dict[str, Any]]:
        return {r["visit_id"]: r for r in self._of_tickets("diagnoses")}

    @cached_property
    def part_lines(self) -> dict[str, dict[str, Any]]:
        return {r["line_id"]: r for r in self._of_tickets_or_named("part_lines", "line_id")}

    @cached_property
    def fee_lines(self) -> dict[str, dict[str, Any]]:
        return {r["line_id"]: r for r in self._of_tickets_or_named("fee_lines", "line_id")}

    @cached_property
    def payments(self) -> dict[str, int]:
        return dict(PAYMENTS_NAMED.rows(self.conn, {"refs": self.refs["payment_id"]}))

    @cached_property
    def old_parts(self) -> set[str]:
        return {line_id for (line_id,) in OLD_PARTS_NAMED.rows(self.conn, {"refs": self.refs["line_id"]})}

    @cached_property
    def ratings(self) -> dict[int, dict[str, Any]]:
        return {r["ticket_id"]: r for r in self._of_tickets("ratings")}

    @cached_property
    def photos(self) -> dict[tuple, dict[str, Any]]:
        return {_key("photos", r): r for r in self._of_tickets("photos")}

    @cached_property
    def open_flags(self) -> set[tuple[int, str]]:
        return set(OPEN_FLAGS.rows(self.conn, {"tickets": self.ticket_ids}))

    @cached_property
    def blobs(self) -> set[str]:
        named = self.refs["blob"] | self.refs["signature_blob"]
        return {sha256 for (sha256,) in BLOBS_NAMED.rows(self.conn, {"refs": named})}

    @cached_property
    def parts(self) -> dict[str, CatalogPart]:
        return {r[0]: CatalogPart(*r) for r in PARTS_NAMED.rows(self.conn, {"refs": self.refs["sku"]})}

    @cached_property
    def repeat_priors(self) -> dict[int, int]:
        """Ticket id -> the earlier ticket it repeats (linked already or found now)."""
        return find_repeat_priors(list(self.tickets.values()), self.repeat_days)

    @cached_property
    def _part_warranties(self) -> dict[int, list[dict[str, Any]]]:
        return fitted_parts({f.appliance_id for f in self.tickets.values()})

    def part_warranties(self, appliance_id: int) -> list[dict[str, Any]]:
        return self._part_warranties[appliance_id]

    def lines_of(self, ticket_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The ticket's live part lines and its fee lines, as they stand in this push."""
        parts = [p for p in self.part_lines.values()
                 if p["ticket_id"] == ticket_id and p["removed_at"] is None]
        fees = [f for f in self.fee_lines.values() if f["ticket_id"] == ticket_id]
        return parts, fees

    def fee_items(self, ticket: TicketFacts) -> list[dict[str, Any]]:
        """The ticket's resolved price list, as shipped to the phone."""
        key = (ticket.category, ticket.brand, ticket.region)
        if key not in self._fee_items:
            self._fee_items[key] = fee_items_for(*key)
        return price_list(self._fee_items[key], bool(self.repeat_priors.get(ticket.id)))

    def ticket_number(self, ticket_id: int) -> str:
        if ticket_id in self.tickets:
            return self.tickets[ticket_id].number
        return self.conn.execute(select(Ticket.number).where(Ticket.id == ticket_id)).scalar_one()

    @cached_property
    def _locations(self) -> dict[str, Any]:
        """The customer's, the warehouse's and the pushing technician's van, in one query."""
        codes = ["customer", "warehouse", f"van:{self.actor.username}"]
        return {r[1]: Place(*r) for r in LOCATIONS_NAMED.rows(self.conn, {"codes": codes})}

    def location(self, code: str) -> Any:
        """A stock location (id, code, kind) by its code."""
        if code not in self._locations:
            self._locations[code] = location_by_code(code)
        return self._locations[code]

    def actor_van(self) -> Any:
        code = f"van:{self.actor.username}"
        if code not in self._locations:
            self._locations[code] = van_of(self.actor.user_id, self.actor.username)
        return self._locations[code]

    def van_of_user(self, user_id: int) -> StockLocation | None:
        if user_id not in self._vans:
            self._vans[user_id] = find_van(user_id)
        return self._vans[user_id]

    def level(self, location_id: int, sku: str) -> int:
        """The level with this push's moves counted; the push's SKUs at that location are
        read together the first time."""
        if (location_id, sku) not in self._levels:
            skus = self.refs["sku"] | {sku}
            found = dict(LEVELS.rows(self.conn, {"location_id": location_id, "refs": skus}))
            for each in skus:
                self._levels.setdefault((location_id, each), found.get(each, 0))
        return self._levels[(location_id, sku)] + self._deltas.get((location_id, sku), 0)

    # --- writing ---------------------------------------------------------------------

    def insert(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        self._inserts[table].append(row)
        self._new.add(id(row))
        if table in TICKET_TABLES and row.get("ticket_id") is not None:
            self.touched.add(row["ticket_id"])
        return row

    def update(self, table: str, row: dict[str, Any], values: dict[str, Any]) -> None:
        row.update(values)
        if id(row) not in self._new:  # a row inserted by this push is stored as it ends up
            self._updates[table].setdefault(_key(table, row), {}).update(values)
        if table in TICKET_TABLES:
            self.touched.add(row["ticket_id"])

    def delete(self, table: str, row: dict[str, Any]) -> None:
        key = _key(table, row)
        self._updates[table].pop(key, None)
        if id(row) in self._new:
            self._inserts[table] = [r for r in self._inserts[table] if r is not row]
            self._new.discard(id(row))
        else:
            self._deletes[table].append(key)
        self.touched.add(row["ticket_id"])

    def change_ticket(self, ticket: TicketFacts, **values: Any) -> None:
        for name, value in values.items():
            setattr(ticket, name, value)
        self._updates["tickets"].setdefault((ticket.id,), {}).update(values)
        self.touched.add(ticket.id)

    def audit(self, row: dict[str, Any]) -> None:
        self._audit.append(row)

    def flag(self, ticket_id: int, kind: str, detail: dict[str, Any], now: datetime, *,
             device_id: str | None, mutation_id: str) -> None:
        """Open a flag unless one of the same kind is open on the ticket already."""
        if (ticket_id, kind) in self.open_flags:
            return
        self.open_flags.add((ticket_id, kind))
        self.insert("flags", {"ticket_id": ticket_id, "kind": kind, "detail": detail, "created_at": now,
                              "device_id": device_id, "mutation_id": mutation_id, "resolved_at": None,
                              "resolved_by_id": None, "resolution_note": None})

    def move_stock(self, *, sku: str, qty: int, source: Place | StockLocation,
                   target: Place | StockLocation | None, reason: str, ref: str, at: datetime) -> None:
        """A ledger move (stored with its audit row) and the level deltas."""
        self._moves.append(stock_move_row(self.actor, sku=sku, qty=qty, source=source, target=target,
                                          reason=reason, at=at, ref=ref, note=None))
        self._deltas[(source.id, sku)] -= qty
        if target is not None:
            self._deltas[(target.id, sku)] += qty

    def fit_part(self, warranty: dict[str, Any]) -> None:
        self.insert("part_warranties", warranty)
        if "_part_warranties" in self.__dict__:  # loaded: later lines of this push see it
            self._part_warranties.setdefault(warranty["appliance_id"], []).append(warranty)

    def lines_changed(self, ticket_id: int) -> None:
        """The ticket's total is derived again before the push is stored."""
        self._totals_due.add(ticket_id)
        self.money_changed.add(ticket_id)

    def remove_part_warranty(self, line_id: str, at: datetime) -> None:
        if "_part_warranties" in self.__dict__:  # loaded: later lines of this push see it gone
            for rows in self._part_warranties.values():
                for row in rows:
                    if row["line_id"] == line_id and row["removed_at"] is None:
                        row["removed_at"] = at
        self._warranty_removals.append({"k_line_id": line_id, "removed_at": at})

    # --- storing ---------------------------------------------------------------------

    def flush(self) -> None:
        """Store what was written since the last flush: one statement per table and kind."""
        conn = self.conn
        for ticket_id in self._totals_due:
            parts, fees = self.lines_of(ticket_id)
            total = sum(p["amount_fen"] for p in parts) + sum(f["amount_fen"] for f in fees)
            if total != self.tickets[ticket_id].total_fen:
                self.change_ticket(self.tickets[ticket_id], total_fen=total)
        self._totals_due.clear()
        for table, keys in self._deletes.items():
            DELETE_BY_KEY[table].run(conn, [_key_params(table, key) for key in keys])
        for table in INSERT_ORDER:
            rows = self._inserts.get(table)
            if rows:
                insert_rows(conn, _table(table), rows)
        if self._moves:
            # A push moves a line's part once each way, so (ref, reason) tells the moves apart
            # when their ids come back from the one INSERT, in whatever order.
            stored = insert_rows(conn, StockMove.__table__, [move for move, _ in self._moves],
                                 returning=("id", "ref", "reason"))
            ids = {(ref, reason): move_id for move_id, ref, reason in stored}
            for move, audit in self._moves:
                audit["entity_id"] = str(ids[(move["ref"], move["reason"])])
                self._audit.append(audit)
        deltas = {k: v for k, v in self._deltas.items() if v}
        if deltas:
            LEVEL_UPSERT[conn.dialect.name].run(conn, [
                {"location_id": loc, "sku": sku, "qty": qty, "change_seq": 0}
                for (loc, sku), qty in sorted(deltas.items())])
            mark_changed(db.session, levels=tuple(deltas))
        for table, changes in self._updates.items():
            self._store_updates(table, changes)
        if self._warranty_removals:
            WARRANTY_REMOVED.run(conn, self._warranty_removals)
        insert_rows(conn, _table("audit_log"), self._audit)
        if self.touched:
            mark_changed(db.session, ticket_ids=tuple(self.touched))
        for key, delta in self._deltas.items():
            if key in self._levels:
                self._levels[key] += delta
        self._inserts.clear()
        self._new.clear()
        self._updates.clear()
        self._deletes.clear()
        self._moves.clear()
        self._deltas.clear()
        self._warranty_removals.clear()
        self._audit.clear()

    def _store_updates(self, table: str, changes: dict[tuple, dict[str, Any]]) -> None:
        """One executemany per set of changed columns."""
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for key, values in changes.items():
            by_columns[tuple(sorted(values))].append({**values, **_key_params(table, key)})
        for rows in by_columns.values():
            UPDATE_BY_KEY[table].run(self.conn, rows)
