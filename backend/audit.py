"""Who is acting (user, device or terminal) and the audit row every change writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.db import db
from backend.tickets.models import AuditLog


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    role: str
    device_id: str | None = None
    terminal: str | None = None


def audit_row(
    actor: Actor | None, *, entity: str, entity_id: str | int | None, action: str, at: datetime,
    ticket_id: int | None = None, before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The audit row's columns (entity_id None: filled in once the entity has its id)."""
    return {
        "at": at, "actor_id": actor.user_id if actor else None,
        "device_id": actor.device_id if actor else None,
        "terminal": actor.terminal if actor else None,
        "entity": entity, "entity_id": None if entity_id is None else str(entity_id),
        "ticket_id": ticket_id, "action": action, "before": before, "after": after,
    }


def record_audit(
    actor: Actor | None, *, entity: str, entity_id: str | int, action: str, at: datetime,
    ticket_id: int | None = None, before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    row = audit_row(actor, entity=entity, entity_id=entity_id, action=action, at=at,
                    ticket_id=ticket_id, before=before, after=after)
    db.session.add(AuditLog(**row))
