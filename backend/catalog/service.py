"""The catalog as the phone receives it: parts, fee schedule, checklists, fault codes."""

from __future__ import annotations

from typing import Any

from backend.catalog.models import ChecklistTemplate, FaultCode, FeeItem, Part
from backend.db import db


def catalog_snapshot() -> dict[str, Any]:
    parts = db.session.execute(
        db.select(Part.sku, Part.name, Part.name_en, Part.category, Part.price_fen,
                  Part.warranty_months).where(Part.active.is_(True)).order_by(Part.sku)
    ).mappings().all()
    fees = db.session.execute(
        db.select(FeeItem.item_code, FeeItem.name, FeeItem.name_en, FeeItem.kind, FeeItem.category,
                  FeeItem.brand, FeeItem.region, FeeItem.difficulty, FeeItem.amount_fen,
                  FeeItem.warranty_covered).order_by(FeeItem.item_code, FeeItem.id)
    ).mappings().all()
    checklists = db.session.execute(db.select(ChecklistTemplate).order_by(ChecklistTemplate.code)).scalars()
    faults = db.session.execute(
        db.select(FaultCode.code, FaultCode.kind, FaultCode.category, FaultCode.description,
                  FaultCode.description_en).order_by(FaultCode.code)
    ).mappings().all()
    return {
        "parts": [dict(p) for p in parts],
        "fee_schedule": [dict(f) for f in fees],
        "checklists": [{"code": c.code, "phase": c.phase, "category": c.category, "items": c.items}
                       for c in checklists],
        "fault_codes": [dict(f) for f in faults],
    }
