from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import db


class Part(db.Model):
    __tablename__ = "parts"
    __sync_scope__ = "catalog"
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    price_fen: Mapped[int] = mapped_column(Integer)
    cost_fen: Mapped[int] = mapped_column(Integer, default=0)
    # A replaced part carries its own warranty from the day it is fitted.
    warranty_months: Mapped[int] = mapped_column(Integer, default=3)
    active: Mapped[bool] = mapped_column(default=True)


class FeeItem(db.Model):
    """One row of the published fee schedule; brand/region NULL means 'any'."""

    __tablename__ = "fee_items"
    __sync_scope__ = "catalog"
    __table_args__ = (
        UniqueConstraint("item_code", "category", "brand", "region", "difficulty"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    item_code: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # inspection, labour, travel, handling
    category: Mapped[str] = mapped_column(String(32))
    brand: Mapped[str | None] = mapped_column(String(64))
    region: Mapped[str | None] = mapped_column(String(64))
    difficulty: Mapped[int] = mapped_column(Integer, default=1)
    amount_fen: Mapped[int] = mapped_column(Integer)
    warranty_covered: Mapped[bool] = mapped_column(default=True)


class ChecklistTemplate(db.Model):
    __tablename__ = "checklist_templates"
    __sync_scope__ = "catalog"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    phase: Mapped[str] = mapped_column(String(20))  # arrival, completion
    category: Mapped[str | None] = mapped_column(String(32))
    items: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{item_code, label, label_en, kind}]


class FaultCode(db.Model):
    __tablename__ = "fault_codes"
    __sync_scope__ = "catalog"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # fault, cause, handling
    category: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
