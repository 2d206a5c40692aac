"""Contact SLA: the office records when it reached the customer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.db import db, utcnow
from backend.dispatch.service import sla_of
from backend.tickets.models import Ticket

pytestmark = pytest.mark.storage


def test_recording_a_contact_meets_the_contact_deadline_and_is_in_the_timeline(shop, office):
    ticket = shop.ticket()
    desk = office()

    response = desk.post(f"/api/tickets/{ticket.id}/contact", json={"note": "已致电，约明天上午"})

    assert response.status_code == 200
    detail = response.get_json()
    assert detail["contacted_at"] is not None
    [entry] = [e for e in detail["timeline"] if e["action"] == "contact"]
    assert entry["after"]["note"] == "已致电，约明天上午" and entry["actor"] == "dispatcher"


def test_only_the_first_contact_sets_the_time_but_every_one_is_kept(shop, office):
    ticket = shop.ticket()
    desk = office()
    first = desk.post(f"/api/tickets/{ticket.id}/contact", json={"note": "无人接听"}).get_json()

    second = desk.post(f"/api/tickets/{ticket.id}/contact", json={"note": "已接通"}).get_json()

    assert second["contacted_at"] == first["contacted_at"]
    assert [e["after"]["note"] for e in second["timeline"] if e["action"] == "contact"] == [
        "无人接听", "已接通"]


def test_a_ticket_contacted_in_time_is_not_overdue_for_contact():
    created = utcnow() - timedelta(hours=3)
    waiting = sla_of(utcnow(), status="new", created_at=created, tier="regular",
                     scheduled_start=None, scheduled_end=None)
    called = sla_of(utcnow(), status="new", created_at=created, tier="regular",
                    scheduled_start=None, scheduled_end=None, contacted_at=created + timedelta(minutes=30))

    assert waiting["state"] == "overdue" and waiting["next_kind"] == "contact"
    assert called["contacted"] is True and called["state"] == "ok"


def test_a_closed_ticket_and_a_technician_cannot_record_a_contact(shop, office, phone):
    tech = shop.technician("tech1")
    ticket = shop.ticket(tech)
    row = db.session.get(Ticket, ticket.id)
    row.status = "completed"
    db.session.commit()

    assert office().post(f"/api/tickets/{ticket.id}/contact", json={}).status_code == 409
    device = phone("tech1")
    response = device.client.post(f"/api/tickets/{ticket.id}/contact", headers=device.headers, json={})
    assert response.status_code == 403
