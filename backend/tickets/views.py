from flask import Blueprint, g, jsonify

from backend.db import db, utcnow
from backend.errors import Forbidden
from backend.notify import jobs
from backend.people.auth import current_actor, login_required
from backend.request_args import parse_json, parse_query
from backend.tickets import service
from backend.tickets.models import Flag
from backend.tickets.schemas import (
    assign_schema,
    cancel_schema,
    contact_schema,
    flag_list_schema,
    flag_schema,
    resolve_flag_schema,
    ticket_create_schema,
    ticket_detail_schema,
    ticket_list_query,
    ticket_page_schema,
)

bp = Blueprint("tickets", __name__)

OFFICE = ("admin", "dispatcher")
READERS = ("admin", "dispatcher", "warehouse", "finance", "technician")
# Ids are 32-bit integer columns: a longer number in the URL is no row, so 404 at the router
# (unbounded, it overflowed SQLite's integer binding and answered 500).
ID = "int(max=2147483647)"


def _detail(ticket_id: int):
    ticket = service.load_tickets([ticket_id])
    if not ticket:
        service.get_ticket(ticket_id)  # raises not_found
    view = service.ticket_views(ticket, utcnow())[0]
    view["timeline"] = service.timeline_of(ticket[0])
    return ticket_detail_schema.dump(view)


@bp.post("/api/tickets")
@login_required(*OFFICE)
def create():
    data = parse_json(ticket_create_schema)
    ticket = service.create_ticket(current_actor(), data, utcnow())
    db.session.commit()
    return jsonify(_detail(ticket.id)), 201


@bp.get("/api/tickets")
@login_required("admin", "dispatcher", "warehouse", "finance")
def index():
    filters = parse_query(ticket_list_query)
    rows, total = service.search_tickets(filters)
    return jsonify(ticket_page_schema.dump({"tickets": rows, "total": total, "page": filters["page"],
                                            "per_page": filters["per_page"]}))


@bp.get(f"/api/tickets/<{ID}:ticket_id>")
@login_required(*READERS)
def show(ticket_id: int):
    ticket = service.get_ticket(ticket_id)
    if g.user.role == "technician" and not service.was_assigned_to(ticket, g.user.id):
        raise Forbidden()
    return jsonify(_detail(ticket_id))


@bp.post(f"/api/tickets/<{ID}:ticket_id>/assign")
@login_required(*OFFICE)
def assign(ticket_id: int):
    data = parse_json(assign_schema)
    ticket = service.get_ticket(ticket_id)
    service.assign_ticket(current_actor(), ticket, data["technician"], data["scheduled_start"],
                          data["scheduled_end"], utcnow())
    technician_id = ticket.technician_id
    db.session.commit()
    jobs.enqueue("push.dispatch", ticket_id, technician_id)  # after the commit, never before
    return jsonify(_detail(ticket_id))


@bp.post(f"/api/tickets/<{ID}:ticket_id>/contact")
@login_required(*OFFICE)
def contact(ticket_id: int):
    data = parse_json(contact_schema)
    ticket = service.get_ticket(ticket_id)
    service.record_contact(current_actor(), ticket, data["note"], utcnow())
    db.session.commit()
    return jsonify(_detail(ticket_id))


@bp.post(f"/api/tickets/<{ID}:ticket_id>/cancel")
@login_required(*OFFICE)
def cancel(ticket_id: int):
    data = parse_json(cancel_schema)
    ticket = service.get_ticket(ticket_id)
    service.cancel_ticket(current_actor(), ticket, data["reason"], utcnow())
    db.session.commit()
    return jsonify(_detail(ticket_id))


@bp.get("/api/flags")
@login_required(*OFFICE)
def flags():
    rows = db.session.execute(
        db.select(Flag).where(Flag.resolved_at.is_(None)).order_by(Flag.created_at, Flag.id)
    ).scalars()
    return jsonify(flag_list_schema.dump({"flags": rows}))


@bp.post(f"/api/flags/<{ID}:flag_id>/resolve")
@login_required(*OFFICE)
def resolve(flag_id: int):
    data = parse_json(resolve_flag_schema)
    flag = service.resolve_flag(current_actor(), flag_id, data["note"], utcnow())
    db.session.commit()
    return jsonify(flag_schema.dump(flag))
