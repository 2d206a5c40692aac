"""Prices and warranty for a ticket, the summary the customer signs, and manufacturer claims.

The server resolves the fee schedule for each ticket (category x brand x region x
difficulty, the warranty card's lower price, a repeat repair's free labour) and ships the
resolved price list with the ticket, so the phone only multiplies: the rule exists once, here.

Shape of the list shipped as `fee_items` on each ticket (the phone reads the first seven keys):
    {item_code, name, name_en, kind, difficulty, unit_fen, warranty_covered,
     schedule_fen, price_basis}
`item_code` is the schedule's code for difficulty 1 and `code@N` for difficulty N, so that
fee.set names one price. `price_basis` is "schedule", "card" (the warranty card's price is
lower) or "repeat_repair" (labour on a repeat repair: unit_fen 0).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import bindparam, exists, select

from backend.catalog.models import FeeItem, Part
from backend.customers.models import Appliance, Customer
from backend.db import Prepared, db, expanding
from backend.fees.models import ClaimLine, PartWarranty, WarrantyCardTerm
from backend.fees.periods import local_day, month_of
from backend.tickets.models import OPEN_STATUSES, Ticket, Visit

# Fee kinds a repeat repair makes free (the issue: "labour free").
REPEAT_FREE_KINDS = ("labour",)


def add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    days_in_month = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
                     31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return date(year, month, min(start.day, days_in_month))


class WarrantyTerms(Protocol):
    """An appliance's warranty terms (an Appliance, or a push's facts about a ticket)."""

    purchase_date: date | None
    warranty_months: int | None


class RepeatCandidate(Protocol):
    id: int
    appliance_id: int
    fault_category: str
    created_at: datetime
    repeat_of_id: int | None


def warranty_until(appliance: WarrantyTerms) -> date | None:
    if appliance.purchase_date is None:
        return None
    return add_months(appliance.purchase_date, appliance.warranty_months or 0)


def in_warranty(appliance: WarrantyTerms, on: date) -> bool:
    until = warranty_until(appliance)
    return until is not None and on <= until


# --- the fee schedule resolved for one appliance ---------------------------------------

def parse_item_code(code: str) -> tuple[str, int]:
    """'labour.board@2' -> ('labour.board', 2); a plain code is difficulty 1."""
    base, sep, difficulty = code.rpartition("@")
    if sep and difficulty.isdigit() and base:
        return base, int(difficulty)
    return code, 1


def resolved_code(base: str, difficulty: int) -> str:
    return base if difficulty <= 1 else f"{base}@{difficulty}"


def _specificity(item: dict[str, Any]) -> int:
    return (2 if item["brand"] else 0) + (1 if item["region"] else 0)


# Built once (a push prices many tickets; building the statement costs more than running it).
CARD_TERMS = Prepared(select(WarrantyCardTerm.item_code, WarrantyCardTerm.category, WarrantyCardTerm.unit_fen)
                      .where(WarrantyCardTerm.brand == bindparam("brand"),
                             WarrantyCardTerm.category.is_(None)
                             | (WarrantyCardTerm.category == bindparam("category"))))
SCHEDULE_ROWS = Prepared(select(
    FeeItem.item_code, FeeItem.difficulty, FeeItem.brand, FeeItem.region, FeeItem.amount_fen, FeeItem.name,
    FeeItem.name_en, FeeItem.kind, FeeItem.warranty_covered,
).where(FeeItem.category == bindparam("category"),
        FeeItem.brand.is_(None) | (FeeItem.brand == bindparam("brand")),
        FeeItem.region.is_(None) | (FeeItem.region == bindparam("region"))))
FIXED_BEFORE = Prepared(select(
    Ticket.id, Ticket.appliance_id, Ticket.fault_category, Ticket.completed_at,
).where(
    Ticket.appliance_id.in_(expanding("appliances")), Ticket.status == "completed",
    Ticket.completed_at >= bindparam("since"),
    exists().where(Visit.ticket_id == Ticket.id, Visit.resolution == "fixed")))
_PART_WARRANTIES = PartWarranty.__table__
LIVE_PART_WARRANTIES = Prepared(select(_PART_WARRANTIES).where(
    _PART_WARRANTIES.c.appliance_id.in_(expanding("appliances")), _PART_WARRANTIES.c.removed_at.is_(None),
    _PART_WARRANTIES.c.warranty_until.is_not(None)))


def card_prices(category: str, brand: str) -> dict[str, int]:
    """The warranty card's price per schedule code; a category-specific term beats 'any'."""
    prices: dict[str, tuple[bool, int]] = {}
    for item_code, category_of_term, unit_fen in CARD_TERMS.read({"brand": brand, "category": category}):
        specific = category_of_term is not None
        if item_code not in prices or (specific and not prices[item_code][0]):
            prices[item_code] = (specific, unit_fen)
    return {code: fen for code, (_, fen) in prices.items()}


def fee_items_for(category: str, brand: str, region: str) -> list[dict[str, Any]]:
    """The schedule for one appliance and region: the most specific row per item and
    difficulty, at the lower of the schedule's and the warranty card's price."""
    rows = SCHEDULE_ROWS.read({"category": category, "brand": brand, "region": region})
    best: dict[tuple[str, int], dict[str, Any]] = {}
    for row in (dict(zip(SCHEDULE_ROWS.names, r, strict=True)) for r in rows):
        key = (row["item_code"], row["difficulty"] or 1)
        current = best.get(key)
        if current is None or _specificity(row) > _specificity(current):
            best[key] = row
    card = card_prices(category, brand) if best else {}
    items = []
    for (code, difficulty), row in best.items():
        schedule = row["amount_fen"]
        card_fen = card.get(code)
        unit = schedule if card_fen is None else min(schedule, card_fen)
        items.append({
            "item_code": resolved_code(code, difficulty), "name": row["name"], "name_en": row["name_en"],
            "kind": row["kind"], "difficulty": difficulty, "unit_fen": unit,
            "warranty_covered": row["warranty_covered"], "schedule_fen": schedule,
            "price_basis": "card" if unit < schedule else "schedule",
        })
    return sorted(items, key=lambda i: i["item_code"])


def _free_labour(item: dict[str, Any]) -> dict[str, Any]:
    if item["kind"] not in REPEAT_FREE_KINDS:
        return item
    return {**item, "unit_fen": 0, "price_basis": "repeat_repair"}


def price_list(schedule: list[dict[str, Any]], repeats: bool) -> list[dict[str, Any]]:
    """A ticket's price list: its schedule, labour free when it repeats an earlier repair."""
    return [_free_labour(i) for i in schedule] if repeats else schedule


# --- repeat repairs ---------------------------------------------------------------------

def find_repeat_priors(tickets: Sequence[RepeatCandidate], days: int) -> dict[int, int]:
    """ticket id -> the earlier ticket it repeats: the latest ticket on the same appliance
    and fault category completed as fixed within `days` before this one was opened.
    A ticket already linked keeps its link. One query for any number of tickets."""
    priors = {t.id: t.repeat_of_id for t in tickets if t.repeat_of_id}
    todo = [t for t in tickets if not t.repeat_of_id and t.created_at is not None]
    if not todo:
        return priors
    window = timedelta(days=days)
    rows = FIXED_BEFORE.read({"appliances": list({t.appliance_id for t in todo}),
                              "since": min(t.created_at for t in todo) - window})
    by_appliance: dict[int, list[tuple]] = {}
    for row in rows:
        by_appliance.setdefault(row[1], []).append(row)
    for ticket in todo:
        candidates = [
            (completed_at, prior_id)
            for prior_id, _, fault, completed_at in by_appliance.get(ticket.appliance_id, ())
            if prior_id != ticket.id and fault == ticket.fault_category
            and ticket.created_at - window <= completed_at <= ticket.created_at
        ]
        if candidates:
            priors[ticket.id] = max(candidates)[1]
    return priors


def open_repeats_of(ticket: Ticket, days: int) -> list[int]:
    """Open tickets opened after this one was completed, on the same appliance and fault:
    their price lists change now (a completion may sync after they were pulled)."""
    if ticket.status != "completed" or ticket.completed_at is None:
        return []
    return list(db.session.execute(
        db.select(Ticket.id).where(
            Ticket.appliance_id == ticket.appliance_id, Ticket.fault_category == ticket.fault_category,
            Ticket.id != ticket.id, Ticket.repeat_of_id.is_(None),
            Ticket.status.in_(OPEN_STATUSES),
            Ticket.created_at >= ticket.completed_at,
            Ticket.created_at <= ticket.completed_at + timedelta(days=days))
    ).scalars())


def fee_items_for_tickets(tickets: list[Ticket], days: int) -> tuple[dict[int, list], dict[int, int]]:
    """The price list of each ticket (as shipped in `fee_items`) and its repeat links."""
    priors = find_repeat_priors(tickets, days)
    cache: dict[tuple[str, str, str], list] = {}
    items: dict[int, list] = {}
    for ticket in tickets:
        key = (ticket.appliance.category, ticket.appliance.brand, ticket.customer.region)
        if key not in cache:
            cache[key] = fee_items_for(*key)
        items[ticket.id] = price_list(cache[key], bool(priors.get(ticket.id)))
    return items, priors


def part_line_amount(unit_price_fen: int, qty: int, source: str, charge: str) -> int:
    """What the customer pays for a part line: nothing under warranty or for their own part."""
    if charge == "warranty" or source == "customer":
        return 0
    return unit_price_fen * qty


def fee_line_amount(unit_fen: int, qty: int, *, covered: bool, override_fen: int | None) -> int:
    if override_fen is not None:
        return override_fen
    return 0 if covered else unit_fen * qty


def price_fee_line(items: list[dict[str, Any]], item_code: str, qty: int, override_fen: int | None,
                   appliance: WarrantyTerms, on: date) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(the resolved item, the fee line's values) from the ticket's price list by the same
    rule the phone applies, or None when the item is not in it."""
    item = next((i for i in items if i["item_code"] == item_code), None)
    if item is None:
        return None
    covered = item["warranty_covered"] and in_warranty(appliance, on)
    overridden = override_fen is not None
    if overridden:
        charge = "paid"
    elif item["price_basis"] == "repeat_repair":
        charge = "repeat"  # free because the earlier repair did not hold; nobody is claimed
    elif covered:
        charge = "warranty"
    else:
        charge = "paid"
    amount = fee_line_amount(item["unit_fen"], qty, covered=covered, override_fen=override_fen)
    values = {"item_code": item["item_code"], "qty": qty, "unit_fen": item["unit_fen"], "amount_fen": amount,
              "overridden": overridden, "charge": charge}
    return item, values


# --- the warranty each fitted part carries ----------------------------------------------

def part_warranties_for(appliance_ids: set[int], on: date) -> dict[int, list[dict[str, Any]]]:
    """Live part warranties per appliance on a day: [{sku, warranty_until, ticket_id, line_id}]."""
    found: dict[int, list[dict[str, Any]]] = {}
    for appliance_id, rows in fitted_parts(appliance_ids).items():
        live = sorted((r for r in rows if r["warranty_until"] >= on),
                      key=lambda r: (r["fitted_at"], r["line_id"]))
        if live:
            found[appliance_id] = [{"sku": r["sku"], "warranty_until": r["warranty_until"].isoformat(),
                                    "ticket_id": r["ticket_id"], "line_id": r["line_id"]} for r in live]
    return found


def warranty_basis(appliance: WarrantyTerms, ticket_id: int, sku: str, on: date,
                   fitted: list[dict[str, Any]]) -> str | None:
    """Why a part on this ticket is covered: the appliance's warranty, or the warranty of
    the same part fitted on an earlier ticket (`fitted`: the appliance's live part
    warranties, {sku, ticket_id, warranty_until}); None when nothing covers it."""
    if in_warranty(appliance, on):
        return "appliance_warranty"
    if any(w["sku"] == sku and w["ticket_id"] != ticket_id and w["warranty_until"] >= on for w in fitted):
        return "part_warranty"
    return None


def fitted_parts(appliance_ids: set[int]) -> dict[int, list[dict[str, Any]]]:
    """The live part warranties of these appliances, each {line_id, ticket_id, sku, warranty_until}."""
    found: dict[int, list[dict[str, Any]]] = {a: [] for a in appliance_ids}
    if appliance_ids:
        for row in LIVE_PART_WARRANTIES.read({"appliances": appliance_ids}):
            warranty = dict(zip(LIVE_PART_WARRANTIES.names, row, strict=True))
            found[warranty["appliance_id"]].append(warranty)
    return found


def part_warranty_row(line: dict[str, Any], appliance_id: int, warranty_months: int | None) -> dict[str, Any]:
    """The fitted part's own warranty; customer-supplied parts are not warranted."""
    until = None
    if line["source"] != "customer" and (warranty_months or 0) > 0:
        until = add_months(local_day(line["at"]), warranty_months)
    return {"line_id": line["line_id"], "ticket_id": line["ticket_id"], "appliance_id": appliance_id,
            "sku": line["sku"], "fitted_at": line["at"], "warranty_until": until, "removed_at": None}


# --- manufacturer claims ----------------------------------------------------------------

def refresh_claims(ticket: Ticket) -> list[ClaimLine]:
    """Rebuild the claim lines of a ticket from its covered lines (completed tickets only)."""
    db.session.execute(db.delete(ClaimLine).where(ClaimLine.ticket_id == ticket.id))
    if ticket.status != "completed" or ticket.completed_at is None:
        return []
    appliance = ticket.appliance
    month = month_of(ticket.completed_at)
    fitted = fitted_parts({ticket.appliance_id})
    names = {i["item_code"]: i["name"] for i in fee_items_for(
        appliance.category, appliance.brand, ticket.customer.region)}
    claims = []
    for line in ticket.part_lines:
        if line.removed_at is not None or line.charge != "warranty" or line.source == "customer":
            continue
        part = db.session.get(Part, line.sku)
        basis = warranty_basis(appliance, ticket.id, line.sku, local_day(line.at),
                               fitted[ticket.appliance_id]) or "unverified"
        claims.append(ClaimLine(
            ticket_id=ticket.id, line_kind="part", line_id=line.line_id, brand=appliance.brand,
            category=appliance.category, code=line.sku, name=part.name if part else line.sku,
            qty=line.qty, unit_fen=line.unit_price_fen, amount_fen=line.unit_price_fen * line.qty,
            basis=basis, month=month))
    for line in ticket.fee_lines:
        if line.charge != "warranty" or line.unit_fen * line.qty == 0:
            continue
        claims.append(ClaimLine(
            ticket_id=ticket.id, line_kind="fee", line_id=line.line_id, brand=appliance.brand,
            category=appliance.category, code=line.item_code,
            name=names.get(line.item_code, line.item_code), qty=line.qty, unit_fen=line.unit_fen,
            amount_fen=line.unit_fen * line.qty, basis="appliance_warranty", month=month))
    db.session.add_all(claims)
    return claims


def claim_rows(month: str, brand: str | None = None) -> list[dict[str, Any]]:
    """The month's claim lines with their ticket and appliance, ordered for the report."""
    query = (
        db.select(ClaimLine, Ticket.number, Ticket.completed_at, Appliance.model, Appliance.serial,
                  Appliance.purchase_date, Customer.name.label("customer"))
        .join(Ticket, Ticket.id == ClaimLine.ticket_id)
        .join(Appliance, Appliance.id == Ticket.appliance_id)
        .join(Customer, Customer.id == Ticket.customer_id)
        .where(ClaimLine.month == month)
        .order_by(ClaimLine.brand, Ticket.completed_at, ClaimLine.line_kind, ClaimLine.line_id)
    )
    if brand:
        query = query.where(ClaimLine.brand == brand)
    return [{
        "brand": c.brand, "category": c.category, "ticket_id": c.ticket_id, "ticket_number": number,
        "completed_at": completed_at, "customer": customer, "model": model, "serial": serial,
        "purchase_date": purchase_date, "line_kind": c.line_kind, "line_id": c.line_id,
        "code": c.code, "name": c.name, "qty": c.qty, "unit_fen": c.unit_fen,
        "amount_fen": c.amount_fen, "basis": c.basis,
    } for c, number, completed_at, model, serial, purchase_date, customer in db.session.execute(query)]


def claim_report(month: str, brand: str | None = None) -> dict[str, Any]:
    rows = claim_rows(month, brand)
    brands: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = brands.setdefault(row["brand"], {"brand": row["brand"], "lines": 0, "tickets": set(),
                                                 "amount_fen": 0})
        entry["lines"] += 1
        entry["tickets"].add(row["ticket_id"])
        entry["amount_fen"] += row["amount_fen"]
    totals = [{**b, "tickets": len(b["tickets"])} for b in sorted(brands.values(), key=lambda b: b["brand"])]
    return {"month": month, "brands": totals, "lines": rows,
            "amount_fen": sum(r["amount_fen"] for r in rows)}


# --- the signed summary -----------------------------------------------------------------

def summary_of(ticket_id: int, parts: list[dict], fees: list[dict]) -> dict[str, Any]:
    """The signed summary (DESIGN.md): lines sorted by line_id, amounts as paid."""
    parts = sorted(parts, key=lambda p: p["line_id"])
    fees = sorted(fees, key=lambda f: f["line_id"])
    part_rows = [{"sku": p["sku"], "qty": p["qty"], "charge": p["charge"],
                  "amount_fen": p["amount_fen"]} for p in parts]
    fee_rows = [{"item_code": f["item_code"], "qty": f["qty"], "amount_fen": f["amount_fen"]}
                for f in fees]
    total = sum(p["amount_fen"] for p in part_rows) + sum(f["amount_fen"] for f in fee_rows)
    return {"ticket_id": ticket_id, "parts": part_rows, "fees": fee_rows, "total_fen": total}


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def summary_hash(summary: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(summary)).hexdigest()


def ticket_summary(ticket: Ticket) -> dict[str, Any]:
    parts = [{"line_id": p.line_id, "sku": p.sku, "qty": p.qty, "charge": p.charge,
              "amount_fen": p.amount_fen} for p in ticket.part_lines if p.removed_at is None]
    fees = [{"line_id": f.line_id, "item_code": f.item_code, "qty": f.qty,
             "amount_fen": f.amount_fen} for f in ticket.fee_lines]
    return summary_of(ticket.id, parts, fees)


def published_schedule(category: str | None = None) -> list[dict[str, Any]]:
    """Every row of the fee schedule, for the page the customer reads."""
    query = db.select(FeeItem).order_by(FeeItem.category, FeeItem.item_code, FeeItem.difficulty,
                                        FeeItem.brand.is_not(None), FeeItem.brand,
                                        FeeItem.region.is_not(None), FeeItem.region)
    if category:
        query = query.where(FeeItem.category == category)
    return [{"item_code": resolved_code(r.item_code, r.difficulty or 1), "name": r.name,
             "name_en": r.name_en, "kind": r.kind, "category": r.category, "brand": r.brand,
             "region": r.region, "difficulty": r.difficulty, "amount_fen": r.amount_fen,
             "warranty_covered": r.warranty_covered} for r in db.session.execute(query).scalars()]


def card_terms() -> list[dict[str, Any]]:
    rows = db.session.execute(db.select(WarrantyCardTerm).order_by(
        WarrantyCardTerm.brand, WarrantyCardTerm.category, WarrantyCardTerm.item_code)).scalars()
    return [{"brand": r.brand, "category": r.category, "item_code": r.item_code,
             "unit_fen": r.unit_fen, "note": r.note} for r in rows]
