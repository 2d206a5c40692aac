"""The warehouse page of the office: levels and alerts by location, recent moves, open
requisitions (approved here by the positions that sign), old parts overdue, and what each
technician holds. Reads only the inventory service; the one write is a requisition decision."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from backend.db import db, utcnow
from backend.dispatch.security import office_page
from backend.errors import DomainError
from backend.fees.periods import month_of
from backend.fees.settings import old_part_return_days
from backend.inventory import service
from backend.inventory.models import POSITIONS, StockLocation
from backend.people.auth import current_actor
from backend.people.models import User

bp = Blueprint("stock_pages", __name__)

VIEWERS = ("admin", "warehouse", "dispatcher")
STORE = ("admin", "warehouse")
ID = "int(max=2147483647)"
OPEN_REQUISITIONS = ("pending", "approved")


def _locations() -> list[StockLocation]:
    return list(db.session.execute(
        db.select(StockLocation).where(StockLocation.kind.in_(("warehouse", "van")))
        .order_by(StockLocation.kind != "warehouse", StockLocation.code)).scalars())


def _technician_accounts(now) -> list[dict]:
    """Borrowed, consumed, returned, held per technician who has a van (never creates one)."""
    has_van = (StockLocation.user_id == User.id) & (StockLocation.kind == "van")
    rows = db.session.execute(
        db.select(User).join(StockLocation, has_van)
        .where(User.role == "technician").order_by(User.username)).scalars()
    days = old_part_return_days()
    accounts = []
    for user in rows:
        account = service.technician_stock(user, days, now)
        account["display_name"] = user.display_name
        accounts.append(account)
    return accounts


@bp.get("/office/stock")
@office_page(*VIEWERS)
def stock():
    now = g.now = utcnow()
    locations = _locations()
    codes = [location.code for location in locations]
    chosen = request.args.get("location") or "warehouse"
    if chosen not in codes:
        chosen = codes[0] if codes else None
    location = next((loc for loc in locations if loc.code == chosen), None)
    days = old_part_return_days()
    can_act = g.user.role in STORE
    # Signing is by position (service-centre head, quality manager, VP), whatever the role.
    positions = service.positions_of(g.user.id)
    requisitions = service.requisition_views([r for status in OPEN_REQUISITIONS
                                              for r in service.list_requisitions(status)])
    for requisition in requisitions:
        requisition["can_approve"] = bool(positions & set(requisition["waiting_for"]))
    response = render_template(
        "office/stock.html", locations=locations, location=chosen,
        levels=service.levels_at(location) if location else [],
        moves=service.list_moves(location=location, limit=20) if location else [],
        alerts=service.low_stock(), requisitions=requisitions, positions=POSITIONS,
        overdue=service.old_parts(now, days, status="overdue"), limit_days=days,
        accounts=_technician_accounts(now), can_act=can_act, can_decide=can_act or bool(positions),
        month=month_of(now))
    return response, 200, {"Cache-Control": "no-store"}


@bp.post(f"/office/stock/requisitions/<{ID}:requisition_id>/<any(approve, reject):decision>")
@office_page(*VIEWERS)
def decide(requisition_id: int, decision: str):
    note = (request.form.get("note") or "").strip()[:500] or None
    try:
        requisition = service.decide_requisition(current_actor(), service.get_requisition(requisition_id),
                                                 decision == "approve", note, utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("%(number)s: %(status)s", number=requisition.number, status=requisition.status), "ok")
    target = request.form.get("location")
    return redirect(url_for("stock_pages.stock", location=target) if target else url_for("stock_pages.stock"))
