"""Exports as tables: the month's tickets, claims to manufacturers, stock movements and
commission statements, written as CSV (UTF-8 with BOM, for Excel) or .xlsx (openpyxl).

Money leaves as yuan with two decimals, computed from integer fen with Decimal (never a
float on our side); times as local time. Text that a spreadsheet would run as a formula
(=, +, -, @ first) is prefixed with an apostrophe."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import func, or_

from backend.commission.service import statement_lines, statements
from backend.customers.models import Appliance, Customer
from backend.db import db
from backend.fees.periods import LOCAL_ZONE, local_day, month_bounds
from backend.fees.service import claim_rows, in_warranty
from backend.inventory.models import StockLocation
from backend.inventory.service import list_moves
from backend.people.models import User
from backend.tickets.models import PartLine, Payment, Rating, Ticket

EXPORTS = ("tickets", "claims", "stock-moves", "commission")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Money(Decimal):
    """Yuan from fen: a Decimal the writers know to format as money."""

    @classmethod
    def of(cls, fen: int | None) -> Money | None:
        return None if fen is None else cls(int(fen)).scaleb(-2)


@dataclass
class Sheet:
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)


def _local(value: datetime | None) -> str:
    return value.astimezone(LOCAL_ZONE).strftime("%Y-%m-%d %H:%M") if value else ""


def tickets_sheet(month: str) -> Sheet:
    """Tickets opened or completed in the month."""
    start, end = month_bounds(month)
    repeat = db.aliased(Ticket)
    parts_total = (
        db.select(PartLine.ticket_id, func.sum(PartLine.amount_fen).label("fen"))
        .where(PartLine.removed_at.is_(None))
        .group_by(PartLine.ticket_id)
        .subquery()
    )
    paid = (
        db.select(Payment.ticket_id, func.sum(Payment.amount_fen).label("fen"))
        .group_by(Payment.ticket_id)
        .subquery()
    )
    rows = db.session.execute(
        db.select(
            Ticket,
            Customer,
            Appliance,
            User.display_name,
            repeat.number,
            parts_total.c.fen,
            paid.c.fen,
            Rating.score,
        )
        .join(Customer, Customer.id == Ticket.customer_id)
        .join(Appliance, Appliance.id == Ticket.appliance_id)
        .outerjoin(User, User.id == Ticket.technician_id)
        .outerjoin(repeat, repeat.id == Ticket.repeat_of_id)
        .outerjoin(parts_total, parts_total.c.ticket_id == Ticket.id)
        .outerjoin(paid, paid.c.ticket_id == Ticket.id)
        .outerjoin(Rating, Rating.ticket_id == Ticket.id)
        .where(
            or_(
                (Ticket.created_at >= start) & (Ticket.created_at < end),
                (Ticket.completed_at >= start) & (Ticket.completed_at < end),
            )
        )
        .order_by(Ticket.created_at, Ticket.id)
    ).all()
    sheet = Sheet(
        f"工单 {month}",
        [
            "单号 Number",
            "状态 Status",
            "创建 Created",
            "完成 Completed",
            "客户 Customer",
            "电话 Phone",
            "区域 Region",
            "品牌 Brand",
            "品类 Category",
            "型号 Model",
            "序列号 Serial",
            "保内 In warranty",
            "故障 Fault",
            "技术员 Technician",
            "返修自 Repeat of",
            "配件 Parts ¥",
            "服务费 Fees ¥",
            "合计 Total ¥",
            "已付 Paid ¥",
            "评分 Rating",
        ],
    )
    for t, c, a, tech, repeat_number, parts_fen, paid_fen, score in rows:
        on = local_day(t.completed_at or t.created_at)
        sheet.rows.append(
            [
                t.number,
                t.status,
                _local(t.created_at),
                _local(t.completed_at),
                c.name,
                c.phone,
                c.region,
                a.brand,
                a.category,
                a.model,
                a.serial or "",
                "是" if in_warranty(a, on) else "否",
                f"{t.fault_category} {t.fault_description}".strip(),
                tech or "",
                repeat_number or "",
                Money.of(parts_fen or 0),
                Money.of(t.total_fen - (parts_fen or 0)),
                Money.of(t.total_fen),
                Money.of(paid_fen or 0),
                score if score is not None else "",
            ]
        )
    return sheet


def claims_sheet(month: str, brand: str | None = None) -> Sheet:
    sheet = Sheet(
        f"厂家索赔 {month}",
        [
            "品牌 Brand",
            "工单 Ticket",
            "完成 Completed",
            "客户 Customer",
            "型号 Model",
            "序列号 Serial",
            "购买日期 Purchased",
            "类型 Kind",
            "编码 Code",
            "名称 Name",
            "数量 Qty",
            "单价 Unit ¥",
            "金额 Amount ¥",
            "依据 Basis",
        ],
    )
    for r in claim_rows(month, brand):
        purchased: date | None = r["purchase_date"]
        sheet.rows.append(
            [
                r["brand"],
                r["ticket_number"],
                _local(r["completed_at"]),
                r["customer"],
                r["model"],
                r["serial"] or "",
                purchased.isoformat() if purchased else "",
                r["line_kind"],
                r["code"],
                r["name"],
                r["qty"],
                Money.of(r["unit_fen"]),
                Money.of(r["amount_fen"]),
                r["basis"],
            ]
        )
    return sheet


def stock_moves_sheet(month: str, location: StockLocation | None = None) -> Sheet:
    start, end = month_bounds(month)
    sheet = Sheet(
        f"库存流水 {month}",
        [
            "时间 At",
            "SKU",
            "名称 Name",
            "数量 Qty",
            "从 From",
            "到 To",
            "原因 Reason",
            "单据 Ref",
            "操作人 By",
            "备注 Note",
        ],
    )
    moves = list_moves(location=location, start=start, end=end, limit=None)
    for m in reversed(moves):  # oldest first, as a ledger reads
        sheet.rows.append(
            [
                _local(m["at"]),
                m["sku"],
                m["name"],
                m["qty"],
                m["from"] or "",
                m["to"] or "",
                m["reason"],
                m["ref"] or "",
                m["actor"] or "",
                m["note"] or "",
            ]
        )
    return sheet


def commission_sheets(month: str) -> list[Sheet]:
    summary = Sheet(
        f"提成 {month}",
        [
            "技术员 Technician",
            "姓名 Name",
            "等级 Grade",
            "完成工单 Completed",
            "基本工资 Base ¥",
            "提成 Commission ¥",
            "封顶扣减 Cap cut ¥",
            "奖励 Bonus ¥",
            "扣款 Deductions ¥",
            "调整 Adjustments ¥",
            "合计 Total ¥",
            "状态 Status",
        ],
    )
    lines = Sheet(
        "明细 Lines",
        [
            "技术员 Technician",
            "工单 Ticket",
            "类别 Kind",
            "规则 Rule",
            "基数 Base ¥",
            "比例 Rate %",
            "系数 Coefficient",
            "定额 Fixed ¥",
            "数量 Qty",
            "金额 Amount ¥",
            "调整月 Adjusts",
            "说明 Explanation",
        ],
    )
    month_statements = statements(month)
    lines_of = statement_lines(month, [s["technician_id"] for s in month_statements])
    for s in month_statements:
        summary.rows.append(
            [
                s["technician"],
                s["display_name"],
                s["grade"] or "",
                s["tickets_completed"],
                Money.of(s["base_wage_fen"]),
                Money.of(s["commission_fen"]),
                Money.of(-s["cap_cut_fen"]),
                Money.of(s["bonus_fen"]),
                Money.of(s["deduction_fen"]),
                Money.of(s["adjustment_fen"]),
                Money.of(s["total_fen"]),
                s["status"],
            ]
        )
        for line in lines_of[s["technician_id"]]:
            lines.rows.append(
                [
                    s["technician"],
                    line["ticket_number"] or "",
                    line["kind"],
                    line["rule_name"],
                    Money.of(line["base_fen"]),
                    Decimal(line["rate_bp"]).scaleb(-2) if line["rate_bp"] is not None else "",
                    Decimal(line["coefficient_pm"]).scaleb(-3) if line["coefficient_pm"] is not None else "",
                    Money.of(line["fixed_fen"]) if line["fixed_fen"] is not None else "",
                    line["qty"] or "",
                    Money.of(line["amount_fen"]),
                    line["adjusts_month"] or "",
                    line["explanation"],
                ]
            )
    return [summary, lines]


def build(
    name: str, month: str, *, brand: str | None = None, location: StockLocation | None = None
) -> list[Sheet]:
    if name == "tickets":
        return [tickets_sheet(month)]
    if name == "claims":
        return [claims_sheet(month, brand)]
    if name == "stock-moves":
        return [stock_moves_sheet(month, location)]
    return commission_sheets(month)


def _safe_text(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(sheet: Sheet) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(sheet.columns)
    for row in sheet.rows:
        writer.writerow([f"{v:.2f}" if isinstance(v, Money) else _safe_text(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(sheets: list[Sheet]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="EEF3FA")
    for sheet in sheets:
        ws = book.create_sheet(sheet.title[:31])
        ws.append(sheet.columns)
        for cell in ws[1]:
            cell.font, cell.fill = bold, fill
        for row in sheet.rows:
            ws.append([_safe_text(v) for v in row])
        for index, column in enumerate(sheet.columns, 1):
            values = [row[index - 1] for row in sheet.rows]
            if values and all(isinstance(v, Money) for v in values if v not in ("", None)):
                for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = "#,##0.00"
            width = max([len(str(column))] + [len(str(v)) for v in values[:200]])
            ws.column_dimensions[get_column_letter(index)].width = min(40, max(8, width + 2))
        ws.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
