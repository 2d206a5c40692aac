from __future__ import annotations

import binascii
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates

from backend.notify.vapid import b64url_decode
from backend.request_args import RequestSchema


def _decoded(value: str) -> bytes:
    try:
        return b64url_decode(value)
    except (binascii.Error, ValueError):
        raise ValidationError(_("Not URL-safe base64")) from None


class SubscriptionKeysSchema(Schema):
    p256dh = fields.String(required=True, validate=validate.Length(min=80, max=128))
    auth = fields.String(required=True, validate=validate.Length(min=16, max=64))

    @validates("p256dh")
    def _point(self, value: str, **kwargs: Any) -> None:
        raw = _decoded(value)
        if len(raw) != 65 or raw[0] != 4:
            raise ValidationError(_("Must be an uncompressed P-256 public key"))

    @validates("auth")
    def _secret(self, value: str, **kwargs: Any) -> None:
        if len(_decoded(value)) != 16:
            raise ValidationError(_("Must be a 16-byte authentication secret"))


def endpoint_field_check(endpoint: str, allow_http_loopback: bool) -> None:
    parts = urlsplit(endpoint)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme == "https" and parts.hostname and not loopback:
        return
    if parts.scheme == "http" and loopback and allow_http_loopback:
        return
    # The server posts to this URL: only real push services, never a host on our network.
    raise ValidationError({"endpoint": [_("Must be an https URL of a push service")]})


class SubscriptionSchema(RequestSchema):
    endpoint = fields.String(required=True, validate=validate.Length(min=10, max=2000))
    keys = fields.Nested(SubscriptionKeysSchema, required=True)
    expirationTime = fields.Raw(load_default=None, allow_none=True)  # PushSubscription.toJSON()


class UnsubscribeSchema(RequestSchema):
    endpoint = fields.String(required=True, validate=validate.Length(min=10, max=2000))
    keys = fields.Nested(SubscriptionKeysSchema, load_default=None)
    expirationTime = fields.Raw(load_default=None, allow_none=True)


class SubscriptionResultSchema(Schema):
    id = fields.Integer()
    endpoint = fields.String()
    device_id = fields.String()
    created_at = fields.DateTime()


class UnsubscribeResultSchema(Schema):
    removed = fields.Boolean()


class PublicKeySchema(Schema):
    public_key = fields.String(metadata={"description": "URL-safe base64 uncompressed P-256 point"})


subscription_schema = SubscriptionSchema()
unsubscribe_schema = UnsubscribeSchema()
subscription_result_schema = SubscriptionResultSchema()
unsubscribe_result_schema = UnsubscribeResultSchema()
public_key_schema = PublicKeySchema()
