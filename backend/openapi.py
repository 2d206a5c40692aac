"""The OpenAPI document, generated from the marshmallow schemas the views use."""

from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, jsonify

from backend.commission import views as commission_views
from backend.errors import HTTP_CODES
from backend.exports import views as exports_views
from backend.fees import views as fees_views
from backend.inventory import views as inventory_views
from backend.inventory.schemas import StockLevelsSchema, StockMoveSchema, StockQuery
from backend.notify.schemas import (
    PublicKeySchema,
    SubscriptionResultSchema,
    SubscriptionSchema,
    UnsubscribeResultSchema,
    UnsubscribeSchema,
)
from backend.people.schemas import DeviceSchema, LoginResultSchema, LoginSchema, UserSchema
from backend.sync import protocol
from backend.tickets.schemas import (
    AssignSchema,
    CancelSchema,
    ContactSchema,
    FlagListSchema,
    FlagSchema,
    ResolveFlagSchema,
    TicketCreateSchema,
    TicketDetailSchema,
    TicketListQuery,
    TicketPageSchema,
)

bp = Blueprint("openapi", __name__)

# (path, method, summary, roles, request body schema, query schema, response schema)
OPERATIONS = [
    ("/api/auth/login", "post", "Log a device in; returns its token", (), LoginSchema, None,
     LoginResultSchema),
    ("/api/auth/logout", "post", "Revoke the calling device's token", ("any",), None, None, None),
    ("/api/auth/me", "get", "The calling user", ("any",), None, None, UserSchema),
    ("/api/devices", "get", "Every device and whether it is revoked", ("admin",), None, None,
     DeviceSchema(many=True)),
    ("/api/devices/{device_id}/revoke", "post", "Revoke a device's token at once", ("admin",), None, None,
     DeviceSchema),
    ("/api/sync/pull", "get", "Snapshot or changes after a cursor", ("technician",), None,
     protocol.PullQuery, None),
    ("/api/sync/push", "post", "Apply a device's mutations", ("technician",), protocol.PushSchema,
     None, None),
    ("/api/sync/blobs/{sha256}", "put", "Upload a signature or photo (raw bytes)", ("any",), None, None,
     None),
    ("/api/sync/blobs/{sha256}", "get", "Read a blob", ("any",), None, None, None),
    ("/api/tickets", "post", "Intake a repair request", ("admin", "dispatcher"), TicketCreateSchema,
     None, TicketDetailSchema),
    ("/api/tickets", "get", "Search tickets", ("office",), None, TicketListQuery, TicketPageSchema),
    ("/api/tickets/{ticket_id}", "get", "A ticket with lines, payments, flags and timeline",
     ("office", "technician"), None, None, TicketDetailSchema),
    ("/api/tickets/{ticket_id}/assign", "post", "Assign or reassign", ("admin", "dispatcher"),
     AssignSchema, None, TicketDetailSchema),
    ("/api/tickets/{ticket_id}/contact", "post", "Record that the office reached the customer",
     ("admin", "dispatcher"), ContactSchema, None, TicketDetailSchema),
    ("/api/tickets/{ticket_id}/cancel", "post", "Cancel with a reason", ("admin", "dispatcher"),
     CancelSchema, None, TicketDetailSchema),
    ("/api/flags", "get", "Open sync flags", ("admin", "dispatcher"), None, None, FlagListSchema),
    ("/api/flags/{flag_id}/resolve", "post", "Resolve a flag with a note", ("admin", "dispatcher"),
     ResolveFlagSchema, None, FlagSchema),
    ("/api/stock", "get", "Stock levels of a location", ("office",), None, StockQuery, StockLevelsSchema),
    ("/api/stock/moves", "post", "Post a stock move", ("admin", "warehouse"), StockMoveSchema, None,
     StockMoveSchema),
    ("/api/push/public-key", "get", "The server's VAPID public key (URL-safe base64)", ("any",), None,
     None, PublicKeySchema),
    ("/api/push/subscriptions", "post", "Store this device's push subscription", ("any",),
     SubscriptionSchema, None, SubscriptionResultSchema),
    ("/api/push/subscriptions", "delete", "Remove this device's push subscription", ("any",),
     UnsubscribeSchema, None, UnsubscribeResultSchema),
]
# The success status of operations that do not answer 200 (a blob already stored answers 200).
SUCCESS = {("/api/tickets", "post"): ("201",), ("/api/stock/moves", "post"): ("201",),
           ("/api/sync/blobs/{sha256}", "put"): ("201", "200"),
           ("/api/push/subscriptions", "post"): ("201", "200")}
# Fees, stock, commission and exports describe their own operations beside their views.
for _views in (inventory_views, fees_views, commission_views, exports_views):
    OPERATIONS += _views.API_OPERATIONS
    SUCCESS.update(_views.API_SUCCESS)


def build_spec() -> dict:
    spec = APISpec(title="Fieldsync", version="1.0.0", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()])
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", {"type": "object", "properties": {"error": {
        "type": "object", "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                       "fields": {"type": "object"}}}}})
    for path, method, summary, roles, body, query, response in OPERATIONS:
        success = SUCCESS.get((path, method), ("200",))
        operation: dict = {"summary": summary, "description": "Roles: " + ", ".join(roles or ("public",)),
                           "responses": {status: {"description": "OK"} for status in success}}
        if roles:
            operation["security"] = [{"bearer": []}]
        if body is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        if query is not None:
            operation["parameters"] = [{"in": "query", "schema": query}]
        if response is not None:
            operation["responses"][success[0]]["content"] = {"application/json": {"schema": response}}
        for status in (400, 401, 403, 404):
            operation["responses"][str(status)] = {
                "description": HTTP_CODES[status],
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        params = [p.strip("{}") for p in path.split("/") if p.startswith("{")]
        path_params = [{"in": "path", "name": p, "required": True, "schema": {"type": "string"}}
                       for p in params]
        if path_params:
            operation.setdefault("parameters", []).extend(path_params)
        spec.path(path=path, operations={method: operation})
    return spec.to_dict()


@bp.get("/api/openapi.json")
def openapi_json():
    return jsonify(build_spec())
