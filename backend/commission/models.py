"""Commission: rules, grades, the lines each completed ticket earns, complaints, and the
monthly statements that closing a month locks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import UTCDateTime, db, utcnow

# fee: a share of a fee line; material: a share of a paid part's margin; repeat_repair and
# complaint: deductions; rating_bonus: a bonus for a rating at or above min_score.
RULE_TARGETS = ("fee", "material", "repeat_repair", "complaint", "rating_bonus")
RULE_MODES = ("percent", "fixed")
COMMISSION_KINDS = ("fee", "material", "ticket_cap")  # what the monthly cap applies to
COMPLAINT_STATUSES = ("open", "upheld", "dismissed")


class CommissionGrade(db.Model):
    """Per skill grade (Technician.grade): the coefficient on fee commissions (permille),
    the base wage, and the caps per ticket and per month."""

    __tablename__ = "commission_grades"
    grade: Mapped[str] = mapped_column(String(20), primary_key=True)
    coefficient_pm: Mapped[int] = mapped_column(Integer, default=1000)
    base_wage_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    per_ticket_cap_fen: Mapped[int | None] = mapped_column(BigInteger)
    monthly_cap_fen: Mapped[int | None] = mapped_column(BigInteger)


class CommissionRule(db.Model):
    """A fee rule matches a fee line by item_code (difficulty suffix ignored), else by the
    item's kind, else a rule with neither is the default. percent uses rate_bp (1/100 of a
    percent) of the base; fixed pays amount_fen per unit."""

    __tablename__ = "commission_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    applies_to: Mapped[str] = mapped_column(String(20))
    item_code: Mapped[str | None] = mapped_column(String(64))
    fee_kind: Mapped[str | None] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(10))
    rate_bp: Mapped[int | None] = mapped_column(Integer)
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    min_score: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(default=True)


class TicketCompletion(db.Model):
    """Who completed a ticket and when (the technician whose device sent work.complete):
    ticket-level commission lines go to them."""

    __tablename__ = "ticket_completions"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    month: Mapped[str] = mapped_column(String(7), index=True)


class Complaint(db.Model):
    __tablename__ = "complaints"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    description: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_note: Mapped[str | None] = mapped_column(Text)


class CommissionLine(db.Model):
    """One line of a statement, explaining itself: the ticket, the rule, the base amount, the
    rate (and grade coefficient) or fixed amount, and the result. A line that lands in a
    later month because its own month was closed is an adjustment (adjusts_month)."""

    __tablename__ = "commission_lines"
    __table_args__ = (
        Index("ix_commission_lines_month_technician", "month", "technician_id"),
        Index("ix_commission_lines_ticket", "ticket_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    month: Mapped[str] = mapped_column(String(7))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    source: Mapped[str] = mapped_column(String(16))  # fee_line, part_line, ticket, complaint, manual
    source_ref: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # fee, material, ticket_cap, bonus, deduction
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("commission_rules.id"))
    rule_name: Mapped[str] = mapped_column(String(120))
    base_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    rate_bp: Mapped[int | None] = mapped_column(Integer)
    coefficient_pm: Mapped[int | None] = mapped_column(Integer)
    fixed_fen: Mapped[int | None] = mapped_column(BigInteger)
    qty: Mapped[int | None] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    is_adjustment: Mapped[bool] = mapped_column(default=False)
    adjusts_month: Mapped[str | None] = mapped_column(String(7))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CommissionMonth(db.Model):
    """A closed month: its statements are locked; later changes land in the next open month."""

    __tablename__ = "commission_months"
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class CommissionStatement(db.Model):
    """A technician's statement for a closed month, as it was when the month was closed."""

    __tablename__ = "commission_statements"
    __table_args__ = (UniqueConstraint("month", "technician_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    technician_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    grade: Mapped[str | None] = mapped_column(String(20))
    base_wage_fen: Mapped[int] = mapped_column(BigInteger)
    commission_fen: Mapped[int] = mapped_column(BigInteger)
    cap_cut_fen: Mapped[int] = mapped_column(BigInteger)
    bonus_fen: Mapped[int] = mapped_column(BigInteger)
    deduction_fen: Mapped[int] = mapped_column(BigInteger)
    adjustment_fen: Mapped[int] = mapped_column(BigInteger)
    total_fen: Mapped[int] = mapped_column(BigInteger)
    line_count: Mapped[int] = mapped_column(Integer)
    tickets_completed: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
