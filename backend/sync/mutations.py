"""One handler per mutation name. Each records a field fact and returns the flags it raised.

Facts from the field are never refused for business reasons: a cancelled or reassigned
ticket, negative van stock or a changed total become flags. Only malformed or
unauthorised input is rejected, and a missing blob defers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from marshmallow import Schema

from backend.audit import Actor, record_audit
from backend.catalog.models import Part
from backend.commission import hooks
from backend.db import db
from backend.fees.service import (
    mark_part_removed,
    mark_repeat_repair,
    part_line_amount,
    price_fee_line,
    record_part_fitted,
    summary_hash,
    summary_of,
    warranty_basis,
)
from backend.fees.settings import repeat_repair_days
from backend.inventory.service import find_van, level_of, location_by_code, move_stock, van_of
from backend.sync import protocol
from backend.sync.models import Blob
from backend.tickets.models import (
    ChecklistAnswer,
    Diagnosis,
    FeeLine,
    OldPart,
    PartLine,
    Payment,
    Photo,
    Rating,
    Signature,
    Ticket,
    Visit,
)
from backend.tickets.service import local_date, raise_flag, recompute_total


class Rejected(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class Deferred(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class MutationContext:
    actor: Actor
    ticket: Ticket
    mutation_id: str
    at: datetime  # the device's time of the act
    corrected_at: datetime  # the same act on the server's clock
    now: datetime
    flags: list[str] = field(default_factory=list)

    def flag(self, kind: str, **detail: Any) -> None:
        raise_flag(self.ticket.id, kind, detail, self.now, device_id=self.actor.device_id,
                   mutation_id=self.mutation_id)
        if kind not in self.flags:
            self.flags.append(kind)

    def audit(self, entity: str, entity_id: str | int, action: str, *,
              before: dict | None = None, after: dict | None = None) -> None:
        record_audit(self.actor, entity=entity, entity_id=entity_id, action=action,
                     at=self.now, ticket_id=self.ticket.id, before=before,
                     after={**(after or {}), "device_at": self.at.isoformat()})


Handler = Callable[[MutationContext, dict[str, Any]], None]
HANDLERS: dict[str, tuple[Schema, Handler]] = {}


def handles(name: str, schema: Schema) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[name] = (schema, handler)
        return handler

    return register


def _visit(ctx: MutationContext, visit_id: str) -> Visit:
    """The visit named by the device; a new id is a visit the device started itself."""
    visit = db.session.get(Visit, visit_id)
    if visit is None:
        visit = Visit(id=visit_id, ticket_id=ctx.ticket.id, technician_id=ctx.actor.user_id)
        ctx.ticket.visits.append(visit)  # cascades into the session
    elif visit.ticket_id != ctx.ticket.id:
        raise Rejected("visit_mismatch", _("This visit belongs to another ticket"))
    return visit


def _set_visit_fields(ctx: MutationContext, visit: Visit, values: dict[str, Any]) -> bool:
    """Last writer by corrected time wins per field; the loser stays in the audit log."""
    times = dict(visit.field_times or {})
    stamp = ctx.corrected_at.isoformat()
    newer = {k: v for k, v in values.items() if times.get(k, "") <= stamp}
    if not newer:
        return False
    for key, value in newer.items():
        setattr(visit, key, value)
        times[key] = stamp
    visit.field_times = times
    return True


def _later_wins(ctx: MutationContext, row: Any) -> bool:
    return row.corrected_at <= ctx.corrected_at


def _require_blob(sha256: str) -> None:
    if db.session.get(Blob, sha256) is None:
        raise Deferred("blob_missing", _("The blob %(sha)s is not uploaded yet", sha=sha256[:12]))


def _part(sku: str) -> Part:
    part = db.session.get(Part, sku)
    if part is None:
        raise Rejected("unknown_sku", _("Unknown part %(sku)s", sku=sku))
    return part


@handles("visit.depart", protocol.VisitArgs())
def depart(ctx: MutationContext, args: dict[str, Any]) -> None:
    visit = _visit(ctx, args["visit_id"])
    if _set_visit_fields(ctx, visit, {"departed_at": ctx.corrected_at}):
        ctx.audit("visit", visit.id, "depart", after={"departed_at": ctx.corrected_at.isoformat()})


@handles("visit.arrive", protocol.ArriveArgs())
def arrive(ctx: MutationContext, args: dict[str, Any]) -> None:
    visit = _visit(ctx, args["visit_id"])
    values = {"arrived_at": ctx.corrected_at, "lat": args["lat"], "lng": args["lng"]}
    if _set_visit_fields(ctx, visit, values):
        if ctx.ticket.status in ("new", "assigned", "pending"):
            ctx.ticket.status = "in_progress"
        ctx.audit("visit", visit.id, "arrive", after={"arrived_at": ctx.corrected_at.isoformat()})


@handles("checklist.answer", protocol.ChecklistAnswerArgs())
def answer_checklist(ctx: MutationContext, args: dict[str, Any]) -> None:
    visit = _visit(ctx, args["visit_id"])
    row = db.session.execute(
        db.select(ChecklistAnswer).where(ChecklistAnswer.visit_id == visit.id,
                                         ChecklistAnswer.item_code == args["item_code"])
    ).scalar_one_or_none()
    after = {"item_code": args["item_code"], "value": args["value"], "note": args["note"]}
    if row is None:
        db.session.add(ChecklistAnswer(ticket_id=ctx.ticket.id, visit_id=visit.id,
                                       corrected_at=ctx.corrected_at,
                                       device_id=ctx.actor.device_id, **after))
        ctx.audit("checklist_answer", args["item_code"], "checklist.answer", after=after)
    elif _later_wins(ctx, row):
        before = {"value": row.value, "note": row.note}
        row.value, row.note, row.corrected_at = args["value"], args["note"], ctx.corrected_at
        ctx.audit("checklist_answer", args["item_code"], "checklist.answer", before=before, after=after)
    else:
        ctx.audit("checklist_answer", args["item_code"], "checklist.answer.superseded", after=after)


@handles("diagnosis.record", protocol.DiagnosisArgs())
def record_diagnosis(ctx: MutationContext, args: dict[str, Any]) -> None:
    visit = _visit(ctx, args["visit_id"])
    values = {k: args[k] for k in ("fault_code", "cause_code", "handling_code", "notes")}
    row = db.session.get(Diagnosis, visit.id)
    if row is None:
        db.session.add(Diagnosis(visit_id=visit.id, ticket_id=ctx.ticket.id,
                                 corrected_at=ctx.corrected_at, device_id=ctx.actor.device_id,
                                 **values))
        ctx.audit("diagnosis", visit.id, "diagnosis.record", after=values)
    elif _later_wins(ctx, row):
        before = {k: getattr(row, k) for k in values}
        for key, value in values.items():
            setattr(row, key, value)
        row.corrected_at = ctx.corrected_at
        ctx.audit("diagnosis", visit.id, "diagnosis.record", before=before, after=values)
    else:
        ctx.audit("diagnosis", visit.id, "diagnosis.record.superseded", after=values)


def _stock_source(ctx: MutationContext, source: str):
    if source == "van":
        return van_of(ctx.actor.user_id, ctx.actor.username)
    if source == "warehouse":
        return location_by_code("warehouse")
    return None


@handles("part.use", protocol.PartUseArgs())
def use_part(ctx: MutationContext, args: dict[str, Any]) -> None:
    part = _part(args["sku"])
    existing = db.session.get(PartLine, args["line_id"])
    if existing is not None:
        # The same line sent again under a new mutation id: it happened once.
        if existing.ticket_id != ctx.ticket.id:
            raise Rejected("line_conflict", _("This line id belongs to another ticket"))
        return
    line = PartLine(
        line_id=args["line_id"], ticket_id=ctx.ticket.id, sku=part.sku, qty=args["qty"],
        source=args["source"], charge=args["charge"], unit_price_fen=part.price_fen,
        amount_fen=part_line_amount(part.price_fen, args["qty"], args["source"], args["charge"]),
        technician_id=ctx.actor.user_id, device_id=ctx.actor.device_id, at=ctx.corrected_at,
    )
    ctx.ticket.part_lines.append(line)  # cascades into the session
    if args["charge"] == "warranty" and args["source"] != "customer" and warranty_basis(
            ctx.ticket, part.sku, local_date(ctx.corrected_at)) is None:
        # Decided at the door and kept; the office checks what covers it.
        ctx.flag("warranty_unverified", line_id=line.line_id, sku=part.sku)
    record_part_fitted(line, ctx.ticket, part)
    source = _stock_source(ctx, args["source"])
    if source is not None:
        move_stock(ctx.actor, sku=part.sku, qty=args["qty"], from_location=source,
                   to_location=location_by_code("customer"), reason="consume",
                   ref=f"ticket:{ctx.ticket.id}:line:{line.line_id}", at=ctx.corrected_at)
        level = level_of(source, part.sku)
        if source.kind == "van" and level < 0:
            ctx.flag("negative_van_stock", sku=part.sku, van=source.code, level=level)
    recompute_total(ctx.ticket)
    ctx.audit("part_line", line.line_id, "part.use", after={
        "sku": part.sku, "qty": line.qty, "source": line.source, "charge": line.charge,
        "amount_fen": line.amount_fen})
    hooks.ticket_changed(ctx.ticket, ctx.now, ctx.actor)


@handles("part.remove", protocol.LineArgs())
def remove_part(ctx: MutationContext, args: dict[str, Any]) -> None:
    line = db.session.get(PartLine, args["line_id"])
    if line is None or line.ticket_id != ctx.ticket.id:
        raise Rejected("unknown_line", _("No such part line on this ticket"))
    if line.removed_at is not None:
        return
    line.removed_at = ctx.corrected_at
    mark_part_removed(line.line_id, ctx.corrected_at)
    if line.source != "customer":
        # The part goes back where it came from: the van of whoever fitted it, or the warehouse.
        # (The van exists: the part left from it.)
        back_to = find_van(line.technician_id) if line.source == "van" else location_by_code("warehouse")
        move_stock(ctx.actor, sku=line.sku, qty=line.qty, from_location=location_by_code("customer"),
                   to_location=back_to, reason="unconsume",
                   ref=f"ticket:{ctx.ticket.id}:line:{line.line_id}", at=ctx.corrected_at)
    recompute_total(ctx.ticket)
    ctx.audit("part_line", line.line_id, "part.remove", before={"sku": line.sku, "qty": line.qty})
    hooks.ticket_changed(ctx.ticket, ctx.now, ctx.actor)


@handles("old_part.collect", protocol.OldPartArgs())
def collect_old_part(ctx: MutationContext, args: dict[str, Any]) -> None:
    _part(args["sku"])
    if db.session.get(OldPart, args["line_id"]) is not None:
        return
    db.session.add(OldPart(line_id=args["line_id"], ticket_id=ctx.ticket.id, sku=args["sku"],
                           qty=args["qty"], technician_id=ctx.actor.user_id,
                           collected_at=ctx.corrected_at))
    ctx.audit("old_part", args["line_id"], "old_part.collect", after={"sku": args["sku"], "qty": args["qty"]})


@handles("fee.set", protocol.FeeSetArgs())
def set_fee(ctx: MutationContext, args: dict[str, Any]) -> None:
    ticket = ctx.ticket
    _link_repeat_repair(ctx)
    priced = price_fee_line(ticket, args["item_code"], args["qty"], args["amount_fen"],
                            local_date(ctx.corrected_at), repeat_repair_days())
    if priced is None:
        raise Rejected("unknown_fee_item", _("Fee item %(code)s is not in the schedule for this appliance",
                                             code=args["item_code"]))
    item, values = priced
    amount = values["amount_fen"]
    line = db.session.get(FeeLine, args["line_id"])
    if line is not None and line.ticket_id != ticket.id:
        raise Rejected("line_conflict", _("This line id belongs to another ticket"))
    if line is None:
        line = FeeLine(line_id=args["line_id"], ticket_id=ticket.id, technician_id=ctx.actor.user_id,
                       device_id=ctx.actor.device_id, corrected_at=ctx.corrected_at, **values)
        ticket.fee_lines.append(line)  # cascades into the session
        ctx.audit("fee_line", line.line_id, "fee.set", after=values)
    elif _later_wins(ctx, line):
        before = {k: getattr(line, k) for k in values}
        for key, value in values.items():
            setattr(line, key, value)
        line.corrected_at = ctx.corrected_at
        ctx.audit("fee_line", line.line_id, "fee.set", before=before, after=values)
    else:
        ctx.audit("fee_line", line.line_id, "fee.set.superseded", after=values)
        return
    if values["overridden"]:
        ctx.flag("price_override", line_id=line.line_id, item_code=item["item_code"],
                 schedule_fen=item["unit_fen"] * args["qty"], typed_fen=amount)
    recompute_total(ticket)
    hooks.ticket_changed(ticket, ctx.now, ctx.actor)


@handles("fee.remove", protocol.LineArgs())
def remove_fee(ctx: MutationContext, args: dict[str, Any]) -> None:
    """A fee line added by mistake leaves the ticket (the audit log keeps it)."""
    line = db.session.get(FeeLine, args["line_id"])
    if line is None or line.ticket_id != ctx.ticket.id:
        raise Rejected("unknown_line", _("No such fee line on this ticket"))
    before = {"item_code": line.item_code, "qty": line.qty, "amount_fen": line.amount_fen}
    ctx.ticket.fee_lines.remove(line)
    db.session.delete(line)
    recompute_total(ctx.ticket)
    ctx.audit("fee_line", args["line_id"], "fee.remove", before=before)
    hooks.ticket_changed(ctx.ticket, ctx.now, ctx.actor)


def _link_repeat_repair(ctx: MutationContext) -> None:
    prior = mark_repeat_repair(ctx.ticket, repeat_repair_days())
    if prior is not None:
        ctx.flag("repeat_repair", repeat_of=prior.id, number=prior.number)


def current_summary_hash(ticket: Ticket) -> str:
    parts = [{"line_id": p.line_id, "sku": p.sku, "qty": p.qty, "charge": p.charge,
              "amount_fen": p.amount_fen} for p in ticket.part_lines if p.removed_at is None]
    fees = [{"line_id": f.line_id, "item_code": f.item_code, "qty": f.qty,
             "amount_fen": f.amount_fen} for f in ticket.fee_lines]
    return summary_hash(summary_of(ticket.id, parts, fees))


def _sign(ctx: MutationContext, kind: str, blob: str | None, signer: str | None, device_hash: str,
          refused: bool = False, refusal_reason: str | None = None) -> None:
    if blob is not None:
        _require_blob(blob)
    server_hash = current_summary_hash(ctx.ticket)
    db.session.add(Signature(
        ticket_id=ctx.ticket.id, kind=kind, blob_sha256=blob, signer_name=signer,
        summary_hash=device_hash, server_summary_hash=server_hash, refused=refused,
        refusal_reason=refusal_reason, at=ctx.corrected_at, device_id=ctx.actor.device_id))
    if server_hash != device_hash:
        ctx.flag("signature_summary_mismatch", signature_kind=kind, device_hash=device_hash,
                 server_hash=server_hash)
    ctx.audit("signature", kind, "signature." + kind, after={
        "blob": blob, "signer_name": signer, "summary_hash": device_hash, "refused": refused})


@handles("quote.accept", protocol.QuoteAcceptArgs())
def accept_quote(ctx: MutationContext, args: dict[str, Any]) -> None:
    _sign(ctx, "quote", args["signature_blob"], args["signer_name"], args["summary_hash"])


@handles("signature.capture", protocol.SignatureArgs())
def capture_signature(ctx: MutationContext, args: dict[str, Any]) -> None:
    if not args["refused"] and args["blob"] is None:
        raise Rejected("signature_missing", _("A signature needs its image unless it was refused"))
    _sign(ctx, "completion", args["blob"], args["signer_name"], args["summary_hash"],
          refused=args["refused"], refusal_reason=args["refusal_reason"])


@handles("work.complete", protocol.WorkCompleteArgs())
def complete_work(ctx: MutationContext, args: dict[str, Any]) -> None:
    visit = _visit(ctx, args["visit_id"])
    values = {"completed_at": ctx.corrected_at, "resolution": args["resolution"], "notes": args["notes"]}
    if not _set_visit_fields(ctx, visit, values):
        ctx.audit("visit", visit.id, "work.complete.superseded", after={"resolution": args["resolution"]})
        return
    ticket = ctx.ticket
    before = {"status": ticket.status}
    if ticket.status != "cancelled":
        if args["resolution"] in ("fixed", "not_fixed"):
            ticket.status, ticket.completed_at = "completed", ctx.corrected_at
        else:
            ticket.status = "pending"
    ctx.audit("ticket", ticket.id, "work.complete", before=before,
              after={"status": ticket.status, "resolution": args["resolution"], "visit_id": visit.id})
    prior = hooks.ticket_completed(ticket, ctx.actor.user_id, ctx.now, ctx.actor, repeat_repair_days())
    if prior is not None:
        ctx.flag("repeat_repair", repeat_of=prior.id, number=prior.number)


@handles("payment.record", protocol.PaymentArgs())
def record_payment(ctx: MutationContext, args: dict[str, Any]) -> None:
    existing = db.session.get(Payment, args["payment_id"])
    if existing is not None:
        if existing.ticket_id != ctx.ticket.id:
            raise Rejected("payment_conflict", _("This payment id belongs to another ticket"))
        return
    db.session.add(Payment(payment_id=args["payment_id"], ticket_id=ctx.ticket.id,
                           method=args["method"], amount_fen=args["amount_fen"],
                           technician_id=ctx.actor.user_id, device_id=ctx.actor.device_id,
                           at=ctx.corrected_at))
    ctx.audit("payment", args["payment_id"], "payment.record",
              after={"method": args["method"], "amount_fen": args["amount_fen"]})


@handles("rating.record", protocol.RatingArgs())
def record_rating(ctx: MutationContext, args: dict[str, Any]) -> None:
    row = db.session.get(Rating, ctx.ticket.id)
    if row is None:
        db.session.add(Rating(ticket_id=ctx.ticket.id, score=args["score"], comment=args["comment"],
                              corrected_at=ctx.corrected_at))
        ctx.audit("rating", ctx.ticket.id, "rating.record", after=args)
    elif _later_wins(ctx, row):
        before = {"score": row.score, "comment": row.comment}
        row.score, row.comment, row.corrected_at = args["score"], args["comment"], ctx.corrected_at
        ctx.audit("rating", ctx.ticket.id, "rating.record", before=before, after=args)
    else:
        ctx.audit("rating", ctx.ticket.id, "rating.record.superseded", after=args)
        return
    hooks.ticket_changed(ctx.ticket, ctx.now, ctx.actor)


@handles("photo.attach", protocol.PhotoArgs())
def attach_photo(ctx: MutationContext, args: dict[str, Any]) -> None:
    _require_blob(args["blob"])
    existing = db.session.execute(
        db.select(Photo).where(Photo.ticket_id == ctx.ticket.id, Photo.blob_sha256 == args["blob"])
    ).scalar_one_or_none()
    if existing is not None:
        # One photo per image, as the phone keeps it; a new caption replaces the old one.
        existing.caption = args["caption"]
        return
    db.session.add(Photo(ticket_id=ctx.ticket.id, blob_sha256=args["blob"], caption=args["caption"],
                         at=ctx.corrected_at, device_id=ctx.actor.device_id))
    ctx.audit("photo", args["blob"], "photo.attach", after={"caption": args["caption"]})
