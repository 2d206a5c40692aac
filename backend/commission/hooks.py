"""What a push does once its facts are stored, for the tickets whose money facts changed.

A completed ticket records who completed it; any change to a completed ticket's lines or
rating (its completion included) rebuilds its claim and commission lines. Called once per
push, not once per mutation."""

from __future__ import annotations

from datetime import datetime

from backend.audit import Actor
from backend.commission.service import record_completion, refresh_tickets
from backend.db import db, mark_changed
from backend.fees.service import open_repeats_of, refresh_claims
from backend.tickets.models import Ticket


def after_push(done: set[int], completed: set[int], now: datetime, actor: Actor, repeat_days: int) -> None:
    """`done`: completed tickets whose money facts the push changed; `completed`: those of
    them the push itself completed (by the pushing technician)."""
    tickets = [db.session.get(Ticket, i) for i in sorted(done)]
    for ticket in tickets:
        if ticket.id in completed:
            record_completion(ticket, actor.user_id)
            # Phones holding a later ticket on this appliance and fault get it again, now free labour.
            mark_changed(db.session, ticket_ids=tuple(open_repeats_of(ticket, repeat_days)))
        refresh_claims(ticket)
    db.session.flush()
    refresh_tickets(sorted(done), now, actor)
