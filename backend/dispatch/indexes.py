"""Indexes the office's queries need (board, SLA lists, combination search, review queue).

Declared here, on the other features' tables, so that the models and the migration
(0002_dispatch_push) agree; bench/office_queries.py shows what each one is for.
"""

from __future__ import annotations

from sqlalchemy import Index

from backend.customers.models import Customer
from backend.sync.models import MutationLog
from backend.tickets.models import Flag, Ticket

OFFICE_INDEXES = (
    # board: unassigned oldest first; search by status, newest first
    Index("ix_tickets_status_created_at", Ticket.status, Ticket.created_at),
    # SLA: open tickets without an appointment, visits whose window has passed
    Index("ix_tickets_status_scheduled_start", Ticket.status, Ticket.scheduled_start),
    # board: today's tickets and each technician's load
    Index("ix_tickets_scheduled_start", Ticket.scheduled_start),
    # search by technician, newest first
    Index("ix_tickets_technician_created_at", Ticket.technician_id, Ticket.created_at),
    # caller lookup and search: phone and name prefixes (LIKE 'abc%'); pattern ops because
    # the database's collation need not be C
    Index("ix_customers_phone_prefix", Customer.phone, postgresql_ops={"phone": "text_pattern_ops"}),
    Index("ix_customers_name_prefix", Customer.name, postgresql_ops={"name": "text_pattern_ops"}),
    # review queue: rejected mutations, and whether one was already resolved
    Index("ix_mutation_log_status", MutationLog.status),
    Index("ix_flags_mutation_id", Flag.mutation_id),
)
