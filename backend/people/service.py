"""Users, technicians and device tokens. No Flask here: callers pass the clock."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from backend.audit import Actor, record_audit
from backend.db import db
from backend.errors import DomainError, NotFound
from backend.people.auth import hash_token
from backend.people.models import Device, Technician, User

# Tests lower the cost; production keeps werkzeug's default (scrypt).
PASSWORD_METHOD = "scrypt"


def create_user(
    username: str, password: str, role: str, display_name: str, *,
    technician: dict | None = None,
) -> User:
    user = User(username=username, password_hash=generate_password_hash(password, method=PASSWORD_METHOD),
                role=role, display_name=display_name)
    db.session.add(user)
    if technician is not None:
        user.technician = Technician(**technician)
    db.session.flush()
    return user


def find_user(username: str) -> User:
    user = db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(_("User %(name)s", name=username))
    return user


def authenticate(username: str, password: str) -> User:
    user = db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.active or not check_password_hash(user.password_hash, password):
        raise DomainError("invalid_credentials", _("Wrong username or password"), 401)
    return user


def register_device(user: User, device_name: str, now: datetime) -> tuple[Device, str]:
    """One token per device; the token itself is shown once and stored only hashed."""
    token = secrets.token_urlsafe(32)
    device = Device(id=str(uuid.uuid4()), user_id=user.id, name=device_name,
                    token_hash=hash_token(token), created_at=now, last_seen_at=now)
    db.session.add(device)
    db.session.flush()
    return device, token


def revoke_device(actor: Actor, device_id: str, now: datetime) -> Device:
    device = db.session.get(Device, device_id)
    if device is None:
        raise NotFound(_("Device"))
    if actor.role != "admin" and device.user_id != actor.user_id:
        raise DomainError("forbidden", _("Only an admin can revoke another user's device"), 403)
    if device.revoked_at is None:
        device.revoked_at = now
        record_audit(actor, entity="device", entity_id=device.id, action="revoke", at=now,
                     after={"revoked_at": now.isoformat()})
    return device
