"""Prices and warranty for a ticket, and the summary the customer signs.

The server resolves the fee schedule for each ticket (category x brand x region) and
ships the resolved price list with the ticket, so the phone only multiplies: the rule
exists once, here.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any

from backend.catalog.models import FeeItem
from backend.customers.models import Appliance
from backend.db import db


def add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    days_in_month = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
                     31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return date(year, month, min(start.day, days_in_month))


def warranty_until(appliance: Appliance) -> date | None:
    if appliance.purchase_date is None:
        return None
    return add_months(appliance.purchase_date, appliance.warranty_months or 0)


def in_warranty(appliance: Appliance, on: date) -> bool:
    until = warranty_until(appliance)
    return until is not None and on <= until


def _specificity(item: FeeItem) -> int:
    return (2 if item.brand else 0) + (1 if item.region else 0)


def fee_items_for(category: str, brand: str, region: str) -> list[dict[str, Any]]:
    """The schedule resolved for one appliance and region: the most specific row per item."""
    rows = db.session.execute(
        db.select(FeeItem).where(
            FeeItem.category == category,
            (FeeItem.brand.is_(None)) | (FeeItem.brand == brand),
            (FeeItem.region.is_(None)) | (FeeItem.region == region),
        )
    ).scalars()
    best: dict[str, FeeItem] = {}
    for row in rows:
        current = best.get(row.item_code)
        if current is None or _specificity(row) > _specificity(current):
            best[row.item_code] = row
    return [
        {"item_code": r.item_code, "name": r.name, "name_en": r.name_en, "kind": r.kind,
         "difficulty": r.difficulty, "unit_fen": r.amount_fen, "warranty_covered": r.warranty_covered}
        for r in sorted(best.values(), key=lambda r: r.item_code)
    ]


def part_line_amount(unit_price_fen: int, qty: int, source: str, charge: str) -> int:
    """What the customer pays for a part line: nothing under warranty or for their own part."""
    if charge == "warranty" or source == "customer":
        return 0
    return unit_price_fen * qty


def fee_line_amount(unit_fen: int, qty: int, *, covered: bool, override_fen: int | None) -> int:
    if override_fen is not None:
        return override_fen
    return 0 if covered else unit_fen * qty


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


def today_in(at: datetime) -> date:
    return at.date()
