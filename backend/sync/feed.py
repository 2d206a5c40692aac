"""Pull: a snapshot or the changes after a cursor, paged, read in one consistent transaction.

The cursor is opaque to devices: base64 JSON of {"v": change seq fully delivered} and,
while paging, {"hi": the seq this pull runs up to, "after": [seq, ticket id] or id}.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, or_, tuple_

from backend.catalog.service import catalog_snapshot
from backend.db import SyncCounter, db
from backend.errors import DomainError
from backend.inventory.models import StockLevel
from backend.inventory.service import find_van, levels_at
from backend.people.models import Device, User
from backend.tickets.models import OPEN_STATUSES, Ticket, TicketRemoval
from backend.tickets.schemas import ticket_schema
from backend.tickets.service import load_tickets, ticket_views


def encode_cursor(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode()


MAX_SEQ = 2**62


def _seq(value: Any) -> bool:
    return type(value) is int and 0 <= value <= MAX_SEQ


def _valid_cursor(state: Any) -> bool:
    if not isinstance(state, dict):
        return False
    if state.get("snap"):
        # Paging a snapshot: {"snap": 1, "hi": seq, "after": ticket id}
        return state.keys() == {"snap", "hi", "after"} and state["snap"] == 1 and _seq(state["hi"]) \
            and _seq(state["after"])
    if not _seq(state.get("v")) or not state.keys() <= {"v", "hi", "after"}:
        return False
    if "after" in state:
        after = state["after"]
        return "hi" in state and _seq(state["hi"]) and isinstance(after, list) and len(after) == 2 \
            and all(_seq(x) for x in after)
    return "hi" not in state or _seq(state["hi"])


def decode_cursor(token: str | None) -> dict[str, Any] | None:
    if not token:
        return None
    try:
        state = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        state = None
    if not _valid_cursor(state):
        raise DomainError("invalid_cursor", _("The cursor is not one this server gave"), 400)
    return state


def pull(user: User, device: Device, cursor: str | None, limit: int, now: datetime,
         completed_days: int) -> dict[str, Any]:
    state = decode_cursor(cursor)
    counter = db.session.get(SyncCounter, 1)
    head, catalog_seq = counter.value, counter.catalog_seq
    if state is None or state.get("snap"):
        page = _snapshot_page(user, state or {}, head, limit, now, completed_days)
    else:
        page = _delta_page(user, state, head, catalog_seq, limit)
    tickets = load_tickets(page.pop("ticket_ids"))
    page["tickets"] = ticket_schema.dump(ticket_views(tickets, now), many=True)
    page["server_time"] = now.isoformat()
    page["device_last_seq"] = device.last_settled_seq
    return page


def _van_stock(user: User) -> dict[str, Any]:
    van = find_van(user.id)
    if van is None:
        return {"location": f"van:{user.username}", "levels": []}
    return {"location": van.code, "levels": [{"sku": r["sku"], "qty": r["qty"]} for r in levels_at(van)]}


def _snapshot_page(user: User, state: dict, head: int, limit: int, now: datetime,
                   completed_days: int) -> dict[str, Any]:
    hi = state.get("hi", head)
    after = state.get("after", 0)
    recent = now - timedelta(days=completed_days)
    ids = list(db.session.execute(
        db.select(Ticket.id).where(
            Ticket.technician_id == user.id, Ticket.id > after,
            or_(Ticket.status.in_(OPEN_STATUSES),
                and_(Ticket.status == "completed", Ticket.completed_at >= recent)),
        ).order_by(Ticket.id).limit(limit + 1)
    ).scalars())
    has_more = len(ids) > limit
    ids = ids[:limit]
    page: dict[str, Any] = {"ticket_ids": ids, "removed_ticket_ids": [], "removed": [],
                            "has_more": has_more}
    if not state:
        page["catalog"] = catalog_snapshot()
        page["stock"] = _van_stock(user)
    page["cursor"] = encode_cursor({"snap": 1, "hi": hi, "after": ids[-1]} if has_more else {"v": hi})
    return page


def _delta_page(user: User, state: dict, head: int, catalog_seq: int, limit: int) -> dict[str, Any]:
    since = state["v"]
    hi = state.get("hi", head)
    after = state.get("after")
    query = db.select(Ticket.id, Ticket.change_seq).where(
        Ticket.technician_id == user.id, Ticket.status != "cancelled",
        Ticket.change_seq > since, Ticket.change_seq <= hi,
    )
    if after:
        query = query.where(tuple_(Ticket.change_seq, Ticket.id) > tuple_(after[0], after[1]))
    rows = db.session.execute(query.order_by(Ticket.change_seq, Ticket.id).limit(limit + 1)).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    page: dict[str, Any] = {"ticket_ids": [r.id for r in rows], "removed_ticket_ids": [],
                            "removed": [], "has_more": has_more}
    if not after:
        # Everything but tickets is small: it comes whole with the first page.
        removals = db.session.execute(
            db.select(TicketRemoval.ticket_id, TicketRemoval.reason)
            .join(Ticket, Ticket.id == TicketRemoval.ticket_id)
            .where(TicketRemoval.technician_id == user.id, TicketRemoval.change_seq > since,
                   TicketRemoval.change_seq <= hi,
                   or_(Ticket.technician_id.is_(None), Ticket.technician_id != user.id,
                       Ticket.status == "cancelled"))
            .order_by(TicketRemoval.change_seq)
        ).all()
        reasons = {r.ticket_id: r.reason for r in removals}
        page["removed_ticket_ids"] = list(reasons)
        page["removed"] = [{"ticket_id": k, "reason": v} for k, v in reasons.items()]
        if since < catalog_seq <= hi:
            page["catalog"] = catalog_snapshot()
        van = find_van(user.id)
        changed = van and db.session.execute(
            db.select(StockLevel.sku).where(StockLevel.location_id == van.id,
                                            StockLevel.change_seq > since,
                                            StockLevel.change_seq <= hi).limit(1)
        ).first()
        if changed is not None:
            page["stock"] = _van_stock(user)
    last = rows[-1] if rows else None
    page["cursor"] = encode_cursor(
        {"v": since, "hi": hi, "after": [last.change_seq, last.id]} if has_more else {"v": hi}
    )
    return page
