"""The stock ledger: every quantity change is a move; levels are cached sums of moves."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from backend.audit import Actor, audit_row, record_audit
from backend.catalog.models import Part
from backend.db import db, mark_changed
from backend.errors import DomainError, NotFound
from backend.fees.periods import local_day
from backend.inventory.models import (
    MOVE_REASONS,
    POSITIONS,
    ApprovalRule,
    ApproverPosition,
    Requisition,
    RequisitionApproval,
    RequisitionLine,
    StockLevel,
    StockLocation,
    StockMove,
    Stocktake,
    StocktakeLine,
)
from backend.people.models import User
from backend.tickets.models import AuditLog, OldPart, Ticket

SINGLETON_LOCATIONS = ("warehouse", "customer", "manufacturer", "scrap")


def location_by_code(code: str) -> StockLocation:
    location = db.session.execute(
        db.select(StockLocation).where(StockLocation.code == code)
    ).scalar_one_or_none()
    if location is None:
        raise NotFound(_("Stock location %(code)s", code=code))
    return location


def ensure_location(code: str, kind: str, user_id: int | None = None) -> StockLocation:
    location = db.session.execute(
        db.select(StockLocation).where(StockLocation.code == code)
    ).scalar_one_or_none()
    if location is None:
        location = StockLocation(code=code, kind=kind, user_id=user_id)
        db.session.add(location)
        db.session.flush()
    return location


def find_van(user_id: int) -> StockLocation | None:
    return db.session.execute(
        db.select(StockLocation).where(StockLocation.user_id == user_id, StockLocation.kind == "van")
    ).scalar_one_or_none()


def van_of(user_id: int, username: str) -> StockLocation:
    return ensure_location(f"van:{username}", "van", user_id)


@cache
def level_upsert(dialect: str) -> Any:
    """Add `qty` to the cached level of (location_id, sku) in one statement, so two pushes
    moving the same SKU at once never lose an update the way read-then-write would."""
    table = StockLevel.__table__
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
    return statement.on_conflict_do_update(index_elements=[table.c.location_id, table.c.sku],
                                           set_={"qty": table.c.qty + statement.excluded.qty})


def _bump_level(location_id: int, sku: str, delta: int) -> None:
    db.session.execute(level_upsert(db.session.get_bind().dialect.name),
                       {"location_id": location_id, "sku": sku, "qty": delta, "change_seq": 0})
    loaded = db.session.identity_map.get(db.session.identity_key(StockLevel, (location_id, sku)))
    if loaded is not None:
        db.session.expire(loaded, ["qty"])
    mark_changed(db.session, levels=((location_id, sku),))


def stock_move_row(
    actor: Actor | None, *, sku: str, qty: int, source: StockLocation | None,
    target: StockLocation | None, reason: str, at: datetime, ref: str | None, note: str | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A ledger move's columns and its audit row (whose entity_id waits for the move's id)."""
    move = {"sku": sku, "qty": qty, "reason": reason, "ref": ref, "note": note, "at": at,
            "from_location_id": source.id if source else None,
            "to_location_id": target.id if target else None,
            "actor_id": actor.user_id if actor else None, "device_id": actor.device_id if actor else None}
    audit = audit_row(actor, entity="stock_move", entity_id=None, action=reason, at=at,
                      after={"sku": sku, "qty": qty, "from": source.code if source else None,
                             "to": target.code if target else None, "ref": ref})
    return move, audit


def move_stock(
    actor: Actor | None, *, sku: str, qty: int, from_location: StockLocation | None,
    to_location: StockLocation | None, reason: str, at: datetime, ref: str | None = None,
    note: str | None = None,
) -> int:
    """Write one ledger move and update both cached levels; returns the move's id."""
    if reason not in MOVE_REASONS:
        raise DomainError("invalid_reason", _("Unknown stock move reason"), 400)
    if qty <= 0:
        raise DomainError("invalid_quantity", _("Quantity must be positive"), 400)
    if db.session.get(Part, sku) is None:
        raise NotFound(_("Part %(sku)s", sku=sku))
    move, audit = stock_move_row(actor, sku=sku, qty=qty, source=from_location, target=to_location,
                                 reason=reason, at=at, ref=ref, note=note)
    move_id = db.session.execute(insert(StockMove).values(move).returning(StockMove.id)).scalar_one()
    if from_location is not None:
        _bump_level(from_location.id, sku, -qty)
    if to_location is not None:
        _bump_level(to_location.id, sku, qty)
    db.session.add(AuditLog(**{**audit, "entity_id": str(move_id)}))
    return move_id


def level_of(location: StockLocation, sku: str) -> int:
    qty = db.session.execute(
        db.select(StockLevel.qty).where(StockLevel.location_id == location.id, StockLevel.sku == sku)
    ).scalar_one_or_none()
    return qty or 0


def qty_by_sku(location: StockLocation, skus: Any = None) -> dict[str, int]:
    """The location's cached levels as {sku: qty} in one query (those of `skus` when given);
    a SKU without a level is absent, which level_of reads as 0."""
    query = db.select(StockLevel.sku, StockLevel.qty).where(StockLevel.location_id == location.id)
    if skus is not None:
        query = query.where(StockLevel.sku.in_(skus))
    return {sku: qty or 0 for sku, qty in db.session.execute(query).all()}


def levels_at(location: StockLocation) -> list[dict]:
    rows = db.session.execute(
        db.select(StockLevel.sku, StockLevel.qty, StockLevel.low_threshold, Part.name)
        .join(Part, Part.sku == StockLevel.sku)
        .where(StockLevel.location_id == location.id)
        .order_by(StockLevel.sku)
    )
    return [
        {"sku": r.sku, "name": r.name, "qty": r.qty, "low_threshold": r.low_threshold,
         "low": r.low_threshold is not None and r.qty <= r.low_threshold}
        for r in rows
    ]


def ledger_levels(location: StockLocation) -> dict[str, int]:
    """Levels recomputed from the ledger alone, to check the cached ones."""
    incoming = db.session.execute(
        db.select(StockMove.sku, func.sum(StockMove.qty))
        .where(StockMove.to_location_id == location.id).group_by(StockMove.sku)
    ).all()
    outgoing = db.session.execute(
        db.select(StockMove.sku, func.sum(StockMove.qty))
        .where(StockMove.from_location_id == location.id).group_by(StockMove.sku)
    ).all()
    levels: dict[str, int] = {}
    for sku, qty in incoming:
        levels[sku] = levels.get(sku, 0) + int(qty)
    for sku, qty in outgoing:
        levels[sku] = levels.get(sku, 0) - int(qty)
    return levels


def reconcile_levels() -> list[dict]:
    """Every cached level that differs from the sum of the ledger's moves (should be none)."""
    incoming = db.select(StockMove.to_location_id.label("location_id"), StockMove.sku,
                         func.sum(StockMove.qty).label("qty")).where(
        StockMove.to_location_id.is_not(None)).group_by(StockMove.to_location_id, StockMove.sku)
    outgoing = db.select(StockMove.from_location_id.label("location_id"), StockMove.sku,
                         func.sum(StockMove.qty).label("qty")).where(
        StockMove.from_location_id.is_not(None)).group_by(StockMove.from_location_id, StockMove.sku)
    ledger: dict[tuple[int, str], int] = {}
    for row in db.session.execute(incoming):
        ledger[(row.location_id, row.sku)] = ledger.get((row.location_id, row.sku), 0) + int(row.qty)
    for row in db.session.execute(outgoing):
        ledger[(row.location_id, row.sku)] = ledger.get((row.location_id, row.sku), 0) - int(row.qty)
    cached = {(r.location_id, r.sku): r.qty for r in db.session.execute(
        db.select(StockLevel.location_id, StockLevel.sku, StockLevel.qty))}
    codes = dict(db.session.execute(db.select(StockLocation.id, StockLocation.code)).all())
    return [{"location": codes.get(location_id), "sku": sku, "cached": cached.get((location_id, sku), 0),
             "ledger": ledger.get((location_id, sku), 0)}
            for location_id, sku in sorted(ledger.keys() | cached.keys())
            if cached.get((location_id, sku), 0) != ledger.get((location_id, sku), 0)]


def list_moves(*, location: StockLocation | None = None, sku: str | None = None, reason: str | None = None,
               start: datetime | None = None, end: datetime | None = None, limit: int | None = 500,
               offset: int = 0) -> list[dict]:
    """The ledger, newest first: who moved what from where to where, why, and the reference."""
    from_location = db.aliased(StockLocation)
    to_location = db.aliased(StockLocation)
    query = (
        db.select(StockMove, from_location.code, to_location.code, User.username, Part.name)
        .outerjoin(from_location, from_location.id == StockMove.from_location_id)
        .outerjoin(to_location, to_location.id == StockMove.to_location_id)
        .outerjoin(User, User.id == StockMove.actor_id)
        .join(Part, Part.sku == StockMove.sku)
        .order_by(StockMove.at.desc(), StockMove.id.desc())
    )
    if location is not None:
        query = query.where((StockMove.from_location_id == location.id)
                            | (StockMove.to_location_id == location.id))
    if sku:
        query = query.where(StockMove.sku == sku)
    if reason:
        query = query.where(StockMove.reason == reason)
    if start is not None:
        query = query.where(StockMove.at >= start)
    if end is not None:
        query = query.where(StockMove.at < end)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return [{"id": m.id, "at": m.at, "sku": m.sku, "name": name, "qty": m.qty, "from": src, "to": dst,
             "reason": m.reason, "ref": m.ref, "note": m.note, "actor": who, "device_id": m.device_id}
            for m, src, dst, who, name in db.session.execute(query)]


# --- low stock --------------------------------------------------------------------------

def set_threshold(actor: Actor, location: StockLocation, sku: str, threshold: int | None,
                  at: datetime) -> StockLevel:
    if db.session.get(Part, sku) is None:
        raise NotFound(_("Part %(sku)s", sku=sku))
    level = db.session.get(StockLevel, (location.id, sku))
    if level is None:
        # A level row with no moves yet: zero, which is what the ledger says too.
        level = StockLevel(location_id=location.id, sku=sku, qty=0)
        db.session.add(level)
    before = level.low_threshold
    level.low_threshold = threshold
    db.session.flush()
    record_audit(actor, entity="stock_threshold", entity_id=f"{location.code}:{sku}", action="set", at=at,
                 before={"low_threshold": before}, after={"low_threshold": threshold})
    return level


def low_stock() -> list[dict]:
    rows = db.session.execute(
        db.select(StockLocation.code, StockLocation.kind, StockLevel.sku, Part.name, StockLevel.qty,
                  StockLevel.low_threshold)
        .join(StockLocation, StockLocation.id == StockLevel.location_id)
        .join(Part, Part.sku == StockLevel.sku)
        .where(StockLevel.low_threshold.is_not(None), StockLevel.qty <= StockLevel.low_threshold)
        .order_by(StockLocation.code, StockLevel.sku)
    )
    return [{"location": r.code, "location_kind": r.kind, "sku": r.sku, "name": r.name, "qty": r.qty,
             "low_threshold": r.low_threshold, "shortfall": r.low_threshold - r.qty + 1} for r in rows]


# --- requisitions: warehouse -> van, approved by value ----------------------------------

# The seed manual: up to ¥500 the service centre head signs, up to ¥2,000 the quality
# manager, above that both the VP of service and the VP of supply. Replaced by the rows
# of approval_rules when there are any.
DEFAULT_APPROVAL_RULES = ((50_000, ("service_head",)), (200_000, ("quality_manager",)),
                          (None, ("service_vp", "supply_vp")))


def approval_rules() -> list[dict]:
    rows = list(db.session.execute(db.select(ApprovalRule)).scalars())
    if not rows:
        return [{"max_fen": m, "positions": list(p)} for m, p in DEFAULT_APPROVAL_RULES]
    rows.sort(key=lambda r: (r.max_fen is None, r.max_fen or 0))
    return [{"max_fen": r.max_fen, "positions": list(r.positions)} for r in rows]


def set_approval_rules(actor: Actor, rules: list[dict], at: datetime) -> list[dict]:
    unknown = {p for r in rules for p in r["positions"]} - set(POSITIONS)
    if unknown:
        raise DomainError("unknown_position",
                          _("Unknown positions: %(names)s", names=", ".join(sorted(unknown))))
    if not rules or sum(1 for r in rules if r["max_fen"] is None) != 1:
        raise DomainError("invalid_rules", _("Exactly one rule must have no upper limit"))
    before = approval_rules()
    db.session.execute(db.delete(ApprovalRule))
    db.session.add_all(ApprovalRule(max_fen=r["max_fen"], positions=list(r["positions"])) for r in rules)
    db.session.flush()
    record_audit(actor, entity="approval_rules", entity_id="requisitions", action="set", at=at,
                 before={"rules": before}, after={"rules": approval_rules()})
    return approval_rules()


def required_positions(value_fen: int) -> list[str]:
    for rule in approval_rules():
        if rule["max_fen"] is None or value_fen <= rule["max_fen"]:
            return rule["positions"]
    return []  # unreachable: one rule has no limit


def assign_position(actor: Actor, user: User, position: str, at: datetime) -> None:
    if position not in POSITIONS:
        raise DomainError("unknown_position", _("Unknown position %(name)s", name=position))
    exists_ = db.session.execute(db.select(ApproverPosition).where(
        ApproverPosition.user_id == user.id, ApproverPosition.position == position)).scalar_one_or_none()
    if exists_ is None:
        db.session.add(ApproverPosition(user_id=user.id, position=position))
        db.session.flush()
        record_audit(actor, entity="approver_position", entity_id=user.username, action="assign", at=at,
                     after={"position": position})


def positions_of(user_id: int) -> set[str]:
    return set(db.session.execute(
        db.select(ApproverPosition.position).where(ApproverPosition.user_id == user_id)).scalars())


def create_requisition(actor: Actor, technician: User, lines: list[dict], note: str | None,
                       at: datetime) -> Requisition:
    if technician.role != "technician":
        raise DomainError("not_a_technician", _("%(name)s is not a technician", name=technician.username))
    merged: dict[str, int] = {}
    for line in lines:
        merged[line["sku"]] = merged.get(line["sku"], 0) + line["qty"]
    parts = {p.sku: p for p in db.session.execute(db.select(Part).where(Part.sku.in_(merged))).scalars()}
    missing = sorted(set(merged) - set(parts))
    if missing:
        raise NotFound(_("Part %(sku)s", sku=", ".join(missing)))
    value = sum(parts[sku].price_fen * qty for sku, qty in merged.items())
    requisition = Requisition(
        number=f"tmp-{at.timestamp()}-{technician.id}", technician_id=technician.id,
        van_location_id=van_of(technician.id, technician.username).id, status="pending", value_fen=value,
        required_positions=required_positions(value), note=note, requested_by_id=actor.user_id, created_at=at)
    db.session.add(requisition)
    db.session.flush()
    requisition.number = f"RQ{local_day(at):%y%m%d}-{requisition.id:05d}"
    for sku, qty in sorted(merged.items()):
        requisition.lines.append(RequisitionLine(sku=sku, qty=qty, unit_fen=parts[sku].price_fen))
    db.session.flush()
    record_audit(actor, entity="requisition", entity_id=requisition.number, action="create", at=at,
                 after={"technician": technician.username, "value_fen": value,
                        "lines": [{"sku": s, "qty": q} for s, q in sorted(merged.items())],
                        "required_positions": requisition.required_positions})
    return requisition


def get_requisition(requisition_id: int) -> Requisition:
    requisition = db.session.get(Requisition, requisition_id)
    if requisition is None:
        raise NotFound(_("Requisition %(id)s", id=requisition_id))
    return requisition


def decide_requisition(actor: Actor, requisition: Requisition, approve: bool, note: str | None,
                       at: datetime) -> Requisition:
    """An approver signs for the positions they hold that the requisition still needs.
    Any required approver may reject; it is approved once every position has signed."""
    if requisition.status != "pending":
        raise DomainError("requisition_decided", _("This requisition is already %(status)s",
                                                   status=requisition.status), 409)
    signed = {a.position for a in requisition.approvals if a.decision == "approved"}
    mine = sorted((positions_of(actor.user_id) & set(requisition.required_positions)) - signed)
    if not mine:
        needed = ", ".join(POSITIONS[p][0] for p in requisition.required_positions if p not in signed)
        raise DomainError("forbidden", _("This requisition needs the signature of: %(who)s", who=needed), 403)
    decision = "approved" if approve else "rejected"
    for position in mine:
        requisition.approvals.append(RequisitionApproval(user_id=actor.user_id, position=position,
                                                         decision=decision, note=note, at=at))
    if not approve:
        requisition.status, requisition.decided_at = "rejected", at
    elif signed | set(mine) >= set(requisition.required_positions):
        requisition.status, requisition.decided_at = "approved", at
    db.session.flush()
    record_audit(actor, entity="requisition", entity_id=requisition.number, action=decision, at=at,
                 after={"positions": mine, "status": requisition.status, "note": note})
    return requisition


def issue_requisition(actor: Actor, requisition: Requisition, at: datetime) -> Requisition:
    """The warehouse hands the approved parts over: one transfer move per line."""
    if requisition.status != "approved":
        raise DomainError("requisition_not_approved", _("Only an approved requisition can be issued"), 409)
    warehouse = location_by_code("warehouse")
    van = db.session.get(StockLocation, requisition.van_location_id)
    for line in requisition.lines:
        move_stock(actor, sku=line.sku, qty=line.qty, from_location=warehouse, to_location=van,
                   reason="transfer", ref=requisition.number, at=at)
    requisition.status, requisition.issued_at, requisition.issued_by_id = "issued", at, actor.user_id
    db.session.flush()
    record_audit(actor, entity="requisition", entity_id=requisition.number, action="issue", at=at,
                 after={"status": "issued"})
    return requisition


def requisition_views(requisitions: list[Requisition]) -> list[dict]:
    """The office's view of requisitions: the people and parts they name are read once
    for the whole list, not once per requisition."""
    people = {person for r in requisitions for person in (r.technician_id, r.requested_by_id, r.issued_by_id)}
    people |= {a.user_id for r in requisitions for a in r.approvals}
    names = dict(db.session.execute(db.select(User.id, User.username).where(User.id.in_(people))).all())
    skus = {line.sku for r in requisitions for line in r.lines}
    parts = dict(db.session.execute(db.select(Part.sku, Part.name).where(Part.sku.in_(skus))).all())
    views = []
    for requisition in requisitions:
        signed = {a.position for a in requisition.approvals if a.decision == "approved"}
        views.append({
            "id": requisition.id, "number": requisition.number, "status": requisition.status,
            "technician": names.get(requisition.technician_id), "value_fen": requisition.value_fen,
            "required_positions": list(requisition.required_positions),
            "waiting_for": [p for p in requisition.required_positions if p not in signed]
            if requisition.status == "pending" else [],
            "note": requisition.note, "requested_by": names.get(requisition.requested_by_id),
            "created_at": requisition.created_at, "decided_at": requisition.decided_at,
            "issued_at": requisition.issued_at, "issued_by": names.get(requisition.issued_by_id),
            "lines": [{"sku": line.sku, "name": parts.get(line.sku), "qty": line.qty,
                       "unit_fen": line.unit_fen, "amount_fen": line.unit_fen * line.qty}
                      for line in requisition.lines],
            "approvals": [{"user": names.get(a.user_id), "position": a.position, "decision": a.decision,
                           "note": a.note, "at": a.at} for a in requisition.approvals],
        })
    return views


def requisition_view(requisition: Requisition) -> dict:
    return requisition_views([requisition])[0]


def list_requisitions(status: str | None = None, technician_id: int | None = None) -> list[Requisition]:
    # Their lines and approvals come with them: the list shows both for every requisition.
    query = (db.select(Requisition)
             .options(selectinload(Requisition.lines), selectinload(Requisition.approvals))
             .order_by(Requisition.created_at.desc(), Requisition.id.desc()))
    if status:
        query = query.where(Requisition.status == status)
    if technician_id is not None:
        query = query.where(Requisition.technician_id == technician_id)
    return list(db.session.execute(query).scalars())


# --- old parts: collected on site, tracked until returned -------------------------------

def old_parts(now: datetime, limit_days: int, *, status: str = "held",
              technician_id: int | None = None, line_id: str | None = None) -> list[dict]:
    """Old parts by status: held (not returned yet), overdue (held past the limit), returned, all;
    of one technician, or the one line, when given."""
    query = (db.select(OldPart, Ticket.number, User.username, Part.name)
             .join(Ticket, Ticket.id == OldPart.ticket_id)
             .outerjoin(User, User.id == OldPart.technician_id)
             .join(Part, Part.sku == OldPart.sku)
             .order_by(OldPart.collected_at, OldPart.line_id))
    deadline = now - timedelta(days=limit_days)
    if status in ("held", "overdue"):
        query = query.where(OldPart.returned_at.is_(None))
    if status == "overdue":
        query = query.where(OldPart.collected_at < deadline)
    if status == "returned":
        query = query.where(OldPart.returned_at.is_not(None))
    if technician_id is not None:
        query = query.where(OldPart.technician_id == technician_id)
    if line_id is not None:
        query = query.where(OldPart.line_id == line_id)
    rows = []
    for old, number, username, name in db.session.execute(query):
        due = old.collected_at + timedelta(days=limit_days)
        rows.append({
            "line_id": old.line_id, "ticket_id": old.ticket_id, "ticket_number": number, "sku": old.sku,
            "name": name, "qty": old.qty, "technician": username, "collected_at": old.collected_at,
            "due_at": due, "returned_at": old.returned_at,
            "days_held": ((old.returned_at or now) - old.collected_at).days,
            "overdue": old.returned_at is None and now > due,
        })
    return rows


def return_old_part(actor: Actor, line_id: str, to: str, note: str | None, at: datetime) -> OldPart:
    """An old part handed in: to the manufacturer (return_old) or scrapped. It leaves the
    customer location, where the part that replaced it was booked."""
    old = db.session.get(OldPart, line_id)
    if old is None:
        raise NotFound(_("Old part %(id)s", id=line_id))
    if old.returned_at is not None:
        raise DomainError("already_returned", _("This old part was already returned"), 409)
    if to not in ("manufacturer", "scrap"):
        raise DomainError("validation_error", _("Old parts go to the manufacturer or to scrap"))
    move_stock(actor, sku=old.sku, qty=old.qty, from_location=location_by_code("customer"),
               to_location=location_by_code(to), reason="return_old" if to == "manufacturer" else "scrap",
               ref=f"old_part:{old.line_id}", note=note, at=at)
    old.returned_at = at
    db.session.flush()
    record_audit(actor, entity="old_part", entity_id=old.line_id, ticket_id=old.ticket_id, action="return",
                 at=at, after={"to": to, "sku": old.sku, "qty": old.qty})
    return old


# --- stocktake --------------------------------------------------------------------------

def open_stocktake(actor: Actor, location: StockLocation, note: str | None, at: datetime) -> Stocktake:
    """A count sheet: every SKU the location holds or has held, with its book quantity."""
    already = db.session.execute(db.select(Stocktake.id).where(
        Stocktake.location_id == location.id, Stocktake.status == "open")).first()
    if already is not None:
        raise DomainError("stocktake_open", _("This location already has an open stocktake"), 409)
    stocktake = Stocktake(location_id=location.id, status="open", note=note, created_by_id=actor.user_id,
                          created_at=at)
    db.session.add(stocktake)
    db.session.flush()
    book = ledger_levels(location)
    held = db.select(StockLevel.sku).where(StockLevel.location_id == location.id)
    for sku in db.session.execute(held).scalars():
        book.setdefault(sku, 0)
    for sku in sorted(book):
        stocktake.lines.append(StocktakeLine(sku=sku, book_qty=book[sku]))
    db.session.flush()
    record_audit(actor, entity="stocktake", entity_id=stocktake.id, action="open", at=at,
                 after={"location": location.code, "lines": len(book)})
    return stocktake


def get_stocktake(stocktake_id: int) -> Stocktake:
    stocktake = db.session.get(Stocktake, stocktake_id)
    if stocktake is None:
        raise NotFound(_("Stocktake %(id)s", id=stocktake_id))
    return stocktake


def record_counts(actor: Actor, stocktake: Stocktake, counts: list[dict], at: datetime) -> Stocktake:
    if stocktake.status != "open":
        raise DomainError("stocktake_closed", _("This stocktake is %(status)s", status=stocktake.status), 409)
    lines = {line.sku: line for line in stocktake.lines}
    for count in counts:
        line = lines.get(count["sku"])
        if line is None:
            if db.session.get(Part, count["sku"]) is None:
                raise NotFound(_("Part %(sku)s", sku=count["sku"]))
            # Found on the shelf but not on the sheet.
            line = StocktakeLine(sku=count["sku"], book_qty=0)
            stocktake.lines.append(line)
            lines[line.sku] = line
        line.counted_qty = count["counted_qty"]
    db.session.flush()
    record_audit(actor, entity="stocktake", entity_id=stocktake.id, action="count", at=at,
                 after={"counts": [{"sku": c["sku"], "counted_qty": c["counted_qty"]} for c in counts]})
    return stocktake


def post_stocktake(actor: Actor, stocktake: Stocktake, at: datetime) -> Stocktake:
    """Each counted line's difference from the ledger becomes a stocktake_adjust move;
    lines left uncounted change nothing."""
    if stocktake.status != "open":
        raise DomainError("stocktake_closed", _("This stocktake is %(status)s", status=stocktake.status), 409)
    location = db.session.get(StockLocation, stocktake.location_id)
    ref = f"ST-{stocktake.id}"
    # Read before any adjustment: each SKU has one line, and its moves change only its own level.
    book = qty_by_sku(location)
    for line in stocktake.lines:
        if line.counted_qty is None:
            continue
        diff = line.counted_qty - book.get(line.sku, 0)
        line.posted_diff = diff
        if diff > 0:
            move_stock(actor, sku=line.sku, qty=diff, from_location=None, to_location=location,
                       reason="stocktake_adjust", ref=ref, note="gain", at=at)
        elif diff < 0:
            move_stock(actor, sku=line.sku, qty=-diff, from_location=location, to_location=None,
                       reason="stocktake_adjust", ref=ref, note="loss", at=at)
    stocktake.status, stocktake.posted_at, stocktake.posted_by_id = "posted", at, actor.user_id
    db.session.flush()
    record_audit(actor, entity="stocktake", entity_id=stocktake.id, action="post", at=at,
                 after={"gains": sum(max(0, line.posted_diff or 0) for line in stocktake.lines),
                        "losses": sum(max(0, -(line.posted_diff or 0)) for line in stocktake.lines)})
    return stocktake


def stocktake_view(stocktake: Stocktake) -> dict:
    location = db.session.get(StockLocation, stocktake.location_id)
    names = dict(db.session.execute(db.select(Part.sku, Part.name).where(
        Part.sku.in_([line.sku for line in stocktake.lines]))).all())
    return {
        "id": stocktake.id, "location": location.code, "status": stocktake.status, "note": stocktake.note,
        "created_at": stocktake.created_at, "posted_at": stocktake.posted_at,
        "lines": [{"sku": line.sku, "name": names.get(line.sku), "book_qty": line.book_qty,
                   "counted_qty": line.counted_qty,
                   "difference": None if line.counted_qty is None else line.counted_qty - line.book_qty,
                   "posted_diff": line.posted_diff} for line in stocktake.lines],
    }


# --- per technician: borrowed, consumed, returned, still held ---------------------------

def technician_stock(user: User, old_part_days: int, now: datetime) -> dict:
    """What a technician's van took in and gave out, per SKU, from the ledger alone."""
    van = van_of(user.id, user.username)
    rows = db.session.execute(
        db.select(StockMove.sku, StockMove.reason, StockMove.from_location_id, StockMove.to_location_id,
                  func.sum(StockMove.qty))
        .where((StockMove.from_location_id == van.id) | (StockMove.to_location_id == van.id))
        .group_by(StockMove.sku, StockMove.reason, StockMove.from_location_id, StockMove.to_location_id)
    ).all()
    per_sku: dict[str, dict[str, int]] = {}
    for sku, reason, _src, dst, qty in rows:
        entry = per_sku.setdefault(sku, {"borrowed": 0, "consumed": 0, "returned": 0, "adjusted": 0})
        qty = int(qty)
        incoming = dst == van.id
        if reason in ("consume", "unconsume"):
            entry["consumed"] += -qty if incoming else qty
        elif reason == "stocktake_adjust":
            entry["adjusted"] += qty if incoming else -qty
        elif incoming:
            entry["borrowed"] += qty
        else:
            entry["returned"] += qty
    names = dict(db.session.execute(db.select(Part.sku, Part.name).where(Part.sku.in_(per_sku))).all())
    levels = qty_by_sku(van, per_sku) if per_sku else {}
    lines = []
    for sku in sorted(per_sku):
        e = per_sku[sku]
        lines.append({"sku": sku, "name": names.get(sku), **e,
                      "held": e["borrowed"] - e["consumed"] - e["returned"] + e["adjusted"],
                      "level": levels.get(sku, 0)})
    held_old = old_parts(now, old_part_days, status="held", technician_id=user.id)
    return {"technician": user.username, "location": van.code, "parts": lines,
            "totals": {k: sum(line[k] for line in lines)
                       for k in ("borrowed", "consumed", "returned", "held")},
            "old_parts_held": held_old,
            "old_parts_overdue": sum(1 for o in held_old if o["overdue"])}
