"""Combination search over tickets: any mix of phone, name, serial, ticket number, status,
technician, region, date range, brand and category; newest first, paged.

Two choices keep it fast at a million tickets (bench/office_queries.py):
- a phone, name or serial that matches few customers or appliances is resolved to their
  ids first, so the tickets are found through the customer/appliance index instead of by
  walking all tickets newest first;
- no count of all matches (a broad filter would count hundreds of thousands of rows):
  a page knows whether another follows, and the total once the last page is reached.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_

from backend.customers.models import Appliance, Customer
from backend.db import db
from backend.dispatch.service import Clock, _prefix, id_in, sla_for
from backend.people.models import User
from backend.tickets.models import Ticket

ID_CAP = 2000  # resolve customer/appliance filters to ids when they match at most this many


def search(filters: dict[str, Any], zone: ZoneInfo, now: datetime) -> dict[str, Any]:
    query = (
        db.select(Ticket.id, Ticket.number, Ticket.status, Ticket.urgency, Ticket.fault_category,
                  Ticket.created_at, Ticket.scheduled_start, Ticket.scheduled_end, Ticket.completed_at,
                  Ticket.contacted_at, Ticket.total_fen, Customer.name.label("customer_name"), Customer.phone,
                  Customer.region, Customer.tier, Appliance.brand, Appliance.category, Appliance.model,
                  Appliance.serial, User.username.label("technician"),
                  User.display_name.label("technician_name"))
        .join(Customer, Customer.id == Ticket.customer_id)
        .join(Appliance, Appliance.id == Ticket.appliance_id)
        .outerjoin(User, User.id == Ticket.technician_id)
    )
    conditions = []
    if filters.get("number"):
        conditions.append(Ticket.number == filters["number"].upper())
    customer_filters = []
    if filters.get("phone"):
        phone = filters["phone"]
        # A full number is matched exactly (the unique index); a shorter one as a prefix.
        customer_filters.append(Customer.phone == phone if len(phone) >= 11
                                else Customer.phone.like(_prefix(phone)))
    if filters.get("name"):
        customer_filters.append(Customer.name.like(_prefix(filters["name"])))
    if customer_filters:
        ids = _few_ids(db.select(Customer.id).where(*customer_filters))
        conditions.append(id_in(Ticket.customer_id, ids) if ids is not None else and_(*customer_filters))
    if filters.get("serial"):
        ids = _few_ids(db.select(Appliance.id).where(Appliance.serial == filters["serial"]))
        conditions.append(id_in(Ticket.appliance_id, ids) if ids is not None
                          else Appliance.serial == filters["serial"])
    if filters.get("status"):
        conditions.append(Ticket.status == filters["status"])
    if filters.get("urgency"):
        conditions.append(Ticket.urgency == filters["urgency"])
    if filters.get("technician"):
        tech_id = db.session.execute(
            db.select(User.id).where(User.username == filters["technician"])).scalar_one_or_none()
        conditions.append(Ticket.technician_id == (tech_id if tech_id is not None else -1))
    if filters.get("region"):
        conditions.append(Customer.region == filters["region"])
    if filters.get("brand"):
        conditions.append(Appliance.brand == filters["brand"])
    if filters.get("category"):
        conditions.append(Appliance.category == filters["category"])
    clock = Clock(now=now, zone=zone)
    if filters.get("date_from"):
        conditions.append(Ticket.created_at >= clock.day_bounds(filters["date_from"])[0])
    if filters.get("date_to"):
        conditions.append(Ticket.created_at < clock.day_bounds(filters["date_to"])[1])

    page, per_page = filters["page"], filters["per_page"]
    rows = db.session.execute(
        query.where(*conditions).order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(per_page + 1).offset((page - 1) * per_page)
    ).all()
    more = len(rows) > per_page
    rows = rows[:per_page]
    return {
        "tickets": [{**row._asdict(), "sla": sla_for(row._mapping, now)} for row in rows],
        "page": page, "per_page": per_page, "more": more,
        # known once the last page is reached
        "total": None if more else (page - 1) * per_page + len(rows),
    }


def _few_ids(query: Any) -> list[int] | None:
    ids = list(db.session.execute(query.limit(ID_CAP + 1)).scalars())
    return ids if len(ids) <= ID_CAP else None
