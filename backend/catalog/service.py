"""The catalog as the phone receives it: parts, fee schedule, checklists, fault codes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Result

from backend.catalog.models import ChecklistTemplate, FaultCode, FeeItem, Part
from backend.db import db


def _dicts(result: Result) -> list[dict[str, Any]]:
    # zip over plain rows: a RowMapping per part costs more than the query (5,000 parts).
    keys = list(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result]


def catalog_snapshot() -> dict[str, Any]:
    parts = _dicts(db.session.execute(
        db.select(Part.sku, Part.name, Part.name_en, Part.category, Part.price_fen,
                  Part.warranty_months).where(Part.active.is_(True)).order_by(Part.sku)
    ))
    fees = _dicts(db.session.execute(
        db.select(FeeItem.item_code, FeeItem.name, FeeItem.name_en, FeeItem.kind, FeeItem.category,
                  FeeItem.brand, FeeItem.region, FeeItem.difficulty, FeeItem.amount_fen,
                  FeeItem.warranty_covered).order_by(FeeItem.item_code, FeeItem.id)
    ))
    checklists = db.session.execute(db.select(ChecklistTemplate).order_by(ChecklistTemplate.code)).scalars()
    faults = _dicts(db.session.execute(
        db.select(FaultCode.code, FaultCode.kind, FaultCode.category, FaultCode.description,
                  FaultCode.description_en).order_by(FaultCode.code)
    ))
    return {
        "parts": parts,
        "fee_schedule": fees,
        "checklists": [{"code": c.code, "phase": c.phase, "category": c.category, "items": c.items}
                       for c in checklists],
        "fault_codes": faults,
    }
