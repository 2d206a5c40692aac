"""One JSON error shape for the whole app: {"error": {"code", "message", "fields"?}}."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

errors = Blueprint("errors", __name__)


class DomainError(Exception):
    """A rule said no. Services raise it; the view boundary turns it into JSON."""

    status = 400

    def __init__(self, code: str, message: str, status: int | None = None,
                 fields: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields
        if status is not None:
            self.status = status


class NotFound(DomainError):
    status = 404

    def __init__(self, what: str) -> None:
        super().__init__("not_found", _("%(what)s not found", what=what))


class Forbidden(DomainError):
    status = 403

    def __init__(self, message: str | None = None) -> None:
        super().__init__("forbidden", message or _("You are not allowed to do this"))


def error_response(code: str, message: str, status: int, fields: dict[str, Any] | None = None):
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return jsonify({"error": body}), status


HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
    415: "unsupported_media_type", 422: "validation_error", 429: "too_many_requests",
}


@errors.app_errorhandler(DomainError)
def domain_error(error: DomainError):
    return error_response(error.code, error.message, error.status, error.fields)


@errors.app_errorhandler(ValidationError)
def validation_error(error: ValidationError):
    fields = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    return error_response("validation_error", _("The request has invalid fields"), 400, fields)


@errors.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    status = error.code or 500
    return error_response(HTTP_CODES.get(status, "http_error"), error.description or error.name, status)


@errors.app_errorhandler(IntegrityError)
def integrity_error(error: IntegrityError):
    message = str(error.orig) if current_app.config.get("DEBUG_ERRORS") else _("Conflicts with stored data")
    return error_response("conflict", message, 409)


@errors.app_errorhandler(SQLAlchemyError)
def database_error(error: SQLAlchemyError):
    message = str(error) if current_app.config.get("DEBUG_ERRORS") else _("Database error")
    return error_response("database_error", message, 500)


@errors.app_errorhandler(Exception)
def unexpected_error(error: Exception):
    current_app.logger.exception("unhandled error")
    message = repr(error) if current_app.config.get("DEBUG_ERRORS") else _("Internal error")
    return error_response("internal_error", message, 500)


def init_app(app: Flask) -> None:
    app.register_blueprint(errors)
