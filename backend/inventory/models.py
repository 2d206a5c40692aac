from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db import UTCDateTime, db, utcnow

LOCATION_KINDS = ("warehouse", "van", "customer", "manufacturer", "scrap")
MOVE_REASONS = ("purchase", "transfer", "consume", "return_old", "scrap", "stocktake_adjust", "unconsume")


class StockLocation(db.Model):
    __tablename__ = "stock_locations"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)  # warehouse, van:tech1, customer ...
    kind: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)


class StockMove(db.Model):
    """The ledger: levels are sums of these; a move is never edited, only reversed."""

    __tablename__ = "stock_moves"
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("parts.sku"), index=True)
    qty: Mapped[int] = mapped_column(Integer)
    from_location_id: Mapped[int | None] = mapped_column(ForeignKey("stock_locations.id"), index=True)
    to_location_id: Mapped[int | None] = mapped_column(ForeignKey("stock_locations.id"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    ref: Mapped[str | None] = mapped_column(String(120), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[str | None] = mapped_column(String(36))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StockLevel(db.Model):
    """Cached sum of the ledger per location and SKU; `reconcile_levels` checks it."""

    __tablename__ = "stock_levels"
    __sync_scope__ = "location"
    location_id: Mapped[int] = mapped_column(ForeignKey("stock_locations.id"), primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("parts.sku"), primary_key=True)
    qty: Mapped[int] = mapped_column(Integer, default=0)
    low_threshold: Mapped[int | None] = mapped_column(Integer)
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0, index=True)


# --- requisitions: warehouse -> van, approved by amount --------------------------------

REQUISITION_STATUSES = ("pending", "approved", "rejected", "issued", "cancelled")
# Positions that sign requisitions (the seed manual: 售服中心主任, 品管部经理, 售服/供应副总).
POSITIONS = {
    "service_head": ("售服中心主任", "Service centre head"),
    "quality_manager": ("品管部经理", "Quality manager"),
    "service_vp": ("售服副总经理", "VP of service"),
    "supply_vp": ("供应副总经理", "VP of supply"),
}


class ApprovalRule(db.Model):
    """Requisitions worth up to max_fen need every listed position to approve; the row with
    the smallest max_fen that fits applies, and max_fen NULL is 'anything above'."""

    __tablename__ = "approval_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    max_fen: Mapped[int | None] = mapped_column(BigInteger)
    positions: Mapped[list[Any]] = mapped_column(JSON, default=list)


class ApproverPosition(db.Model):
    """Which user holds which approving position."""

    __tablename__ = "approver_positions"
    __table_args__ = (UniqueConstraint("user_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    position: Mapped[str] = mapped_column(String(32))


class Requisition(db.Model):
    __tablename__ = "requisitions"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    van_location_id: Mapped[int] = mapped_column(ForeignKey("stock_locations.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    value_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    required_positions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    lines: Mapped[list[RequisitionLine]] = relationship(order_by="RequisitionLine.id")
    approvals: Mapped[list[RequisitionApproval]] = relationship(order_by="RequisitionApproval.id")


class RequisitionLine(db.Model):
    __tablename__ = "requisition_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    requisition_id: Mapped[int] = mapped_column(ForeignKey("requisitions.id"), index=True)
    sku: Mapped[str] = mapped_column(ForeignKey("parts.sku"))
    qty: Mapped[int] = mapped_column(Integer)
    unit_fen: Mapped[int] = mapped_column(Integer)


class RequisitionApproval(db.Model):
    """One signature on a requisition: who, in which position, approved or rejected, when."""

    __tablename__ = "requisition_approvals"
    id: Mapped[int] = mapped_column(primary_key=True)
    requisition_id: Mapped[int] = mapped_column(ForeignKey("requisitions.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    position: Mapped[str] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(16))  # approved, rejected
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- stocktake: a count sheet per location, differences posted as adjustments ----------

class Stocktake(db.Model):
    __tablename__ = "stocktakes"
    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("stock_locations.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, posted, cancelled
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list[StocktakeLine]] = relationship(order_by="StocktakeLine.sku")


class StocktakeLine(db.Model):
    __tablename__ = "stocktake_lines"
    __table_args__ = (UniqueConstraint("stocktake_id", "sku"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktakes.id"))
    sku: Mapped[str] = mapped_column(ForeignKey("parts.sku"))
    book_qty: Mapped[int] = mapped_column(Integer)  # the ledger when the sheet was printed
    counted_qty: Mapped[int | None] = mapped_column(Integer)
    posted_diff: Mapped[int | None] = mapped_column(Integer)  # counted - ledger at posting
