"""Commission endpoints: statements, closing a month (finance), the technician's own month,
ranking, manual bonuses and deductions, rules and grades, complaints."""

from flask import Blueprint, g, jsonify

from backend.commission import service
from backend.commission.schemas import (
    AdjustmentSchema,
    CloseMonthSchema,
    CommissionLineSchema,
    ComplaintCreateSchema,
    ComplaintDecisionSchema,
    ComplaintListSchema,
    ComplaintQuery,
    ComplaintSchema,
    GradeSchema,
    MonthQuery,
    MyCommissionSchema,
    RankingSchema,
    RebuildResultSchema,
    RebuildSchema,
    RuleSchema,
    RulesSchema,
    StatementDetailSchema,
    StatementListSchema,
    StatementQuery,
    adjustment_schema,
    close_month_schema,
    commission_line_schema,
    complaint_create_schema,
    complaint_decision_schema,
    complaint_list_schema,
    complaint_query,
    complaint_schema,
    grade_schema,
    month_query,
    my_commission_schema,
    ranking_schema,
    rebuild_result_schema,
    rebuild_schema,
    rule_schema,
    rules_schema,
    statement_detail_schema,
    statement_list_schema,
    statement_query,
)
from backend.db import db, utcnow
from backend.errors import Forbidden
from backend.fees.periods import month_of
from backend.people.auth import current_actor, login_required
from backend.request_args import parse_json, parse_query
from backend.tickets.service import get_ticket

bp = Blueprint("commission", __name__)

MONEY = ("admin", "finance")
ID = "int(max=2147483647)"
NAME = "string(maxlength=64)"


@bp.get("/api/commission/statements")
@login_required(*MONEY)
def list_statements():
    query = parse_query(statement_query)
    usernames = [query["technician"]] if query.get("technician") else None
    return jsonify(
        statement_list_schema.dump(
            {"month": query["month"], "statements": service.statements(query["month"], usernames)}
        )
    )


@bp.get(f"/api/commission/statements/<{NAME}:username>")
@login_required(*MONEY, "technician")
def show_statement(username: str):
    query = parse_query(month_query)
    if g.user.role == "technician" and g.user.username != username:
        raise Forbidden()
    month = query.get("month") or month_of(utcnow())
    return jsonify(statement_detail_schema.dump(service.statement_for(month, username)))


@bp.post("/api/commission/statements/close")
@login_required("finance")
def close():
    data = parse_json(close_month_schema)
    closed = service.close_month(current_actor(), data["month"], utcnow())
    db.session.commit()
    return jsonify(statement_list_schema.dump({"month": data["month"], "statements": closed}))


@bp.get("/api/commission/mine")
@login_required("technician")
def mine():
    query = parse_query(month_query)
    month = query.get("month") or month_of(utcnow())
    return jsonify(my_commission_schema.dump(service.my_commission(g.user, month)))


@bp.get("/api/commission/ranking")
@login_required()
def ranking():
    query = parse_query(month_query)
    month = query.get("month") or month_of(utcnow())
    return jsonify(ranking_schema.dump({"month": month, "ranking": service.ranking(month)}))


@bp.post("/api/commission/adjustments")
@login_required("finance")
def add_adjustment():
    data = parse_json(adjustment_schema)
    line = service.add_manual_line(
        current_actor(),
        data["technician"],
        data["month"],
        data["kind"],
        data["amount_fen"],
        data["note"],
        utcnow(),
    )
    db.session.commit()
    item = {c: getattr(line, c) for c in commission_line_schema.fields if hasattr(line, c)}
    item.update(ticket_number=None, explanation=service.explain(item))
    return jsonify(commission_line_schema.dump(item)), 201


@bp.post("/api/commission/rebuild")
@login_required(*MONEY)
def rebuild():
    data = parse_json(rebuild_schema)
    result = service.rebuild_month(current_actor(), data["month"], utcnow())
    db.session.commit()
    return jsonify(
        rebuild_result_schema.dump(
            {
                "month": data["month"],
                "tickets": result.tickets,
                "inserted": result.inserted,
                "deleted": result.deleted,
                "adjustments": result.adjustments,
            }
        )
    )


@bp.get("/api/commission/rules")
@login_required(*MONEY)
def rules():
    return jsonify(rules_schema.dump(service.rules_view()))


@bp.post("/api/commission/rules")
@login_required(*MONEY)
def create_rule():
    rule = service.create_rule(current_actor(), parse_json(rule_schema), utcnow())
    db.session.commit()
    return jsonify(rule_schema.dump(rule)), 201


@bp.post(f"/api/commission/rules/<{ID}:rule_id>/deactivate")
@login_required(*MONEY)
def deactivate_rule(rule_id: int):
    rule = service.deactivate_rule(current_actor(), rule_id, utcnow())
    db.session.commit()
    return jsonify(rule_schema.dump(rule))


@bp.put("/api/commission/grades/<string(maxlength=20):grade>")
@login_required(*MONEY)
def set_grade(grade: str):
    row = service.set_grade(current_actor(), grade, parse_json(grade_schema), utcnow())
    db.session.commit()
    return jsonify(grade_schema.dump(row))


@bp.post("/api/complaints")
@login_required("admin", "dispatcher")
def file_complaint():
    data = parse_json(complaint_create_schema)
    complaint = service.file_complaint(
        current_actor(), get_ticket(data["ticket_id"]), data["description"], utcnow()
    )
    db.session.commit()
    return jsonify(complaint_schema.dump(complaint)), 201


@bp.get("/api/complaints")
@login_required("admin", "dispatcher", "finance")
def list_complaints():
    query = parse_query(complaint_query)
    return jsonify(complaint_list_schema.dump({"complaints": service.list_complaints(query.get("status"))}))


@bp.post(f"/api/complaints/<{ID}:complaint_id>/decide")
@login_required("admin", "dispatcher")
def decide_complaint(complaint_id: int):
    data = parse_json(complaint_decision_schema)
    complaint = service.decide_complaint(
        current_actor(), complaint_id, data["upheld"], data["note"], utcnow()
    )
    db.session.commit()
    return jsonify(complaint_schema.dump(complaint))


# For backend/openapi.py: (path, method, summary, roles, body, query, response).
API_OPERATIONS = [
    (
        "/api/commission/statements",
        "get",
        "Each technician's statement for a month",
        MONEY,
        None,
        StatementQuery,
        StatementListSchema,
    ),
    (
        "/api/commission/statements/{username}",
        "get",
        "One statement with every line explaining itself",
        (*MONEY, "technician (own)"),
        None,
        MonthQuery,
        StatementDetailSchema,
    ),
    (
        "/api/commission/statements/close",
        "post",
        "Close a month: its statements are locked",
        ("finance",),
        CloseMonthSchema,
        None,
        StatementListSchema,
    ),
    (
        "/api/commission/mine",
        "get",
        "The calling technician's running month and past statements",
        ("technician",),
        None,
        MonthQuery,
        MyCommissionSchema,
    ),
    (
        "/api/commission/ranking",
        "get",
        "Technicians ranked for a month",
        ("any",),
        None,
        MonthQuery,
        RankingSchema,
    ),
    (
        "/api/commission/adjustments",
        "post",
        "A manual bonus or deduction in an open month",
        ("finance",),
        AdjustmentSchema,
        None,
        CommissionLineSchema,
    ),
    (
        "/api/commission/rebuild",
        "post",
        "Recompute an open month's lines from the synced facts",
        MONEY,
        RebuildSchema,
        None,
        RebuildResultSchema,
    ),
    ("/api/commission/rules", "get", "Commission rules and grades", MONEY, None, None, RulesSchema),
    ("/api/commission/rules", "post", "Add a commission rule", MONEY, RuleSchema, None, RuleSchema),
    (
        "/api/commission/rules/{rule_id}/deactivate",
        "post",
        "Retire a commission rule",
        MONEY,
        None,
        None,
        RuleSchema,
    ),
    (
        "/api/commission/grades/{grade}",
        "put",
        "Set a grade's coefficient, base wage and caps",
        MONEY,
        GradeSchema,
        None,
        GradeSchema,
    ),
    (
        "/api/complaints",
        "post",
        "File a customer complaint on a ticket",
        ("admin", "dispatcher"),
        ComplaintCreateSchema,
        None,
        ComplaintSchema,
    ),
    (
        "/api/complaints",
        "get",
        "Complaints",
        ("admin", "dispatcher", "finance"),
        None,
        ComplaintQuery,
        ComplaintListSchema,
    ),
    (
        "/api/complaints/{complaint_id}/decide",
        "post",
        "Uphold (deducts commission) or dismiss a complaint",
        ("admin", "dispatcher"),
        ComplaintDecisionSchema,
        None,
        ComplaintSchema,
    ),
]
API_SUCCESS = {
    ("/api/commission/adjustments", "post"): ("201",),
    ("/api/commission/rules", "post"): ("201",),
    ("/api/complaints", "post"): ("201",),
}
