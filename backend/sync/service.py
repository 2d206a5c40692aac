"""Applying a device's push: seq order, one savepoint per mutation, idempotent by (device, id)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import insert
from sqlalchemy.exc import SQLAlchemyError

from backend.audit import Actor, buffered_audit
from backend.db import db, pinned_identity_map
from backend.errors import DomainError
from backend.people.models import Device
from backend.sync.models import MutationLog
from backend.sync.mutations import HANDLERS, Deferred, MutationContext, Rejected
from backend.sync.protocol import mutation_key_schema, mutation_schema
from backend.tickets.models import Ticket
from backend.tickets.service import was_assigned_to


def _result(log: dict[str, Any], status: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"id": log["mutation_id"], "status": status or log["status"]}
    for key in ("code", "message"):
        if log.get(key):
            result[key] = log[key]
    if log.get("flags"):
        result["flags"] = list(log["flags"])
    return result


LOG_FIELDS = ("mutation_id", "seq", "status", "code", "message", "flags")


def _lock_device(device_id: str) -> Device:
    # Pushes of one device queue behind each other, so a batch sent twice at the same
    # moment is applied once and answered "duplicate" the second time.
    return db.session.execute(
        db.select(Device).where(Device.id == device_id).with_for_update().execution_options(
            populate_existing=True)
    ).scalar_one()


def apply_push(actor: Actor, body: dict[str, Any], now: datetime, skew_limit: timedelta) -> list[dict]:
    if body["device_id"] != actor.device_id:
        raise DomainError("device_mismatch", _("This token belongs to another device"), 403)
    device = _lock_device(actor.device_id)
    offset = now - body["clock"]
    device.clock_offset_ms = int(offset.total_seconds() * 1000)
    device.last_seen_at = now
    device.client_version = body.get("client_version")
    skewed = abs(offset) > skew_limit

    results: list[dict[str, Any]] = []
    parsed = []
    for raw in body["mutations"]:
        try:
            parsed.append(mutation_schema.load(raw if isinstance(raw, dict) else {}))
        except ValidationError as error:
            parsed.append(_malformed(raw, error, results))
    parsed = [m for m in parsed if m is not None]
    # What this device already sent, by id and by seq, in one query for the whole batch.
    seen: dict[str, dict[str, Any]] = {}
    used_seqs: dict[int, str] = {}
    if parsed:
        for row in db.session.execute(
            db.select(*(getattr(MutationLog, f) for f in LOG_FIELDS)).where(
                MutationLog.device_id == device.id,
                MutationLog.mutation_id.in_([str(m["id"]) for m in parsed])
                | MutationLog.seq.in_([m["seq"] for m in parsed]))
        ).mappings():
            seen[row["mutation_id"]] = dict(row)
            used_seqs[row["seq"]] = row["mutation_id"]
    new_logs: list[dict[str, Any]] = []
    with pinned_identity_map(db.session()), buffered_audit() as audit_rows:
        for mutation in sorted(parsed, key=lambda m: m["seq"]):
            mutation_id = str(mutation["id"])
            if mutation_id in seen:
                results.append(_result(seen[mutation_id], "duplicate"))
            elif used_seqs.get(mutation["seq"], mutation_id) != mutation_id:
                results.append({"id": mutation_id, "status": "rejected", "code": "seq_conflict",
                                "message": _("seq %(seq)s was already used by another mutation",
                                             seq=mutation["seq"])})
            else:
                log = mutation.get("rejection") or _apply_one(
                    actor, device, mutation, offset, skewed, now, audit_rows)
                if log["status"] != "deferred":
                    # Stored with its result; a deferred one is not: the device sends it again.
                    log = {**log, "device_id": device.id, "received_at": now}
                    new_logs.append(log)
                    seen[mutation_id] = log
                    used_seqs[log["seq"]] = mutation_id
                results.append(_result(log))
    if new_logs:
        db.session.execute(insert(MutationLog), new_logs)
    _advance_settled(device)
    return results


def _malformed(raw: Any, error: ValidationError, results: list[dict]) -> dict[str, Any] | None:
    """A malformed mutation is rejected; if its id and seq are readable it is stored too,
    so its seq settles and a resend answers duplicate."""
    message = _("Malformed mutation: %(fields)s", fields=error.messages)
    try:
        key = mutation_key_schema.load(raw if isinstance(raw, dict) else {})
    except ValidationError:
        results.append({"id": raw.get("id") if isinstance(raw, dict) else None,
                        "status": "rejected", "code": "malformed_mutation", "message": message})
        return None
    name = raw.get("name")
    return {**key, "rejection": {
        "mutation_id": str(key["id"]), "seq": key["seq"],
        "name": name[:40].replace("\x00", "") if isinstance(name, str) else "?",
        "ticket_id": None, "args": None, "device_at": None, "corrected_at": None,
        "status": "rejected", "code": "malformed_mutation", "message": message, "flags": [],
    }}


def _apply_one(actor: Actor, device: Device, mutation: dict[str, Any], offset: timedelta,
               skewed: bool, now: datetime, audit_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Apply one mutation in its own savepoint; returns its mutation-log row."""
    corrected_at = mutation["at"] + offset
    status, code, message, flags = "applied", None, None, []
    audit_mark = len(audit_rows)
    try:
        with db.session.begin_nested():
            # No autoflush inside a handler: one flush per mutation, at the end.
            with db.session.no_autoflush:
                flags = _run_handler(actor, mutation, corrected_at, skewed, now)
            db.session.flush()
    except (Rejected, Deferred) as refusal:
        status = "deferred" if isinstance(refusal, Deferred) else "rejected"
        code, message, flags = refusal.code, refusal.message, []
    except ValidationError as error:
        status, code, flags = "rejected", "validation_error", []
        message = _("Invalid arguments: %(fields)s", fields=error.messages)
    except SQLAlchemyError:
        # The savepoint is already rolled back by the context manager.
        status, code, flags = "rejected", "storage_conflict", []
        message = _("The mutation conflicts with stored data")
    if status != "applied":
        del audit_rows[audit_mark:]  # what a rolled-back mutation did never happened
    return {
        "device_id": device.id, "mutation_id": str(mutation["id"]), "seq": mutation["seq"],
        "name": mutation["name"], "ticket_id": mutation["ticket_id"], "args": mutation["args"],
        "device_at": mutation["at"], "corrected_at": corrected_at, "received_at": now,
        "status": status, "code": code, "message": message, "flags": flags,
    }


def _run_handler(actor: Actor, mutation: dict[str, Any], corrected_at: datetime, skewed: bool,
                 now: datetime) -> list[str]:
    entry = HANDLERS.get(mutation["name"])
    if entry is None:
        raise Rejected("unknown_mutation", _("Unknown mutation %(name)s", name=mutation["name"]))
    schema, handler = entry
    args = schema.load(mutation["args"])
    ticket = db.session.get(Ticket, mutation["ticket_id"])
    if ticket is None:
        raise Rejected("unknown_ticket", _("Unknown ticket %(id)s", id=mutation["ticket_id"]))
    if actor.role != "technician" or not was_assigned_to(ticket, actor.user_id):
        raise Rejected("forbidden", _("This ticket was never assigned to you"))
    ctx = MutationContext(actor=actor, ticket=ticket, mutation_id=str(mutation["id"]),
                          at=mutation["at"], corrected_at=corrected_at, now=now)
    if ticket.status == "cancelled":
        ctx.flag("completed_after_cancel", mutation=mutation["name"])
    elif ticket.technician_id != actor.user_id:
        ctx.flag("reassigned_during_visit", mutation=mutation["name"], device_user=actor.username)
    if skewed:
        ctx.flag("clock_skew", offset_ms=int((corrected_at - mutation["at"]).total_seconds() * 1000))
    handler(ctx, args)
    return ctx.flags


def _advance_settled(device: Device) -> None:
    """device_last_seq: the highest seq with it and all below settled; a deferred one stops it."""
    seqs = db.session.execute(
        db.select(MutationLog.seq).where(MutationLog.device_id == device.id,
                                         MutationLog.seq > device.last_settled_seq)
        .order_by(MutationLog.seq)
    ).scalars()
    settled = device.last_settled_seq
    for seq in seqs:
        if seq != settled + 1:
            break
        settled = seq
    device.last_settled_seq = settled
