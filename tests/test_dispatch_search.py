"""Combination search: any mix of fields narrows the list; newest first; paged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.db import db, utcnow
from backend.dispatch.search import search as run_search
from backend.tickets.models import Ticket

pytestmark = pytest.mark.storage


def customer(name, phone, region="浦东", tier="regular"):
    return {"name": name, "phone": phone, "address": f"上海市{region}区", "region": region, "tier": tier}


def appliance(brand="格力", category="air_conditioner", serial=None):
    return {"brand": brand, "category": category, "model": "M1", "serial": serial, "purchase_date": None,
            "warranty_months": 12}


@pytest.fixture
def tickets(shop):
    tech = shop.technician("tech1")
    made = {
        "wang_ac": shop.ticket(tech, customer=customer("王先生", "13811110001"),
                               appliance=appliance(serial="SN-A1")),
        "wang_washer": shop.ticket(customer=customer("王先生", "13811110001"),
                                   appliance=appliance("海尔", "washer", "SN-W1")),
        "li_fridge": shop.ticket(customer=customer("李女士", "13922220002", region="徐汇"),
                                 appliance=appliance("海尔", "fridge", "SN-F1")),
        "wu_heater": shop.ticket(customer=customer("吴先生", "13833330003", region="闵行"),
                                 appliance=appliance("A.O.史密斯", "water_heater")),
    }
    # received one after the other, a day apart, the first the oldest
    start = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    for index, ticket in enumerate(made.values()):
        db.session.get(Ticket, ticket.id).created_at = start + timedelta(days=index)
    db.session.commit()
    return made


def search(client, **query):
    response = client.get("/office/search", query_string={**query, "lang": "en"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def found(html, tickets):
    return {name for name, t in tickets.items() if t.number in html}


@pytest.fixture
def desk(shop, client):
    from tests.test_dispatch_pages import login_session

    shop.user("dispatcher")
    login_session(client, "dispatcher")
    return client


@pytest.mark.parametrize("query, expected", [
    ({"phone": "13811110001"}, {"wang_ac", "wang_washer"}),
    ({"phone": "1392"}, {"li_fridge"}),
    ({"name": "王"}, {"wang_ac", "wang_washer"}),
    ({"serial": "SN-F1"}, {"li_fridge"}),
    ({"status": "assigned"}, {"wang_ac"}),
    ({"technician": "tech1"}, {"wang_ac"}),
    ({"region": "闵行"}, {"wu_heater"}),
    ({"brand": "海尔"}, {"wang_washer", "li_fridge"}),
    ({"category": "washer"}, {"wang_washer"}),
    ({"brand": "海尔", "region": "徐汇"}, {"li_fridge"}),
    ({"date_from": "2026-11-02", "date_to": "2026-11-03"}, {"wang_washer", "li_fridge"}),
    ({"name": "王", "category": "air_conditioner", "status": "new"}, set()),
])
def test_each_field_and_their_combinations_narrow_the_list(desk, tickets, query, expected):
    assert found(search(desk, **query), tickets) == expected


def test_a_ticket_number_finds_that_ticket(desk, tickets):
    assert found(search(desk, number=tickets["wu_heater"].number.lower()), tickets) == {"wu_heater"}


def test_results_are_newest_first_and_paged(desk, tickets):
    first = search(desk, brand="海尔", per_page=10)
    assert first.index(tickets["li_fridge"].number) < first.index(tickets["wang_washer"].number)

    from backend.dispatch.search import search as run_search

    page = run_search({"region": "浦东", "page": 2, "per_page": 1}, __import__("zoneinfo").ZoneInfo(
        "Asia/Shanghai"), datetime.now(UTC))
    assert [t["number"] for t in page["tickets"]] == [tickets["wang_ac"].number]
    assert page["total"] == 2 and page["more"] is False
    first_page = run_search({"region": "浦东", "page": 1, "per_page": 1}, __import__("zoneinfo").ZoneInfo(
        "Asia/Shanghai"), datetime.now(UTC))
    assert first_page["more"] is True and first_page["total"] is None


def test_bad_input_is_explained_not_a_server_error(desk, tickets):
    html = search(desk, date_from="yesterday", phone="abc")

    assert "date_from" in html and "phone" in html
    assert not found(html, tickets)


def test_a_date_range_is_read_in_the_offices_time_zone(desk, shop):
    ticket = shop.ticket()
    # 17:30 on 2 Nov in UTC is already 01:30 on 3 Nov in Shanghai
    db.session.get(Ticket, ticket.id).created_at = datetime(2026, 11, 2, 17, 30, tzinfo=UTC)
    db.session.commit()

    assert ticket.number not in search(desk, date_from="2026-11-02", date_to="2026-11-02")
    assert ticket.number in search(desk, date_from="2026-11-03", date_to="2026-11-03")


def test_a_contacted_ticket_without_an_appointment_is_not_reported_contact_overdue(desk, shop, office):
    ticket = shop.ticket()
    db.session.get(Ticket, ticket.id).created_at = utcnow() - timedelta(hours=3)
    db.session.commit()
    assert office().post(f"/api/tickets/{ticket.id}/contact", json={"note": "已接通"}).status_code == 200
    [row] = run_search({"number": ticket.number, "page": 1, "per_page": 10}, ZoneInfo("Asia/Shanghai"),
                       utcnow())["tickets"]
    assert row["sla"]["contacted"] is True and row["sla"]["state"] != "overdue"
    html = search(desk, number=ticket.number)
    assert ticket.number in html and "sla-overdue" not in html
