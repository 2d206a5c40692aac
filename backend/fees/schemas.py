from marshmallow import Schema, fields, validate

from backend.fees.periods import MONTH
from backend.request_args import RequestSchema


class ClaimQuery(RequestSchema):
    month = fields.String(required=True, validate=MONTH)
    brand = fields.String(validate=validate.Length(min=1, max=64))


class ClaimLineSchema(Schema):
    brand = fields.String()
    category = fields.String()
    ticket_id = fields.Integer()
    ticket_number = fields.String()
    completed_at = fields.DateTime(allow_none=True)
    customer = fields.String()
    model = fields.String()
    serial = fields.String(allow_none=True)
    purchase_date = fields.Date(allow_none=True)
    line_kind = fields.String()
    line_id = fields.String()
    code = fields.String()
    name = fields.String()
    qty = fields.Integer()
    unit_fen = fields.Integer()
    amount_fen = fields.Integer()
    basis = fields.String()


class ClaimBrandSchema(Schema):
    brand = fields.String()
    lines = fields.Integer()
    tickets = fields.Integer()
    amount_fen = fields.Integer()


class ClaimReportSchema(Schema):
    """The monthly claim report to manufacturers: totals per brand and every line."""

    month = fields.String()
    amount_fen = fields.Integer()
    brands = fields.List(fields.Nested(ClaimBrandSchema))
    lines = fields.List(fields.Nested(ClaimLineSchema))


class ScheduleQuery(RequestSchema):
    category = fields.String(validate=validate.Length(min=1, max=32))
    lang = fields.String(validate=validate.OneOf(("zh", "en")))


claim_query = ClaimQuery()
claim_report_schema = ClaimReportSchema()
schedule_query = ScheduleQuery()
