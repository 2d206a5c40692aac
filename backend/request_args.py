"""The one place request bodies and query strings are parsed into dicts by schemas."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _
from marshmallow import Schema

from backend.errors import DomainError


def parse_json(schema: Schema) -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None:
        raise DomainError("malformed_json", _("The body must be a JSON object"), 400)
    if not isinstance(body, dict):
        raise DomainError("malformed_json", _("The body must be a JSON object"), 400)
    return schema.load(body)


def parse_query(schema: Schema) -> dict[str, Any]:
    return schema.load(request.args.to_dict())
