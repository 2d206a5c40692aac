from marshmallow import Schema, fields, validate

from backend.customers.models import TIERS
from backend.request_args import RequestSchema
from backend.tickets.models import STATUSES, URGENCIES

CATEGORIES = ("air_conditioner", "washer", "fridge", "water_heater")


class CustomerSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    phone = fields.String(required=True, validate=validate.Regexp(r"^\+?[0-9][0-9 -]{5,30}$"))
    address = fields.String(required=True, validate=validate.Length(min=1, max=500))
    region = fields.String(required=True, validate=validate.Length(min=1, max=64))
    tier = fields.String(load_default="regular", validate=validate.OneOf(TIERS))


class ApplianceSchema(Schema):
    id = fields.Integer(dump_only=True)
    brand = fields.String(required=True, validate=validate.Length(min=1, max=64))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    model = fields.String(required=True, validate=validate.Length(min=1, max=64))
    serial = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=64))
    purchase_date = fields.Date(allow_none=True, load_default=None)
    warranty_months = fields.Integer(load_default=12, validate=validate.Range(min=0, max=240))
    warranty_until = fields.Date(dump_only=True, allow_none=True)
    in_warranty = fields.Boolean(dump_only=True)


class FaultSchema(Schema):
    category = fields.String(required=True, validate=validate.Length(min=1, max=64))
    description = fields.String(load_default="", validate=validate.Length(max=2000))


class TicketCreateSchema(RequestSchema):
    customer = fields.Nested(CustomerSchema, required=True)
    appliance = fields.Nested(ApplianceSchema, required=True)
    fault = fields.Nested(FaultSchema, required=True)
    urgency = fields.String(load_default="normal", validate=validate.OneOf(URGENCIES))
    source = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32))


class AssignSchema(RequestSchema):
    technician = fields.String(required=True, validate=validate.Length(min=1, max=64))
    scheduled_start = fields.AwareDateTime(load_default=None, allow_none=True)
    scheduled_end = fields.AwareDateTime(load_default=None, allow_none=True)


class CancelSchema(RequestSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class ContactSchema(RequestSchema):
    note = fields.String(load_default="", validate=validate.Length(max=500))


class ResolveFlagSchema(RequestSchema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class TicketListQuery(RequestSchema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    technician = fields.String()
    q = fields.String(validate=validate.Length(max=100))
    # Bounded so that the OFFSET fits the database's integer (an absurd page was a 500).
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class VisitSchema(Schema):
    id = fields.String()
    technician = fields.Function(lambda v: v.get("technician"))
    scheduled_start = fields.DateTime(allow_none=True)
    departed_at = fields.DateTime(allow_none=True)
    arrived_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    lat = fields.Float(allow_none=True)
    lng = fields.Float(allow_none=True)
    resolution = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)


class ChecklistAnswerSchema(Schema):
    visit_id = fields.String()
    item_code = fields.String()
    value = fields.Raw()
    note = fields.String(allow_none=True)
    at = fields.DateTime(attribute="corrected_at")


class DiagnosisSchema(Schema):
    visit_id = fields.String()
    fault_code = fields.String()
    cause_code = fields.String(allow_none=True)
    handling_code = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    at = fields.DateTime(attribute="corrected_at")


class PartLineSchema(Schema):
    line_id = fields.String()
    sku = fields.String()
    qty = fields.Integer()
    source = fields.String()
    charge = fields.String()
    unit_price_fen = fields.Integer()
    amount_fen = fields.Integer()
    at = fields.DateTime()


class OldPartSchema(Schema):
    line_id = fields.String()
    sku = fields.String()
    qty = fields.Integer()
    collected_at = fields.DateTime()
    returned_at = fields.DateTime(allow_none=True)


class FeeLineSchema(Schema):
    line_id = fields.String()
    item_code = fields.String()
    qty = fields.Integer()
    unit_fen = fields.Integer()
    amount_fen = fields.Integer()
    charge = fields.String()
    overridden = fields.Boolean()


class SignatureSchema(Schema):
    kind = fields.String()
    blob = fields.String(attribute="blob_sha256", allow_none=True)
    signer_name = fields.String(allow_none=True)
    summary_hash = fields.String(allow_none=True)
    server_summary_hash = fields.String()
    refused = fields.Boolean()
    refusal_reason = fields.String(allow_none=True)
    at = fields.DateTime()


class PaymentSchema(Schema):
    payment_id = fields.String()
    method = fields.String()
    amount_fen = fields.Integer()
    at = fields.DateTime()


class RatingSchema(Schema):
    score = fields.Integer()
    comment = fields.String(allow_none=True)


class PhotoSchema(Schema):
    blob = fields.String(attribute="blob_sha256")
    caption = fields.String(allow_none=True)
    at = fields.DateTime()


class FlagSchema(Schema):
    id = fields.Integer()
    ticket_id = fields.Integer(allow_none=True)
    kind = fields.String()
    detail = fields.Dict()
    created_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)
    resolution_note = fields.String(allow_none=True)


class TicketSchema(Schema):
    """A ticket as the phone pulls it and the office reads it."""

    id = fields.Integer()
    number = fields.String()
    status = fields.String()
    urgency = fields.String()
    source = fields.String(allow_none=True)
    fault = fields.Dict()
    customer = fields.Nested(CustomerSchema)
    appliance = fields.Nested(ApplianceSchema)
    technician = fields.String(allow_none=True)
    scheduled_start = fields.DateTime(allow_none=True)
    scheduled_end = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    contacted_at = fields.DateTime(allow_none=True)
    repeat_of_id = fields.Integer(allow_none=True)
    visits = fields.List(fields.Nested(VisitSchema))
    checklist = fields.List(fields.Nested(ChecklistAnswerSchema))
    diagnoses = fields.List(fields.Nested(DiagnosisSchema))
    parts = fields.List(fields.Nested(PartLineSchema))
    old_parts = fields.List(fields.Nested(OldPartSchema))
    fees = fields.List(fields.Nested(FeeLineSchema))
    fee_items = fields.List(fields.Dict())
    # Parts fitted on earlier tickets of this appliance and still under their own warranty.
    part_warranties = fields.List(fields.Dict())
    signatures = fields.List(fields.Nested(SignatureSchema))
    payments = fields.List(fields.Nested(PaymentSchema))
    rating = fields.Nested(RatingSchema, allow_none=True)
    photos = fields.List(fields.Nested(PhotoSchema))
    flags = fields.List(fields.Nested(FlagSchema))
    total_fen = fields.Integer()


class TimelineEntrySchema(Schema):
    at = fields.DateTime()
    actor = fields.String(allow_none=True)
    device_id = fields.String(allow_none=True)
    terminal = fields.String(allow_none=True)
    entity = fields.String()
    entity_id = fields.String()
    action = fields.String()
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)


class TicketDetailSchema(TicketSchema):
    timeline = fields.List(fields.Nested(TimelineEntrySchema))


class TicketRowSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    status = fields.String()
    urgency = fields.String()
    customer_name = fields.String()
    phone = fields.String()
    region = fields.String()
    category = fields.String()
    brand = fields.String()
    technician = fields.String(allow_none=True)
    scheduled_start = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    total_fen = fields.Integer()


class TicketPageSchema(Schema):
    tickets = fields.List(fields.Nested(TicketRowSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class FlagListSchema(Schema):
    flags = fields.List(fields.Nested(FlagSchema))


ticket_create_schema = TicketCreateSchema()
assign_schema = AssignSchema()
cancel_schema = CancelSchema()
resolve_flag_schema = ResolveFlagSchema()
contact_schema = ContactSchema()
ticket_list_query = TicketListQuery()
ticket_schema = TicketSchema()
ticket_detail_schema = TicketDetailSchema()
ticket_row_schema = TicketRowSchema()
flag_schema = FlagSchema()
ticket_page_schema = TicketPageSchema()
flag_list_schema = FlagListSchema()
