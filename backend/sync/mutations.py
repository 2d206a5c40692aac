"""One handler per mutation name. Each records a field fact and returns the flags it raised.

Facts from the field are never refused for business reasons: a cancelled or reassigned
ticket, negative van stock or a changed total become flags. Only malformed or
unauthorised input is rejected, and a missing blob defers.

Handlers read and write the push's working set, never the database directly, and every
refusal comes before a handler's first write: a refused mutation leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from marshmallow import Schema

from backend.audit import Actor, audit_row
from backend.fees.periods import local_day
from backend.fees.service import (
    part_line_amount,
    part_warranty_row,
    price_fee_line,
    summary_hash,
    summary_of,
    warranty_basis,
)
from backend.request_args import PlannedLoad
from backend.sync import protocol
from backend.sync.working_set import TicketFacts, WorkingSet


class Rejected(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class Deferred(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(slots=True)
class MutationContext:
    ws: WorkingSet
    actor: Actor
    ticket: TicketFacts
    mutation_id: str
    at: datetime  # the device's time of the act
    corrected_at: datetime  # the same act on the server's clock
    now: datetime
    flags: list[str] = field(default_factory=list)

    @property
    def day(self) -> date:
        """The local day of the act: prices and warranties are decided by it."""
        return local_day(self.corrected_at)

    def flag(self, kind: str, **detail: Any) -> None:
        self.ws.flag(self.ticket.id, kind, detail, self.now, device_id=self.actor.device_id,
                     mutation_id=self.mutation_id)
        if kind not in self.flags:
            self.flags.append(kind)

    def audit(self, entity: str, entity_id: str | int, action: str, *,
              before: dict | None = None, after: dict | None = None) -> None:
        self.ws.audit(audit_row(self.actor, entity=entity, entity_id=entity_id, action=action,
                                at=self.now, ticket_id=self.ticket.id, before=before,
                                after={**(after or {}), "device_at": self.at.isoformat()}))


Handler = Callable[[MutationContext, dict[str, Any]], None]
HANDLERS: dict[str, tuple[PlannedLoad, Handler]] = {}


def handles(name: str, schema: Schema) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[name] = (PlannedLoad(schema), handler)
        return handler

    return register


def _visit(ctx: MutationContext, visit_id: str) -> dict[str, Any]:
    """The visit named by the device; a new id is a visit the device started itself."""
    visit = ctx.ws.visits.get(visit_id)
    if visit is None:
        visit = ctx.ws.insert("visits", {
            "id": visit_id, "ticket_id": ctx.ticket.id, "technician_id": ctx.actor.user_id,
            "scheduled_start": None, "departed_at": None, "arrived_at": None, "completed_at": None,
            "lat": None, "lng": None, "resolution": None, "notes": None, "field_times": {}})
        ctx.ws.visits[visit_id] = visit
    elif visit["ticket_id"] != ctx.ticket.id:
        raise Rejected("visit_mismatch", _("This visit belongs to another ticket"))
    return visit


def _set_visit_fields(ctx: MutationContext, visit: dict[str, Any], values: dict[str, Any]) -> bool:
    """Last writer by corrected time wins per field; the loser stays in the audit log."""
    times = visit["field_times"] or {}
    stamp = ctx.corrected_at.isoformat()
    newer = {k: v for k, v in values.items() if times.get(k, "") <= stamp}
    if not newer:
        return False
    ctx.ws.update("visits", visit, {**newer, "field_times": {**times, **dict.fromkeys(newer, stamp)}})
    return True


def _later_wins(ctx: MutationContext, row: dict[str, Any]) -> bool:
    return row["corrected_at"] <= ctx.corrected_at


def _require_blob(ctx: MutationContext, sha256: str) -> None:
    if sha256 not in ctx.ws.blobs:
        raise Deferred("blob_missing", _("The blob %(sha)s is not uploaded yet", sha=sha256[:12]))


def _part(ctx: MutationContext, sku: str) -> Any:
    part = ctx.ws.parts.get(sku)
    if part is None:
        raise Rejected("unknown_sku", _("Unknown part %(sku)s", sku=sku))
    return part


def _link_repeat_repair(ctx: MutationContext) -> None:
    """A ticket on the same appliance and fault soon after a fixed one repeats it."""
    prior_id = ctx.ws.repeat_priors.get(ctx.ticket.id)
    if ctx.ticket.repeat_of_id is None and prior_id is not None:
        ctx.ws.change_ticket(ctx.ticket, repeat_of_id=prior_id)
        ctx.flag("repeat_repair", repeat_of=prior_id, number=ctx.ws.ticket_number(prior_id))


@handles("visit.depart", protocol.VisitArgs())
def depart(ctx: MutationContext, args: dict[str, Any]) -> None:
    visit = _visit(ctx, args["visit_id"])
    if _set_visit_fields(ctx, visit, {"departed_at": ctx.corrected_at}):
        ctx.audit("visit", visit["id"], "depart", after={"departed_at": ctx.corrected_at.isoformat()})


@handles("visit.arrive", protocol.ArriveArgs())
def arrive(ctx: MutationContext, args: dict[str, Any]) -> None:
    visit = _visit(ctx, args["visit_id"])
    values = {"arrived_at": ctx.corrected_at, "lat": args["lat"], "lng": args["lng"]}
    if _set_visit_fields(ctx, visit, values):
        if ctx.ticket.status in ("new", "assigned", "pending"):
            ctx.ws.change_ticket(ctx.ticket, status="in_progress")
        ctx.audit("visit", visit["id"], "arrive", after={"arrived_at": ctx.corrected_at.isoformat()})


@handles("checklist.answer", protocol.ChecklistAnswerArgs())
def answer_checklist(ctx: MutationContext, args: dict[str, Any]) -> None:
    visit = _visit(ctx, args["visit_id"])
    key = (visit["id"], args["item_code"])
    row = ctx.ws.answers.get(key)
    after = {"item_code": args["item_code"], "value": args["value"], "note": args["note"]}
    if row is None:
        ctx.ws.answers[key] = ctx.ws.insert("checklist_answers", {
            "ticket_id": ctx.ticket.id, "visit_id": visit["id"], "corrected_at": ctx.corrected_at,
            "device_id": ctx.actor.device_id, **after})
        ctx.audit("checklist_answer", args["item_code"], "checklist.answer", after=after)
    elif _later_wins(ctx, row):
        before = {"value": row["value"], "note": row["note"]}
        ctx.ws.update("checklist_answers", row, {"value": args["value"], "note": args["note"],
                                                 "corrected_at": ctx.corrected_at})
        ctx.audit("checklist_answer", args["item_code"], "checklist.answer", before=before, after=after)
    else:
        ctx.audit("checklist_answer", args["item_code"], "checklist.answer.superseded", after=after)


@handles("diagnosis.record", protocol.DiagnosisArgs())
def record_diagnosis(ctx: MutationContext, args: dict[str, Any]) -> None:
    visit = _visit(ctx, args["visit_id"])
    values = {k: args[k] for k in ("fault_code", "cause_code", "handling_code", "notes")}
    row = ctx.ws.diagnoses.get(visit["id"])
    if row is None:
        ctx.ws.diagnoses[visit["id"]] = ctx.ws.insert("diagnoses", {
            "visit_id": visit["id"], "ticket_id": ctx.ticket.id, "corrected_at": ctx.corrected_at,
            "device_id": ctx.actor.device_id, **values})
        ctx.audit("diagnosis", visit["id"], "diagnosis.record", after=values)
    elif _later_wins(ctx, row):
        before = {k: row[k] for k in values}
        ctx.ws.update("diagnoses", row, {**values, "corrected_at": ctx.corrected_at})
        ctx.audit("diagnosis", visit["id"], "diagnosis.record", before=before, after=values)
    else:
        ctx.audit("diagnosis", visit["id"], "diagnosis.record.superseded", after=values)


@handles("part.use", protocol.PartUseArgs())
def use_part(ctx: MutationContext, args: dict[str, Any]) -> None:
    ws, ticket = ctx.ws, ctx.ticket
    part = _part(ctx, args["sku"])
    existing = ws.part_lines.get(args["line_id"])
    if existing is not None:
        # The same line sent again under a new mutation id: it happened once.
        if existing["ticket_id"] != ticket.id:
            raise Rejected("line_conflict", _("This line id belongs to another ticket"))
        return
    if args["charge"] == "warranty" and args["source"] != "customer" and warranty_basis(
            ticket, ticket.id, part.sku, ctx.day, ws.part_warranties(ticket.appliance_id)) is None:
        # Decided at the door and kept; the office checks what covers it.
        ctx.flag("warranty_unverified", line_id=args["line_id"], sku=part.sku)
    line = ws.part_lines[args["line_id"]] = ws.insert("part_lines", {
        "line_id": args["line_id"], "ticket_id": ticket.id, "sku": part.sku, "qty": args["qty"],
        "source": args["source"], "charge": args["charge"], "unit_price_fen": part.price_fen,
        "amount_fen": part_line_amount(part.price_fen, args["qty"], args["source"], args["charge"]),
        "technician_id": ctx.actor.user_id, "device_id": ctx.actor.device_id, "at": ctx.corrected_at,
        "removed_at": None})
    ws.fit_part(part_warranty_row(line, ticket.appliance_id, part.warranty_months))
    location = (ws.actor_van() if args["source"] == "van"
                else ws.location("warehouse") if args["source"] == "warehouse" else None)
    if location is not None:
        ws.move_stock(sku=part.sku, qty=args["qty"], source=location, target=ws.location("customer"),
                      reason="consume", ref=f"ticket:{ticket.id}:line:{line['line_id']}", at=ctx.corrected_at)
        level = ws.level(location.id, part.sku)
        if location.kind == "van" and level < 0:
            ctx.flag("negative_van_stock", sku=part.sku, van=location.code, level=level)
    ws.lines_changed(ticket.id)
    ctx.audit("part_line", line["line_id"], "part.use", after={
        "sku": part.sku, "qty": line["qty"], "source": line["source"], "charge": line["charge"],
        "amount_fen": line["amount_fen"]})


@handles("part.remove", protocol.LineArgs())
def remove_part(ctx: MutationContext, args: dict[str, Any]) -> None:
    ws = ctx.ws
    line = ws.part_lines.get(args["line_id"])
    if line is None or line["ticket_id"] != ctx.ticket.id:
        raise Rejected("unknown_line", _("No such part line on this ticket"))
    if line["removed_at"] is not None:
        return
    ws.update("part_lines", line, {"removed_at": ctx.corrected_at})
    ws.remove_part_warranty(line["line_id"], ctx.corrected_at)
    if line["source"] != "customer":
        # The part goes back where it came from: the van of whoever fitted it, or the warehouse.
        back_to = (ws.van_of_user(line["technician_id"]) if line["source"] == "van"
                   else ws.location("warehouse"))
        ws.move_stock(sku=line["sku"], qty=line["qty"], source=ws.location("customer"), target=back_to,
                      reason="unconsume", ref=f"ticket:{ctx.ticket.id}:line:{line['line_id']}",
                      at=ctx.corrected_at)
    ws.lines_changed(ctx.ticket.id)
    ctx.audit("part_line", line["line_id"], "part.remove", before={"sku": line["sku"], "qty": line["qty"]})


@handles("old_part.collect", protocol.OldPartArgs())
def collect_old_part(ctx: MutationContext, args: dict[str, Any]) -> None:
    _part(ctx, args["sku"])
    if args["line_id"] in ctx.ws.old_parts:
        return
    ctx.ws.old_parts.add(args["line_id"])
    ctx.ws.insert("old_parts", {"line_id": args["line_id"], "ticket_id": ctx.ticket.id, "sku": args["sku"],
                                "qty": args["qty"], "technician_id": ctx.actor.user_id,
                                "collected_at": ctx.corrected_at, "returned_at": None})
    ctx.audit("old_part", args["line_id"], "old_part.collect", after={"sku": args["sku"], "qty": args["qty"]})


@handles("fee.set", protocol.FeeSetArgs())
def set_fee(ctx: MutationContext, args: dict[str, Any]) -> None:
    ws, ticket = ctx.ws, ctx.ticket
    priced = price_fee_line(ws.fee_items(ticket), args["item_code"], args["qty"], args["amount_fen"],
                            ticket, ctx.day)
    if priced is None:
        raise Rejected("unknown_fee_item", _("Fee item %(code)s is not in the schedule for this appliance",
                                             code=args["item_code"]))
    line = ws.fee_lines.get(args["line_id"])
    if line is not None and line["ticket_id"] != ticket.id:
        raise Rejected("line_conflict", _("This line id belongs to another ticket"))
    _link_repeat_repair(ctx)
    item, values = priced
    if line is None:
        ws.fee_lines[args["line_id"]] = ws.insert("fee_lines", {
            "line_id": args["line_id"], "ticket_id": ticket.id, "technician_id": ctx.actor.user_id,
            "device_id": ctx.actor.device_id, "corrected_at": ctx.corrected_at, **values})
        ctx.audit("fee_line", args["line_id"], "fee.set", after=values)
    elif _later_wins(ctx, line):
        before = {k: line[k] for k in values}
        ws.update("fee_lines", line, {**values, "corrected_at": ctx.corrected_at})
        ctx.audit("fee_line", args["line_id"], "fee.set", before=before, after=values)
    else:
        ctx.audit("fee_line", args["line_id"], "fee.set.superseded", after=values)
        return
    if values["overridden"]:
        ctx.flag("price_override", line_id=args["line_id"], item_code=item["item_code"],
                 schedule_fen=item["unit_fen"] * args["qty"], typed_fen=values["amount_fen"])
    ws.lines_changed(ticket.id)


@handles("fee.remove", protocol.LineArgs())
def remove_fee(ctx: MutationContext, args: dict[str, Any]) -> None:
    """A fee line added by mistake leaves the ticket (the audit log keeps it)."""
    line = ctx.ws.fee_lines.get(args["line_id"])
    if line is None or line["ticket_id"] != ctx.ticket.id:
        raise Rejected("unknown_line", _("No such fee line on this ticket"))
    del ctx.ws.fee_lines[args["line_id"]]
    ctx.ws.delete("fee_lines", line)
    ctx.ws.lines_changed(ctx.ticket.id)
    ctx.audit("fee_line", args["line_id"], "fee.remove", before={
        "item_code": line["item_code"], "qty": line["qty"], "amount_fen": line["amount_fen"]})


def _sign(ctx: MutationContext, kind: str, blob: str | None, signer: str | None, device_hash: str,
          refused: bool = False, refusal_reason: str | None = None) -> None:
    if blob is not None:
        _require_blob(ctx, blob)
    server_hash = summary_hash(summary_of(ctx.ticket.id, *ctx.ws.lines_of(ctx.ticket.id)))
    ctx.ws.insert("signatures", {
        "ticket_id": ctx.ticket.id, "kind": kind, "blob_sha256": blob, "signer_name": signer,
        "summary_hash": device_hash, "server_summary_hash": server_hash, "refused": refused,
        "refusal_reason": refusal_reason, "at": ctx.corrected_at, "device_id": ctx.actor.device_id})
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
        ctx.audit("visit", visit["id"], "work.complete.superseded", after={"resolution": args["resolution"]})
        return
    ws, ticket = ctx.ws, ctx.ticket
    before = {"status": ticket.status}
    if ticket.status != "cancelled":
        if args["resolution"] in ("fixed", "not_fixed"):
            ws.change_ticket(ticket, status="completed", completed_at=ctx.corrected_at)
            ws.completed.add(ticket.id)
        else:
            ws.change_ticket(ticket, status="pending")
    ctx.audit("ticket", ticket.id, "work.complete", before=before,
              after={"status": ticket.status, "resolution": args["resolution"], "visit_id": visit["id"]})
    _link_repeat_repair(ctx)
    ws.money_changed.add(ticket.id)


@handles("payment.record", protocol.PaymentArgs())
def record_payment(ctx: MutationContext, args: dict[str, Any]) -> None:
    paid_on = ctx.ws.payments.get(args["payment_id"])
    if paid_on is not None:
        if paid_on != ctx.ticket.id:
            raise Rejected("payment_conflict", _("This payment id belongs to another ticket"))
        return
    ctx.ws.payments[args["payment_id"]] = ctx.ticket.id
    ctx.ws.insert("payments", {"payment_id": args["payment_id"], "ticket_id": ctx.ticket.id,
                               "method": args["method"], "amount_fen": args["amount_fen"],
                               "technician_id": ctx.actor.user_id, "device_id": ctx.actor.device_id,
                               "at": ctx.corrected_at})
    ctx.audit("payment", args["payment_id"], "payment.record",
              after={"method": args["method"], "amount_fen": args["amount_fen"]})


@handles("rating.record", protocol.RatingArgs())
def record_rating(ctx: MutationContext, args: dict[str, Any]) -> None:
    row = ctx.ws.ratings.get(ctx.ticket.id)
    if row is None:
        ctx.ws.ratings[ctx.ticket.id] = ctx.ws.insert("ratings", {
            "ticket_id": ctx.ticket.id, "score": args["score"], "comment": args["comment"],
            "corrected_at": ctx.corrected_at})
        ctx.audit("rating", ctx.ticket.id, "rating.record", after=args)
    elif _later_wins(ctx, row):
        before = {"score": row["score"], "comment": row["comment"]}
        ctx.ws.update("ratings", row, {"score": args["score"], "comment": args["comment"],
                                       "corrected_at": ctx.corrected_at})
        ctx.audit("rating", ctx.ticket.id, "rating.record", before=before, after=args)
    else:
        ctx.audit("rating", ctx.ticket.id, "rating.record.superseded", after=args)
        return
    ctx.ws.money_changed.add(ctx.ticket.id)


@handles("photo.attach", protocol.PhotoArgs())
def attach_photo(ctx: MutationContext, args: dict[str, Any]) -> None:
    _require_blob(ctx, args["blob"])
    key = (ctx.ticket.id, args["blob"])
    existing = ctx.ws.photos.get(key)
    if existing is not None:
        # One photo per image, as the phone keeps it; a new caption replaces the old one.
        ctx.ws.update("photos", existing, {"caption": args["caption"]})
        return
    ctx.ws.photos[key] = ctx.ws.insert("photos", {
        "ticket_id": ctx.ticket.id, "blob_sha256": args["blob"], "caption": args["caption"],
        "at": ctx.corrected_at, "device_id": ctx.actor.device_id})
    ctx.audit("photo", args["blob"], "photo.attach", after={"caption": args["caption"]})
