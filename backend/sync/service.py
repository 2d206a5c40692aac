"""Applying a device's push: seq order, each mutation alone, idempotent by (device, id)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import bindparam, select, union_all, update
from sqlalchemy.exc import DBAPIError

from backend.audit import Actor
from backend.commission import hooks
from backend.db import Prepared, db, expanding, insert_rows
from backend.errors import DomainError
from backend.fees.settings import repeat_repair_days
from backend.people.models import Device
from backend.request_args import PlannedLoad
from backend.sync.models import MutationLog
from backend.sync.mutations import HANDLERS, Deferred, MutationContext, Rejected
from backend.sync.protocol import mutation_key_schema, mutation_schema
from backend.sync.working_set import WorkingSet


def _result(log: dict[str, Any], status: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"id": log["mutation_id"], "status": status or log["status"]}
    for key in ("code", "message"):
        if log.get(key):
            result[key] = log[key]
    if log.get("flags"):
        result["flags"] = list(log["flags"])
    return result


ENVELOPE = PlannedLoad(mutation_schema)
LOG_FIELDS = ("mutation_id", "seq", "status", "code", "message", "flags")
_SENT = select(*(getattr(MutationLog, f) for f in LOG_FIELDS)).where(
    MutationLog.device_id == bindparam("device_id"))
# Two index searches (by id, by seq); with OR the database reads all the device's rows.
# A row found by both comes twice, which the caller does not mind.
ALREADY_SENT = Prepared(union_all(_SENT.where(MutationLog.mutation_id.in_(expanding("ids"))),
                                  _SENT.where(MutationLog.seq.in_(expanding("seqs")))))


DEVICES = Device.__table__
# Updating the device's row first locks it: pushes of one device queue behind each other,
# so a batch sent twice at the same moment is applied once and answered "duplicate" the
# second time.
DEVICE_SEEN = Prepared(update(DEVICES).where(DEVICES.c.id == bindparam("k_id"))
                       .returning(DEVICES.c.last_settled_seq))
DEVICE_SETTLED = Prepared(update(DEVICES).where(DEVICES.c.id == bindparam("k_id")))
STORED_SEQS_AFTER = Prepared(select(MutationLog.seq).where(MutationLog.device_id == bindparam("device_id"),
                                                           MutationLog.seq > bindparam("after"))
                             .order_by(MutationLog.seq))


@contextmanager
def savepoint() -> Iterator[None]:
    with db.session.begin_nested():
        # The session sends SAVEPOINT when it next asks for its connection; the working set
        # writes through a connection it already holds, so ask now.
        db.session.connection()
        yield


def apply_push(actor: Actor, body: dict[str, Any], now: datetime, skew_limit: timedelta) -> list[dict]:
    if body["device_id"] != actor.device_id:
        raise DomainError("device_mismatch", _("This token belongs to another device"), 403)
    offset = now - body["clock"]
    ((settled,),) = DEVICE_SEEN.rows(db.session.connection(), {
        "k_id": actor.device_id, "clock_offset_ms": int(offset.total_seconds() * 1000),
        "last_seen_at": now, "client_version": body.get("client_version")})
    skewed = abs(offset) > skew_limit

    results: list[dict[str, Any]] = []
    parsed = []
    for raw in body["mutations"]:
        try:
            parsed.append(ENVELOPE.load(raw if isinstance(raw, dict) else {}))
        except ValidationError as error:
            parsed.append(_malformed(raw, error, results))
    parsed = sorted((m for m in parsed if m is not None), key=lambda m: m["seq"])
    batch = Batch(actor, parsed, offset, skewed, now)
    try:
        # The push's rows, stored together; the database may still refuse them (a row a
        # concurrent push wrote first): then again, one savepoint per mutation, so only the
        # mutation that conflicts is rejected.
        with savepoint():
            results += batch.apply(savepoint_each=False)
    except DBAPIError:
        results += batch.apply(savepoint_each=True)
    _advance_settled(actor.device_id, settled)
    db.session.expire_all()  # objects this session loaded before the push are stale now
    return results


class Batch:
    """The mutations of one push, applied in seq order against one working set."""

    def __init__(self, actor: Actor, mutations: list[dict[str, Any]], offset: timedelta, skewed: bool,
                 now: datetime) -> None:
        self.actor, self.mutations = actor, mutations
        self.offset, self.skewed, self.now = offset, skewed, now
        self.repeat_days = repeat_repair_days()

    def apply(self, *, savepoint_each: bool) -> list[dict[str, Any]]:
        seen, used_seqs = self._already_sent()
        ws = self._working_set()
        results, logs = [], []
        for mutation in self.mutations:
            mutation_id = mutation["id"]
            if mutation_id in seen:
                results.append(_result(seen[mutation_id], "duplicate"))
                continue
            if used_seqs.get(mutation["seq"], mutation_id) != mutation_id:
                results.append({"id": mutation_id, "status": "rejected", "code": "seq_conflict",
                                "message": _("seq %(seq)s was already used by another mutation",
                                             seq=mutation["seq"])})
                continue
            if "malformed" in mutation:
                log = self._log(mutation, "rejected", "malformed_mutation", mutation["malformed"])
            elif savepoint_each:
                money_changed, completed = set(ws.money_changed), set(ws.completed)
                try:
                    with savepoint():
                        log = self._apply_one(ws, mutation)
                        ws.flush()
                except DBAPIError:
                    log = self._log(mutation, "rejected", "storage_conflict",
                                    _("The mutation conflicts with stored data"))
                    # A fresh working set: the old one holds what the refused mutation wrote.
                    # What the stored mutations before it changed still needs after_push.
                    ws = self._working_set()
                    ws.money_changed, ws.completed = money_changed, completed
            else:
                log = self._apply_one(ws, mutation)
            if log["status"] != "deferred":
                # Stored with its result; a deferred one is not: the device sends it again.
                logs.append(log)
                seen[mutation_id] = log
                used_seqs[log["seq"]] = mutation_id
            results.append(_result(log))
        ws.flush()
        insert_rows(ws.conn, MutationLog.__table__, logs)
        done = {i for i in ws.money_changed if ws.tickets[i].status == "completed"}
        if done:
            db.session.expire_all()  # the ORM reads the tickets again, as the push left them
            hooks.after_push(done, ws.completed & done, self.now, self.actor, self.repeat_days)
        return results

    def _working_set(self) -> WorkingSet:
        return WorkingSet(self.actor, [m for m in self.mutations if "malformed" not in m], self.repeat_days)

    def _already_sent(self) -> tuple[dict[str, dict[str, Any]], dict[int, str]]:
        """What this device already sent, by id and by seq, in one query for the whole push."""
        seen: dict[str, dict[str, Any]] = {}
        used_seqs: dict[int, str] = {}
        if self.mutations:
            for row in ALREADY_SENT.rows(db.session.connection(), {
                "device_id": self.actor.device_id, "ids": [m["id"] for m in self.mutations],
                "seqs": [m["seq"] for m in self.mutations]}):
                seen[row[0]] = dict(zip(LOG_FIELDS, row, strict=True))
                used_seqs[row[1]] = row[0]
        return seen, used_seqs

    def _log(self, mutation: dict[str, Any], status: str, code: str | None = None,
             message: str | None = None, flags: list[str] | None = None) -> dict[str, Any]:
        """The mutation-log row of one mutation and its result."""
        return {
            "device_id": self.actor.device_id, "mutation_id": mutation["id"], "seq": mutation["seq"],
            "name": mutation["name"], "ticket_id": mutation["ticket_id"], "args": mutation["args"],
            "device_at": mutation["at"],
            "corrected_at": None if mutation["at"] is None else mutation["at"] + self.offset,
            "received_at": self.now, "status": status, "code": code, "message": message,
            "flags": flags or [],
        }

    def _apply_one(self, ws: WorkingSet, mutation: dict[str, Any]) -> dict[str, Any]:
        try:
            flags = self._run_handler(ws, mutation)
        except (Rejected, Deferred) as refusal:
            status = "deferred" if isinstance(refusal, Deferred) else "rejected"
            return self._log(mutation, status, refusal.code, refusal.message)
        except ValidationError as error:
            return self._log(mutation, "rejected", "validation_error",
                             _("Invalid arguments: %(fields)s", fields=error.messages))
        return self._log(mutation, "applied", flags=flags)

    def _run_handler(self, ws: WorkingSet, mutation: dict[str, Any]) -> list[str]:
        entry = HANDLERS.get(mutation["name"])
        if entry is None:
            raise Rejected("unknown_mutation", _("Unknown mutation %(name)s", name=mutation["name"]))
        args_schema, handler = entry
        args = args_schema.load(mutation["args"])
        ticket = ws.tickets.get(mutation["ticket_id"])
        if ticket is None:
            raise Rejected("unknown_ticket", _("Unknown ticket %(id)s", id=mutation["ticket_id"]))
        actor = self.actor
        if actor.role != "technician" or not ticket.was_assigned:
            raise Rejected("forbidden", _("This ticket was never assigned to you"))
        ctx = MutationContext(ws=ws, actor=actor, ticket=ticket, mutation_id=mutation["id"],
                              at=mutation["at"], corrected_at=mutation["at"] + self.offset, now=self.now)
        # What the ticket was when the fact arrived, judged before the handler changes it.
        cancelled = ticket.status == "cancelled"
        reassigned = not cancelled and ticket.technician_id != actor.user_id
        handler(ctx, args)
        # Raised once the handler has not refused, so a refused mutation leaves no flag.
        handler_flags, ctx.flags = ctx.flags, []
        if cancelled:
            ctx.flag("completed_after_cancel", mutation=mutation["name"])
        elif reassigned:
            ctx.flag("reassigned_during_visit", mutation=mutation["name"], device_user=actor.username)
        if self.skewed:
            ctx.flag("clock_skew", offset_ms=int(self.offset.total_seconds() * 1000))
        return ctx.flags + [f for f in handler_flags if f not in ctx.flags]


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
    return {"id": key["id"], "seq": key["seq"],
            "name": name[:40].replace("\x00", "") if isinstance(name, str) else "?",
            "ticket_id": None, "args": None, "at": None, "malformed": message}


def _advance_settled(device_id: str, settled: int) -> None:
    """device_last_seq: the highest seq with it and all below settled; a deferred one stops it."""
    connection = db.session.connection()
    for (seq,) in STORED_SEQS_AFTER.rows(connection, {"device_id": device_id, "after": settled}):
        if seq != settled + 1:
            break
        settled = seq
    DEVICE_SETTLED.run(connection, {"k_id": device_id, "last_settled_seq": settled})
