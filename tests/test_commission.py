"""Commission: lines earned as tickets complete, each explaining itself; grades, caps,
material margin, base wage, deductions and bonuses; closing a month; adjustments; ranking."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.commission.models import CommissionGrade, CommissionLine, CommissionRule
from backend.commission.service import (
    load_facts,
    load_rules,
    refresh_tickets,
    technician_grades,
    ticket_lines,
)
from backend.db import db, utcnow
from backend.fees.periods import month_bounds, month_of, next_month, previous_month
from tests.test_fees import repair, same_appliance

pytestmark = pytest.mark.storage

THIS_MONTH = month_of(utcnow())
LAST_MONTH = previous_month(THIS_MONTH)


def in_last_month():
    return month_bounds(LAST_MONTH)[0] + timedelta(days=10, hours=3)


@pytest.fixture
def plan(shop):
    """Grades, rules and a schedule like the demo's, in round numbers."""
    db.session.add_all(
        [
            CommissionGrade(
                grade="senior",
                coefficient_pm=1200,
                base_wage_fen=350_000,
                per_ticket_cap_fen=None,
                monthly_cap_fen=None,
            ),
            CommissionGrade(
                grade="junior",
                coefficient_pm=900,
                base_wage_fen=250_000,
                per_ticket_cap_fen=1_000,
                monthly_cap_fen=1_500,
            ),
            CommissionRule(
                name="工时提成 10%", applies_to="fee", fee_kind="labour", mode="percent", rate_bp=1000
            ),
            CommissionRule(
                name="检测 每单 ¥5", applies_to="fee", fee_kind="inspection", mode="fixed", amount_fen=500
            ),
            CommissionRule(name="材料毛利 10%", applies_to="material", mode="percent", rate_bp=1000),
            CommissionRule(name="返修扣款 ¥50", applies_to="repeat_repair", mode="fixed", amount_fen=5000),
            CommissionRule(name="投诉扣款 ¥100", applies_to="complaint", mode="fixed", amount_fen=10000),
            CommissionRule(
                name="五星好评 ¥10", applies_to="rating_bonus", mode="fixed", amount_fen=1000, min_score=5
            ),
        ]
    )
    db.session.commit()
    shop.fee("inspect", 5000, kind="inspection")
    shop.fee("labour.capacitor", 8000)
    shop.fee("labour.board", 30000)
    shop.part("CAP-35UF", 4500)  # cost 2250
    return shop


def lines_of(desk, username, month=THIS_MONTH):
    response = desk.get(f"/api/commission/statements/{username}?month={month}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def statement(desk, username, month=THIS_MONTH):
    [found] = desk.get(f"/api/commission/statements?month={month}&technician={username}").get_json()[
        "statements"
    ]
    return found


def test_a_completed_ticket_earns_lines_that_explain_themselves(plan, phone, office):
    tech = plan.technician("tech1", grade="senior")
    plan.van(tech, {"CAP-35UF": 2})
    ticket = plan.ticket(tech)
    device = phone("tech1")

    repair(
        device,
        ticket.id,
        parts=[("CAP-35UF", 1, "van", "paid")],
        fees=[("labour.capacitor", 1), ("inspect", 1)],
        rating=5,
    )

    mine = lines_of(office("finance"), "tech1")
    by_kind = {(line["kind"], line["note"]): line for line in mine["lines"]}
    labour = by_kind[("fee", "labour.capacitor")]
    assert (labour["base_fen"], labour["rate_bp"], labour["coefficient_pm"], labour["amount_fen"]) == (
        8000,
        1000,
        1200,
        960,
    )
    assert labour["explanation"] == "¥80.00 × 10% × 1.2 = ¥9.60"
    assert labour["ticket_number"] == ticket.number and labour["rule_name"] == "工时提成 10%"
    assert by_kind[("fee", "inspect")]["amount_fen"] == 600  # fixed ¥5 x 1.2
    assert by_kind[("material", "CAP-35UF")]["amount_fen"] == 225  # (45 - 22.50) x 10%
    assert by_kind[("bonus", "5")]["amount_fen"] == 1000
    assert mine["commission_fen"] == 960 + 600 + 225 and mine["bonus_fen"] == 1000
    assert mine["total_fen"] == 350_000 + 1785 + 1000 and mine["tickets_completed"] == 1


def test_nothing_is_earned_before_the_work_is_complete(plan, phone):
    tech = plan.technician("tech1")
    ticket = plan.ticket(tech)
    device = phone("tech1")

    repair(device, ticket.id, fees=[("labour.capacitor", 1)], complete=False)

    assert db.session.scalar(db.select(db.func.count()).select_from(CommissionLine)) == 0


def test_warranty_work_earns_on_the_price_the_manufacturer_pays(plan, phone, office):
    tech = plan.technician("tech1", grade="senior")
    ticket = plan.ticket(tech, in_warranty=True)
    device = phone("tech1")

    repair(device, ticket.id, fees=[("labour.board", 1)])

    [line] = lines_of(office("finance"), "tech1")["lines"]
    assert (line["base_fen"], line["amount_fen"]) == (30000, 3600)


def test_the_per_ticket_cap_is_a_line_of_its_own(plan, phone, office):
    tech = plan.technician("tech1", grade="junior")
    ticket = plan.ticket(tech)
    device = phone("tech1")

    repair(device, ticket.id, fees=[("labour.board", 1)])  # 300 x 10% x 0.9 = 27 yuan, cap 10

    lines = lines_of(office("finance"), "tech1")["lines"]
    assert [(line["kind"], line["amount_fen"]) for line in lines] == [("fee", 2700), ("ticket_cap", -1700)]
    assert lines[1]["explanation"] == "¥27.00 → cap ¥10.00 = -¥17.00"


def test_the_monthly_cap_applies_to_the_statement(plan, phone, office):
    tech = plan.technician("tech1", grade="junior")
    device = phone("tech1")
    for _ in range(2):
        repair(device, plan.ticket(tech).id, fees=[("labour.board", 1)])  # 10 yuan each after the ticket cap

    mine = statement(office("finance"), "tech1")

    assert (mine["commission_fen"], mine["cap_cut_fen"]) == (2000, 500)
    assert mine["total_fen"] == 250_000 + 1500


def test_every_technician_has_a_statement_with_the_base_wage(plan, office):
    plan.technician("tech1", grade="senior")
    plan.technician("tech2", grade="junior")

    found = office("finance").get(f"/api/commission/statements?month={THIS_MONTH}").get_json()["statements"]

    assert [(s["technician"], s["base_wage_fen"], s["total_fen"], s["line_count"]) for s in found] == [
        ("tech1", 350_000, 350_000, 0),
        ("tech2", 250_000, 250_000, 0),
    ]


def test_a_repeat_repair_is_deducted_from_whoever_did_the_first(plan, phone, office):
    first_tech = plan.technician("tech1", grade="senior")
    second_tech = plan.technician("tech2", grade="senior")
    first = same_appliance(plan, first_tech)
    repair(phone("tech1"), first.id, fees=[("labour.capacitor", 1)])
    second = same_appliance(plan, second_tech)

    repair(phone("tech2"), second.id, fees=[("inspect", 1), ("labour.capacitor", 1)])

    desk = office("finance")
    [deduction] = [line for line in lines_of(desk, "tech1")["lines"] if line["kind"] == "deduction"]
    assert (deduction["amount_fen"], deduction["ticket_number"], deduction["note"]) == (
        -5000,
        second.number,
        first.number,
    )
    redo = lines_of(desk, "tech2")["lines"]
    assert [(line["note"], line["amount_fen"]) for line in redo] == [
        ("inspect", 600)
    ]  # free labour earns nothing


def test_an_upheld_complaint_deducts_and_a_dismissed_one_does_not(plan, phone, office):
    tech = plan.technician("tech1", grade="senior")
    upheld, dismissed = plan.ticket(tech), plan.ticket(tech)
    device = phone("tech1")
    repair(device, upheld.id, fees=[("inspect", 1)])
    repair(device, dismissed.id, fees=[("inspect", 1)])
    desk = office("dispatcher")
    complaints = [
        desk.post("/api/complaints", json={"ticket_id": t.id, "description": "师傅迟到一小时"}).get_json()
        for t in (upheld, dismissed)
    ]

    desk.post(f"/api/complaints/{complaints[0]['id']}/decide", json={"upheld": True, "note": "属实"})
    desk.post(f"/api/complaints/{complaints[1]['id']}/decide", json={"upheld": False, "note": "不属实"})

    mine = statement(office("finance"), "tech1")
    assert mine["deduction_fen"] == -10000
    assert (
        office("finance")
        .post("/api/complaints", json={"ticket_id": upheld.id, "description": "x"})
        .status_code
        == 403
    )


def test_finance_adds_a_bonus_by_hand(plan, office):
    plan.technician("tech1", grade="senior")
    desk = office("finance")

    added = desk.post(
        "/api/commission/adjustments",
        json={
            "technician": "tech1",
            "month": THIS_MONTH,
            "kind": "bonus",
            "amount_fen": 20000,
            "note": "高温补贴",
        },
    )

    assert added.status_code == 201 and added.get_json()["amount_fen"] == 20000
    assert statement(desk, "tech1")["bonus_fen"] == 20000


def test_closing_a_month_locks_it_and_later_changes_land_in_the_next_month(plan, phone, office):
    tech = plan.technician("tech1", grade="senior")
    ticket = plan.ticket(tech)
    device = phone("tech1")
    repair(device, ticket.id, fees=[("labour.capacitor", 1)], at=in_last_month())
    finance = office("finance")
    before = statement(finance, "tech1", LAST_MONTH)

    closed = finance.post("/api/commission/statements/close", json={"month": LAST_MONTH})
    # the customer is rated later, and the labour line is corrected after the close
    device.push(
        device.mutation("rating.record", ticket.id, score=5),
        device.mutation(
            "fee.set",
            ticket.id,
            line_id=lines_of(finance, "tech1", LAST_MONTH)["lines"][0]["source_ref"],
            item_code="labour.capacitor",
            qty=2,
        ),
    )

    assert closed.status_code == 200
    locked = statement(finance, "tech1", LAST_MONTH)
    assert locked["status"] == "closed" and locked["total_fen"] == before["total_fen"]
    assert [line["amount_fen"] for line in lines_of(finance, "tech1", LAST_MONTH)["lines"]] == [960]
    adjustments = [
        (line["kind"], line["amount_fen"], line["adjusts_month"])
        for line in lines_of(finance, "tech1", THIS_MONTH)["lines"]
    ]
    assert sorted(adjustments) == [("bonus", 1000, LAST_MONTH), ("fee", 960, LAST_MONTH)]
    now = statement(finance, "tech1")
    assert now["adjustment_fen"] == 1960 and now["commission_fen"] == 0


def test_work_synced_after_its_month_closed_lands_in_the_next_open_month(plan, phone, office):
    tech = plan.technician("tech1", grade="senior")
    ticket = plan.ticket(tech)
    finance = office("finance")
    finance.post("/api/commission/statements/close", json={"month": LAST_MONTH})

    repair(phone("tech1"), ticket.id, fees=[("labour.capacitor", 1)], at=in_last_month())

    [line] = lines_of(finance, "tech1", THIS_MONTH)["lines"]
    assert (line["amount_fen"], line["is_adjustment"], line["adjusts_month"]) == (960, True, LAST_MONTH)
    assert lines_of(finance, "tech1", LAST_MONTH)["lines"] == []


@pytest.mark.parametrize(
    "role, month, status",
    [
        ("admin", LAST_MONTH, 403),
        ("dispatcher", LAST_MONTH, 403),
        ("finance", THIS_MONTH, 409),
        ("finance", next_month(THIS_MONTH), 409),
        ("finance", "2026-13", 400),
    ],
)
def test_only_finance_closes_a_month_that_has_ended(plan, office, role, month, status):
    plan.technician("tech1")

    response = office(role).post("/api/commission/statements/close", json={"month": month})

    assert response.status_code == status


def test_a_month_is_closed_once(plan, office):
    plan.technician("tech1")
    finance = office("finance")

    assert finance.post("/api/commission/statements/close", json={"month": LAST_MONTH}).status_code == 200
    again = finance.post("/api/commission/statements/close", json={"month": LAST_MONTH})

    assert again.status_code == 409 and again.get_json()["error"]["code"] == "month_closed"
    assert (
        finance.post(
            "/api/commission/adjustments",
            json={"technician": "tech1", "month": LAST_MONTH, "kind": "bonus", "amount_fen": 1, "note": "x"},
        ).status_code
        == 409
    )


def test_the_technician_sees_their_running_month_and_past_statements(plan, phone, office):
    tech = plan.technician("tech1", grade="senior")
    plan.technician("tech2")
    device = phone("tech1")
    repair(device, plan.ticket(tech).id, fees=[("labour.capacitor", 1)], at=in_last_month())
    repair(device, plan.ticket(tech).id, fees=[("inspect", 1)])
    office("finance").post("/api/commission/statements/close", json={"month": LAST_MONTH})

    mine = device.get("/api/commission/mine").get_json()

    assert mine["month"] == THIS_MONTH
    assert [line["note"] for line in mine["running"]["lines"]] == ["inspect"]
    assert mine["running"]["status"] == "open"
    assert [(s["month"], s["status"], s["commission_fen"]) for s in mine["statements"]] == [
        (LAST_MONTH, "closed", 960)
    ]
    assert device.get(f"/api/commission/statements/tech2?month={THIS_MONTH}").status_code == 403
    assert device.get(f"/api/commission/statements?month={THIS_MONTH}").status_code == 403


def test_technicians_are_ranked_for_the_month(plan, phone, office):
    one, two = plan.technician("tech1", grade="senior"), plan.technician("tech2", grade="senior")
    plan.technician("tech3")
    first = same_appliance(plan, one)
    repair(phone("tech1"), first.id, fees=[("labour.capacitor", 1)], rating=3)
    repair(phone("tech1"), plan.ticket(one).id, fees=[("inspect", 1)], rating=5)
    repair(phone("tech2"), plan.ticket(two).id, fees=[("labour.board", 1)], rating=5)
    repair(phone("tech2"), same_appliance(plan, two).id, fees=[("inspect", 1)])  # repeats tech1's repair

    ranking = office("dispatcher").get(f"/api/commission/ranking?month={THIS_MONTH}").get_json()["ranking"]

    assert [
        (r["rank"], r["technician"], r["completed"], r["revenue_fen"], r["rating"], r["repeat_rate"])
        for r in ranking
    ] == [(1, "tech2", 2, 35000, 5.0, 0.0), (2, "tech1", 2, 13000, 4.0, 0.5), (3, "tech3", 0, 0, None, 0.0)]


def test_rebuilding_a_month_from_the_facts_changes_nothing_until_the_rules_change(plan, phone, office):
    tech = plan.technician("tech1", grade="senior")
    plan.van(tech, {"CAP-35UF": 3})
    device = phone("tech1")
    for _ in range(3):
        repair(
            device,
            plan.ticket(tech).id,
            parts=[("CAP-35UF", 1, "van", "paid")],
            fees=[("labour.capacitor", 1), ("inspect", 1)],
            rating=5,
        )
    finance = office("finance")

    unchanged = finance.post("/api/commission/rebuild", json={"month": THIS_MONTH}).get_json()
    labour = db.session.execute(
        db.select(CommissionRule).where(CommissionRule.fee_kind == "labour")
    ).scalar_one()
    finance.post(f"/api/commission/rules/{labour.id}/deactivate")
    finance.post(
        "/api/commission/rules",
        json={
            "name": "工时提成 15%",
            "applies_to": "fee",
            "fee_kind": "labour",
            "mode": "percent",
            "rate_bp": 1500,
        },
    )
    changed = finance.post("/api/commission/rebuild", json={"month": THIS_MONTH}).get_json()

    assert (unchanged["tickets"], unchanged["inserted"], unchanged["deleted"]) == (3, 0, 0)
    assert (changed["inserted"], changed["deleted"]) == (3, 3)
    assert statement(finance, "tech1")["commission_fen"] == 3 * (1440 + 600 + 225)


def test_refreshing_tickets_together_gives_what_refreshing_each_gives(plan, phone):
    """The month path (many tickets at once) and the completion path (one) agree."""
    techs = [plan.technician(f"tech{i}", grade=grade) for i, grade in enumerate(("senior", "junior"), 1)]
    ids = []
    for tech in techs:
        plan.van(tech, {"CAP-35UF": 4})
        device = phone(tech.username)
        for fees in ([("labour.board", 1)], [("labour.capacitor", 2), ("inspect", 1)]):
            ticket = plan.ticket(tech)
            repair(device, ticket.id, parts=[("CAP-35UF", 1, "van", "paid")], fees=fees, rating=5)
            ids.append(ticket.id)
    one_by_one = sorted(
        (line["ticket_id"], line["kind"], line["amount_fen"])
        for f in load_facts(ids)
        for line in ticket_lines(f, load_rules(), technician_grades())
    )
    db.session.execute(db.delete(CommissionLine))

    refresh_tickets(ids, utcnow())

    together = sorted(
        tuple(row)
        for row in db.session.execute(
            db.select(CommissionLine.ticket_id, CommissionLine.kind, CommissionLine.amount_fen)
        )
    )
    assert together == one_by_one and len(together) >= 12
