"""The finance page: a month's statements with their lines explained, the ranking, PDF
links, and closing the month, which only finance may do."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from backend.commission.models import CommissionMonth
from backend.commission.service import add_manual_line
from backend.db import db, utcnow
from backend.fees.periods import month_of, previous_month
from tests.test_dispatch_pages import csrf_of, login_session

pytestmark = pytest.mark.storage

THIS_MONTH = month_of(utcnow())
LAST_MONTH = previous_month(THIS_MONTH)


@pytest.fixture
def month(shop):
    shop.technician("tech1")
    shop.technician("tech2", grade="junior")
    add_manual_line(shop.actor, "tech1", LAST_MONTH, "bonus", 2000, "季度表彰", utcnow())
    db.session.commit()
    return LAST_MONTH


@pytest.mark.parametrize("role", ["admin", "finance", "dispatcher"])
def test_the_commission_page_renders_for_finance_admin_and_dispatcher(shop, client, month, role):
    shop.user(role, role=role)
    login_session(client, role)

    response = client.get(f"/office/commission?month={month}")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="statements"' in html and 'id="ranking"' in html
    assert "tech1" in html and "tech2" in html
    assert "季度表彰" in html and "¥20.00" in html  # the line explains itself


@pytest.mark.parametrize("role", ["warehouse"])
def test_other_office_roles_are_refused_the_commission_page(shop, client, month, role):
    shop.user(role, role=role)
    login_session(client, role)

    assert client.get("/office/commission").status_code == 403


def test_a_technician_never_gets_an_office_session(shop, client, month):
    token = csrf_of(client.get("/office/login").get_data(as_text=True))

    refused = client.post("/office/login", data={"username": "tech1", "password": "demo",
                                                 "csrf_token": token})

    assert refused.status_code == 401
    assert client.get("/office/commission").status_code == 302


def test_finance_has_pdf_and_export_links(shop, client, month):
    shop.user("finance", role="finance")
    login_session(client, "finance")

    html = client.get(f"/office/commission?month={month}").get_data(as_text=True)

    assert f'href="/commission/{month}/tech1.pdf"' in html
    assert f"/api/exports/commission?month={month}" in html


def test_finance_closes_a_month_from_the_page(shop, client, month):
    shop.user("finance", role="finance")
    token = login_session(client, "finance")
    assert 'id="close-month"' in client.get(f"/office/commission?month={month}").get_data(as_text=True)

    response = client.post("/office/commission/close", data={"month": month, "csrf_token": token})

    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(CommissionMonth, month) is not None
    after = client.get(response.location).get_data(as_text=True)
    assert 'id="close-month"' not in after and 'role="status"' in after
    again = client.post("/office/commission/close", data={"month": month, "csrf_token": token})
    assert 'role="alert"' in client.get(again.location).get_data(as_text=True)


def test_the_running_month_cannot_be_closed_and_offers_no_button(shop, client, month):
    shop.user("finance", role="finance")
    token = login_session(client, "finance")
    assert 'id="close-month"' not in client.get("/office/commission").get_data(as_text=True)

    client.post("/office/commission/close", data={"month": THIS_MONTH, "csrf_token": token})

    db.session.rollback()
    assert db.session.get(CommissionMonth, THIS_MONTH) is None


@pytest.mark.parametrize("role", ["dispatcher", "admin"])
def test_only_finance_may_close_a_month(shop, client, month, role):
    shop.user(role, role=role)
    token = login_session(client, role)
    html = client.get(f"/office/commission?month={month}").get_data(as_text=True)
    assert 'id="close-month"' not in html

    response = client.post("/office/commission/close", data={"month": month, "csrf_token": token})

    assert response.status_code == 403
    db.session.rollback()
    assert db.session.get(CommissionMonth, month) is None


def _statements_rendering(client, month) -> int:
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(f"/office/commission?month={month}").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def test_the_page_reads_every_technicians_lines_together(shop, client, month):
    shop.user("finance", role="finance")
    login_session(client, "finance")
    two = _statements_rendering(client, month)
    shop.technician("tech3")
    add_manual_line(shop.actor, "tech3", month, "bonus", 1000, "新人奖", utcnow())
    db.session.commit()

    three = _statements_rendering(client, month)

    assert three == two
    assert "新人奖" in client.get(f"/office/commission?month={month}").get_data(as_text=True)
