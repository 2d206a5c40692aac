"""Who is calling: a device's bearer token, or the office's web session; role checks."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import current_app, g, request, session
from flask_babel import gettext as _

from backend.audit import Actor
from backend.db import db, utcnow
from backend.errors import DomainError, Forbidden
from backend.people.models import Device, User


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _load_caller() -> tuple[User, Device | None] | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        token = header.removeprefix("Bearer ").strip()
        device = db.session.execute(
            db.select(Device).where(Device.token_hash == hash_token(token))
        ).scalar_one_or_none()
        # A revoked device stops at once: there is no cached session to outlive it.
        if device is None or device.revoked_at is not None or not device.user.active:
            return None
        idle_limit = timedelta(days=current_app.config["TOKEN_IDLE_DAYS"])
        if utcnow() - (device.last_seen_at or device.created_at) > idle_limit:
            raise DomainError("token_expired", _("This device has not synced for too long; log in again"),
                              401)
        return device.user, device
    user_id = session.get("user_id")
    if user_id is not None:
        user = db.session.get(User, user_id)
        if user is not None and user.active:
            return user, None
    return None


def current_actor() -> Actor:
    return g.actor


def login_required(*roles: str) -> Callable:
    """Require a caller; with roles, require one of them."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            caller = _load_caller()
            if caller is None:
                raise DomainError("unauthorized", _("Log in first"), 401)
            user, device = caller
            if roles and user.role not in roles:
                raise Forbidden()
            g.user, g.device = user, device
            g.actor = Actor(
                user_id=user.id, username=user.username, role=user.role,
                device_id=device.id if device else None,
                terminal=None if device else (request.remote_addr or "web"),
            )
            return view(*args, **kwargs)

        return wrapped

    return decorator
