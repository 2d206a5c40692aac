"""Subscriptions and sending. No Flask here: callers pass keys, settings and the clock.

A push carries what a lock screen may show and nothing more: ticket number, appliance
category, district, scheduled time and urgency; never the customer's name, phone or
address (the phone gets those through its authenticated pull).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests
from flask_babel import gettext as _
from pywebpush import WebPushException, webpush

from backend.audit import Actor
from backend.db import db
from backend.errors import DomainError
from backend.notify.models import PushSubscription
from backend.notify.vapid import VapidKeys
from backend.people.models import Device

log = logging.getLogger(__name__)

GONE = (404, 410)  # the push service forgot this subscription: delete it (RFC 8030, 7.3)
MAX_FAILURES = 20  # other errors in a row before a subscription is dropped


def subscribe(actor: Actor, data: dict[str, Any], now: datetime) -> tuple[PushSubscription, bool]:
    """Store the calling device's subscription; returns (row, created).

    One browser has one subscription per service worker scope, so a device keeps one row:
    a new endpoint replaces the old one, and an endpoint seen on another device moves here."""
    if actor.device_id is None:
        raise DomainError("device_required", _("Push subscriptions belong to a device token"), 400)
    endpoint = data["endpoint"]
    row = db.session.execute(
        db.select(PushSubscription).where(PushSubscription.endpoint == endpoint)
    ).scalar_one_or_none()
    db.session.execute(
        db.delete(PushSubscription).where(PushSubscription.device_id == actor.device_id,
                                          PushSubscription.endpoint != endpoint)
    )
    created = row is None
    if row is None:
        row = PushSubscription(endpoint=endpoint, created_at=now)
        db.session.add(row)
    row.device_id, row.user_id = actor.device_id, actor.user_id
    row.p256dh, row.auth = data["keys"]["p256dh"], data["keys"]["auth"]
    row.failures = 0
    db.session.flush()
    return row, created


def unsubscribe(actor: Actor, endpoint: str) -> bool:
    if actor.device_id is None:
        raise DomainError("device_required", _("Push subscriptions belong to a device token"), 400)
    result = db.session.execute(
        db.delete(PushSubscription).where(PushSubscription.device_id == actor.device_id,
                                          PushSubscription.endpoint == endpoint)
    )
    return bool(result.rowcount)


def subscriptions_of(user_id: int) -> list[PushSubscription]:
    """Live subscriptions of a user's devices; those of revoked devices are dropped here."""
    rows = db.session.execute(
        db.select(PushSubscription, Device.revoked_at)
        .join(Device, Device.id == PushSubscription.device_id)
        .where(PushSubscription.user_id == user_id, Device.user_id == user_id)
        .order_by(PushSubscription.id)
    ).all()
    live = []
    for row, revoked_at in rows:
        if revoked_at is not None:
            db.session.delete(row)
        else:
            live.append(row)
    return live


@dataclass
class SendReport:
    sent: int = 0
    pruned: int = 0
    failed: int = 0
    statuses: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class PushSettings:
    keys: VapidKeys
    ttl: int = 43200
    timeout: float = 10.0


def send(subscriptions: list[PushSubscription], payload: dict[str, Any], settings: PushSettings, *,
         urgency: str = "normal", topic: str | None = None, now: datetime) -> SendReport:
    """Encrypt (aes128gcm) and post one message to each subscription; prune the gone ones."""
    report = SendReport()
    if not subscriptions:
        return report
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    # Lower case, as pywebpush writes its own (ttl, content-encoding) and HTTP/2 requires.
    headers = {"urgency": urgency}
    if topic:
        headers["topic"] = topic
    private_key = settings.keys.private_key
    with requests.Session() as http:
        for row in subscriptions:
            try:
                response = webpush(
                    {"endpoint": row.endpoint, "keys": {"p256dh": row.p256dh, "auth": row.auth}},
                    data=data, vapid_private_key=private_key,
                    # webpush() writes "aud" and "exp" into the dict it is given: a fresh one
                    # per call, or one push service's audience leaks into the next.
                    vapid_claims={"sub": settings.keys.subject},
                    content_encoding="aes128gcm", ttl=settings.ttl, headers=dict(headers),
                    timeout=settings.timeout, requests_session=http,
                )
                report.statuses.append(response.status_code)
                report.sent += 1
                row.last_sent_at, row.failures = now, 0
            except WebPushException as error:
                status = error.response.status_code if error.response is not None else None
                report.statuses.append(status or 0)
                if status in GONE:
                    db.session.delete(row)
                    report.pruned += 1
                else:
                    _failed(row, report, f"push service answered {status}")
            except requests.RequestException as error:
                report.statuses.append(0)
                _failed(row, report, repr(error))
    db.session.flush()
    return report


def _failed(row: PushSubscription, report: SendReport, why: str) -> None:
    report.failed += 1
    row.failures = (row.failures or 0) + 1
    log.warning("push to subscription %s failed (%s), %s in a row", row.id, why, row.failures)
    if row.failures >= MAX_FAILURES:
        db.session.delete(row)
        report.pruned += 1
