"""Exports for the month, in CSV (for Excel: UTF-8 with BOM) and .xlsx, read back."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from backend.commission.models import CommissionGrade, CommissionRule
from backend.db import db, utcnow
from backend.fees.periods import month_of
from tests.test_fees import repair

pytestmark = pytest.mark.storage

MONTH = month_of(utcnow())


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "text/csv"
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def read_xlsx(response) -> dict[str, list[list]]:
    assert response.status_code == 200, response.get_json()
    book = load_workbook(io.BytesIO(response.data))
    return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in book.worksheets}


@pytest.fixture
def month_of_work(shop, phone):
    db.session.add_all(
        [
            CommissionGrade(grade="senior", coefficient_pm=1000, base_wage_fen=300_000),
            CommissionRule(
                name="工时提成 10%", applies_to="fee", fee_kind="labour", mode="percent", rate_bp=1000
            ),
        ]
    )
    db.session.commit()
    tech = shop.technician("tech1", grade="senior")
    shop.van(tech, {"CAP-35UF": 3})
    shop.fee("labour.capacitor", 8000)
    shop.fee("inspect", 5000, kind="inspection")
    device = phone("tech1")
    paid = shop.ticket(
        tech,
        customer={
            "name": '=HYPERLINK("http://evil")',
            "phone": "13811112222",
            "address": "上海",
            "region": "浦东",
        },
    )
    covered = shop.ticket(tech, in_warranty=True)
    repair(device, paid.id, parts=[("CAP-35UF", 1, "van", "paid")], fees=[("labour.capacitor", 1)])
    repair(device, covered.id, parts=[("CAP-35UF", 1, "van", "warranty")], fees=[("inspect", 1)])
    open_ticket = shop.ticket(tech)
    return {"paid": paid, "covered": covered, "open": open_ticket}


def test_the_months_tickets_in_csv_and_excel(month_of_work, office):
    desk = office("dispatcher")

    rows = read_csv(desk.get(f"/api/exports/tickets?month={MONTH}"))
    sheets = read_xlsx(desk.get(f"/api/exports/tickets?month={MONTH}&format=xlsx"))

    header, body = rows[0], rows[1:]
    assert header[0] == "单号 Number" and "合计 Total ¥" in header
    by_number = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    paid = by_number[month_of_work["paid"].number]
    assert (paid["状态 Status"], paid["合计 Total ¥"], paid["配件 Parts ¥"], paid["已付 Paid ¥"]) == (
        "completed",
        "125.00",
        "45.00",
        "125.00",
    )
    assert paid["客户 Customer"] == '\'=HYPERLINK("http://evil")'  # not a formula in Excel
    assert by_number[month_of_work["covered"].number]["合计 Total ¥"] == "0.00"
    assert by_number[month_of_work["open"].number]["状态 Status"] == "assigned"
    [(title, table)] = sheets.items()
    assert title == f"工单 {MONTH}" and table[0] == header
    excel = {row[0]: dict(zip(header, row, strict=True)) for row in table[1:]}
    assert Decimal(str(excel[month_of_work["paid"].number]["合计 Total ¥"])) == Decimal("125.00")


def test_claims_to_manufacturers_per_brand(month_of_work, office):
    desk = office("finance")

    rows = read_csv(desk.get(f"/api/exports/claims?month={MONTH}"))
    sheets = read_xlsx(desk.get(f"/api/exports/claims?month={MONTH}&format=xlsx&brand=格力"))
    none = read_csv(desk.get(f"/api/exports/claims?month={MONTH}&brand=美的"))

    assert [(r[0], r[1], r[8], r[12], r[13]) for r in rows[1:]] == [
        ("格力", month_of_work["covered"].number, "inspect", "50.00", "appliance_warranty"),
        ("格力", month_of_work["covered"].number, "CAP-35UF", "45.00", "appliance_warranty"),
    ]
    [table] = sheets.values()
    assert [row[12] for row in table[1:]] == [50, 45]
    assert none == [rows[0]]


def test_stock_movements_read_like_a_ledger(month_of_work, office):
    desk = office("warehouse")

    rows = read_csv(desk.get(f"/api/exports/stock-moves?month={MONTH}&location=van:tech1"))
    sheets = read_xlsx(desk.get(f"/api/exports/stock-moves?month={MONTH}&format=xlsx"))

    reasons = [(r[1], r[3], r[4], r[5], r[6]) for r in rows[1:]]
    assert reasons == [
        ("CAP-35UF", "3", "warehouse", "van:tech1", "transfer"),
        ("CAP-35UF", "1", "van:tech1", "customer", "consume"),
        ("CAP-35UF", "1", "van:tech1", "customer", "consume"),
    ]
    [table] = sheets.values()
    assert [row[6] for row in table[1:]] == ["purchase", "transfer", "consume", "consume"]


def test_commission_statements_with_their_lines(month_of_work, office):
    desk = office("finance")

    rows = read_csv(desk.get(f"/api/exports/commission?month={MONTH}"))
    sheets = read_xlsx(desk.get(f"/api/exports/commission?month={MONTH}&format=xlsx"))

    header = rows[0]
    [tech1] = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert (tech1["提成 Commission ¥"], tech1["合计 Total ¥"]) == ("8.00", "3008.00")
    summary, lines = sheets.values()
    assert summary[1][0] == "tech1"
    assert [(row[1], row[3], row[9], row[11]) for row in lines[1:]] == [
        (month_of_work["paid"].number, "工时提成 10%", 8, "¥80.00 × 10% = ¥8.00")
    ]


@pytest.mark.parametrize(
    "role, name, status",
    [
        ("warehouse", "commission", 403),
        ("dispatcher", "stock-moves", 403),
        ("warehouse", "tickets", 403),
        ("finance", "nothing", 404),
    ],
)
def test_exports_need_the_right_role(month_of_work, office, role, name, status):
    assert office(role).get(f"/api/exports/{name}?month={MONTH}").status_code == status


def test_an_export_needs_a_month(month_of_work, office):
    response = office("finance").get("/api/exports/tickets")

    assert response.status_code == 400 and "month" in response.get_json()["error"]["fields"]
