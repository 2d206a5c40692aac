from marshmallow import Schema, fields, validate

from backend.commission.models import COMPLAINT_STATUSES, RULE_MODES, RULE_TARGETS
from backend.fees.periods import MONTH
from backend.request_args import RequestSchema

MAX_FEN = 100_000_000


class StatementQuery(RequestSchema):
    month = fields.String(required=True, validate=MONTH)
    technician = fields.String(validate=validate.Length(min=1, max=64))


class MonthQuery(RequestSchema):
    month = fields.String(validate=MONTH)


class CloseMonthSchema(RequestSchema):
    month = fields.String(required=True, validate=MONTH)


class StatementSchema(Schema):
    month = fields.String()
    technician = fields.String()
    display_name = fields.String()
    grade = fields.String(allow_none=True)
    base_wage_fen = fields.Integer()
    commission_fen = fields.Integer()
    cap_cut_fen = fields.Integer()
    bonus_fen = fields.Integer()
    deduction_fen = fields.Integer()
    adjustment_fen = fields.Integer()
    total_fen = fields.Integer()
    line_count = fields.Integer()
    tickets_completed = fields.Integer()
    status = fields.String()
    closed_at = fields.DateTime(allow_none=True)


class CommissionLineSchema(Schema):
    id = fields.Integer()
    ticket_id = fields.Integer(allow_none=True)
    ticket_number = fields.String(allow_none=True)
    month = fields.String()
    source = fields.String()
    source_ref = fields.String()
    kind = fields.String()
    rule_id = fields.Integer(allow_none=True)
    rule_name = fields.String()
    base_fen = fields.Integer()
    rate_bp = fields.Integer(allow_none=True)
    coefficient_pm = fields.Integer(allow_none=True)
    fixed_fen = fields.Integer(allow_none=True)
    qty = fields.Integer(allow_none=True)
    amount_fen = fields.Integer()
    is_adjustment = fields.Boolean()
    adjusts_month = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    explanation = fields.String()
    created_at = fields.DateTime()


class StatementDetailSchema(StatementSchema):
    lines = fields.List(fields.Nested(CommissionLineSchema))


class StatementListSchema(Schema):
    month = fields.String()
    statements = fields.List(fields.Nested(StatementSchema))


class MyCommissionSchema(Schema):
    """What the PWA shows a technician: the running month with its lines, and past statements."""

    month = fields.String()
    running = fields.Nested(StatementDetailSchema)
    statements = fields.List(fields.Nested(StatementSchema))


class RankingRowSchema(Schema):
    rank = fields.Integer()
    technician = fields.String()
    display_name = fields.String()
    completed = fields.Integer()
    revenue_fen = fields.Integer()
    rating = fields.Float(allow_none=True)
    ratings = fields.Integer()
    repeats = fields.Integer()
    repeat_rate = fields.Float()


class RankingSchema(Schema):
    month = fields.String()
    ranking = fields.List(fields.Nested(RankingRowSchema))


class AdjustmentSchema(RequestSchema):
    technician = fields.String(required=True, validate=validate.Length(min=1, max=64))
    month = fields.String(required=True, validate=MONTH)
    kind = fields.String(required=True, validate=validate.OneOf(("bonus", "deduction")))
    amount_fen = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_FEN))
    note = fields.String(required=True, validate=validate.Length(min=1, max=500))


class RebuildSchema(RequestSchema):
    month = fields.String(required=True, validate=MONTH)


class RebuildResultSchema(Schema):
    month = fields.String()
    tickets = fields.Integer()
    inserted = fields.Integer()
    deleted = fields.Integer()
    adjustments = fields.Integer()


class RuleSchema(RequestSchema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    applies_to = fields.String(required=True, validate=validate.OneOf(RULE_TARGETS))
    item_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    fee_kind = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))
    mode = fields.String(required=True, validate=validate.OneOf(RULE_MODES))
    rate_bp = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=0, max=10_000)
    )
    amount_fen = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=0, max=MAX_FEN)
    )
    min_score = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1, max=5)
    )
    active = fields.Boolean(dump_only=True)


class GradeSchema(RequestSchema):
    grade = fields.String(dump_only=True)
    coefficient_pm = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10_000))
    base_wage_fen = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=MAX_FEN))
    per_ticket_cap_fen = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=0, max=MAX_FEN)
    )
    monthly_cap_fen = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=0, max=MAX_FEN)
    )


class RulesSchema(Schema):
    rules = fields.List(fields.Nested(RuleSchema))
    grades = fields.List(fields.Nested(GradeSchema))


class ComplaintCreateSchema(RequestSchema):
    ticket_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2_147_483_647))
    description = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ComplaintDecisionSchema(RequestSchema):
    upheld = fields.Boolean(required=True)
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ComplaintQuery(RequestSchema):
    status = fields.String(validate=validate.OneOf(COMPLAINT_STATUSES))


class ComplaintSchema(Schema):
    id = fields.Integer()
    ticket_id = fields.Integer()
    technician_id = fields.Integer(allow_none=True)
    description = fields.String()
    received_at = fields.DateTime()
    status = fields.String()
    decided_at = fields.DateTime(allow_none=True)
    decision_note = fields.String(allow_none=True)


class ComplaintListSchema(Schema):
    complaints = fields.List(fields.Nested(ComplaintSchema))


statement_query = StatementQuery()
month_query = MonthQuery()
close_month_schema = CloseMonthSchema()
statement_list_schema = StatementListSchema()
statement_detail_schema = StatementDetailSchema()
my_commission_schema = MyCommissionSchema()
ranking_schema = RankingSchema()
adjustment_schema = AdjustmentSchema()
commission_line_schema = CommissionLineSchema()
rebuild_schema = RebuildSchema()
rebuild_result_schema = RebuildResultSchema()
rule_schema = RuleSchema()
grade_schema = GradeSchema()
rules_schema = RulesSchema()
complaint_create_schema = ComplaintCreateSchema()
complaint_decision_schema = ComplaintDecisionSchema()
complaint_query = ComplaintQuery()
complaint_schema = ComplaintSchema()
complaint_list_schema = ComplaintListSchema()
