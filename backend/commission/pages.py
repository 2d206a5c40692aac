"""The finance page of the office: a month's statements with every line explained, the
totals, the ranking, PDF and export links, and closing the month (finance only)."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from backend.commission import service
from backend.commission.models import CommissionMonth
from backend.db import db, utcnow
from backend.dispatch.security import office_page
from backend.errors import DomainError
from backend.fees.periods import is_month, month_of, next_month, previous_month
from backend.people.auth import current_actor

bp = Blueprint("commission_pages", __name__)

VIEWERS = ("admin", "finance", "dispatcher")
PDF_ROLES = ("admin", "finance")
EXPORT_ROLES = ("admin", "finance")


@bp.get("/office/commission")
@office_page(*VIEWERS)
def commission():
    now = g.now = utcnow()
    current = month_of(now)
    month = request.args.get("month") or current
    if not is_month(month):
        month = current
    statements = service.statements(month)
    lines = service.statement_lines(month, [s["technician_id"] for s in statements])
    for statement in statements:
        statement["lines"] = lines[statement["technician_id"]]
    totals = {key: sum(s[key] for s in statements) for key in service.STATEMENT_FIGURES}
    closed = db.session.get(CommissionMonth, month) is not None
    response = render_template(
        "office/commission.html", month=month, current=current, previous=previous_month(month),
        following=next_month(month), statements=statements, totals=totals,
        ranking=service.ranking(month), closed=closed,
        can_close=g.user.role == "finance" and not closed and month < current,
        can_print=g.user.role in PDF_ROLES, can_export=g.user.role in EXPORT_ROLES)
    return response, 200, {"Cache-Control": "no-store"}


@bp.post("/office/commission/close")
@office_page("finance")
def close():
    month = (request.form.get("month") or "").strip()
    try:
        closed = service.close_month(current_actor(), month, utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("%(month)s closed: %(count)s statements locked", month=month, count=len(closed)), "ok")
    return redirect(url_for("commission_pages.commission", month=month if is_month(month) else None))
