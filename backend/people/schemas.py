from marshmallow import Schema, fields, validate

from backend.request_args import RequestSchema


class LoginSchema(RequestSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=200))
    device_name = fields.String(load_default="browser", validate=validate.Length(min=1, max=120))


class TechnicianSchema(Schema):
    skills = fields.List(fields.String())
    regions = fields.List(fields.String())
    grade = fields.String()
    daily_capacity = fields.Integer()


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    technician = fields.Nested(TechnicianSchema, allow_none=True)


class DeviceSchema(Schema):
    id = fields.String()
    name = fields.String()
    created_at = fields.DateTime()
    last_seen_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    clock_offset_ms = fields.Integer()


class LoginResultSchema(Schema):
    token = fields.String()
    device_id = fields.String()
    user = fields.Nested(UserSchema)


login_schema = LoginSchema()
login_result_schema = LoginResultSchema()
user_schema = UserSchema()
device_schema = DeviceSchema()
