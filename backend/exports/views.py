"""Printed documents (PDF), their public verification page, and CSV / Excel exports."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, render_template, request

from backend.db import utcnow, yuan
from backend.errors import DomainError, Forbidden, NotFound
from backend.exports import documents, service
from backend.exports.schemas import ExportQuery, export_query, receipt_query
from backend.fees.periods import is_month
from backend.inventory.service import location_by_code
from backend.people.auth import login_required
from backend.request_args import parse_query
from backend.tickets.service import get_ticket, was_assigned_to
from printing import render_pdf

bp = Blueprint("exports", __name__, template_folder="templates")

OFFICE = ("admin", "dispatcher", "warehouse", "finance")
ID = "int(max=2147483647)"
EXPORT_ROLES = {
    "tickets": ("admin", "dispatcher", "finance"),
    "claims": ("admin", "finance", "dispatcher"),
    "stock-moves": ("admin", "warehouse", "finance"),
    "commission": ("admin", "finance"),
}


def _base_url() -> str:
    return current_app.config.get("PUBLIC_BASE_URL") or request.url_root


def _pdf(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _ticket_for_print(ticket_id: int):
    ticket = get_ticket(ticket_id)
    if g.user.role == "technician" and not was_assigned_to(ticket, g.user.id):
        raise Forbidden()
    return ticket


@bp.get(f"/tickets/<{ID}:ticket_id>/report.pdf")
@login_required(*OFFICE, "technician")
def service_report(ticket_id: int):
    ticket = _ticket_for_print(ticket_id)
    data, blobs = documents.ticket_document(ticket.id, utcnow())
    data = documents.stamp(data, current_app.config["SECRET_KEY"], "report", str(ticket.id), _base_url())
    return _pdf(render_pdf("service_report", data, blobs=blobs), f"{ticket.number}-report.pdf")


@bp.get(f"/tickets/<{ID}:ticket_id>/receipt.pdf")
@login_required(*OFFICE, "technician")
def receipt(ticket_id: int):
    query = parse_query(receipt_query)
    ticket = _ticket_for_print(ticket_id)
    data, blobs = documents.ticket_document(ticket.id, utcnow())
    data = documents.stamp(data, current_app.config["SECRET_KEY"], "receipt", str(ticket.id), _base_url())
    pdf = render_pdf("receipt", data, blobs=blobs, layout=query["layout"])
    return _pdf(pdf, f"{ticket.number}-receipt-{query['layout']}.pdf")


@bp.get("/commission/<string(length=7):month>/<string(maxlength=64):username>.pdf")
@login_required("admin", "finance", "technician")
def commission_statement(month: str, username: str):
    if not is_month(month):
        raise NotFound("Statement")
    if g.user.role == "technician" and g.user.username != username:
        raise Forbidden()
    data = documents.statement_document(month, username, utcnow())
    data = documents.stamp(
        data, current_app.config["SECRET_KEY"], "statement", f"{month}.{username}", _base_url()
    )
    return _pdf(render_pdf("commission_statement", data), f"commission-{month}-{username}.pdf")


@bp.get("/verify/<string(maxlength=16):kind>/<string(maxlength=80):ref>/<string(maxlength=16):code>")
def verify(kind: str, ref: str, code: str):
    """Public: does a printed document match the server's record? Shows only what is printed."""
    if kind not in documents.KINDS:
        raise NotFound("Document")
    valid, data = documents.check_code(current_app.config["SECRET_KEY"], kind, ref, code, utcnow())
    html = render_template(
        "exports/verify.html",
        valid=valid,
        kind=kind,
        data=data if valid else None,
        code=documents.pretty_code(code.replace("-", "").upper()),
        yuan=yuan,
    )
    return (
        html,
        200 if valid else 404,
        {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "X-Robots-Tag": "noindex"},
    )


@bp.get("/api/exports/<string(maxlength=20):name>")
@login_required(*OFFICE)
def export(name: str):
    if name not in service.EXPORTS:
        raise NotFound(f"Export {name}")
    query = parse_query(export_query)
    if g.user.role not in EXPORT_ROLES[name]:
        raise Forbidden()
    location = location_by_code(query["location"]) if query.get("location") else None
    if query.get("location") and name != "stock-moves":
        raise DomainError("validation_error", "location applies to stock-moves only", 400)
    sheets = service.build(name, query["month"], brand=query.get("brand"), location=location)
    filename = f"{name}-{query['month']}"
    if query["format"] == "xlsx":
        body = service.to_xlsx(sheets)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, mimetype = service.to_csv(sheets[0]), "text/csv; charset=utf-8"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.{query["format"]}"'
    return response


API_OPERATIONS = [
    (
        "/api/exports/{name}",
        "get",
        "CSV or Excel: tickets, claims, stock-moves or commission for a month",
        ("office",),
        None,
        ExportQuery,
        None,
    ),
]
API_SUCCESS: dict = {}
