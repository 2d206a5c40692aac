from marshmallow import Schema, fields, validate

from backend.fees.periods import MONTH
from backend.inventory.models import MOVE_REASONS, POSITIONS, REQUISITION_STATUSES
from backend.request_args import RequestSchema

LOCATION = validate.Regexp(r"^(warehouse|customer|manufacturer|scrap|van:[A-Za-z0-9_.-]+)$")


class StockQuery(RequestSchema):
    location = fields.String(load_default="warehouse", validate=LOCATION)


class StockMoveSchema(RequestSchema):
    id = fields.Integer(dump_only=True)
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    qty = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100_000))
    from_ = fields.String(data_key="from", required=True, allow_none=True, validate=LOCATION)
    to = fields.String(required=True, allow_none=True, validate=LOCATION)
    reason = fields.String(required=True, validate=validate.OneOf(MOVE_REASONS))
    ref = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=120))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class StockLevelSchema(Schema):
    sku = fields.String()
    name = fields.String()
    qty = fields.Integer()
    low_threshold = fields.Integer(allow_none=True)
    low = fields.Boolean()


class StockLevelsSchema(Schema):
    location = fields.String()
    levels = fields.List(fields.Nested(StockLevelSchema))


stock_query = StockQuery()
stock_move_schema = StockMoveSchema()
stock_level_schema = StockLevelSchema()
stock_levels_schema = StockLevelsSchema()


SKU = validate.Length(min=1, max=64)


class MovesQuery(RequestSchema):
    location = fields.String(validate=LOCATION)
    sku = fields.String(validate=SKU)
    reason = fields.String(validate=validate.OneOf(MOVE_REASONS))
    month = fields.String(validate=MONTH)
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))


class MoveRowSchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    sku = fields.String()
    name = fields.String()
    qty = fields.Integer()
    from_ = fields.String(data_key="from", attribute="from", allow_none=True)
    to = fields.String(allow_none=True)
    reason = fields.String()
    ref = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    actor = fields.String(allow_none=True)
    device_id = fields.String(allow_none=True)


class MoveListSchema(Schema):
    moves = fields.List(fields.Nested(MoveRowSchema))


class ThresholdSchema(RequestSchema):
    location = fields.String(required=True, validate=LOCATION)
    sku = fields.String(required=True, validate=SKU)
    low_threshold = fields.Integer(required=True, allow_none=True, strict=True,
                                   validate=validate.Range(min=0, max=100_000))


class LowStockSchema(Schema):
    location = fields.String()
    location_kind = fields.String()
    sku = fields.String()
    name = fields.String()
    qty = fields.Integer()
    low_threshold = fields.Integer()
    shortfall = fields.Integer()


class OldPartStatusSchema(Schema):
    line_id = fields.String()
    ticket_id = fields.Integer()
    ticket_number = fields.String()
    sku = fields.String()
    name = fields.String()
    qty = fields.Integer()
    technician = fields.String(allow_none=True)
    collected_at = fields.DateTime()
    due_at = fields.DateTime()
    returned_at = fields.DateTime(allow_none=True)
    days_held = fields.Integer()
    overdue = fields.Boolean()


class RequisitionLineSchema(Schema):
    sku = fields.String()
    name = fields.String(allow_none=True)
    qty = fields.Integer()
    unit_fen = fields.Integer()
    amount_fen = fields.Integer()


class RequisitionApprovalSchema(Schema):
    user = fields.String(allow_none=True)
    position = fields.String()
    decision = fields.String()
    note = fields.String(allow_none=True)
    at = fields.DateTime()


class RequisitionSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    status = fields.String()
    technician = fields.String(allow_none=True)
    value_fen = fields.Integer()
    required_positions = fields.List(fields.String())
    waiting_for = fields.List(fields.String())
    note = fields.String(allow_none=True)
    requested_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    issued_at = fields.DateTime(allow_none=True)
    issued_by = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(RequisitionLineSchema))
    approvals = fields.List(fields.Nested(RequisitionApprovalSchema))


class RequisitionListSchema(Schema):
    requisitions = fields.List(fields.Nested(RequisitionSchema))


class AlertsSchema(Schema):
    """What the warehouse page watches: low stock, overdue old parts, requisitions waiting."""

    low_stock = fields.List(fields.Nested(LowStockSchema))
    overdue_old_parts = fields.List(fields.Nested(OldPartStatusSchema))
    pending_requisitions = fields.List(fields.Nested(RequisitionSchema))


class ReconcileSchema(Schema):
    ok = fields.Boolean()
    mismatches = fields.List(fields.Dict())


class RequestedLineSchema(Schema):
    sku = fields.String(required=True, validate=SKU)
    qty = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10_000))


class RequisitionCreateSchema(RequestSchema):
    technician = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))
    lines = fields.List(fields.Nested(RequestedLineSchema), required=True,
                        validate=validate.Length(min=1, max=200))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class RequisitionQuery(RequestSchema):
    status = fields.String(validate=validate.OneOf(REQUISITION_STATUSES))
    technician = fields.String(validate=validate.Length(min=1, max=64))


class DecisionSchema(RequestSchema):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class ApprovalRuleSchema(Schema):
    max_fen = fields.Integer(required=True, allow_none=True, strict=True,
                             validate=validate.Range(min=0, max=10_000_000_000))
    positions = fields.List(fields.String(validate=validate.OneOf(tuple(POSITIONS))), required=True,
                            validate=validate.Length(min=1, max=5))


class ApprovalRulesSchema(RequestSchema):
    rules = fields.List(fields.Nested(ApprovalRuleSchema), required=True,
                        validate=validate.Length(min=1, max=10))


class ApproverSchema(RequestSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    position = fields.String(required=True, validate=validate.OneOf(tuple(POSITIONS)))


class ApproverResultSchema(Schema):
    username = fields.String()
    positions = fields.List(fields.String())


class OldPartQuery(RequestSchema):
    status = fields.String(load_default="held",
                           validate=validate.OneOf(("held", "overdue", "returned", "all")))
    technician = fields.String(validate=validate.Length(min=1, max=64))


class OldPartListSchema(Schema):
    limit_days = fields.Integer()
    old_parts = fields.List(fields.Nested(OldPartStatusSchema))


class OldPartReturnSchema(RequestSchema):
    to = fields.String(required=True, validate=validate.OneOf(("manufacturer", "scrap")))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class StocktakeCreateSchema(RequestSchema):
    location = fields.String(required=True, validate=LOCATION)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class CountSchema(Schema):
    sku = fields.String(required=True, validate=SKU)
    counted_qty = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=1_000_000))


class StocktakeCountsSchema(RequestSchema):
    counts = fields.List(fields.Nested(CountSchema), required=True, validate=validate.Length(min=1, max=5000))


class StocktakeLineSchema(Schema):
    sku = fields.String()
    name = fields.String(allow_none=True)
    book_qty = fields.Integer()
    counted_qty = fields.Integer(allow_none=True)
    difference = fields.Integer(allow_none=True)
    posted_diff = fields.Integer(allow_none=True)


class StocktakeSchema(Schema):
    id = fields.Integer()
    location = fields.String()
    status = fields.String()
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()
    posted_at = fields.DateTime(allow_none=True)
    lines = fields.List(fields.Nested(StocktakeLineSchema))


class TechnicianStockLineSchema(Schema):
    sku = fields.String()
    name = fields.String(allow_none=True)
    borrowed = fields.Integer()
    consumed = fields.Integer()
    returned = fields.Integer()
    adjusted = fields.Integer()
    held = fields.Integer()
    level = fields.Integer()


class TechnicianStockSchema(Schema):
    technician = fields.String()
    location = fields.String()
    parts = fields.List(fields.Nested(TechnicianStockLineSchema))
    totals = fields.Dict(keys=fields.String(), values=fields.Integer())
    old_parts_held = fields.List(fields.Nested(OldPartStatusSchema))
    old_parts_overdue = fields.Integer()


moves_query = MovesQuery()
move_list_schema = MoveListSchema()
threshold_schema = ThresholdSchema()
alerts_schema = AlertsSchema()
reconcile_schema = ReconcileSchema()
requisition_create_schema = RequisitionCreateSchema()
requisition_query = RequisitionQuery()
requisition_schema = RequisitionSchema()
requisition_list_schema = RequisitionListSchema()
decision_schema = DecisionSchema()
approval_rules_schema = ApprovalRulesSchema()
approver_schema = ApproverSchema()
approver_result_schema = ApproverResultSchema()
old_part_query = OldPartQuery()
old_part_list_schema = OldPartListSchema()
old_part_schema = OldPartStatusSchema()
old_part_return_schema = OldPartReturnSchema()
stocktake_create_schema = StocktakeCreateSchema()
stocktake_counts_schema = StocktakeCountsSchema()
stocktake_schema = StocktakeSchema()
technician_stock_schema = TechnicianStockSchema()
