from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db import UTCDateTime, db, utcnow

ROLES = ("admin", "dispatcher", "technician", "warehouse", "finance")
OFFICE_ROLES = ("admin", "dispatcher", "warehouse", "finance")


class User(db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    technician: Mapped[Technician | None] = relationship(back_populates="user", uselist=False)


class Technician(db.Model):
    """A user who goes to customers' homes: what they can fix, where, and how much per day."""

    __tablename__ = "technicians"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    skills: Mapped[list[Any]] = mapped_column(JSON, default=list)  # appliance categories
    regions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    grade: Mapped[str] = mapped_column(String(20), default="junior")
    daily_capacity: Mapped[int] = mapped_column(Integer, default=6)
    phone: Mapped[str | None] = mapped_column(String(32))

    user: Mapped[User] = relationship(back_populates="technician")


class Device(db.Model):
    """One phone (or browser) of one user. The token is stored only as its hash."""

    __tablename__ = "devices"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clock_offset_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    client_version: Mapped[str | None] = mapped_column(String(32))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Highest seq such that it and every lower seq are settled (applied or rejected).
    last_settled_seq: Mapped[int] = mapped_column(BigInteger, default=0)

    user: Mapped[User] = relationship()
