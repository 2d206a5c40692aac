from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

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
