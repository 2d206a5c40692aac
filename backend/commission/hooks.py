"""What the sync mutation handlers call when the money facts of a ticket change.

Completing a ticket links a repeat repair, records who completed it, and (like any later
change to a completed ticket's lines or rating) rebuilds its claim and commission lines."""

from __future__ import annotations

from datetime import datetime

from backend.audit import Actor
from backend.commission.service import record_completion, refresh_tickets
from backend.db import db, mark_changed
from backend.fees.service import mark_repeat_repair, open_repeats_of, refresh_claims
from backend.tickets.models import Ticket


def ticket_completed(
    ticket: Ticket, technician_id: int, now: datetime, actor: Actor | None, repeat_days: int
) -> Ticket | None:
    """Returns the earlier ticket this one repeats, when the link is new."""
    prior = mark_repeat_repair(ticket, repeat_days)
    record_completion(ticket, technician_id)
    # Phones holding a later ticket on this appliance and fault get it again, now free labour.
    mark_changed(db.session, ticket_ids=tuple(open_repeats_of(ticket, repeat_days)))
    ticket_changed(ticket, now, actor)
    return prior


def ticket_changed(ticket: Ticket, now: datetime, actor: Actor | None) -> None:
    if ticket.status != "completed":
        return  # lines are earned, and claimed, when the work is complete
    db.session.flush()
    refresh_claims(ticket)
    refresh_tickets([ticket.id], now, actor)
