from marshmallow import fields, validate

from backend.fees.periods import MONTH
from backend.inventory.schemas import LOCATION
from backend.request_args import RequestSchema


class ExportQuery(RequestSchema):
    month = fields.String(required=True, validate=MONTH)
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))
    brand = fields.String(validate=validate.Length(min=1, max=64))
    location = fields.String(validate=LOCATION)


class ReceiptQuery(RequestSchema):
    layout = fields.String(load_default="a4", validate=validate.OneOf(("a4", "80mm")))


export_query = ExportQuery()
receipt_query = ReceiptQuery()
