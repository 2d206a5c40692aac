"""Who is acting (user, device or terminal) and the audit row every change writes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert

from backend.db import db
from backend.tickets.models import AuditLog


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    role: str
    device_id: str | None = None
    terminal: str | None = None


def record_audit(
    actor: Actor | None, *, entity: str, entity_id: str | int, action: str, at: datetime,
    ticket_id: int | None = None, before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    row = {
        "at": at, "actor_id": actor.user_id if actor else None,
        "device_id": actor.device_id if actor else None,
        "terminal": actor.terminal if actor else None,
        "entity": entity, "entity_id": str(entity_id), "ticket_id": ticket_id, "action": action,
        "before": before, "after": after,
    }
    buffer = db.session.info.get("audit_buffer")
    if buffer is not None:
        buffer.append(row)  # written in one statement by whoever opened the buffer
    else:
        db.session.add(AuditLog(**row))


@contextmanager
def buffered_audit() -> Iterator[list[dict[str, Any]]]:
    """Collect audit rows and insert them together when the block ends (a push writes
    hundreds; one executemany instead of one ORM insert each)."""
    buffer: list[dict[str, Any]] = []
    db.session.info["audit_buffer"] = buffer
    try:
        yield buffer
    finally:
        db.session.info.pop("audit_buffer", None)
    if buffer:
        db.session.execute(insert(AuditLog), buffer)
