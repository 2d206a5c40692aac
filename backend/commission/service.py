"""Commission: the lines each ticket earns, monthly statements, closing a month, ranking.

One rule implementation, `ticket_lines`, a pure function of a ticket's synced facts and
the rules. `refresh_tickets` loads the facts of any number of tickets in a few set-based
queries, computes their lines and writes only the difference: lines of open months are
replaced; what a closed month locked stays, and any change lands as an adjustment in the
next open month. Completing a ticket refreshes that ticket; `rebuild_month` refreshes a
whole month (after a rule change, or in the benchmark) through the same path.

No Flask here: callers pass the actor and the clock; functions flush, never commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, insert, text, union

from backend.audit import Actor, record_audit
from backend.catalog.models import FeeItem, Part
from backend.commission.models import (
    COMMISSION_KINDS,
    CommissionGrade,
    CommissionLine,
    CommissionMonth,
    CommissionRule,
    CommissionStatement,
    Complaint,
    TicketCompletion,
)
from backend.db import db, yuan
from backend.errors import DomainError, NotFound
from backend.fees.periods import is_month, month_bounds, month_of, next_month, previous_month
from backend.fees.service import parse_item_code
from backend.people.models import Technician, User
from backend.tickets.models import FeeLine, PartLine, Rating, Ticket

CHUNK = 5000
DEFAULT_GRADE = {
    "coefficient_pm": 1000,
    "base_wage_fen": 0,
    "per_ticket_cap_fen": None,
    "monthly_cap_fen": None,
}
# The figures of a statement, live or locked (CommissionStatement has a column for each).
STATEMENT_FIGURES = (
    "base_wage_fen",
    "commission_fen",
    "cap_cut_fen",
    "bonus_fen",
    "deduction_fen",
    "adjustment_fen",
    "total_fen",
    "line_count",
    "tickets_completed",
)


# --- rules ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    id: int
    name: str
    mode: str
    rate_bp: int | None
    amount_fen: int | None
    min_score: int | None = None


@dataclass
class Rules:
    fee_by_code: dict[str, Rule] = field(default_factory=dict)
    fee_by_kind: dict[str, Rule] = field(default_factory=dict)
    fee_default: Rule | None = None
    material: Rule | None = None
    repeat_repair: Rule | None = None
    complaint: Rule | None = None
    rating_bonus: Rule | None = None
    grades: dict[str, dict[str, Any]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)  # fee item code -> kind

    def fee_rule(self, item_code: str) -> Rule | None:
        base, _ = parse_item_code(item_code)
        rule = self.fee_by_code.get(base)
        if rule is None:
            rule = self.fee_by_kind.get(self.kinds.get(base, ""))
        return rule or self.fee_default

    def grade(self, name: str | None) -> dict[str, Any]:
        return self.grades.get(name or "", DEFAULT_GRADE)


def load_rules() -> Rules:
    rules = Rules()
    for row in db.session.execute(
        db.select(CommissionRule).where(CommissionRule.active.is_(True)).order_by(CommissionRule.id)
    ).scalars():
        rule = Rule(row.id, row.name, row.mode, row.rate_bp, row.amount_fen, row.min_score)
        if row.applies_to == "fee":
            if row.item_code:
                rules.fee_by_code.setdefault(row.item_code, rule)
            elif row.fee_kind:
                rules.fee_by_kind.setdefault(row.fee_kind, rule)
            elif rules.fee_default is None:
                rules.fee_default = rule
        elif getattr(rules, row.applies_to, None) is None:
            setattr(rules, row.applies_to, rule)
    rules.grades = load_grades()
    rules.kinds = dict(db.session.execute(db.select(FeeItem.item_code, FeeItem.kind).distinct()).all())
    return rules


def load_grades() -> dict[str, dict[str, Any]]:
    """Each grade's coefficient, base wage and caps: all that statements need of the rules."""
    return {
        grade.grade: {
            "coefficient_pm": grade.coefficient_pm,
            "base_wage_fen": grade.base_wage_fen,
            "per_ticket_cap_fen": grade.per_ticket_cap_fen,
            "monthly_cap_fen": grade.monthly_cap_fen,
        }
        for grade in db.session.execute(db.select(CommissionGrade)).scalars()
    }


def scaled(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero, in integers (money is never a float)."""
    sign = -1 if numerator < 0 else 1
    return sign * ((abs(numerator) * 2 + denominator) // (2 * denominator))


# --- facts and the rule -----------------------------------------------------------------


@dataclass
class TicketFacts:
    ticket_id: int
    number: str
    status: str
    technician_id: int | None  # who completed it
    completed_at: datetime | None
    total_fen: int
    repeat_of_id: int | None
    fee_lines: list[tuple] = field(
        default_factory=list
    )  # line_id, item_code, qty, unit, amount, charge, tech
    part_lines: list[tuple] = field(
        default_factory=list
    )  # line_id, sku, qty, source, charge, unit, cost, tech
    rating: int | None = None
    prior: tuple | None = None  # technician_id, number, total_fen of the ticket this one repeats
    complaints: list[tuple] = field(default_factory=list)  # id, technician_id, decided_at

    @property
    def month(self) -> str | None:
        return month_of(self.completed_at) if self.completed_at else None


def _line(
    facts: TicketFacts,
    technician_id: int,
    month: str,
    source: str,
    ref: str,
    kind: str,
    rule: Rule,
    amount: int,
    *,
    base: int = 0,
    rate_bp: int | None = None,
    coefficient_pm: int | None = None,
    fixed_fen: int | None = None,
    qty: int | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    return {
        "technician_id": technician_id,
        "month": month,
        "ticket_id": facts.ticket_id,
        "source": source,
        "source_ref": ref,
        "kind": kind,
        "rule_id": rule.id if rule else None,
        "rule_name": rule.name if rule else kind,
        "base_fen": base,
        "rate_bp": rate_bp,
        "coefficient_pm": coefficient_pm,
        "fixed_fen": fixed_fen,
        "qty": qty,
        "amount_fen": amount,
        "note": note,
    }


def _apply(rule: Rule, base: int, qty: int, coefficient_pm: int = 1000) -> tuple[int, dict[str, Any]]:
    if rule.mode == "percent":
        amount = scaled(base * (rule.rate_bp or 0) * coefficient_pm, 10_000 * 1000)
        return amount, {"rate_bp": rule.rate_bp}
    amount = scaled((rule.amount_fen or 0) * qty * coefficient_pm, 1000)
    return amount, {"fixed_fen": rule.amount_fen}


def ticket_lines(facts: TicketFacts, rules: Rules, grades: dict[int, str]) -> list[dict[str, Any]]:
    """The commission lines a ticket earns, by the rules; pure (facts in, line dicts out)."""
    lines: list[dict[str, Any]] = []
    month = facts.month
    if facts.status == "completed" and month is not None:
        earned: dict[int, int] = defaultdict(int)
        for line_id, item_code, qty, unit_fen, amount_fen, charge, tech in facts.fee_lines:
            tech = tech or facts.technician_id
            rule = rules.fee_rule(item_code)
            if rule is None or tech is None or charge == "repeat":
                continue  # a repeat repair's free labour earns nothing
            # Under warranty the manufacturer pays the schedule's price: that is the base.
            base = unit_fen * qty if charge == "warranty" else amount_fen
            coefficient = rules.grade(grades.get(tech))["coefficient_pm"]
            amount, terms = _apply(rule, base, qty, coefficient)
            if amount == 0:
                continue
            earned[tech] += amount
            lines.append(
                _line(
                    facts,
                    tech,
                    month,
                    "fee_line",
                    line_id,
                    "fee",
                    rule,
                    amount,
                    base=base,
                    coefficient_pm=coefficient,
                    qty=qty,
                    note=item_code,
                    **terms,
                )
            )
        if rules.material is not None:
            for line_id, sku, qty, source, charge, unit_fen, cost_fen, tech in facts.part_lines:
                tech = tech or facts.technician_id
                margin = (unit_fen - cost_fen) * qty
                if charge != "paid" or source == "customer" or margin <= 0 or tech is None:
                    continue
                amount, terms = _apply(rules.material, margin, qty)
                if amount == 0:
                    continue
                earned[tech] += amount
                lines.append(
                    _line(
                        facts,
                        tech,
                        month,
                        "part_line",
                        line_id,
                        "material",
                        rules.material,
                        amount,
                        base=margin,
                        qty=qty,
                        note=sku,
                        **terms,
                    )
                )
        for tech, total in sorted(earned.items()):
            cap = rules.grade(grades.get(tech))["per_ticket_cap_fen"]
            if cap is not None and total > cap:
                lines.append(
                    _line(
                        facts,
                        tech,
                        month,
                        "ticket",
                        "ticket_cap",
                        "ticket_cap",
                        None,
                        cap - total,
                        base=total,
                        fixed_fen=cap,
                    )
                )
        rating_rule = rules.rating_bonus
        if (
            rating_rule is not None
            and facts.rating is not None
            and facts.technician_id is not None
            and facts.rating >= (rating_rule.min_score or 5)
        ):
            amount, terms = _apply(rating_rule, facts.total_fen, 1)
            if amount:
                lines.append(
                    _line(
                        facts,
                        facts.technician_id,
                        month,
                        "ticket",
                        "rating",
                        "bonus",
                        rating_rule,
                        amount,
                        base=facts.total_fen,
                        note=str(facts.rating),
                        **terms,
                    )
                )
        if rules.repeat_repair is not None and facts.prior is not None and facts.prior[0] is not None:
            prior_tech, prior_number, prior_total = facts.prior
            amount, terms = _apply(rules.repeat_repair, prior_total, 1)
            if amount:
                lines.append(
                    _line(
                        facts,
                        prior_tech,
                        month,
                        "ticket",
                        f"repeat:{facts.repeat_of_id}",
                        "deduction",
                        rules.repeat_repair,
                        -amount,
                        base=prior_total,
                        note=prior_number,
                        **terms,
                    )
                )
    if rules.complaint is not None:
        for complaint_id, tech, decided_at in facts.complaints:
            if tech is None or decided_at is None:
                continue
            amount, terms = _apply(rules.complaint, facts.total_fen, 1)
            if amount:
                lines.append(
                    _line(
                        facts,
                        tech,
                        month_of(decided_at),
                        "complaint",
                        str(complaint_id),
                        "deduction",
                        rules.complaint,
                        -amount,
                        base=facts.total_fen,
                        **terms,
                    )
                )
    return lines


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def technician_grades() -> dict[int, str]:
    return dict(db.session.execute(db.select(Technician.user_id, Technician.grade)).all())


Tickets = list[int] | Select
"""A selection of tickets: ids (a few, when one completes) or a SELECT of ids (a month)."""


def _selections(tickets: Tickets) -> Iterable[Any]:
    """What to put in IN (...): the SELECT itself, or the ids in chunks (thousands of bound
    parameters cost more to send than the query costs to run)."""
    if isinstance(tickets, Select):
        yield tickets
    else:
        yield from _chunks(sorted(set(tickets)))


def load_facts(tickets: Tickets) -> list[TicketFacts]:
    """The synced facts of any number of tickets, in a handful of set-based queries."""
    facts: dict[int, TicketFacts] = {}
    for chosen in _selections(tickets):
        for row in db.session.execute(
            db.select(
                Ticket.id,
                Ticket.number,
                Ticket.status,
                Ticket.completed_at,
                Ticket.total_fen,
                Ticket.repeat_of_id,
                Ticket.technician_id,
                TicketCompletion.technician_id.label("by"),
            )
            .outerjoin(TicketCompletion, TicketCompletion.ticket_id == Ticket.id)
            .where(Ticket.id.in_(chosen))
        ):
            facts[row.id] = TicketFacts(
                row.id,
                row.number,
                row.status,
                row.by or row.technician_id,
                row.completed_at,
                row.total_fen,
                row.repeat_of_id,
            )
        for row in db.session.execute(
            db.select(
                FeeLine.ticket_id,
                FeeLine.line_id,
                FeeLine.item_code,
                FeeLine.qty,
                FeeLine.unit_fen,
                FeeLine.amount_fen,
                FeeLine.charge,
                FeeLine.technician_id,
            )
            .where(FeeLine.ticket_id.in_(chosen))
        ):
            facts[row[0]].fee_lines.append(tuple(row[1:]))
        for row in db.session.execute(
            db.select(
                PartLine.ticket_id,
                PartLine.line_id,
                PartLine.sku,
                PartLine.qty,
                PartLine.source,
                PartLine.charge,
                PartLine.unit_price_fen,
                Part.cost_fen,
                PartLine.technician_id,
            )
            .join(Part, Part.sku == PartLine.sku)
            .where(PartLine.ticket_id.in_(chosen), PartLine.removed_at.is_(None))
        ):
            facts[row[0]].part_lines.append(tuple(row[1:]))
        for ticket_id, score in db.session.execute(
            db.select(Rating.ticket_id, Rating.score).where(Rating.ticket_id.in_(chosen))
        ):
            facts[ticket_id].rating = score
        for row in db.session.execute(
            db.select(Complaint.ticket_id, Complaint.id, Complaint.technician_id, Complaint.decided_at)
            .where(Complaint.ticket_id.in_(chosen), Complaint.status == "upheld")
            .order_by(Complaint.id)
        ):
            facts[row[0]].complaints.append(tuple(row[1:]))
    if isinstance(tickets, Select):
        prior_selections: Iterable[Any] = [
            db.select(Ticket.repeat_of_id).where(Ticket.id.in_(tickets), Ticket.repeat_of_id.is_not(None))
        ]
    else:
        prior_selections = _chunks(sorted({f.repeat_of_id for f in facts.values() if f.repeat_of_id}))
    priors: dict[int, tuple] = {}
    for chosen in prior_selections:
        for row in db.session.execute(
            db.select(
                Ticket.id,
                Ticket.number,
                Ticket.total_fen,
                Ticket.technician_id,
                TicketCompletion.technician_id.label("by"),
            )
            .outerjoin(TicketCompletion, TicketCompletion.ticket_id == Ticket.id)
            .where(Ticket.id.in_(chosen))
        ):
            priors[row.id] = (row.by or row.technician_id, row.number, row.total_fen)
    for f in facts.values():
        if f.repeat_of_id:
            f.prior = priors.get(f.repeat_of_id)
    return [facts[i] for i in sorted(facts)]


# --- writing the difference -------------------------------------------------------------


# Closing a month and writing lines must not interleave: a line written into a month while
# it is being closed would be missing from its locked statement. On PostgreSQL, writers hold
# a shared transaction lock and closing takes it exclusively (SQLite serializes writers).
MONTH_LOCK = 0x46534331  # "FSC1"


def _month_lock(exclusive: bool) -> None:
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        connection.execute(text(f"SELECT {function}(:key)"), {"key": MONTH_LOCK})


def closed_months() -> set[str]:
    return set(db.session.execute(db.select(CommissionMonth.month)).scalars())


def landing_month(month: str, closed: set[str]) -> str:
    """A line for a closed month lands in the next open month."""
    while month in closed:
        month = next_month(month)
    return month


COMPARED = (
    "technician_id",
    "month",
    "ticket_id",
    "source",
    "source_ref",
    "kind",
    "rule_id",
    "rule_name",
    "base_fen",
    "rate_bp",
    "coefficient_pm",
    "fixed_fen",
    "qty",
    "amount_fen",
    "note",
    "is_adjustment",  # these two last: _plain() compares a computed line without them
    "adjusts_month",
)
LINE_COLUMNS = (*COMPARED, "created_at")


KEY = ("ticket_id", "technician_id", "source", "source_ref", "kind")
_dict_key = itemgetter(*KEY)
_row_key = itemgetter(*(COMPARED.index(c) + 1 for c in KEY))  # rows are (id, *COMPARED)
_compare = itemgetter(*COMPARED)
_plain = itemgetter(*COMPARED[:-2])  # a computed line has no adjustment fields yet
_line_values = itemgetter(*LINE_COLUMNS)


def _key(line: Any) -> tuple:
    return _dict_key(line) if isinstance(line, dict) else _row_key(line)


@dataclass
class RefreshResult:
    tickets: int = 0
    inserted: int = 0
    deleted: int = 0
    adjustments: int = 0
    changed_tickets: set[int] = field(default_factory=set)


def refresh_tickets(
    tickets: Tickets,
    now: datetime,
    actor: Actor | None = None,
    *,
    rules: Rules | None = None,
    audit: bool = True,
) -> RefreshResult:
    """Bring the stored lines of these tickets in line with their facts and the rules."""
    result = RefreshResult()
    if isinstance(tickets, list) and not tickets:
        return result
    rules = rules or load_rules()
    grades = technician_grades()
    _month_lock(exclusive=False)
    closed = closed_months()
    facts = load_facts(tickets)
    result.tickets = len(facts)
    desired: dict[tuple, dict[str, Any]] = {}
    for f in facts:
        for line in ticket_lines(f, rules, grades):
            desired[_key(line)] = line
    existing: dict[tuple, list] = defaultdict(list)
    columns = [getattr(CommissionLine, c) for c in ("id", *COMPARED)]
    for chosen in _selections(tickets):
        for row in db.session.execute(
            db.select(*columns).where(CommissionLine.ticket_id.in_(chosen), CommissionLine.source != "manual")
        ):
            existing[_key(row)].append(row)
    to_delete: list[int] = []
    to_insert: list[dict[str, Any]] = []
    for key in desired.keys() | existing.keys():
        want = desired.get(key)
        have = existing.get(key, ())
        if (want is not None and len(have) == 1 and have[0][2] == want["month"] and not have[0][-2]
                and want["month"] not in closed and tuple(have[0])[1:-2] == _plain(want)):
            continue  # the usual case: one line, as it was, in an open month
        locked = [r for r in have if r.month in closed]
        open_rows = [r for r in have if r.month not in closed]
        if want is None:
            # No longer earned: open lines go; what a closed month paid is taken back.
            want_lines = []
            if locked:
                first = {c: locked[0]._mapping[c] for c in COMPARED}
                want_lines = _adjustment(
                    {**first, "month": min(r.month for r in locked)},
                    -sum(r.amount_fen for r in locked),
                    closed,
                )
        elif locked:
            want_lines = _adjustment(want, want["amount_fen"] - sum(r.amount_fen for r in locked), closed)
        else:
            landing = landing_month(want["month"], closed)
            want_lines = [
                {
                    **want,
                    "month": landing,
                    "is_adjustment": landing != want["month"],
                    "adjusts_month": want["month"] if landing != want["month"] else None,
                }
            ]
        if len(open_rows) == len(want_lines) and (
            not want_lines
            or sorted(tuple(r)[1:] for r in open_rows) == sorted(_compare(w) for w in want_lines)
        ):
            continue
        to_delete.extend(r.id for r in open_rows)
        to_insert.extend({**w, "created_at": now} for w in want_lines)
        result.changed_tickets.add(key[0])
        result.adjustments += sum(1 for w in want_lines if w["is_adjustment"])
    for chunk in _chunks(to_delete):
        db.session.execute(db.delete(CommissionLine).where(CommissionLine.id.in_(chunk)))
    write_lines(to_insert)
    result.inserted, result.deleted = len(to_insert), len(to_delete)
    if audit and result.changed_tickets:
        if len(result.changed_tickets) == 1 and isinstance(tickets, list) and len(tickets) == 1:
            record_audit(
                actor,
                entity="commission",
                entity_id=tickets[0],
                action="commission.refresh",
                at=now,
                ticket_id=tickets[0],
                after={
                    "inserted": result.inserted,
                    "deleted": result.deleted,
                    "adjustments": result.adjustments,
                },
            )
        else:
            record_audit(
                actor,
                entity="commission",
                entity_id="batch",
                action="commission.refresh",
                at=now,
                after={
                    "tickets": result.tickets,
                    "changed": len(result.changed_tickets),
                    "inserted": result.inserted,
                    "deleted": result.deleted,
                },
            )
    return result


def _adjustment(want: dict[str, Any], delta: int, closed: set[str]) -> list[dict[str, Any]]:
    if delta == 0:
        return []
    own = want["month"]
    return [
        {
            **want,
            "amount_fen": delta,
            "month": landing_month(own, closed),
            "is_adjustment": True,
            "adjusts_month": own,
        }
    ]


def write_lines(rows: list[dict[str, Any]]) -> None:
    """Insert lines: COPY on PostgreSQL for big batches, executemany otherwise."""
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name == "postgresql" and len(rows) > 2000:
        raw = connection.connection.driver_connection
        columns = ", ".join(LINE_COLUMNS)
        with raw.cursor() as cursor, cursor.copy(f"COPY commission_lines ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(_line_values(row))
        return
    db.session.execute(insert(CommissionLine), [dict(zip(LINE_COLUMNS, _line_values(row), strict=True))
                                                for row in rows])


def month_tickets(month: str) -> Select:
    """The tickets whose lines belong to a month: completed in it, with a complaint decided
    in it, or already holding lines there (as a SELECT, for IN (...))."""
    start, end = month_bounds(month)
    completed = db.select(Ticket.id.label("id")).where(
        Ticket.completed_at >= start, Ticket.completed_at < end
    )
    complaints = db.select(Complaint.ticket_id.label("id")).where(
        Complaint.decided_at >= start, Complaint.decided_at < end
    )
    lined = db.select(CommissionLine.ticket_id.label("id")).where(
        CommissionLine.month == month, CommissionLine.ticket_id.is_not(None)
    )
    chosen = union(completed, complaints, lined).subquery()
    return db.select(chosen.c.id)


def rebuild_month(actor: Actor | None, month: str, now: datetime) -> RefreshResult:
    """Recompute every line of an open month from the synced facts and the current rules."""
    _require_month(month)
    if month in closed_months():
        raise DomainError(
            "month_closed", _("%(month)s is closed; changes land in the next open month", month=month), 409
        )
    return refresh_tickets(month_tickets(month), now, actor)


# --- hooks called when facts change -----------------------------------------------------


def record_completion(ticket: Ticket, technician_id: int) -> None:
    if ticket.status != "completed" or ticket.completed_at is None:
        return
    row = db.session.get(TicketCompletion, ticket.id)
    if row is None:
        row = TicketCompletion(ticket_id=ticket.id)
        db.session.add(row)
    row.technician_id, row.completed_at = technician_id, ticket.completed_at
    row.month = month_of(ticket.completed_at)


# --- statements -------------------------------------------------------------------------


def _require_month(month: str) -> None:
    if not is_month(month):
        raise DomainError("invalid_month", _("A month is written YYYY-MM"), 400)


def technicians(usernames: list[str] | None = None) -> list[dict[str, Any]]:
    query = (
        db.select(User.id, User.username, User.display_name, Technician.grade)
        .join(Technician, Technician.user_id == User.id)
        .order_by(User.username)
    )
    if usernames:
        query = query.where(User.username.in_(usernames))
    return [dict(r._mapping) for r in db.session.execute(query)]


def _live_statements(month: str, people: list[dict[str, Any]], rules: Rules) -> list[dict[str, Any]]:
    ids = [p["id"] for p in people]
    sums: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    query = (
        db.select(
            CommissionLine.technician_id,
            CommissionLine.kind,
            CommissionLine.is_adjustment,
            func.sum(CommissionLine.amount_fen),
            func.count(),
        )
        .where(CommissionLine.month == month)
        .group_by(CommissionLine.technician_id, CommissionLine.kind, CommissionLine.is_adjustment)
    )
    if len(ids) <= CHUNK:
        query = query.where(CommissionLine.technician_id.in_(ids))
    for tech, kind, adjustment, total, count in db.session.execute(query):
        entry = sums[tech]
        bucket = "adjustment" if adjustment else ("commission" if kind in COMMISSION_KINDS else kind)
        entry[bucket] += int(total)
        entry["lines"] += count
    completed = dict(
        db.session.execute(
            db.select(TicketCompletion.technician_id, func.count())
            .join(Ticket, Ticket.id == TicketCompletion.ticket_id)
            .where(TicketCompletion.month == month, Ticket.status == "completed")
            .group_by(TicketCompletion.technician_id)
        ).all()
    )
    statements = []
    for person in people:
        entry = sums.get(person["id"], {})
        grade = rules.grade(person["grade"])
        commission = entry.get("commission", 0)
        cap = grade["monthly_cap_fen"]
        cap_cut = max(0, commission - cap) if cap is not None else 0
        base = grade["base_wage_fen"]
        bonus, deduction, adjustment = (
            entry.get("bonus", 0),
            entry.get("deduction", 0),
            entry.get("adjustment", 0),
        )
        statements.append(
            {
                "month": month,
                "technician_id": person["id"],
                "technician": person["username"],
                "display_name": person["display_name"],
                "grade": person["grade"],
                "base_wage_fen": base,
                "commission_fen": commission,
                "cap_cut_fen": cap_cut,
                "bonus_fen": bonus,
                "deduction_fen": deduction,
                "adjustment_fen": adjustment,
                "total_fen": base + commission - cap_cut + bonus + deduction + adjustment,
                "line_count": entry.get("lines", 0),
                "tickets_completed": completed.get(person["id"], 0),
                "status": "open",
                "closed_at": None,
            }
        )
    return statements


def statements(month: str, usernames: list[str] | None = None) -> list[dict[str, Any]]:
    """Each technician's statement for a month: locked figures once closed, live otherwise."""
    _require_month(month)
    people = technicians(usernames)
    if db.session.get(CommissionMonth, month) is None:
        return _live_statements(month, people, Rules(grades=load_grades()))
    return _closed_statements(month, people)


def _closed_statements(month: str, people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = {
        s.technician_id: s
        for s in db.session.execute(
            db.select(CommissionStatement).where(CommissionStatement.month == month)
        ).scalars()
    }
    result = []
    for person in people:
        s = rows.get(person["id"])
        if s is None:
            continue
        result.append(
            {
                "month": month,
                "technician_id": person["id"],
                "technician": person["username"],
                "display_name": person["display_name"],
                "grade": s.grade,
                **{key: getattr(s, key) for key in STATEMENT_FIGURES},
                "status": "closed",
                "closed_at": s.closed_at,
            }
        )
    return result


def statement_for(month: str, username: str) -> dict[str, Any]:
    found = statements(month, [username])
    if not found:
        raise NotFound(_("Statement of %(name)s for %(month)s", name=username, month=month))
    statement = found[0]
    statement["lines"] = statement_lines(month, [statement["technician_id"]])[statement["technician_id"]]
    return statement


def explain(line: dict[str, Any]) -> str:
    """One line in words: base, rate or fixed amount, coefficient, result."""
    if line["kind"] == "ticket_cap":
        return f"{yuan(line['base_fen'])} → cap {yuan(line['fixed_fen'] or 0)} = {yuan(line['amount_fen'])}"
    parts = [yuan(line["base_fen"])] if line["rate_bp"] is not None else []
    if line["rate_bp"] is not None:
        parts.append(f"{line['rate_bp'] / 100:g}%")
    if line["fixed_fen"] is not None:
        parts.append(
            yuan(line["fixed_fen"]) + (f" × {line['qty']}" if line["qty"] and line["qty"] != 1 else "")
        )
    if line["coefficient_pm"] not in (None, 1000):
        parts.append(f"{line['coefficient_pm'] / 1000:g}")
    return " × ".join(parts) + f" = {yuan(line['amount_fen'])}"


def statement_lines(month: str, technician_ids: Collection[int]) -> dict[int, list[dict[str, Any]]]:
    """The month's commission lines of these technicians, each explained: one query for
    all of them (the finance page and the exports show every technician's lines)."""
    lines: dict[int, list[dict[str, Any]]] = {technician_id: [] for technician_id in technician_ids}
    rows = db.session.execute(
        db.select(CommissionLine, Ticket.number)
        .outerjoin(Ticket, Ticket.id == CommissionLine.ticket_id)
        .where(CommissionLine.month == month, CommissionLine.technician_id.in_(lines))
        .order_by(
            CommissionLine.is_adjustment,
            Ticket.number,
            CommissionLine.kind,
            CommissionLine.source_ref,
            CommissionLine.id,
        )
    ).all()
    for line, number in rows:
        item = {c: getattr(line, c) for c in ("id", *COMPARED, "created_at")}
        item["ticket_number"] = number
        item["explanation"] = explain(item)
        lines[line.technician_id].append(item)
    return lines


def close_month(actor: Actor, month: str, now: datetime) -> list[dict[str, Any]]:
    """Lock a month: its statements are stored as they are now and never change again."""
    _require_month(month)
    if month >= month_of(now):
        raise DomainError("month_not_over", _("%(month)s has not ended yet", month=month), 409)
    _month_lock(exclusive=True)
    if db.session.get(CommissionMonth, month) is not None:
        raise DomainError("month_closed", _("%(month)s is already closed", month=month), 409)
    live = _live_statements(month, technicians(), Rules(grades=load_grades()))
    db.session.add(CommissionMonth(month=month, closed_at=now, closed_by_id=actor.user_id))
    db.session.add_all(
        CommissionStatement(
            month=month,
            technician_id=s["technician_id"],
            grade=s["grade"],
            **{key: s[key] for key in STATEMENT_FIGURES},
            closed_at=now,
        )
        for s in live
    )
    db.session.flush()
    record_audit(
        actor,
        entity="commission_month",
        entity_id=month,
        action="close",
        at=now,
        after={"statements": len(live), "total_fen": sum(s["total_fen"] for s in live)},
    )
    return statements(month)


def add_manual_line(
    actor: Actor, username: str, month: str, kind: str, amount_fen: int, note: str, now: datetime
) -> CommissionLine:
    """A bonus or deduction decided by finance, in an open month."""
    _require_month(month)
    _month_lock(exclusive=False)
    if month in closed_months():
        raise DomainError("month_closed", _("%(month)s is closed", month=month), 409)
    person = technicians([username])
    if not person:
        raise NotFound(_("Technician %(name)s", name=username))
    signed = abs(amount_fen) if kind == "bonus" else -abs(amount_fen)
    line = CommissionLine(
        technician_id=person[0]["id"],
        month=month,
        source="manual",
        source_ref=f"manual:{now.timestamp():.0f}",
        kind=kind,
        rule_name=note[:120],
        base_fen=0,
        fixed_fen=abs(amount_fen),
        qty=1,
        amount_fen=signed,
        note=note,
        created_at=now,
    )
    db.session.add(line)
    db.session.flush()
    record_audit(
        actor,
        entity="commission_line",
        entity_id=line.id,
        action=f"manual.{kind}",
        at=now,
        after={"technician": username, "month": month, "amount_fen": signed, "note": note},
    )
    return line


# --- complaints -------------------------------------------------------------------------


def file_complaint(actor: Actor, ticket: Ticket, description: str, now: datetime) -> Complaint:
    completion = db.session.get(TicketCompletion, ticket.id)
    complaint = Complaint(
        ticket_id=ticket.id,
        description=description,
        received_at=now,
        received_by_id=actor.user_id,
        technician_id=completion.technician_id if completion else ticket.technician_id,
    )
    db.session.add(complaint)
    db.session.flush()
    record_audit(
        actor,
        entity="complaint",
        entity_id=complaint.id,
        action="file",
        at=now,
        ticket_id=ticket.id,
        after={"description": description},
    )
    return complaint


def decide_complaint(actor: Actor, complaint_id: int, upheld: bool, note: str, now: datetime) -> Complaint:
    complaint = db.session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound(_("Complaint %(id)s", id=complaint_id))
    if complaint.status != "open":
        raise DomainError("already_decided", _("This complaint is already decided"), 409)
    complaint.status = "upheld" if upheld else "dismissed"
    complaint.decided_at, complaint.decided_by_id, complaint.decision_note = now, actor.user_id, note
    db.session.flush()
    record_audit(
        actor,
        entity="complaint",
        entity_id=complaint.id,
        action=complaint.status,
        at=now,
        ticket_id=complaint.ticket_id,
        after={"note": note},
    )
    refresh_tickets([complaint.ticket_id], now, actor)
    return complaint


# --- ranking ----------------------------------------------------------------------------


def ranking(month: str) -> list[dict[str, Any]]:
    """Technicians for a month by completed tickets, then revenue, rating, fewest repeats."""
    _require_month(month)
    done = (
        db.select(TicketCompletion.ticket_id, TicketCompletion.technician_id)
        .join(Ticket, Ticket.id == TicketCompletion.ticket_id)
        .where(TicketCompletion.month == month, Ticket.status == "completed")
        .subquery()
    )
    stats = {
        row.technician_id: row
        for row in db.session.execute(
            db.select(
                done.c.technician_id,
                func.count().label("completed"),
                func.coalesce(func.sum(Ticket.total_fen), 0).label("revenue"),
            )
            .join(Ticket, Ticket.id == done.c.ticket_id)
            .group_by(done.c.technician_id)
        )
    }
    ratings = {
        row[0]: (int(row[1]), int(row[2]))
        for row in db.session.execute(
            db.select(done.c.technician_id, func.sum(Rating.score), func.count())
            .join(Rating, Rating.ticket_id == done.c.ticket_id)
            .group_by(done.c.technician_id)
        )
    }
    repeated = db.aliased(Ticket)
    repeats = dict(
        db.session.execute(
            db.select(done.c.technician_id, func.count(func.distinct(done.c.ticket_id)))
            .join(repeated, repeated.repeat_of_id == done.c.ticket_id)
            .group_by(done.c.technician_id)
        ).all()
    )
    rows = []
    for person in technicians():
        s = stats.get(person["id"])
        completed = s.completed if s else 0
        score_sum, rated = ratings.get(person["id"], (0, 0))
        rows.append(
            {
                "technician": person["username"],
                "display_name": person["display_name"],
                "completed": completed,
                "revenue_fen": int(s.revenue) if s else 0,
                "rating": round(score_sum / rated, 2) if rated else None,
                "ratings": rated,
                "repeats": repeats.get(person["id"], 0),
                "repeat_rate": round(repeats.get(person["id"], 0) / completed, 4) if completed else 0.0,
            }
        )
    rows.sort(
        key=lambda r: (
            -r["completed"],
            -r["revenue_fen"],
            -(r["rating"] or 0),
            r["repeat_rate"],
            r["technician"],
        )
    )
    for index, row in enumerate(rows, 1):
        row["rank"] = index
    return rows


def my_commission(user: User, month: str) -> dict[str, Any]:
    """The technician's running month with its lines, and their recent statements."""
    running = statement_for(month, user.username)
    # The twelve months before, as statements() would give them, asking once for the person,
    # the closed months and the grades.
    people = technicians([user.username])
    closed = closed_months()
    rules: Rules | None = None
    history = []
    current = month
    for _step in range(12):
        current = previous_month(current)
        if current in closed:
            found = _closed_statements(current, people)
        else:
            if rules is None:
                rules = Rules(grades=load_grades())
            found = _live_statements(current, people, rules)
        if found and (found[0]["line_count"] or found[0]["status"] == "closed"):
            history.append(found[0])
    return {"month": month, "running": running, "statements": history}


def rules_view() -> dict[str, Any]:
    rules = db.session.execute(db.select(CommissionRule).order_by(CommissionRule.id)).scalars()
    grades = db.session.execute(db.select(CommissionGrade).order_by(CommissionGrade.grade)).scalars()
    return {
        "rules": [
            {
                c: getattr(r, c)
                for c in (
                    "id",
                    "name",
                    "applies_to",
                    "item_code",
                    "fee_kind",
                    "mode",
                    "rate_bp",
                    "amount_fen",
                    "min_score",
                    "active",
                )
            }
            for r in rules
        ],
        "grades": [
            {
                c: getattr(g, c)
                for c in ("grade", "coefficient_pm", "base_wage_fen", "per_ticket_cap_fen", "monthly_cap_fen")
            }
            for g in grades
        ],
    }


# What a rule is made of: set on creation and written to the audit row as it is.
RULE_FIELDS = ("name", "applies_to", "item_code", "fee_kind", "mode", "rate_bp", "amount_fen", "min_score")


def create_rule(actor: Actor, data: dict[str, Any], now: datetime) -> CommissionRule:
    if data["mode"] == "percent" and data.get("rate_bp") is None:
        raise DomainError(
            "validation_error", _("A percent rule needs rate_bp"), 400, {"rate_bp": ["required"]}
        )
    if data["mode"] == "fixed" and data.get("amount_fen") is None:
        raise DomainError(
            "validation_error", _("A fixed rule needs amount_fen"), 400, {"amount_fen": ["required"]}
        )
    rule = CommissionRule(active=True, **{k: data.get(k) for k in RULE_FIELDS})
    db.session.add(rule)
    db.session.flush()
    record_audit(
        actor,
        entity="commission_rule",
        entity_id=rule.id,
        action="create",
        at=now,
        after={k: getattr(rule, k) for k in RULE_FIELDS},
    )
    return rule


def deactivate_rule(actor: Actor, rule_id: int, now: datetime) -> CommissionRule:
    rule = db.session.get(CommissionRule, rule_id)
    if rule is None:
        raise NotFound(_("Commission rule %(id)s", id=rule_id))
    if rule.active:
        rule.active = False
        record_audit(
            actor,
            entity="commission_rule",
            entity_id=rule.id,
            action="deactivate",
            at=now,
            before={"active": True},
            after={"active": False},
        )
    return rule


def set_grade(actor: Actor, grade: str, data: dict[str, Any], now: datetime) -> CommissionGrade:
    row = db.session.get(CommissionGrade, grade)
    before = None
    if row is None:
        row = CommissionGrade(grade=grade)
        db.session.add(row)
    else:
        before = {k: getattr(row, k) for k in data}
    for key, value in data.items():
        setattr(row, key, value)
    db.session.flush()
    record_audit(
        actor,
        entity="commission_grade",
        entity_id=grade,
        action="set",
        at=now,
        before=before,
        after=dict(data),
    )
    return row


def list_complaints(status: str | None = None) -> list[Complaint]:
    query = db.select(Complaint).order_by(Complaint.received_at.desc(), Complaint.id.desc())
    if status:
        query = query.where(Complaint.status == status)
    return list(db.session.execute(query).scalars())
