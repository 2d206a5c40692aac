"""The review queue: every open sync flag and every rejected mutation, with what happened,
and a resolve action with a note that leaves an audit row."""

from __future__ import annotations

import pytest

from backend.db import db
from backend.dispatch import service
from backend.tickets.models import AuditLog, Flag

pytestmark = pytest.mark.storage


def cancelled_then_arrived(shop, phone, office):
    """The office cancels while the technician is on the way; the arrival still syncs."""
    tech = shop.technician("tech1")
    ticket = shop.ticket(tech)
    device = phone("tech1")
    visit_id = device.pull()["tickets"][0]["visits"][0]["id"]
    assert office("dispatcher").post(f"/api/tickets/{ticket.id}/cancel",
                                     json={"reason": "客户改约"}).status_code == 200
    device.push(device.mutation("visit.arrive", ticket.id, visit_id=visit_id))
    return ticket, device


def test_the_queue_lists_flags_and_rejected_mutations_with_what_happened(shop, phone, office):
    ticket, device = cancelled_then_arrived(shop, phone, office)
    result = device.push(device.mutation("rating.record", ticket.id, score=9))
    assert result["results"][0]["status"] == "rejected"

    queue = service.review_queue()

    kinds = [(i["kind"], i["flag_kind"]) for i in queue["items"]]
    assert kinds == [("flag", "completed_after_cancel"), ("rejected", "rejected_mutation")]
    flag, rejected = queue["items"]
    assert flag["ticket_number"] == ticket.number and flag["mutation"] == "visit.arrive"
    assert flag["detail"]["mutation"] == "visit.arrive" and flag["source"]["username"] == "tech1"
    assert rejected["mutation"] == "rating.record" and rejected["detail"]["code"] == "validation_error"
    assert rejected["source"]["device"] == "phone" and rejected["ticket_number"] == ticket.number


def test_resolving_a_flag_and_a_rejection_takes_them_off_the_queue_with_an_audit_row(shop, phone, office):
    ticket, device = cancelled_then_arrived(shop, phone, office)
    device.push(device.mutation("rating.record", ticket.id, score=9))
    desk = office("dispatcher")
    flag, rejected = service.review_queue()["items"]

    resolved_flag = desk.post(f"/api/flags/{flag['id']}/resolve", json={"note": "已电话确认"})
    resolved_rejection = desk.post(f"/office/api/rejections/{rejected['id']}/resolve",
                                   json={"note": "评分超出范围，已联系师傅"})
    again = desk.post(f"/office/api/rejections/{rejected['id']}/resolve", json={"note": "x"})

    assert resolved_flag.status_code == 200 and resolved_rejection.status_code == 200
    assert again.status_code == 409
    assert service.review_queue()["items"] == []
    kept = db.session.scalars(db.select(Flag).where(Flag.kind == "rejected_mutation")).one()
    assert kept.resolution_note == "评分超出范围，已联系师傅" and kept.ticket_id == ticket.id
    audits = db.session.scalars(db.select(AuditLog).where(AuditLog.entity == "flag")).all()
    assert {a.after["note"] for a in audits} == {"已电话确认", "评分超出范围，已联系师傅"}


def test_a_resolve_needs_a_note(shop, phone, office):
    ticket, device = cancelled_then_arrived(shop, phone, office)
    device.push(device.mutation("rating.record", ticket.id, score=9))
    rejected = service.review_queue()["items"][1]

    response = office("dispatcher").post(f"/office/api/rejections/{rejected['id']}/resolve",
                                         json={"note": ""})

    assert response.status_code == 400
    assert set(response.get_json()["error"]["fields"]) == {"note"}


def test_the_review_page_shows_each_item_with_a_resolve_form(shop, phone, office, client):
    from tests.test_dispatch_pages import login_session

    ticket, device = cancelled_then_arrived(shop, phone, office)
    device.push(device.mutation("rating.record", ticket.id, score=9))
    login_session(client, "dispatcher")

    html = client.get("/office/review?lang=en").get_data(as_text=True)

    assert html.count('<form class="resolve"') == 2
    assert "Completed after cancel" in html and "Rejected mutation" in html
    assert ticket.number in html and "rating.record" in html
