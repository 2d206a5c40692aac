"""The dispatch board, suggestions and SLA: what a dispatcher sees, with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.db import db
from backend.dispatch import service
from backend.dispatch.service import Clock
from backend.tickets.models import Ticket

pytestmark = pytest.mark.storage

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 10:00 in Shanghai: the office day runs 16:00 UTC the day before to 16:00 UTC.
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def clock(now: datetime = NOW) -> Clock:
    return Clock(now=now, zone=SHANGHAI)


def at(ticket: Ticket, **fields) -> Ticket:
    """Set columns directly (time travel for a story), as the office committed them."""
    row = db.session.get(Ticket, ticket.id)
    for key, value in fields.items():
        setattr(row, key, value)
    db.session.commit()
    return row


def by_username(rows):
    return {row["username"]: row for row in rows}


# --- suggestions ---------------------------------------------------------------------

def test_suggestions_rank_skill_then_region_then_load_and_say_why(shop):
    shop.technician("ac_local", skills=["air_conditioner"], regions=["浦东"], grade="junior")
    shop.technician("ac_far", skills=["air_conditioner"], regions=["闵行"], grade="junior")
    shop.technician("washer_local", skills=["washer"], regions=["浦东"], grade="junior")
    ticket = shop.ticket()  # an air conditioner in 浦东

    result = service.suggestions(db.session.get(Ticket, ticket.id), clock())

    order = [t["username"] for t in result["technicians"]]
    assert order == ["ac_local", "ac_far", "washer_local"]
    reasons = {t["username"]: {r["code"]: r["ok"] for r in t["reasons"]} for t in result["technicians"]}
    assert reasons["ac_local"] == {"skill": True, "region": True, "load": True}
    assert reasons["ac_far"]["other_region"] is False
    assert reasons["washer_local"]["no_skill"] is False
    assert {"code": "region", "ok": True, "params": {"region": "浦东"}} in result["technicians"][0]["reasons"]


def test_a_busy_technician_drops_below_a_free_one_and_over_capacity_is_warned(shop):
    busy = shop.technician("busy", daily_capacity=2)
    shop.technician("free", daily_capacity=2)
    start = NOW + timedelta(hours=1)
    for _ in range(2):
        at(shop.ticket(busy), scheduled_start=start, scheduled_end=start + timedelta(hours=1))
    ticket = shop.ticket()

    result = by_username(service.suggestions(db.session.get(Ticket, ticket.id), clock())["technicians"])

    assert result["free"]["score"] > result["busy"]["score"]
    assert result["busy"]["load"] == 2 and result["busy"]["over_capacity"] is True
    assert "over_capacity" in {r["code"] for r in result["busy"]["reasons"]}
    assert result["free"]["over_capacity"] is False


def test_the_load_counts_the_day_of_the_visit_not_today(shop):
    tech = shop.technician("tech1", daily_capacity=1)
    tomorrow = NOW + timedelta(days=1)
    at(shop.ticket(tech), scheduled_start=tomorrow, scheduled_end=tomorrow + timedelta(hours=1))
    today_ticket = shop.ticket()
    tomorrow_ticket = at(shop.ticket(), scheduled_start=tomorrow + timedelta(hours=2))

    today = by_username(service.suggestions(db.session.get(Ticket, today_ticket.id), clock())["technicians"])
    later = by_username(service.suggestions(tomorrow_ticket, clock())["technicians"])

    assert today["tech1"]["load"] == 0 and not today["tech1"]["over_capacity"]
    assert later["tech1"]["load"] == 1 and later["tech1"]["over_capacity"]


def test_a_vip_customer_gets_the_senior_technician_first(shop):
    shop.technician("junior", grade="junior")
    shop.technician("senior", grade="senior")
    regular = shop.ticket()
    vip = shop.ticket(customer={"name": "孙女士", "phone": "13900000009", "address": "徐汇", "region": "浦东",
                                "tier": "vip"})

    plain = service.suggestions(db.session.get(Ticket, regular.id), clock())
    ranked = service.suggestions(db.session.get(Ticket, vip.id), clock())

    assert {t["username"]: t["score"] for t in plain["technicians"]}["junior"] == \
        {t["username"]: t["score"] for t in plain["technicians"]}["senior"]
    assert ranked["vip"] is True
    assert [t["username"] for t in ranked["technicians"]][0] == "senior"
    assert "vip_grade" in {r["code"] for r in ranked["technicians"][0]["reasons"]}


def test_suggestions_are_served_to_the_page_with_their_reasons(shop, office):
    shop.technician("tech1")
    ticket = shop.ticket()

    response = office("dispatcher").get(f"/office/api/tickets/{ticket.id}/suggestions")

    assert response.status_code == 200
    body = response.get_json()
    assert body["number"] == ticket.number
    assert body["technicians"][0]["username"] == "tech1"
    assert {"code", "ok", "text"} <= set(body["technicians"][0]["reasons"][0])


# --- the board -----------------------------------------------------------------------

def test_the_board_lists_unassigned_vip_and_urgent_first_and_todays_jobs_per_technician(shop):
    tech = shop.technician("tech1", daily_capacity=2)
    shop.technician("tech2")
    old = at(shop.ticket(), created_at=NOW - timedelta(minutes=50))
    urgent = at(shop.ticket(urgency="urgent"), created_at=NOW - timedelta(minutes=20))
    vip = at(shop.ticket(customer={"name": "孙女士", "phone": "13900000009", "address": "徐汇",
                                   "region": "徐汇", "tier": "vip"}), created_at=NOW - timedelta(minutes=5))
    for hours in (1, 3, 5):
        start = NOW + timedelta(hours=hours)
        at(shop.ticket(tech), scheduled_start=start, scheduled_end=start + timedelta(hours=1))
    tomorrow = at(shop.ticket(tech), scheduled_start=NOW + timedelta(days=1))
    waiting = at(shop.ticket(tech), scheduled_start=None, scheduled_end=None)
    cancelled = at(shop.ticket(tech), scheduled_start=NOW + timedelta(hours=2), status="cancelled")

    board = service.board(clock())

    assert [t["id"] for t in board["unassigned"]] == [vip.id, urgent.id, old.id]
    assert board["unassigned_total"] == 3
    lanes = by_username(board["lanes"])
    assert len(lanes["tech1"]["tickets"]) == 3 and lanes["tech1"]["load"] == 3
    assert lanes["tech1"]["over_capacity"] is True and lanes["tech2"]["load"] == 0
    shown = {t["id"] for lane in board["lanes"] for t in lane["tickets"]}
    assert tomorrow.id not in shown and cancelled.id not in shown
    assert [t["id"] for t in board["waiting"]] == [waiting.id]


def test_the_board_page_shows_tickets_lanes_and_a_partial_refresh(shop, office, client):
    from tests.test_dispatch_pages import login_session

    shop.technician("tech1")
    shop.user("dispatcher")
    ticket = shop.ticket()
    login_session(client, "dispatcher")

    page = client.get("/office/board?lang=en").get_data(as_text=True)
    partial = client.get("/office/board?lang=en", headers={"X-Partial": "1"}).get_data(as_text=True)

    assert ticket.number in page and 'data-drop="tech1"' in page and "<html" in page
    assert ticket.number in partial and "<html" not in partial and 'class="board"' in partial


# --- SLA -----------------------------------------------------------------------------

def test_contact_is_due_in_two_hours_and_one_for_vip_then_the_visit_window(shop):
    regular = at(shop.ticket(), created_at=NOW - timedelta(minutes=90))
    vip = at(shop.ticket(customer={"name": "孙女士", "phone": "13900000009", "address": "徐汇",
                                   "region": "徐汇", "tier": "vip"}), created_at=NOW - timedelta(minutes=90))
    tech = shop.technician("tech1")
    late = at(shop.ticket(tech), created_at=NOW - timedelta(hours=5),
              scheduled_start=NOW - timedelta(hours=3), scheduled_end=NOW - timedelta(hours=1))
    soon = at(shop.ticket(tech), created_at=NOW - timedelta(hours=1),
              scheduled_start=NOW - timedelta(minutes=10), scheduled_end=NOW + timedelta(hours=1))

    rows = {r["id"]: r for r in service.board(clock())["unassigned"]}
    overdue = service.overdue(clock())

    assert rows[regular.id]["sla"]["state"] == "due_soon"  # 30 min left of 2 h
    assert rows[regular.id]["sla"]["next_due"] == NOW + timedelta(minutes=30)
    assert rows[vip.id]["sla"]["state"] == "overdue"  # 1 h for VIP
    assert [r["id"] for r in overdue] == [late.id, vip.id]  # most overdue first
    assert [r["sla"]["next_kind"] for r in overdue] == ["visit", "contact"]
    lanes = by_username(service.board(clock())["lanes"])
    states = {t["id"]: t["sla"]["state"] for t in lanes["tech1"]["tickets"]}
    assert states[soon.id] == "due_soon"  # the window has begun and nobody is there


def test_an_arrival_meets_the_visit_deadline(shop, phone):
    tech = shop.technician("tech1")
    ticket = at(shop.ticket(tech), created_at=NOW - timedelta(hours=5),
                scheduled_start=NOW - timedelta(hours=3), scheduled_end=NOW - timedelta(hours=1))
    device = phone("tech1")
    visit_id = device.pull()["tickets"][0]["visits"][0]["id"]
    device.push(device.mutation("visit.arrive", ticket.id, visit_id=visit_id))

    assert service.overdue(clock()) == []


def test_live_status_comes_from_the_visits_and_last_sync_from_the_device(shop, phone):
    en_route, on_site, done = (shop.technician(n) for n in ("tech1", "tech2", "tech3"))
    shop.technician("tech4")
    tickets = {}
    for tech in (en_route, on_site, done):
        start = datetime.now(UTC)  # today, whatever the hour
        tickets[tech.username] = at(shop.ticket(tech), scheduled_start=start, scheduled_end=start)
    steps = {"tech1": ["visit.depart"], "tech2": ["visit.depart", "visit.arrive"],
             "tech3": ["visit.depart", "visit.arrive", "work.complete"]}
    for username, names in steps.items():
        device = phone(username)
        ticket = tickets[username]
        visit_id = device.pull()["tickets"][0]["visits"][0]["id"]
        extra = {"work.complete": {"resolution": "fixed"}}
        device.push(*(device.mutation(n, ticket.id, visit_id=visit_id, **extra.get(n, {})) for n in names))

    lanes = by_username(service.board(Clock(now=datetime.now(UTC), zone=SHANGHAI))["lanes"])

    assert {u: lanes[u]["live"]["state"] for u in lanes} == {
        "tech1": "en_route", "tech2": "on_site", "tech3": "done", "tech4": "idle"}
    assert lanes["tech1"]["last_sync_at"] is not None and lanes["tech4"]["last_sync_at"] is None


def test_the_sla_page_lists_the_overdue_ticket(shop, client):
    from tests.test_dispatch_pages import login_session

    shop.user("dispatcher")
    ticket = at(shop.ticket(), created_at=datetime.now(UTC) - timedelta(hours=3))
    login_session(client, "dispatcher")

    html = client.get("/office/sla?lang=en").get_data(as_text=True)

    overdue_part = html.split("Due within the hour")[0]
    assert ticket.number in overdue_part and 'class="sla-overdue"' in overdue_part
