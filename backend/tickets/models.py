from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db import UTCDateTime, db, utcnow

URGENCIES = ("normal", "urgent", "emergency")
# new: not assigned; pending: needs another visit (parts, workshop)
STATUSES = ("new", "assigned", "in_progress", "pending", "completed", "cancelled")
OPEN_STATUSES = ("new", "assigned", "in_progress", "pending")
FLAG_KINDS = (
    "completed_after_cancel", "reassigned_during_visit", "negative_van_stock",
    "signature_summary_mismatch", "repeat_repair", "clock_skew", "price_override",
    "rejected_mutation", "warranty_unverified",
)


class Ticket(db.Model):
    __tablename__ = "tickets"
    __sync_scope__ = "ticket"
    __table_args__ = (
        Index("ix_tickets_technician_status", "technician_id", "status"),
        Index("ix_tickets_technician_change", "technician_id", "change_seq"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    appliance_id: Mapped[int] = mapped_column(ForeignKey("appliances.id"), index=True)
    fault_category: Mapped[str] = mapped_column(String(64))
    fault_description: Mapped[str] = mapped_column(Text, default="")
    urgency: Mapped[str] = mapped_column(String(16), default="normal")
    source: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    scheduled_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scheduled_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # When the office first reached the customer (the SLA's contact deadline).
    contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    total_fen: Mapped[int] = mapped_column(Integer, default=0)
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0, index=True)

    customer = relationship("Customer")
    appliance = relationship("Appliance")
    technician = relationship("User", foreign_keys=[technician_id])
    visits: Mapped[list[Visit]] = relationship(order_by="Visit.scheduled_start", back_populates="ticket")
    part_lines: Mapped[list[PartLine]] = relationship(order_by="PartLine.line_id")
    fee_lines: Mapped[list[FeeLine]] = relationship(order_by="FeeLine.line_id")
    old_parts: Mapped[list[OldPart]] = relationship(order_by="OldPart.line_id")
    signatures: Mapped[list[Signature]] = relationship(order_by="Signature.id")
    payments: Mapped[list[Payment]] = relationship(order_by="Payment.payment_id")
    photos: Mapped[list[Photo]] = relationship(order_by="Photo.id")
    flags: Mapped[list[Flag]] = relationship(order_by="Flag.id")
    rating: Mapped[Rating | None] = relationship(uselist=False)

    @property
    def ticket_id(self) -> int:
        return self.id


class Assignment(db.Model):
    """Who a ticket was given to and when; 'was theirs' is answered from here."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_ticket_technician", "ticket_id", "technician_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    technician_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(32))


class TicketRemoval(db.Model):
    """A ticket taken away from a technician: reported once in their pull."""

    __tablename__ = "ticket_removals"
    __sync_scope__ = "removal"
    __table_args__ = (Index("ix_ticket_removals_technician_seq", "technician_id", "change_seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    technician_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(32))  # reassigned, cancelled
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0, index=True)


class Visit(db.Model):
    __tablename__ = "visits"
    __sync_scope__ = "ticket"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    scheduled_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    departed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    resolution: Mapped[str | None] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)
    # Corrected time of the last write of each field: the later one wins.
    field_times: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    ticket: Mapped[Ticket] = relationship(back_populates="visits")


class ChecklistAnswer(db.Model):
    __tablename__ = "checklist_answers"
    __sync_scope__ = "ticket"
    __table_args__ = (UniqueConstraint("visit_id", "item_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"))
    item_code: Mapped[str] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    corrected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    device_id: Mapped[str | None] = mapped_column(String(36))


class Diagnosis(db.Model):
    __tablename__ = "diagnoses"
    __sync_scope__ = "ticket"
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    fault_code: Mapped[str] = mapped_column(String(32))
    cause_code: Mapped[str | None] = mapped_column(String(32))
    handling_code: Mapped[str | None] = mapped_column(String(32))
    notes: Mapped[str | None] = mapped_column(Text)
    corrected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    device_id: Mapped[str | None] = mapped_column(String(36))


class PartLine(db.Model):
    __tablename__ = "part_lines"
    __sync_scope__ = "ticket"
    line_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # from the device
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    sku: Mapped[str] = mapped_column(ForeignKey("parts.sku"))
    qty: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))  # van, customer, warehouse
    charge: Mapped[str] = mapped_column(String(16))  # warranty, paid
    unit_price_fen: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(Integer)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[str | None] = mapped_column(String(36))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OldPart(db.Model):
    """An old part taken from the customer, tracked until it is returned."""

    __tablename__ = "old_parts"
    __sync_scope__ = "ticket"
    line_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    sku: Mapped[str] = mapped_column(ForeignKey("parts.sku"))
    qty: Mapped[int] = mapped_column(Integer)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FeeLine(db.Model):
    __tablename__ = "fee_lines"
    __sync_scope__ = "ticket"
    line_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    item_code: Mapped[str] = mapped_column(String(64))
    qty: Mapped[int] = mapped_column(Integer)
    unit_fen: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(Integer)
    charge: Mapped[str] = mapped_column(String(16), default="paid")
    overridden: Mapped[bool] = mapped_column(default=False)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[str | None] = mapped_column(String(36))
    corrected_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Signature(db.Model):
    __tablename__ = "signatures"
    __sync_scope__ = "ticket"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # quote, completion
    blob_sha256: Mapped[str | None] = mapped_column(String(64))
    signer_name: Mapped[str | None] = mapped_column(String(120))
    summary_hash: Mapped[str | None] = mapped_column(String(64))
    server_summary_hash: Mapped[str] = mapped_column(String(64))
    refused: Mapped[bool] = mapped_column(default=False)
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    device_id: Mapped[str | None] = mapped_column(String(36))


class Payment(db.Model):
    __tablename__ = "payments"
    __sync_scope__ = "ticket"
    payment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    method: Mapped[str] = mapped_column(String(20))
    amount_fen: Mapped[int] = mapped_column(Integer)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[str | None] = mapped_column(String(36))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Rating(db.Model):
    __tablename__ = "ratings"
    __sync_scope__ = "ticket"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    corrected_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Photo(db.Model):
    __tablename__ = "photos"
    __sync_scope__ = "ticket"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    blob_sha256: Mapped[str] = mapped_column(String(64))
    caption: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    device_id: Mapped[str | None] = mapped_column(String(36))


class Flag(db.Model):
    """Something from the field the office must look at; never a reason to refuse a fact."""

    __tablename__ = "flags"
    __sync_scope__ = "ticket"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    device_id: Mapped[str | None] = mapped_column(String(36))
    mutation_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution_note: Mapped[str | None] = mapped_column(Text)


class AuditLog(db.Model):
    """Who changed what, when, before and after, and from which device or terminal."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[str | None] = mapped_column(String(36))
    terminal: Mapped[str | None] = mapped_column(String(120))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
