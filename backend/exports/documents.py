"""The data of printed documents, as plain dicts dumped by schemas, and their verification codes.

A printed document carries a short code: an HMAC (keyed with the app's secret) of the facts
it shows. /verify/<kind>/<ref>/<code> recomputes the code from the server's current record,
so a printed copy can be checked against the server, and an altered or outdated copy fails.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from marshmallow import Schema, fields

from backend.catalog.models import FaultCode, Part
from backend.commission.models import TicketCompletion
from backend.commission.schemas import CommissionLineSchema
from backend.commission.service import STATEMENT_FIGURES, statement_for
from backend.db import db
from backend.errors import NotFound
from backend.fees.models import PartWarranty
from backend.fees.periods import local_day
from backend.fees.service import (
    canonical_json,
    fee_items_for_tickets,
    in_warranty,
    summary_hash,
    ticket_summary,
    warranty_until,
)
from backend.fees.settings import repeat_repair_days
from backend.people.models import User
from backend.sync.models import Blob
from backend.tickets.models import Diagnosis, Ticket
from backend.tickets.service import live_part_lines, load_tickets

COMPANY = {
    "name": "Fieldsync 家电服务中心",
    "name_en": "Fieldsync Appliance Service Centre",
    "phone": "400-820-1234",
    "address": "上海市徐汇区漕溪北路 18 号",
}
CATEGORY_LABELS = {"air_conditioner": "空调", "washer": "洗衣机", "fridge": "冰箱", "water_heater": "热水器"}
KINDS = ("report", "receipt", "statement")


# --- schemas: what a template may see --------------------------------------------------


class CompanySchema(Schema):
    name = fields.String()
    name_en = fields.String()
    phone = fields.String()
    address = fields.String()


class DocTicketSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    status = fields.String()
    urgency = fields.String()
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    repeat_of_number = fields.String(allow_none=True)


class DocCustomerSchema(Schema):
    name = fields.String()
    phone = fields.String()
    address = fields.String()


class DocApplianceSchema(Schema):
    brand = fields.String()
    category = fields.String()
    category_label = fields.String()
    model = fields.String()
    serial = fields.String(allow_none=True)
    purchase_date = fields.Date(allow_none=True)
    warranty_until = fields.Date(allow_none=True)
    in_warranty = fields.Boolean()


class DocPartSchema(Schema):
    line_id = fields.String()
    sku = fields.String()
    name = fields.String()
    qty = fields.Integer()
    unit_fen = fields.Integer()
    amount_fen = fields.Integer()
    charge = fields.String()
    source = fields.String()
    mark = fields.String()
    warranty_until = fields.Date(allow_none=True)


class DocFeeSchema(Schema):
    line_id = fields.String()
    item_code = fields.String()
    name = fields.String()
    name_en = fields.String(allow_none=True)
    qty = fields.Integer()
    unit_fen = fields.Integer()
    amount_fen = fields.Integer()
    charge = fields.String()
    overridden = fields.Boolean()
    mark = fields.String()


class DocPaymentSchema(Schema):
    payment_id = fields.String()
    method = fields.String()
    amount_fen = fields.Integer()
    at = fields.DateTime()


class DocSignatureSchema(Schema):
    kind = fields.String()
    blob = fields.String(allow_none=True)
    signer_name = fields.String(allow_none=True)
    refused = fields.Boolean()
    refusal_reason = fields.String(allow_none=True)
    at = fields.DateTime()
    summary_matches = fields.Boolean()


class VerifySchema(Schema):
    url = fields.String()
    code = fields.String()


class ServiceReportSchema(Schema):
    """The service report and the receipt show the same ticket facts."""

    company = fields.Nested(CompanySchema)
    ticket = fields.Nested(DocTicketSchema)
    customer = fields.Nested(DocCustomerSchema)
    appliance = fields.Nested(DocApplianceSchema)
    fault = fields.Dict()
    diagnosis = fields.Dict(allow_none=True)
    visit = fields.Dict(allow_none=True)
    technician = fields.Dict()
    parts = fields.List(fields.Nested(DocPartSchema))
    old_parts = fields.List(fields.Dict())
    fees = fields.List(fields.Nested(DocFeeSchema))
    total_fen = fields.Integer()
    paid_fen = fields.Integer()
    balance_fen = fields.Integer()
    payments = fields.List(fields.Nested(DocPaymentSchema))
    signature = fields.Nested(DocSignatureSchema, allow_none=True)
    rating = fields.Dict(allow_none=True)
    verify = fields.Nested(VerifySchema)
    printed_at = fields.DateTime()


# A printed statement line: the commission line as the office API shows it, fewer columns.
STATEMENT_LINE_FIELDS = ("ticket_number", "kind", "rule_name", "base_fen", "rate_bp", "coefficient_pm",
                         "fixed_fen", "qty", "amount_fen", "is_adjustment", "adjusts_month", "note",
                         "explanation")


class StatementDocSchema(Schema):
    company = fields.Nested(CompanySchema)
    month = fields.String()
    status = fields.String()
    closed_at = fields.DateTime(allow_none=True)
    technician = fields.Dict()
    summary = fields.Dict()
    lines = fields.List(fields.Nested(CommissionLineSchema, only=STATEMENT_LINE_FIELDS))
    verify = fields.Nested(VerifySchema)
    printed_at = fields.DateTime()


service_report_schema = ServiceReportSchema()
statement_doc_schema = StatementDocSchema()


# --- assembling -------------------------------------------------------------------------


def mask_phone(phone: str) -> str:
    digits = phone.strip()
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 11 else digits


def _part_mark(line: Any) -> str:
    if line.source == "customer":
        return "customer"
    return "warranty" if line.charge == "warranty" else "paid"


def _fee_mark(line: Any) -> str:
    if line.overridden:
        return "override"
    return line.charge if line.charge in ("warranty", "repeat") else "paid"


def ticket_document(ticket_id: int, now: datetime) -> tuple[dict[str, Any], dict[str, tuple[bytes, str]]]:
    """The facts of one ticket for its service report or receipt, and the images they name."""
    found = load_tickets([ticket_id])
    if not found:
        raise NotFound(_("Ticket %(id)s", id=ticket_id))
    ticket = found[0]
    appliance, customer = ticket.appliance, ticket.customer
    items, repeats = fee_items_for_tickets([ticket], repeat_repair_days())
    fee_names = {i["item_code"]: i for i in items[ticket.id]}
    live_parts = live_part_lines(ticket)
    part_names = dict(
        db.session.execute(
            db.select(Part.sku, Part.name).where(
                Part.sku.in_({p.sku for p in live_parts} | {o.sku for o in ticket.old_parts})
            )
        ).all()
    )
    part_warranty = dict(
        db.session.execute(
            db.select(PartWarranty.line_id, PartWarranty.warranty_until).where(
                PartWarranty.ticket_id == ticket.id
            )
        ).all()
    )
    diagnosis = (
        db.session.execute(
            db.select(Diagnosis)
            .where(Diagnosis.ticket_id == ticket.id)
            .order_by(Diagnosis.corrected_at.desc())
        )
        .scalars()
        .first()
    )
    codes = {c.code: c.description for c in db.session.execute(db.select(FaultCode)).scalars()}
    visits = [v for v in ticket.visits if v.arrived_at or v.completed_at]
    visit = max(visits, key=lambda v: v.completed_at or v.arrived_at) if visits else None
    completion = db.session.get(TicketCompletion, ticket.id)
    technician = (
        db.session.get(User, completion.technician_id if completion else ticket.technician_id)
        if (completion or ticket.technician_id)
        else None
    )
    signatures = [s for s in ticket.signatures if s.kind == "completion"]
    signature = signatures[-1] if signatures else None
    current_hash = summary_hash(ticket_summary(ticket))
    blobs: dict[str, tuple[bytes, str]] = {}
    if signature is not None and signature.blob_sha256:
        blob = db.session.get(Blob, signature.blob_sha256)
        if blob is not None:
            blobs[blob.sha256] = (blob.data, blob.content_type)
    repeat_of = repeats.get(ticket.id)
    paid = sum(p.amount_fen for p in ticket.payments)

    def code_label(code: str | None) -> str | None:
        return f"{code} {codes.get(code, '')}".strip() if code else None

    data = {
        "company": COMPANY,
        "ticket": {
            "id": ticket.id,
            "number": ticket.number,
            "status": ticket.status,
            "urgency": ticket.urgency,
            "created_at": ticket.created_at,
            "completed_at": ticket.completed_at,
            "repeat_of_number": db.session.get(Ticket, repeat_of).number if repeat_of else None,
        },
        "customer": {"name": customer.name, "phone": mask_phone(customer.phone), "address": customer.address},
        "appliance": {
            "brand": appliance.brand,
            "category": appliance.category,
            "category_label": CATEGORY_LABELS.get(appliance.category, appliance.category),
            "model": appliance.model,
            "serial": appliance.serial,
            "purchase_date": appliance.purchase_date,
            "warranty_until": warranty_until(appliance),
            "in_warranty": in_warranty(appliance, local_day(ticket.completed_at or now)),
        },
        "fault": {
            "category": ticket.fault_category,
            "label": codes.get(ticket.fault_category, ticket.fault_category),
            "description": ticket.fault_description,
        },
        "diagnosis": {
            "fault": code_label(diagnosis.fault_code),
            "cause": code_label(diagnosis.cause_code),
            "handling": code_label(diagnosis.handling_code),
            "notes": diagnosis.notes,
        }
        if diagnosis
        else None,
        "visit": {
            "arrived_at": visit.arrived_at.isoformat() if visit.arrived_at else None,
            "completed_at": visit.completed_at.isoformat() if visit.completed_at else None,
            "resolution": visit.resolution,
        }
        if visit
        else None,
        "technician": {
            "name": technician.display_name if technician else "",
            "username": technician.username if technician else "",
        },
        "parts": [
            {
                "line_id": p.line_id,
                "sku": p.sku,
                "name": part_names.get(p.sku, p.sku),
                "qty": p.qty,
                "unit_fen": p.unit_price_fen,
                "amount_fen": p.amount_fen,
                "charge": p.charge,
                "source": p.source,
                "mark": _part_mark(p),
                "warranty_until": part_warranty.get(p.line_id),
            }
            for p in live_parts
        ],
        "old_parts": [
            {"line_id": o.line_id, "sku": o.sku, "name": part_names.get(o.sku, o.sku), "qty": o.qty}
            for o in ticket.old_parts
        ],
        "fees": [
            {
                "line_id": f.line_id,
                "item_code": f.item_code,
                "name": fee_names.get(f.item_code, {}).get("name", f.item_code),
                "name_en": fee_names.get(f.item_code, {}).get("name_en"),
                "qty": f.qty,
                "unit_fen": f.unit_fen,
                "amount_fen": f.amount_fen,
                "charge": f.charge,
                "overridden": f.overridden,
                "mark": _fee_mark(f),
            }
            for f in ticket.fee_lines
        ],
        "total_fen": ticket.total_fen,
        "paid_fen": paid,
        "balance_fen": ticket.total_fen - paid,
        "payments": list(ticket.payments),
        "signature": {
            "kind": signature.kind,
            "blob": signature.blob_sha256,
            "signer_name": signature.signer_name,
            "refused": signature.refused,
            "refusal_reason": signature.refusal_reason,
            "at": signature.at,
            "summary_matches": signature.summary_hash == current_hash,
        }
        if signature
        else None,
        "rating": {"score": ticket.rating.score, "comment": ticket.rating.comment} if ticket.rating else None,
        "verify": {"url": "", "code": ""},
        "printed_at": now,
    }
    return service_report_schema.dump(data), blobs


def statement_document(month: str, username: str, now: datetime) -> dict[str, Any]:
    statement = statement_for(month, username)
    data = {
        "company": COMPANY,
        "month": month,
        "status": statement["status"],
        "closed_at": statement["closed_at"],
        "technician": {
            "username": statement["technician"],
            "name": statement["display_name"],
            "grade": statement["grade"],
        },
        "summary": {k: statement[k] for k in STATEMENT_FIGURES},
        "lines": statement["lines"],
        "verify": {"url": "", "code": ""},
        "printed_at": now,
    }
    return statement_doc_schema.dump(data)


# --- verification -----------------------------------------------------------------------


def digest_payload(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """The facts a printed document asserts (not the printing time, nor today's warranty state)."""
    if kind == "statement":
        return {
            "month": data["month"],
            "technician": data["technician"]["username"],
            "status": data["status"],
            "summary": data["summary"],
            "lines": [[line["ticket_number"], line["kind"], line["amount_fen"]] for line in data["lines"]],
        }
    signature = data["signature"] or {}
    return {
        "number": data["ticket"]["number"],
        "completed_at": data["ticket"]["completed_at"],
        "customer": data["customer"]["name"],
        "total_fen": data["total_fen"],
        "parts": [[p["line_id"], p["sku"], p["qty"], p["charge"], p["amount_fen"]] for p in data["parts"]],
        "fees": [[f["line_id"], f["item_code"], f["qty"], f["amount_fen"]] for f in data["fees"]],
        "payments": [[p["payment_id"], p["method"], p["amount_fen"]] for p in data["payments"]],
        "signature": [signature.get("blob"), signature.get("refused")],
    }


def verification_code(secret: str, kind: str, ref: str, data: dict[str, Any]) -> str:
    """Ten hex digits of an HMAC over the document's facts."""
    message = f"{kind}:{ref}:".encode() + canonical_json(digest_payload(kind, data))
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:10].upper()


def pretty_code(code: str) -> str:
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


def stamp(data: dict[str, Any], secret: str, kind: str, ref: str, base_url: str) -> dict[str, Any]:
    code = verification_code(secret, kind, ref, data)
    return {
        **data,
        "verify": {"url": f"{base_url.rstrip('/')}/verify/{kind}/{ref}/{code}", "code": pretty_code(code)},
    }


def document_for(kind: str, ref: str, now: datetime) -> dict[str, Any]:
    """Rebuild a document's data from the server's record, for verification."""
    if kind in ("report", "receipt"):
        if not ref.isdigit():
            raise NotFound(_("Document"))
        return ticket_document(int(ref), now)[0]
    if kind == "statement":
        month, _sep, username = ref.partition(".")
        return statement_document(month, username, now)
    raise NotFound(_("Document"))


def check_code(
    secret: str, kind: str, ref: str, code: str, now: datetime
) -> tuple[bool, dict[str, Any] | None]:
    try:
        data = document_for(kind, ref, now)
    except NotFound:
        return False, None
    expected = verification_code(secret, kind, ref, data)
    given = code.replace("-", "").upper()
    return hmac.compare_digest(expected, given), data
