"""Shapes of the office pages' queries and of what they show (pages and their JSON helpers
receive these dumps, never ORM objects)."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from backend.request_args import RequestSchema
from backend.tickets.models import STATUSES, URGENCIES
from backend.tickets.schemas import CATEGORIES, TicketCreateSchema
from backend.tickets.schemas import TicketRowSchema as TicketListRowSchema


class SearchQuery(RequestSchema):
    class Meta:
        unknown = EXCLUDE  # the page's own parameters (lang) ride along

    phone = fields.String(validate=validate.Regexp(r"^\+?[0-9 -]{3,32}$"))
    name = fields.String(validate=validate.Length(min=1, max=120))
    serial = fields.String(validate=validate.Length(min=1, max=64))
    number = fields.String(validate=validate.Length(min=1, max=32))
    status = fields.String(validate=validate.OneOf(STATUSES))
    urgency = fields.String(validate=validate.OneOf(URGENCIES))
    technician = fields.String(validate=validate.Length(min=1, max=64))
    region = fields.String(validate=validate.Length(min=1, max=64))
    brand = fields.String(validate=validate.Length(min=1, max=64))
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    date_from = fields.Date()
    date_to = fields.Date()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=10, max=200))


class OfficeIntakeSchema(TicketCreateSchema):
    """The public intake, plus the appliance the caller lookup picked (it may have no serial)."""

    appliance_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))


class CallerQuery(RequestSchema):
    phone = fields.String(required=True, validate=validate.Regexp(r"^\+?[0-9 -]{3,32}$"))


class BoardQuery(RequestSchema):
    class Meta:
        unknown = EXCLUDE

    region = fields.String(validate=validate.Length(min=1, max=64))


class LoginForm(RequestSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))
    next = fields.String(load_default=None, allow_none=True)
    csrf_token = fields.String(load_default=None, load_only=True)


# --- what pages show -----------------------------------------------------------------

class SlaSchema(Schema):
    contact_due = fields.DateTime()
    contacted = fields.Boolean()
    visit_start = fields.DateTime(allow_none=True)
    visit_end = fields.DateTime(allow_none=True)
    arrived = fields.Boolean()
    next_kind = fields.String(allow_none=True)
    next_due = fields.DateTime(allow_none=True)
    state = fields.String()


class TicketRowSchema(TicketListRowSchema):
    """A row of the ticket list, plus what the office's cards and tables show."""

    fault_category = fields.String()
    fault_description = fields.String(allow_none=True)
    scheduled_end = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    repeat_of_id = fields.Integer(allow_none=True)
    tier = fields.String()
    address = fields.String()
    model = fields.String()
    serial = fields.String(allow_none=True)
    technician_name = fields.String(allow_none=True)
    sla = fields.Nested(SlaSchema)


class LiveSchema(Schema):
    state = fields.String()
    at = fields.DateTime(allow_none=True)
    ticket_id = fields.Integer(allow_none=True)


class LaneSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    skills = fields.List(fields.String())
    regions = fields.List(fields.String())
    grade = fields.String()
    capacity = fields.Integer()
    load = fields.Integer()
    full = fields.Boolean()
    over_capacity = fields.Boolean()
    live = fields.Nested(LiveSchema)
    last_sync_at = fields.DateTime(allow_none=True)
    tickets = fields.List(fields.Nested(TicketRowSchema))


class BoardSchema(Schema):
    day = fields.Date()
    unassigned = fields.List(fields.Nested(TicketRowSchema))
    unassigned_total = fields.Integer()
    waiting = fields.List(fields.Nested(TicketRowSchema))
    lanes = fields.List(fields.Nested(LaneSchema))
    regions = fields.List(fields.String())
    overdue_count = fields.Integer()


class SlaPageSchema(Schema):
    day = fields.Date()
    overdue = fields.List(fields.Nested(TicketRowSchema))
    due_soon = fields.List(fields.Nested(TicketRowSchema))
    lanes = fields.List(fields.Nested(LaneSchema))


class ReasonSchema(Schema):
    code = fields.String()
    ok = fields.Boolean()
    params = fields.Dict()
    text = fields.String()


class SuggestedTechnicianSchema(Schema):
    username = fields.String()
    display_name = fields.String()
    grade = fields.String()
    score = fields.Integer()
    load = fields.Integer()
    capacity = fields.Integer()
    over_capacity = fields.Boolean()
    current = fields.Boolean()
    last_sync_at = fields.DateTime(allow_none=True)
    reasons = fields.List(fields.Nested(ReasonSchema))


class SuggestionsSchema(Schema):
    ticket_id = fields.Integer()
    number = fields.String()
    day = fields.Date()
    vip = fields.Boolean()
    category = fields.String()
    region = fields.String()
    technicians = fields.List(fields.Nested(SuggestedTechnicianSchema))


class SourceSchema(Schema):
    device = fields.String()
    username = fields.String()
    display_name = fields.String()


class ReviewItemSchema(Schema):
    kind = fields.String()
    id = fields.Integer()
    flag_kind = fields.String()
    ticket_id = fields.Integer(allow_none=True)
    ticket_number = fields.String(allow_none=True)
    at = fields.DateTime()
    detail = fields.Dict()
    summary = fields.String()
    mutation = fields.String(allow_none=True)
    mutation_args = fields.Raw(allow_none=True)
    device_at = fields.DateTime(allow_none=True)
    source = fields.Nested(SourceSchema, allow_none=True)


class ReviewQueueSchema(Schema):
    items = fields.List(fields.Nested(ReviewItemSchema))
    flags = fields.Integer()
    rejected = fields.Integer()


class RecentRepairSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    fault_category = fields.String()
    completed_at = fields.DateTime()


class CallerApplianceSchema(Schema):
    id = fields.Integer()
    brand = fields.String()
    category = fields.String()
    model = fields.String()
    serial = fields.String(allow_none=True)
    purchase_date = fields.Date(allow_none=True)
    warranty_months = fields.Integer()
    warranty_until = fields.Date(allow_none=True)
    in_warranty = fields.Boolean()
    recent_repairs = fields.List(fields.Nested(RecentRepairSchema))


class CallerCustomerSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    phone = fields.String()
    address = fields.String()
    region = fields.String()
    tier = fields.String()


class OpenTicketSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    status = fields.String()
    fault_category = fields.String()
    created_at = fields.DateTime()
    appliance_id = fields.Integer()


class CandidateSchema(Schema):
    phone = fields.String()
    name = fields.String()
    region = fields.String()
    tier = fields.String()


class CallerSchema(Schema):
    customer = fields.Nested(CallerCustomerSchema, allow_none=True)
    appliances = fields.List(fields.Nested(CallerApplianceSchema))
    open_tickets = fields.List(fields.Nested(OpenTicketSchema))
    candidates = fields.List(fields.Nested(CandidateSchema))
    repeat_repair_days = fields.Integer()


class SearchPageSchema(Schema):
    tickets = fields.List(fields.Nested(TicketRowSchema))
    total = fields.Integer(allow_none=True)
    more = fields.Boolean()
    page = fields.Integer()
    per_page = fields.Integer()


search_query = SearchQuery()
office_intake_schema = OfficeIntakeSchema()
caller_query = CallerQuery()
board_query = BoardQuery()
login_form = LoginForm()
board_schema = BoardSchema()
sla_page_schema = SlaPageSchema()
suggestions_schema = SuggestionsSchema()
review_queue_schema = ReviewQueueSchema()
caller_schema = CallerSchema()
search_page_schema = SearchPageSchema()
sla_schema = SlaSchema()
