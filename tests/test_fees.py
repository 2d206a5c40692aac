"""Fees and warranty: the price list shipped with each ticket, warranty by appliance and by
part, the warranty card's lower price, repeat repairs, and claims to manufacturers.

`repair()` here drives a phone through a visit; the commission, documents and exports
stories use it too."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from backend.db import db, utcnow
from backend.fees.models import ClaimLine, WarrantyCardTerm
from backend.fees.service import summary_hash, summary_of
from backend.tickets.models import Flag, Ticket
from tests.conftest import PNG_1X1

pytestmark = pytest.mark.storage


def repair(
    device,
    ticket_id: int,
    *,
    parts=(),
    fees=(),
    at: datetime | None = None,
    resolution="fixed",
    rating: int | None = None,
    sign: bool = True,
    pay: bool = True,
    complete: bool = True,
    visit_id: str | None = None,
) -> dict[str, Any]:
    """One visit as a phone sends it: arrive, parts [(sku, qty, source, charge)], fees
    [(item_code, qty) or (item_code, qty, typed_fen)], complete, sign over what the server
    priced, pay it, rate. `at` backdates the facts (the device's clock stays right)."""
    detail = office_view(device.client, ticket_id)
    visit_id = visit_id or detail["visits"][0]["id"]
    tag = uuid.uuid4().hex[:6]
    first = [device.mutation("visit.arrive", ticket_id, visit_id=visit_id)]
    first += [
        device.mutation(
            "part.use", ticket_id, line_id=f"{tag}-P{i}", sku=sku, qty=qty, source=source, charge=charge
        )
        for i, (sku, qty, source, charge) in enumerate(parts)
    ]
    for i, fee in enumerate(fees):
        args = {"line_id": f"{tag}-F{i}", "item_code": fee[0], "qty": fee[1]}
        if len(fee) > 2:
            args["amount_fen"] = fee[2]
        first.append(device.mutation("fee.set", ticket_id, **args))
    results = _push(device, first, at)
    if not complete:
        return {"results": results}
    priced = office_view(device.client, ticket_id)
    closing = [device.mutation("work.complete", ticket_id, visit_id=visit_id, resolution=resolution)]
    if sign:
        sha = device.put_blob(PNG_1X1)
        closing.append(
            device.mutation(
                "signature.capture",
                ticket_id,
                blob=sha,
                signer_name="刘女士",
                summary_hash=signed_hash(priced),
            )
        )
    if pay and priced["total_fen"]:
        closing.append(
            device.mutation(
                "payment.record",
                ticket_id,
                payment_id=f"{tag}-pay",
                method="wechat",
                amount_fen=priced["total_fen"],
            )
        )
    if rating is not None:
        closing.append(device.mutation("rating.record", ticket_id, score=rating))
    results += _push(device, closing, at + timedelta(minutes=30) if at else None)
    return {"results": results}


def _push(device, mutations: list[dict], at: datetime | None) -> list[dict]:
    if at is not None:
        for i, mutation in enumerate(mutations):
            mutation["at"] = (at + timedelta(seconds=i)).isoformat()
    results = device.push(*mutations)["results"]
    assert all(r["status"] == "applied" for r in results), results
    return results


def office_view(client, ticket_id: int) -> dict[str, Any]:
    """The ticket as the office API shows it, read with a throwaway admin session."""
    from backend.people.models import User

    admin = db.session.execute(db.select(User).where(User.role == "admin")).scalars().first()
    with client.session_transaction() as session:
        session["user_id"] = admin.id
    try:
        response = client.get(f"/api/tickets/{ticket_id}")
    finally:
        with client.session_transaction() as session:
            session.clear()
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def signed_hash(detail: dict[str, Any]) -> str:
    """What the phone computes from the ticket it shows: the summary hash of DESIGN.md."""
    return summary_hash(summary_of(detail["id"], detail["parts"], detail["fees"]))


def pulled_ticket(device, ticket_id: int) -> dict[str, Any]:
    return next(t for t in device.pull(fresh=True)["tickets"] if t["id"] == ticket_id)


def same_appliance(
    shop, technician, *, phone="13900000001", serial="SN-SAME-1", fault="E1", purchase: date | None = None
) -> Ticket:
    """A ticket on one customer's one appliance (matched by phone and serial), opened now."""
    shop.now = utcnow()
    return shop.ticket(
        technician,
        phone=phone,
        appliance={
            "brand": "格力",
            "category": "air_conditioner",
            "model": "KFR-35GW",
            "serial": serial,
            "purchase_date": purchase or date.today() - timedelta(days=1000),
            "warranty_months": 12,
        },
        fault={"category": fault, "description": "不制冷"},
    )


@pytest.fixture
def schedule(shop):
    shop.fee("inspect", 5000, kind="inspection")
    shop.fee("labour.capacitor", 8000)
    shop.fee("labour.capacitor", 12000, difficulty=2, name="更换电容工时（高空）")
    shop.fee("travel.far", 3000, kind="travel", region="浦东", warranty_covered=False)
    shop.fee("inspect", 4000, kind="inspection", brand="格力", name="上门检测费（格力）")
    return shop


def test_each_ticket_ships_its_resolved_price_list(schedule, phone):
    tech = schedule.technician("tech1")
    ticket = schedule.ticket(tech)
    device = phone("tech1")

    items = {i["item_code"]: i for i in pulled_ticket(device, ticket.id)["fee_items"]}

    assert set(items) == {"inspect", "labour.capacitor", "labour.capacitor@2", "travel.far"}
    assert items["inspect"]["unit_fen"] == 4000  # the brand's row beats the general one
    assert (
        items["labour.capacitor@2"].items() >= {"difficulty": 2, "unit_fen": 12000, "kind": "labour"}.items()
    )
    assert items["travel.far"]["warranty_covered"] is False
    for item in items.values():
        assert {"item_code", "name", "name_en", "kind", "difficulty", "unit_fen", "warranty_covered"} <= set(
            item
        )


def test_a_difficulty_is_priced_by_its_own_code(schedule, phone):
    tech = schedule.technician("tech1")
    ticket = schedule.ticket(tech)
    device = phone("tech1")

    repair(device, ticket.id, fees=[("labour.capacitor@2", 1)], complete=False)

    [line] = office_view(device.client, ticket.id)["fees"]
    assert (line["item_code"], line["unit_fen"], line["amount_fen"]) == ("labour.capacitor@2", 12000, 12000)


def test_the_customer_pays_the_lower_of_the_schedule_and_the_warranty_card(schedule, phone):
    db.session.add(
        WarrantyCardTerm(brand="格力", category="air_conditioner", item_code="inspect", unit_fen=3000)
    )
    db.session.add(WarrantyCardTerm(brand="格力", category=None, item_code="labour.capacitor", unit_fen=9900))
    db.session.commit()
    tech = schedule.technician("tech1")
    ticket = schedule.ticket(tech)
    device = phone("tech1")

    items = {i["item_code"]: i for i in pulled_ticket(device, ticket.id)["fee_items"]}
    repair(device, ticket.id, fees=[("inspect", 1), ("labour.capacitor", 1)], complete=False)

    assert (items["inspect"]["unit_fen"], items["inspect"]["price_basis"]) == (3000, "card")
    assert items["inspect"]["schedule_fen"] == 4000
    assert (items["labour.capacitor"]["unit_fen"], items["labour.capacitor"]["price_basis"]) == (
        8000,
        "schedule",
    )
    assert office_view(device.client, ticket.id)["total_fen"] == 3000 + 8000


def test_in_warranty_covered_lines_cost_nothing_and_become_claims(schedule, phone, office):
    tech = schedule.technician("tech1")
    schedule.van(tech, {"CAP-35UF": 2})
    ticket = schedule.ticket(tech, in_warranty=True)
    device = phone("tech1")

    repair(
        device,
        ticket.id,
        parts=[("CAP-35UF", 1, "van", "warranty")],
        fees=[("inspect", 1), ("labour.capacitor", 1), ("travel.far", 1)],
    )

    detail = office_view(device.client, ticket.id)
    assert detail["total_fen"] == 3000  # only the travel fee, which warranty does not cover
    assert detail["flags"] == []
    claims = (
        db.session.execute(db.select(ClaimLine).order_by(ClaimLine.line_kind, ClaimLine.code)).scalars().all()
    )
    assert [(c.line_kind, c.code, c.amount_fen, c.basis) for c in claims] == [
        ("fee", "inspect", 4000, "appliance_warranty"),
        ("fee", "labour.capacitor", 8000, "appliance_warranty"),
        ("part", "CAP-35UF", 4500, "appliance_warranty"),
    ]
    report = office("finance").get(f"/api/claims?month={claims[0].month}").get_json()
    assert report["brands"] == [{"brand": "格力", "lines": 3, "tickets": 1, "amount_fen": 16500}]
    assert report["lines"][0]["ticket_number"] == detail["number"]


def test_claims_follow_later_changes_and_skip_customer_parts(schedule, phone):
    tech = schedule.technician("tech1")
    schedule.van(tech, {"CAP-35UF": 2})
    schedule.part("REF-R32-1KG", 18000)
    ticket = schedule.ticket(tech, in_warranty=True)
    device = phone("tech1")
    repair(
        device, ticket.id, parts=[("CAP-35UF", 1, "van", "warranty"), ("REF-R32-1KG", 1, "customer", "paid")]
    )
    [line] = db.session.execute(db.select(ClaimLine)).scalars().all()

    device.push(device.mutation("part.remove", ticket.id, line_id=line.line_id))

    assert db.session.execute(db.select(ClaimLine)).scalars().all() == []


def test_a_replaced_part_carries_its_own_warranty_to_the_next_ticket(schedule, phone):
    tech = schedule.technician("tech1")
    schedule.van(tech, {"CAP-35UF": 3})
    schedule.part("REF-R32-1KG", 18000)
    first = same_appliance(schedule, tech, fault="E5")
    device = phone("tech1")
    repair(device, first.id, parts=[("CAP-35UF", 1, "van", "paid"), ("REF-R32-1KG", 1, "customer", "paid")])
    second = same_appliance(schedule, tech, fault="E1")

    shipped = pulled_ticket(device, second.id)
    result = repair(device, second.id, parts=[("CAP-35UF", 1, "van", "warranty")])

    assert [w["sku"] for w in shipped["part_warranties"]] == ["CAP-35UF"]  # the customer's own part: none
    assert shipped["part_warranties"][0]["ticket_id"] == first.id
    assert all("flags" not in r for r in result["results"])
    [claim] = db.session.execute(db.select(ClaimLine).where(ClaimLine.ticket_id == second.id)).scalars().all()
    assert claim.basis == "part_warranty"


def test_warranty_without_a_basis_is_kept_and_flagged(schedule, phone):
    tech = schedule.technician("tech1")
    schedule.van(tech, {"CAP-35UF": 2})
    ticket = schedule.ticket(tech)  # out of warranty, nothing fitted before
    device = phone("tech1")

    result = repair(device, ticket.id, parts=[("CAP-35UF", 1, "van", "warranty")], complete=False)

    assert result["results"][1]["flags"] == ["warranty_unverified"]
    assert office_view(device.client, ticket.id)["parts"][0]["amount_fen"] == 0  # the fact stands


def test_a_repeat_repair_ships_free_labour_and_links_the_first_ticket(schedule, phone, office):
    tech = schedule.technician("tech1")
    first = same_appliance(schedule, tech)
    device = phone("tech1")
    repair(device, first.id, fees=[("inspect", 1), ("labour.capacitor", 1)])
    second = same_appliance(schedule, tech)

    shipped = pulled_ticket(device, second.id)
    items = {i["item_code"]: i for i in shipped["fee_items"]}
    result = repair(device, second.id, fees=[("inspect", 1), ("labour.capacitor", 1)], complete=False)

    assert shipped["repeat_of_id"] == first.id
    assert (items["labour.capacitor"]["unit_fen"], items["labour.capacitor"]["price_basis"]) == (
        0,
        "repeat_repair",
    )
    assert items["labour.capacitor"]["schedule_fen"] == 8000
    assert items["inspect"]["unit_fen"] == 4000  # only labour is free
    assert "repeat_repair" in result["results"][1]["flags"]
    detail = office_view(device.client, second.id)
    assert detail["repeat_of_id"] == first.id and detail["total_fen"] == 4000
    assert {f["item_code"]: f["charge"] for f in detail["fees"]}["labour.capacitor"] == "repeat"
    flag = db.session.execute(db.select(Flag).where(Flag.kind == "repeat_repair")).scalar_one()
    assert flag.detail["repeat_of"] == first.id


def test_the_phones_summary_matches_the_server_on_a_repeat_repair(schedule, phone):
    tech = schedule.technician("tech1")
    first = same_appliance(schedule, tech)
    device = phone("tech1")
    repair(device, first.id, fees=[("labour.capacitor", 1)])
    second = same_appliance(schedule, tech)
    shipped = pulled_ticket(device, second.id)
    # The phone prices by multiplying what it was shipped (appliers.js does this).
    unit = {i["item_code"]: i["unit_fen"] for i in shipped["fee_items"]}
    phone_summary = summary_hash(
        summary_of(
            second.id,
            [],
            [
                {
                    "line_id": "x-F0",
                    "item_code": "labour.capacitor",
                    "qty": 2,
                    "amount_fen": unit["labour.capacitor"] * 2,
                }
            ],
        )
    )

    result = device.push(
        device.mutation("fee.set", second.id, line_id="x-F0", item_code="labour.capacitor", qty=2),
        device.mutation(
            "signature.capture",
            second.id,
            blob=device.put_blob(PNG_1X1),
            signer_name="刘女士",
            summary_hash=phone_summary,
        ),
    )["results"]

    assert "signature_summary_mismatch" not in result[1].get("flags", [])


def test_a_repeat_found_after_the_pull_reaches_the_phone_with_the_next_pull(schedule, phone):
    tech = schedule.technician("tech1")
    first = same_appliance(schedule, tech)
    device = phone("tech1")
    first_visit = office_view(device.client, first.id)["visits"][0]["id"]
    device.push(device.mutation("visit.arrive", first.id, visit_id=first_visit))
    second = same_appliance(schedule, tech)  # opened while the first is still on the phone
    device.pull(fresh=True)
    done = device.mutation("work.complete", first.id, visit_id=first_visit, resolution="fixed")
    done["at"] = (second.created_at - timedelta(minutes=5)).isoformat()  # finished before, synced after

    device.push(done)
    changed = {t["id"]: t for t in device.pull()["tickets"]}

    assert changed[second.id]["repeat_of_id"] == first.id
    assert {i["item_code"]: i["unit_fen"] for i in changed[second.id]["fee_items"]}["labour.capacitor"] == 0


@pytest.mark.parametrize(
    "days_later, fault, repeat", [(30, "E1", True), (100, "E1", False), (30, "E5", False)]
)
def test_a_repeat_is_the_same_fault_within_the_window(schedule, phone, days_later, fault, repeat):
    tech = schedule.technician("tech1")
    first = same_appliance(schedule, tech, fault="E1")
    device = phone("tech1")
    repair(device, first.id, fees=[("labour.capacitor", 1)], at=utcnow() - timedelta(days=days_later))

    second = same_appliance(schedule, tech, fault=fault)

    assert (pulled_ticket(device, second.id)["repeat_of_id"] == first.id) is repeat


def test_repeat_repair_days_come_from_the_config(app, schedule, phone):
    tech = schedule.technician("tech1")
    first = same_appliance(schedule, tech)
    device = phone("tech1")
    repair(device, first.id, fees=[("labour.capacitor", 1)], at=utcnow() - timedelta(days=20))
    second = same_appliance(schedule, tech)
    app.config["REPEAT_REPAIR_DAYS"] = 14
    try:
        assert pulled_ticket(device, second.id)["repeat_of_id"] is None
    finally:
        app.config["REPEAT_REPAIR_DAYS"] = 90


def test_a_not_fixed_visit_is_not_repeated(schedule, phone):
    tech = schedule.technician("tech1")
    first = same_appliance(schedule, tech)
    device = phone("tech1")
    repair(device, first.id, fees=[("inspect", 1)], resolution="not_fixed")

    second = same_appliance(schedule, tech)

    assert pulled_ticket(device, second.id)["repeat_of_id"] is None


def test_a_typed_price_is_kept_flagged_and_totalled(schedule, phone):
    tech = schedule.technician("tech1")
    ticket = schedule.ticket(tech)
    device = phone("tech1")

    result = repair(device, ticket.id, fees=[("labour.capacitor", 1, 6500), ("inspect", 1)], complete=False)

    assert result["results"][1]["flags"] == ["price_override"]
    detail = office_view(device.client, ticket.id)
    assert detail["total_fen"] == 6500 + 4000
    assert [f["overridden"] for f in detail["fees"]] == [True, False]


def test_the_published_schedule_reads_in_chinese_and_english(schedule, client):
    db.session.add(
        WarrantyCardTerm(brand="格力", category="air_conditioner", item_code="inspect", unit_fen=3000)
    )
    # A card price above a thousand yuan reads with its separator, as on every page and PDF.
    db.session.add(
        WarrantyCardTerm(brand="大金", category="air_conditioner", item_code="inspect", unit_fen=123456)
    )
    db.session.commit()

    chinese = client.get("/fees?lang=zh").get_data(as_text=True)
    english = client.get("/fees?lang=en").get_data(as_text=True)

    assert "收费标准" in chinese and "空调" in chinese and "¥80.00" in chinese and "保修卡约定价格" in chinese
    assert "Fee schedule" in english and "Air conditioner" in english and "Warranty card prices" in english
    assert "¥30.00" in english and "¥1,234.56" in english
