"""The stock ledger: every quantity change is a move; levels are cached sums of moves."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func

from backend.audit import Actor, record_audit
from backend.catalog.models import Part
from backend.db import db
from backend.errors import DomainError, NotFound
from backend.inventory.models import MOVE_REASONS, StockLevel, StockLocation, StockMove

SINGLETON_LOCATIONS = ("warehouse", "customer", "manufacturer", "scrap")


def location_by_code(code: str) -> StockLocation:
    location = db.session.execute(
        db.select(StockLocation).where(StockLocation.code == code)
    ).scalar_one_or_none()
    if location is None:
        raise NotFound(_("Stock location %(code)s", code=code))
    return location


def ensure_location(code: str, kind: str, user_id: int | None = None) -> StockLocation:
    location = db.session.execute(
        db.select(StockLocation).where(StockLocation.code == code)
    ).scalar_one_or_none()
    if location is None:
        location = StockLocation(code=code, kind=kind, user_id=user_id)
        db.session.add(location)
        db.session.flush()
    return location


def find_van(user_id: int) -> StockLocation | None:
    return db.session.execute(
        db.select(StockLocation).where(StockLocation.user_id == user_id, StockLocation.kind == "van")
    ).scalar_one_or_none()


def van_of(user_id: int, username: str) -> StockLocation:
    return ensure_location(f"van:{username}", "van", user_id)


def _bump_level(location_id: int, sku: str, delta: int) -> StockLevel:
    level = db.session.get(StockLevel, (location_id, sku))
    if level is None:
        level = StockLevel(location_id=location_id, sku=sku, qty=0)
        db.session.add(level)
    level.qty += delta
    return level


def move_stock(
    actor: Actor | None, *, sku: str, qty: int, from_location: StockLocation | None,
    to_location: StockLocation | None, reason: str, at: datetime, ref: str | None = None,
    note: str | None = None,
) -> StockMove:
    """Write one ledger move and update both cached levels; returns the move."""
    if reason not in MOVE_REASONS:
        raise DomainError("invalid_reason", _("Unknown stock move reason"), 400)
    if qty <= 0:
        raise DomainError("invalid_quantity", _("Quantity must be positive"), 400)
    if db.session.get(Part, sku) is None:
        raise NotFound(_("Part %(sku)s", sku=sku))
    move = StockMove(
        sku=sku, qty=qty, reason=reason, ref=ref, note=note, at=at,
        from_location_id=from_location.id if from_location else None,
        to_location_id=to_location.id if to_location else None,
        actor_id=actor.user_id if actor else None, device_id=actor.device_id if actor else None,
    )
    db.session.add(move)
    if from_location is not None:
        _bump_level(from_location.id, sku, -qty)
    if to_location is not None:
        _bump_level(to_location.id, sku, qty)
    db.session.flush()
    record_audit(actor, entity="stock_move", entity_id=move.id, action=reason, at=at,
                 after={"sku": sku, "qty": qty, "from": from_location.code if from_location else None,
                        "to": to_location.code if to_location else None, "ref": ref})
    return move


def level_of(location: StockLocation, sku: str) -> int:
    level = db.session.get(StockLevel, (location.id, sku))
    return level.qty if level else 0


def levels_at(location: StockLocation) -> list[dict]:
    rows = db.session.execute(
        db.select(StockLevel.sku, StockLevel.qty, StockLevel.low_threshold, Part.name)
        .join(Part, Part.sku == StockLevel.sku)
        .where(StockLevel.location_id == location.id)
        .order_by(StockLevel.sku)
    )
    return [
        {"sku": r.sku, "name": r.name, "qty": r.qty, "low_threshold": r.low_threshold,
         "low": r.low_threshold is not None and r.qty <= r.low_threshold}
        for r in rows
    ]


def ledger_levels(location: StockLocation) -> dict[str, int]:
    """Levels recomputed from the ledger alone, to check the cached ones."""
    incoming = db.session.execute(
        db.select(StockMove.sku, func.sum(StockMove.qty))
        .where(StockMove.to_location_id == location.id).group_by(StockMove.sku)
    ).all()
    outgoing = db.session.execute(
        db.select(StockMove.sku, func.sum(StockMove.qty))
        .where(StockMove.from_location_id == location.id).group_by(StockMove.sku)
    ).all()
    levels: dict[str, int] = {}
    for sku, qty in incoming:
        levels[sku] = levels.get(sku, 0) + int(qty)
    for sku, qty in outgoing:
        levels[sku] = levels.get(sku, 0) - int(qty)
    return levels
