"""Job bodies (see jobs.py): they read the app's settings, then call the service."""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from backend.db import db, utcnow
from backend.dispatch import ui
from backend.dispatch.labels import CATEGORIES, label
from backend.notify import service
from backend.notify.vapid import VapidKeysMissing, load
from backend.tickets.models import Ticket

log = logging.getLogger(__name__)


def dispatch_payload(ticket: Ticket, zone: ZoneInfo) -> dict[str, Any]:
    """What the phone's lock screen may show about a new job: no name, phone or address."""
    category = label(CATEGORIES, ticket.appliance.category)
    district = ticket.customer.region
    when = (ui.localtime(ticket.scheduled_start, in_zone=zone) if ticket.scheduled_start
            else _("time to be agreed"))
    title = (_("Emergency job %(number)s", number=ticket.number) if ticket.urgency == "emergency"
             else _("New job %(number)s", number=ticket.number))
    return {
        "type": "ticket.assigned",
        "ticket_id": ticket.id,
        "number": ticket.number,
        "category": ticket.appliance.category,
        "district": district,
        "urgency": ticket.urgency,
        "scheduled_start": ticket.scheduled_start.isoformat() if ticket.scheduled_start else None,
        "title": title,
        "body": " · ".join([category, district, when]),
        "url": f"/app/job/{ticket.id}",  # the PWA's route for a job (pwa/static/src/route.js)
    }


def send_dispatch_push(ticket_id: int, technician_id: int) -> service.SendReport | None:
    """Tell the technician's devices about a job given to them (after the assign committed)."""
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or ticket.technician_id != technician_id or ticket.status in ("completed", "cancelled"):
        return None  # reassigned or closed again meanwhile: nothing to announce to them
    subscriptions = service.subscriptions_of(technician_id)
    if not subscriptions:
        return service.SendReport()
    config = current_app.config
    try:
        keys = load(config["VAPID_KEYS_PATH"])
    except VapidKeysMissing:
        log.warning("no VAPID keys: push for ticket %s not sent", ticket_id)
        return None
    with force_locale(config.get("PUSH_LOCALE", "zh")):
        payload = dispatch_payload(ticket, ui.zone())
    settings = service.PushSettings(keys=keys, ttl=int(config.get("PUSH_TTL_SECONDS", 43200)))
    return service.send(subscriptions, payload, settings,
                        urgency="high" if ticket.urgency == "emergency" else "normal",
                        topic=f"ticket-{ticket.id}", now=utcnow())
