from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db import UTCDateTime, db, utcnow

TIERS = ("regular", "vip")


class Customer(db.Model):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(32), unique=True)
    address: Mapped[str] = mapped_column(Text)
    region: Mapped[str] = mapped_column(String(64), index=True)
    tier: Mapped[str] = mapped_column(String(20), default="regular")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    appliances: Mapped[list[Appliance]] = relationship(back_populates="customer")


class Appliance(db.Model):
    __tablename__ = "appliances"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    brand: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))  # air_conditioner, washer, fridge, water_heater
    model: Mapped[str] = mapped_column(String(64))
    serial: Mapped[str | None] = mapped_column(String(64), index=True)
    purchase_date: Mapped[date | None] = mapped_column(Date)
    warranty_months: Mapped[int] = mapped_column(Integer, default=12)

    customer: Mapped[Customer] = relationship(back_populates="appliances")
