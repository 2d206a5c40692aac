from marshmallow import Schema, fields, validate

from backend.inventory.models import MOVE_REASONS
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
