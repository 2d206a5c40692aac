"""Tickets from the office's side: intake, assignment, cancellation, flags, reading.

Each function flushes and writes its audit row; the request boundary commits.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_
from sqlalchemy.orm import selectinload

from backend.audit import Actor, record_audit
from backend.customers.models import Appliance, Customer
from backend.db import db
from backend.errors import DomainError, NotFound
from backend.fees.periods import local_day
from backend.fees.service import fee_items_for_tickets, in_warranty, part_warranties_for, warranty_until
from backend.fees.settings import repeat_repair_days
from backend.people.models import User
from backend.people.service import find_user
from backend.tickets.models import (
    Assignment,
    AuditLog,
    ChecklistAnswer,
    Diagnosis,
    Flag,
    PartLine,
    Ticket,
    TicketRemoval,
    Visit,
)


def get_ticket(ticket_id: int) -> Ticket:
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(_("Ticket %(id)s", id=ticket_id))
    return ticket


def _find_or_create_customer(data: dict[str, Any]) -> Customer:
    customer = db.session.execute(
        db.select(Customer).where(Customer.phone == data["phone"])
    ).scalar_one_or_none()
    if customer is None:
        customer = Customer(**data)
        db.session.add(customer)
        db.session.flush()
    return customer


def _find_or_create_appliance(customer: Customer, data: dict[str, Any]) -> Appliance:
    if data.get("id"):  # chosen by the office's caller lookup (never from the public API)
        appliance = db.session.get(Appliance, data["id"])
        if appliance is not None and appliance.customer_id == customer.id:
            return appliance
        raise NotFound(_("Appliance %(id)s of this customer", id=data["id"]))
    if data.get("serial"):
        appliance = db.session.execute(
            db.select(Appliance).where(Appliance.customer_id == customer.id,
                                       Appliance.serial == data["serial"])
        ).scalar_one_or_none()
        if appliance is not None:
            return appliance
    appliance = Appliance(customer_id=customer.id, **data)
    db.session.add(appliance)
    db.session.flush()
    return appliance


def create_ticket(actor: Actor, data: dict[str, Any], now: datetime) -> Ticket:
    """Intake: an existing customer is matched by phone, an appliance by serial."""
    customer = _find_or_create_customer(data["customer"])
    appliance = _find_or_create_appliance(customer, data["appliance"])
    ticket = Ticket(
        number=f"tmp-{uuid.uuid4().hex[:24]}", customer_id=customer.id, appliance_id=appliance.id,
        fault_category=data["fault"]["category"], fault_description=data["fault"]["description"],
        urgency=data["urgency"], source=data.get("source"), status="new",
        created_at=now, created_by_id=actor.user_id,
    )
    db.session.add(ticket)
    db.session.flush()
    ticket.number = f"FS{local_day(now):%y%m%d}-{ticket.id:06d}"
    record_audit(actor, entity="ticket", entity_id=ticket.id, ticket_id=ticket.id,
                 action="create", at=now,
                 after={"number": ticket.number, "customer_id": customer.id,
                        "appliance_id": appliance.id, "urgency": ticket.urgency})
    return ticket


def _open_visit(ticket: Ticket) -> Visit | None:
    for visit in ticket.visits:
        if visit.completed_at is None and visit.departed_at is None and visit.arrived_at is None:
            return visit
    return None


def assign_ticket(
    actor: Actor, ticket: Ticket, technician_username: str, scheduled_start: datetime | None,
    scheduled_end: datetime | None, now: datetime,
) -> Ticket:
    if ticket.status in ("completed", "cancelled"):
        raise DomainError("ticket_closed", _("A closed ticket cannot be assigned"), 409)
    technician = find_user(technician_username)
    if technician.role != "technician":
        raise DomainError("not_a_technician", _("%(name)s is not a technician", name=technician.username))
    before = {"technician_id": ticket.technician_id, "scheduled_start": _iso(ticket.scheduled_start)}
    previous = ticket.technician_id
    if previous is not None and previous != technician.id:
        _end_assignment(ticket, previous, "reassigned", now)
    if previous != technician.id:
        db.session.add(Assignment(ticket_id=ticket.id, technician_id=technician.id,
                                  assigned_at=now, assigned_by_id=actor.user_id))
    ticket.technician_id = technician.id
    ticket.scheduled_start = scheduled_start or ticket.scheduled_start
    ticket.scheduled_end = scheduled_end or ticket.scheduled_end
    if ticket.status == "new":
        ticket.status = "assigned"
    visit = _open_visit(ticket)
    if visit is None:
        visit = Visit(id=str(uuid.uuid4()), ticket_id=ticket.id)
        ticket.visits.append(visit)  # cascades into the session
    visit.technician_id = technician.id
    visit.scheduled_start = ticket.scheduled_start
    db.session.flush()
    record_audit(actor, entity="ticket", entity_id=ticket.id, ticket_id=ticket.id,
                 action="assign" if previous in (None, technician.id) else "reassign", at=now,
                 before=before,
                 after={"technician_id": technician.id, "technician": technician.username,
                        "scheduled_start": _iso(ticket.scheduled_start)})
    return ticket


def _end_assignment(ticket: Ticket, technician_id: int, reason: str, now: datetime) -> None:
    open_rows = db.session.execute(
        db.select(Assignment).where(Assignment.ticket_id == ticket.id,
                                    Assignment.technician_id == technician_id,
                                    Assignment.ended_at.is_(None))
    ).scalars()
    for row in open_rows:
        row.ended_at, row.end_reason = now, reason
    db.session.add(TicketRemoval(ticket_id=ticket.id, technician_id=technician_id,
                                 reason=reason, at=now))


def cancel_ticket(actor: Actor, ticket: Ticket, reason: str, now: datetime) -> Ticket:
    if ticket.status == "cancelled":
        return ticket
    if ticket.status == "completed":
        raise DomainError("ticket_closed", _("A completed ticket cannot be cancelled"), 409)
    before = {"status": ticket.status}
    ticket.status, ticket.cancelled_at, ticket.cancel_reason = "cancelled", now, reason
    if ticket.technician_id is not None:
        _end_assignment(ticket, ticket.technician_id, "cancelled", now)
    db.session.flush()
    record_audit(actor, entity="ticket", entity_id=ticket.id, ticket_id=ticket.id,
                 action="cancel", at=now, before=before, after={"status": "cancelled", "reason": reason})
    return ticket


def record_contact(actor: Actor, ticket: Ticket, note: str, now: datetime) -> Ticket:
    """The office reached the customer (call, message): the first contact meets the SLA;
    every contact is kept in the timeline with its note."""
    if ticket.status in ("completed", "cancelled"):
        raise DomainError("ticket_closed", _("A closed ticket needs no contact"), 409)
    first = ticket.contacted_at is None
    if first:
        ticket.contacted_at = now
    record_audit(actor, entity="ticket", entity_id=ticket.id, ticket_id=ticket.id, action="contact",
                 at=now, after={"note": note, "first": first})
    return ticket


def was_assigned_to(ticket: Ticket, user_id: int) -> bool:
    if ticket.technician_id == user_id:
        return True
    return db.session.execute(
        db.select(Assignment.id).where(Assignment.ticket_id == ticket.id,
                                       Assignment.technician_id == user_id).limit(1)
    ).first() is not None


def resolve_flag(actor: Actor, flag_id: int, note: str, now: datetime) -> Flag:
    flag = db.session.get(Flag, flag_id)
    if flag is None:
        raise NotFound(_("Flag %(id)s", id=flag_id))
    if flag.resolved_at is not None:
        raise DomainError("already_resolved", _("This flag is already resolved"), 409)
    flag.resolved_at, flag.resolved_by_id, flag.resolution_note = now, actor.user_id, note
    record_audit(actor, entity="flag", entity_id=flag.id, ticket_id=flag.ticket_id,
                 action="resolve", at=now, after={"kind": flag.kind, "note": note})
    return flag


def live_part_lines(ticket: Ticket) -> list[PartLine]:
    return [p for p in ticket.part_lines if p.removed_at is None]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


FULL_TICKET_LOAD = (
    selectinload(Ticket.customer), selectinload(Ticket.appliance),
    selectinload(Ticket.technician), selectinload(Ticket.visits),
    selectinload(Ticket.part_lines), selectinload(Ticket.fee_lines),
    selectinload(Ticket.old_parts), selectinload(Ticket.signatures),
    selectinload(Ticket.payments), selectinload(Ticket.photos), selectinload(Ticket.flags),
    selectinload(Ticket.rating),
)


def load_tickets(ids: list[int]) -> list[Ticket]:
    if not ids:
        return []
    return list(db.session.execute(
        db.select(Ticket).where(Ticket.id.in_(ids)).options(*FULL_TICKET_LOAD).order_by(Ticket.id)
    ).scalars())


def ticket_views(tickets: list[Ticket], now: datetime) -> list[dict[str, Any]]:
    """Plain dicts of tickets with their children, warranty and resolved price list."""
    ids = [t.id for t in tickets]
    checklist: dict[int, list] = {i: [] for i in ids}
    diagnoses: dict[int, list] = {i: [] for i in ids}
    if ids:
        for row in db.session.execute(
            db.select(ChecklistAnswer).where(ChecklistAnswer.ticket_id.in_(ids))
            .order_by(ChecklistAnswer.id)
        ).scalars():
            checklist[row.ticket_id].append(row)
        for row in db.session.execute(
            db.select(Diagnosis).where(Diagnosis.ticket_id.in_(ids))
        ).scalars():
            diagnoses[row.ticket_id].append(row)
    technician_names = dict(db.session.execute(db.select(User.id, User.username)).all()) if ids else {}
    today = local_day(now)
    # The resolved price list per ticket (repeat repairs: free labour) and live part warranties.
    fee_items, repeats = fee_items_for_tickets(tickets, repeat_repair_days())
    part_warranties = part_warranties_for({t.appliance_id for t in tickets}, today)
    views = []
    for t in tickets:
        appliance = t.appliance
        views.append({
            "id": t.id, "number": t.number, "status": t.status, "urgency": t.urgency,
            "source": t.source,
            "fault": {"category": t.fault_category, "description": t.fault_description},
            "customer": t.customer,
            "appliance": {
                "id": appliance.id, "brand": appliance.brand, "category": appliance.category,
                "model": appliance.model, "serial": appliance.serial,
                "purchase_date": appliance.purchase_date,
                "warranty_months": appliance.warranty_months,
                "warranty_until": warranty_until(appliance),
                "in_warranty": in_warranty(appliance, today),
            },
            "technician": t.technician.username if t.technician else None,
            "scheduled_start": t.scheduled_start, "scheduled_end": t.scheduled_end,
            "created_at": t.created_at, "completed_at": t.completed_at,
            "cancelled_at": t.cancelled_at, "cancel_reason": t.cancel_reason,
            "contacted_at": t.contacted_at,
            "repeat_of_id": repeats.get(t.id),
            "part_warranties": [w for w in part_warranties.get(t.appliance_id, []) if w["ticket_id"] != t.id],
            "visits": [{**_visit_dict(v), "technician": technician_names.get(v.technician_id)}
                       for v in t.visits],
            "checklist": checklist[t.id], "diagnoses": diagnoses[t.id],
            "parts": live_part_lines(t), "old_parts": t.old_parts, "fees": t.fee_lines,
            "fee_items": fee_items[t.id], "signatures": t.signatures, "payments": t.payments,
            "rating": t.rating, "photos": t.photos, "flags": t.flags, "total_fen": t.total_fen,
        })
    return views


def _visit_dict(visit: Visit) -> dict[str, Any]:
    return {k: getattr(visit, k) for k in (
        "id", "scheduled_start", "departed_at", "arrived_at", "completed_at", "lat", "lng",
        "resolution", "notes")}


def timeline_of(ticket: Ticket) -> list[dict[str, Any]]:
    rows = db.session.execute(
        db.select(AuditLog, User.username).outerjoin(User, User.id == AuditLog.actor_id)
        .where(AuditLog.ticket_id == ticket.id).order_by(AuditLog.at, AuditLog.id)
    ).all()
    return [{"at": a.at, "actor": name, "device_id": a.device_id, "terminal": a.terminal,
             "entity": a.entity, "entity_id": a.entity_id, "action": a.action,
             "before": a.before, "after": a.after} for a, name in rows]


def search_tickets(filters: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    query = (
        db.select(Ticket, Customer, Appliance, User.username)
        .join(Customer, Customer.id == Ticket.customer_id)
        .join(Appliance, Appliance.id == Ticket.appliance_id)
        .outerjoin(User, User.id == Ticket.technician_id)
    )
    if filters.get("status"):
        query = query.where(Ticket.status == filters["status"])
    if filters.get("technician"):
        query = query.where(User.username == filters["technician"])
    if filters.get("q"):
        q = filters["q"]
        query = query.where(or_(Ticket.number == q, Customer.phone == q, Appliance.serial == q,
                                Customer.name.like(f"%{q}%")))
    total = db.session.execute(db.select(db.func.count()).select_from(query.subquery())).scalar_one()
    page, per_page = filters["page"], filters["per_page"]
    rows = db.session.execute(
        query.order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return [{
        "id": t.id, "number": t.number, "status": t.status, "urgency": t.urgency,
        "customer_name": c.name, "phone": c.phone, "region": c.region, "category": a.category,
        "brand": a.brand, "technician": username, "scheduled_start": t.scheduled_start,
        "created_at": t.created_at, "total_fen": t.total_fen,
    } for t, c, a, username in rows], total
