"""Warranty-card terms, the warranty each fitted part carries, and manufacturer claim lines."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db import UTCDateTime, db, utcnow
from backend.tickets.models import PartLine


class WarrantyCardTerm(db.Model):
    """The price a brand's warranty card states for a fee item. When it differs from the
    published schedule the customer pays the lower of the two; category NULL means any."""

    __tablename__ = "warranty_card_terms"
    __sync_scope__ = "catalog"
    __table_args__ = (UniqueConstraint("brand", "category", "item_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    brand: Mapped[str] = mapped_column(String(64))
    category: Mapped[str | None] = mapped_column(String(32))
    item_code: Mapped[str] = mapped_column(String(64))  # the schedule's code, any difficulty
    unit_fen: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)


class PartWarranty(db.Model):
    """A part fitted on a ticket carries its own warranty from the day it was fitted; a later
    ticket on the same appliance replacing the same SKU within it is a warranty repair.
    Customer-supplied parts are recorded without a warranty (warranty_until NULL)."""

    __tablename__ = "part_warranties"
    __table_args__ = (Index("ix_part_warranties_appliance_sku", "appliance_id", "sku"),)
    line_id: Mapped[str] = mapped_column(ForeignKey("part_lines.line_id"), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    appliance_id: Mapped[int] = mapped_column(ForeignKey("appliances.id"))
    sku: Mapped[str] = mapped_column(ForeignKey("parts.sku"))
    fitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    warranty_until: Mapped[date | None] = mapped_column(Date)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Tells the unit of work to insert the part line first.
    line: Mapped[PartLine] = relationship()


class ClaimLine(db.Model):
    """A covered line the customer did not pay, claimed from the appliance's manufacturer.
    Rebuilt from the ticket's lines whenever a completed ticket changes."""

    __tablename__ = "claim_lines"
    __table_args__ = (
        UniqueConstraint("line_kind", "line_id"),
        Index("ix_claim_lines_month_brand", "month", "brand"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    line_kind: Mapped[str] = mapped_column(String(8))  # part, fee
    line_id: Mapped[str] = mapped_column(String(64))
    brand: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(64))  # SKU or fee item code
    name: Mapped[str] = mapped_column(String(200))
    qty: Mapped[int] = mapped_column(Integer)
    unit_fen: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(Integer)
    basis: Mapped[str] = mapped_column(String(20))  # appliance_warranty, part_warranty, unverified
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM of completion, local time
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
