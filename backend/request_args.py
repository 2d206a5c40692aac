"""The one place request bodies and query strings are parsed into dicts by schemas."""

from __future__ import annotations

import json
from typing import Any

from flask import request
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, pre_load

from backend.errors import DomainError


def _not_json(constant: str) -> None:
    # Python's json accepts NaN and Infinity, JSON does not, and PostgreSQL's json type
    # refuses them later with a database error.
    raise ValueError(f"{constant} is not JSON")


def _load_body() -> Any:
    if not request.is_json:
        return None
    data = request.get_data()  # raises 413 over MAX_CONTENT_LENGTH
    try:
        return json.loads(data, parse_constant=_not_json)
    except (ValueError, RecursionError):  # deep nesting raises RecursionError, not ValueError
        return None


def parse_json(schema: Schema) -> dict[str, Any]:
    body = _load_body()
    if not isinstance(body, dict):
        raise DomainError("malformed_json", _("The body must be a JSON object"), 400)
    return schema.load(body)


def parse_query(schema: Schema) -> dict[str, Any]:
    return schema.load(request.args.to_dict())


def _nul_errors(value: Any) -> Any:
    if isinstance(value, str):
        return [_("Text may not contain NUL characters")] if "\x00" in value else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    errors = {key: error for key, item in items if (error := _nul_errors(item))}
    return errors or None


class RequestSchema(Schema):
    """Base of the office's request schemas: text with NUL characters is refused up front,
    because PostgreSQL cannot store it and would answer with a database error."""

    @pre_load
    def _refuse_nul(self, data: Any, **kwargs: Any) -> Any:
        errors = _nul_errors(data)
        if errors:
            raise ValidationError(errors)
        return data
