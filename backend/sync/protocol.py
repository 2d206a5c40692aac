"""The sync contract v1 as marshmallow schemas: push body, one args schema per mutation, pull."""

from marshmallow import Schema, fields, validate

from backend.request_args import UUIDText

MAX_QTY = 999
MAX_FEN = 10_000_000  # 100,000 yuan: anything above is a typing slip, not a repair
SHA256 = validate.Regexp(r"^[0-9a-f]{64}$", error="Not a SHA-256 hex digest")
LINE_ID = validate.Length(min=1, max=64)


MAX_SEQ = 2**62  # fits a BIGINT with room to spare
MAX_ID = 2**31 - 1  # an INTEGER primary key


class MutationSchema(Schema):
    id = UUIDText(required=True)
    seq = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_SEQ))
    name = fields.String(required=True, validate=[validate.Length(max=40),
                                                  validate.Regexp(r"^[a-z_]+(\.[a-z_]+)*$")])
    ticket_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID))
    at = fields.AwareDateTime(required=True)
    args = fields.Dict(required=True)


class MutationKeySchema(Schema):
    """Just enough of a malformed mutation to store its rejection and settle its seq."""

    class Meta:
        unknown = "exclude"

    id = UUIDText(required=True)
    seq = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_SEQ))


class PushSchema(Schema):
    device_id = fields.String(required=True)
    client_version = fields.String(load_default=None, validate=validate.Length(max=32))
    clock = fields.AwareDateTime(required=True)
    mutations = fields.List(fields.Raw(), required=True)


class PullQuery(Schema):
    cursor = fields.String(load_default=None)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class VisitArgs(Schema):
    visit_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class ArriveArgs(VisitArgs):
    lat = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-90, 90))
    lng = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-180, 180))


class ChecklistAnswerArgs(VisitArgs):
    item_code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    value = fields.Raw(required=True, allow_none=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class DiagnosisArgs(VisitArgs):
    fault_code = fields.String(required=True, validate=validate.Length(min=1, max=32))
    cause_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32))
    handling_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32))
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))


class PartUseArgs(Schema):
    line_id = fields.String(required=True, validate=LINE_ID)
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    qty = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_QTY))
    source = fields.String(required=True, validate=validate.OneOf(("van", "customer", "warehouse")))
    charge = fields.String(required=True, validate=validate.OneOf(("warranty", "paid")))


class LineArgs(Schema):
    line_id = fields.String(required=True, validate=LINE_ID)


class OldPartArgs(LineArgs):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    qty = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_QTY))


class FeeSetArgs(LineArgs):
    item_code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    qty = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_QTY))
    amount_fen = fields.Integer(load_default=None, allow_none=True, strict=True,
                                validate=validate.Range(min=0, max=MAX_FEN))


class QuoteAcceptArgs(Schema):
    signature_blob = fields.String(required=True, validate=SHA256)
    signer_name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    summary_hash = fields.String(required=True, validate=SHA256)


class WorkCompleteArgs(VisitArgs):
    resolution = fields.String(
        required=True, validate=validate.OneOf(("fixed", "pending_parts", "needs_workshop", "not_fixed"))
    )
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))


class SignatureArgs(Schema):
    blob = fields.String(load_default=None, allow_none=True, validate=SHA256)
    signer_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=120))
    summary_hash = fields.String(required=True, validate=SHA256)
    role = fields.String(load_default="customer", validate=validate.OneOf(("customer",)))
    refused = fields.Boolean(load_default=False)
    refusal_reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class PaymentArgs(Schema):
    payment_id = fields.String(required=True, validate=LINE_ID)
    method = fields.String(required=True, validate=validate.OneOf(
        ("cash", "wechat", "alipay", "card", "invoice_later")))
    amount_fen = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=MAX_FEN))


class RatingArgs(Schema):
    score = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class PhotoArgs(Schema):
    blob = fields.String(required=True, validate=SHA256)
    caption = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


mutation_schema = MutationSchema()
mutation_key_schema = MutationKeySchema()
push_schema = PushSchema()
pull_query = PullQuery()
