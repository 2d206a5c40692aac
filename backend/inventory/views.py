from flask import Blueprint, g, jsonify

from backend.db import db, utcnow
from backend.errors import DomainError, Forbidden
from backend.fees.periods import month_bounds
from backend.fees.settings import old_part_return_days
from backend.inventory import service
from backend.inventory.schemas import (
    AlertsSchema,
    ApprovalRulesSchema,
    ApproverResultSchema,
    ApproverSchema,
    DecisionSchema,
    MoveListSchema,
    MovesQuery,
    OldPartListSchema,
    OldPartQuery,
    OldPartReturnSchema,
    OldPartStatusSchema,
    ReconcileSchema,
    RequisitionCreateSchema,
    RequisitionListSchema,
    RequisitionQuery,
    RequisitionSchema,
    StockLevelSchema,
    StocktakeCountsSchema,
    StocktakeCreateSchema,
    StocktakeSchema,
    TechnicianStockSchema,
    ThresholdSchema,
    alerts_schema,
    approval_rules_schema,
    approver_result_schema,
    approver_schema,
    decision_schema,
    move_list_schema,
    moves_query,
    old_part_list_schema,
    old_part_query,
    old_part_return_schema,
    old_part_schema,
    reconcile_schema,
    requisition_create_schema,
    requisition_list_schema,
    requisition_query,
    requisition_schema,
    stock_level_schema,
    stock_levels_schema,
    stock_move_schema,
    stock_query,
    stocktake_counts_schema,
    stocktake_create_schema,
    stocktake_schema,
    technician_stock_schema,
    threshold_schema,
)
from backend.people.auth import current_actor, login_required
from backend.people.service import find_user
from backend.request_args import parse_json, parse_query

bp = Blueprint("inventory", __name__)

OFFICE = ("admin", "dispatcher", "warehouse", "finance")
STORE = ("admin", "warehouse")
ID = "int(max=2147483647)"


@bp.get("/api/stock")
@login_required("admin", "dispatcher", "warehouse", "finance")
def levels():
    query = parse_query(stock_query)
    location = service.location_by_code(query["location"])
    levels = service.levels_at(location)
    return jsonify(stock_levels_schema.dump({"location": location.code, "levels": levels}))


@bp.post("/api/stock/moves")
@login_required("admin", "warehouse")
def create_move():
    data = parse_json(stock_move_schema)
    if data["from_"] is None and data["to"] is None:
        raise DomainError("validation_error", "A move needs a from or a to location", 400)
    from_location = service.location_by_code(data["from_"]) if data["from_"] else None
    to_location = service.location_by_code(data["to"]) if data["to"] else None
    move_id = service.move_stock(current_actor(), sku=data["sku"], qty=data["qty"],
                                 from_location=from_location, to_location=to_location,
                                 reason=data["reason"], ref=data["ref"], note=data["note"], at=utcnow())
    db.session.commit()
    return jsonify({"id": move_id, "sku": data["sku"], "qty": data["qty"],
                    "from": data["from_"], "to": data["to"], "reason": data["reason"]}), 201


@bp.get("/api/stock/moves")
@login_required(*OFFICE)
def list_moves():
    query = parse_query(moves_query)
    location = service.location_by_code(query["location"]) if query.get("location") else None
    start = end = None
    if query.get("month"):
        start, end = month_bounds(query["month"])
    moves = service.list_moves(location=location, sku=query.get("sku"), reason=query.get("reason"),
                               start=start, end=end, limit=query["limit"], offset=query["offset"])
    return jsonify(move_list_schema.dump({"moves": moves}))


@bp.put("/api/stock/thresholds")
@login_required(*STORE)
def set_threshold():
    data = parse_json(threshold_schema)
    location = service.location_by_code(data["location"])
    level = service.set_threshold(current_actor(), location, data["sku"], data["low_threshold"], utcnow())
    db.session.commit()
    return jsonify(stock_level_schema.dump({
        "sku": level.sku, "name": "", "qty": level.qty, "low_threshold": level.low_threshold,
        "low": level.low_threshold is not None and level.qty <= level.low_threshold}))


@bp.get("/api/stock/alerts")
@login_required(*OFFICE)
def alerts():
    now = utcnow()
    pending = service.requisition_views(service.list_requisitions("pending"))
    return jsonify(alerts_schema.dump({
        "low_stock": service.low_stock(),
        "overdue_old_parts": service.old_parts(now, old_part_return_days(), status="overdue"),
        "pending_requisitions": pending}))


@bp.get("/api/stock/reconcile")
@login_required("admin", "warehouse", "finance")
def reconcile():
    mismatches = service.reconcile_levels()
    return jsonify(reconcile_schema.dump({"ok": not mismatches, "mismatches": mismatches}))


# --- requisitions ------------------------------------------------------------------------

@bp.post("/api/stock/requisitions")
@login_required(*STORE, "dispatcher", "technician")
def create_requisition():
    data = parse_json(requisition_create_schema)
    if g.user.role == "technician":
        if data["technician"] not in (None, g.user.username):
            raise Forbidden()
        technician = g.user
    else:
        if not data["technician"]:
            raise DomainError("validation_error", "Name the technician", 400,
                              {"technician": ["Missing data for required field."]})
        technician = find_user(data["technician"])
    requisition = service.create_requisition(current_actor(), technician, data["lines"], data["note"],
                                             utcnow())
    db.session.commit()
    return jsonify(requisition_schema.dump(service.requisition_view(requisition))), 201


@bp.get("/api/stock/requisitions")
@login_required()
def list_requisitions():
    query = parse_query(requisition_query)
    technician_id = find_user(query["technician"]).id if query.get("technician") else None
    if g.user.role == "technician":
        technician_id = g.user.id  # a technician sees their own
    rows = service.list_requisitions(query.get("status"), technician_id)
    return jsonify(requisition_list_schema.dump({"requisitions": service.requisition_views(rows)}))


def _own_or_office(requisition) -> None:
    if g.user.role == "technician" and requisition.technician_id != g.user.id:
        raise Forbidden()


@bp.get(f"/api/stock/requisitions/<{ID}:requisition_id>")
@login_required()
def show_requisition(requisition_id: int):
    requisition = service.get_requisition(requisition_id)
    _own_or_office(requisition)
    return jsonify(requisition_schema.dump(service.requisition_view(requisition)))


@bp.post(f"/api/stock/requisitions/<{ID}:requisition_id>/approve")
@login_required()
def approve_requisition(requisition_id: int):
    data = parse_json(decision_schema)
    requisition = service.decide_requisition(current_actor(), service.get_requisition(requisition_id), True,
                                             data["note"], utcnow())
    db.session.commit()
    return jsonify(requisition_schema.dump(service.requisition_view(requisition)))


@bp.post(f"/api/stock/requisitions/<{ID}:requisition_id>/reject")
@login_required()
def reject_requisition(requisition_id: int):
    data = parse_json(decision_schema)
    requisition = service.decide_requisition(current_actor(), service.get_requisition(requisition_id), False,
                                             data["note"], utcnow())
    db.session.commit()
    return jsonify(requisition_schema.dump(service.requisition_view(requisition)))


@bp.post(f"/api/stock/requisitions/<{ID}:requisition_id>/issue")
@login_required(*STORE)
def issue_requisition(requisition_id: int):
    requisition = service.issue_requisition(current_actor(), service.get_requisition(requisition_id),
                                            utcnow())
    db.session.commit()
    return jsonify(requisition_schema.dump(service.requisition_view(requisition)))


@bp.get("/api/stock/approval-rules")
@login_required()
def get_approval_rules():
    return jsonify(approval_rules_schema.dump({"rules": service.approval_rules()}))


@bp.put("/api/stock/approval-rules")
@login_required("admin")
def set_approval_rules():
    data = parse_json(approval_rules_schema)
    rules = service.set_approval_rules(current_actor(), data["rules"], utcnow())
    db.session.commit()
    return jsonify(approval_rules_schema.dump({"rules": rules}))


@bp.post("/api/stock/approvers")
@login_required("admin")
def assign_approver():
    data = parse_json(approver_schema)
    user = find_user(data["username"])
    service.assign_position(current_actor(), user, data["position"], utcnow())
    db.session.commit()
    return jsonify(approver_result_schema.dump({"username": user.username,
                                                "positions": sorted(service.positions_of(user.id))}))


# --- old parts ---------------------------------------------------------------------------

@bp.get("/api/stock/old-parts")
@login_required(*OFFICE, "technician")
def old_parts():
    query = parse_query(old_part_query)
    technician_id = find_user(query["technician"]).id if query.get("technician") else None
    if g.user.role == "technician":
        technician_id = g.user.id
    days = old_part_return_days()
    rows = service.old_parts(utcnow(), days, status=query["status"], technician_id=technician_id)
    return jsonify(old_part_list_schema.dump({"limit_days": days, "old_parts": rows}))


@bp.post("/api/stock/old-parts/<string(maxlength=64):line_id>/return")
@login_required(*STORE)
def return_old_part(line_id: str):
    data = parse_json(old_part_return_schema)
    now = utcnow()
    service.return_old_part(current_actor(), line_id, data["to"], data["note"], now)
    db.session.commit()
    [row] = service.old_parts(now, old_part_return_days(), status="all", line_id=line_id)
    return jsonify(old_part_schema.dump(row))


# --- stocktake ---------------------------------------------------------------------------

@bp.post("/api/stock/stocktakes")
@login_required(*STORE)
def open_stocktake():
    data = parse_json(stocktake_create_schema)
    location = service.location_by_code(data["location"])
    stocktake = service.open_stocktake(current_actor(), location, data["note"], utcnow())
    db.session.commit()
    return jsonify(stocktake_schema.dump(service.stocktake_view(stocktake))), 201


@bp.get(f"/api/stock/stocktakes/<{ID}:stocktake_id>")
@login_required(*OFFICE)
def show_stocktake(stocktake_id: int):
    return jsonify(stocktake_schema.dump(service.stocktake_view(service.get_stocktake(stocktake_id))))


@bp.put(f"/api/stock/stocktakes/<{ID}:stocktake_id>/counts")
@login_required(*STORE)
def record_counts(stocktake_id: int):
    data = parse_json(stocktake_counts_schema)
    stocktake = service.record_counts(current_actor(), service.get_stocktake(stocktake_id), data["counts"],
                                      utcnow())
    db.session.commit()
    return jsonify(stocktake_schema.dump(service.stocktake_view(stocktake)))


@bp.post(f"/api/stock/stocktakes/<{ID}:stocktake_id>/post")
@login_required(*STORE)
def post_stocktake(stocktake_id: int):
    stocktake = service.post_stocktake(current_actor(), service.get_stocktake(stocktake_id), utcnow())
    db.session.commit()
    return jsonify(stocktake_schema.dump(service.stocktake_view(stocktake)))


@bp.get("/api/stock/technicians/<string(maxlength=64):username>")
@login_required(*OFFICE, "technician")
def technician_stock(username: str):
    if g.user.role == "technician" and g.user.username != username:
        raise Forbidden()
    user = find_user(username)
    if user.role != "technician":
        raise DomainError("not_a_technician", f"{username} is not a technician", 404)
    account = service.technician_stock(user, old_part_return_days(), utcnow())
    return jsonify(technician_stock_schema.dump(account))


# For backend/openapi.py, beside the two stock operations it lists itself.
API_OPERATIONS = [
    ("/api/stock/moves", "get", "The stock ledger, newest first", ("office",), None, MovesQuery,
     MoveListSchema),
    ("/api/stock/thresholds", "put", "Set a low-stock threshold for a location and SKU", STORE,
     ThresholdSchema, None, StockLevelSchema),
    ("/api/stock/alerts", "get", "Low stock, overdue old parts, requisitions waiting", ("office",), None,
     None, AlertsSchema),
    ("/api/stock/reconcile", "get", "Cached levels that differ from the ledger (none expected)",
     ("admin", "warehouse", "finance"), None, None, ReconcileSchema),
    ("/api/stock/requisitions", "post", "Request parts from the warehouse into a van",
     (*STORE, "dispatcher", "technician"), RequisitionCreateSchema, None, RequisitionSchema),
    ("/api/stock/requisitions", "get", "Requisitions (a technician sees their own)", ("any",), None,
     RequisitionQuery, RequisitionListSchema),
    ("/api/stock/requisitions/{requisition_id}", "get", "One requisition with its approvals", ("any",), None,
     None, RequisitionSchema),
    ("/api/stock/requisitions/{requisition_id}/approve", "post", "Sign for the positions the caller holds",
     ("approver",), DecisionSchema, None, RequisitionSchema),
    ("/api/stock/requisitions/{requisition_id}/reject", "post", "Reject a requisition", ("approver",),
     DecisionSchema, None, RequisitionSchema),
    ("/api/stock/requisitions/{requisition_id}/issue", "post", "Hand approved parts over: warehouse to van",
     STORE, None, None, RequisitionSchema),
    ("/api/stock/approval-rules", "get", "Who must approve a requisition, by value", ("any",), None, None,
     ApprovalRulesSchema),
    ("/api/stock/approval-rules", "put", "Set the approval thresholds", ("admin",), ApprovalRulesSchema, None,
     ApprovalRulesSchema),
    ("/api/stock/approvers", "post", "Give a user an approving position", ("admin",), ApproverSchema, None,
     ApproverResultSchema),
    ("/api/stock/old-parts", "get", "Old parts collected on site and their return deadline",
     ("office", "technician"), None, OldPartQuery, OldPartListSchema),
    ("/api/stock/old-parts/{line_id}/return", "post", "An old part handed in to the manufacturer or scrap",
     STORE, OldPartReturnSchema, None, OldPartStatusSchema),
    ("/api/stock/stocktakes", "post", "Open a stocktake: the count sheet of a location", STORE,
     StocktakeCreateSchema, None, StocktakeSchema),
    ("/api/stock/stocktakes/{stocktake_id}", "get", "A stocktake's count sheet", ("office",), None, None,
     StocktakeSchema),
    ("/api/stock/stocktakes/{stocktake_id}/counts", "put", "Record counted quantities", STORE,
     StocktakeCountsSchema, None, StocktakeSchema),
    ("/api/stock/stocktakes/{stocktake_id}/post", "post", "Post gains and losses as stocktake_adjust moves",
     STORE, None, None, StocktakeSchema),
    ("/api/stock/technicians/{username}", "get", "A technician's parts: borrowed, consumed, returned, held",
     ("office", "technician (own)"), None, None, TechnicianStockSchema),
]
API_SUCCESS = {("/api/stock/requisitions", "post"): ("201",), ("/api/stock/stocktakes", "post"): ("201",)}
