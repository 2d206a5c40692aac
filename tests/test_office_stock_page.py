"""The warehouse page: levels and low-stock alerts by location, requisitions approved by
the positions that sign, old parts and per-technician accounts; technicians kept out."""

from __future__ import annotations

import pytest

from backend.db import db
from backend.inventory.models import Requisition
from backend.inventory.service import (
    assign_position,
    create_requisition,
    ensure_location,
    set_threshold,
)
from tests.test_dispatch_pages import csrf_of, login_session

pytestmark = pytest.mark.storage


@pytest.fixture
def stocked(shop):
    tech = shop.technician("tech1")
    shop.van(tech, {"CAP-35UF": 5, "FAN-01": 2})
    set_threshold(shop.actor, ensure_location("warehouse", "warehouse"), "CAP-35UF", 3, shop.now)
    db.session.commit()
    return tech


@pytest.mark.parametrize("role", ["admin", "warehouse", "dispatcher"])
def test_the_stock_page_renders_for_the_office_roles_that_keep_or_read_stock(shop, client, stocked, role):
    shop.user(role, role=role)
    login_session(client, role)

    response = client.get("/office/stock")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="levels"' in html and 'id="requisitions"' in html and 'id="technicians"' in html
    assert "van:tech1" in html


def test_finance_is_refused_the_stock_page(shop, client, stocked):
    shop.user("finance", role="finance")
    login_session(client, "finance")

    assert client.get("/office/stock").status_code == 403


def test_a_technician_cannot_reach_the_stock_page(shop, client, stocked):
    token = csrf_of(client.get("/office/login").get_data(as_text=True))

    refused = client.post("/office/login", data={"username": "tech1", "password": "demo",
                                                 "csrf_token": token})

    assert refused.status_code == 401
    response = client.get("/office/stock")
    assert response.status_code == 302 and "/office/login" in response.location


def test_a_low_stock_level_is_an_alert_and_a_highlighted_row(shop, client, stocked):
    shop.user("warehouse", role="warehouse")
    login_session(client, "warehouse")

    html = client.get("/office/stock?location=warehouse").get_data(as_text=True)

    alerts = html.split('id="low-stock"', 1)[1].split("</table>", 1)[0]
    assert "CAP-35UF" in alerts and "FAN-01" not in alerts
    levels = html.split('id="levels"', 1)[1].split("</table>", 1)[0]
    assert '<tr class="alert low"><td class="mono">CAP-35UF' in levels


def test_the_van_picker_shows_that_vans_levels(shop, client, stocked):
    shop.user("warehouse", role="warehouse")
    login_session(client, "warehouse")

    html = client.get("/office/stock?location=van:tech1").get_data(as_text=True)

    levels = html.split('id="levels"', 1)[1].split("</table>", 1)[0]
    assert "FAN-01" in levels and '<td class="num">2</td>' in levels


def test_an_approver_signs_a_requisition_from_the_page_and_a_dispatcher_without_a_position_cannot(
        shop, client, stocked):
    boss = shop.user("warehouse", role="warehouse")
    assign_position(shop.actor, boss, "service_head", shop.now)
    requisition = create_requisition(shop.actor, stocked, [{"sku": "CAP-35UF", "qty": 1}], None, shop.now)
    db.session.commit()
    url = f"/office/stock/requisitions/{requisition.id}/approve"

    shop.user("dispatcher", role="dispatcher")
    token = login_session(client, "dispatcher")
    page = client.get("/office/stock").get_data(as_text=True)
    assert requisition.number in page and url not in page
    refused = client.post(url, data={"csrf_token": token})
    assert refused.status_code == 302
    db.session.rollback()
    assert db.session.get(Requisition, requisition.id).status == "pending"
    client.post("/office/logout", data={"csrf_token": token})

    token = login_session(client, "warehouse")
    assert url in client.get("/office/stock").get_data(as_text=True)
    assert client.post(url, data={}).status_code == 400  # no CSRF token
    response = client.post(url, data={"csrf_token": token})

    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(Requisition, requisition.id).status == "approved"
    assert "approved" in client.get(response.location).get_data(as_text=True)


def test_a_dispatcher_who_heads_the_service_centre_signs_small_requisitions(shop, client, stocked):
    head = shop.user("dispatcher", role="dispatcher")
    assign_position(shop.actor, head, "service_head", shop.now)
    requisition = create_requisition(shop.actor, stocked, [{"sku": "CAP-35UF", "qty": 1}], None, shop.now)
    db.session.commit()
    url = f"/office/stock/requisitions/{requisition.id}/approve"
    token = login_session(client, "dispatcher")

    assert url in client.get("/office/stock").get_data(as_text=True)
    client.post(url, data={"csrf_token": token})

    db.session.rollback()
    assert db.session.get(Requisition, requisition.id).status == "approved"
