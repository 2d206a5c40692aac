"""The one place request bodies and query strings are parsed into dicts by schemas."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import request
from flask_babel import gettext as _
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, missing, pre_load, validate

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


# --- Schema.load's happy path, planned -------------------------------------------------

_UNSURE = object()  # the plan cannot tell: Schema.load decides
_UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


def _as_float(value: Any) -> Any:
    if type(value) is not float and type(value) is not int:
        return _UNSURE
    try:
        number = float(value)
    except OverflowError:
        return _UNSURE
    return number if math.isfinite(number) else _UNSURE


def _as_aware_datetime(value: Any) -> Any:
    if type(value) is not str:
        return _UNSURE
    try:
        moment = datetime.fromisoformat(value)  # marshmallow's own parser for "iso"
    except ValueError:
        return _UNSURE
    return moment if moment.utcoffset() is not None else _UNSURE


class UUIDText(fields.UUID):
    """A UUID, loaded as its canonical text (lowercase, 8-4-4-4-12): what is stored,
    compared and answered."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return str(super()._deserialize(value, attr, data, **kwargs))


# By exact field class, since a subclass may convert differently. Strings, integers and
# booleans are taken as they come when of exactly that type (so True is no integer, as
# for marshmallow); the other fields convert the JSON types they take.
_PLAIN_TYPES: dict[type, type] = {fields.String: str, fields.Integer: int, fields.Boolean: bool}
_CONVERSIONS: dict[type, Callable[[Any], Any]] = {
    fields.Float: _as_float,
    fields.Raw: lambda v: v,
    fields.Dict: lambda v: dict(v) if type(v) is dict else _UNSURE,
    UUIDText: lambda v: v if type(v) is str and _UUID_TEXT.match(v) else _UNSURE,  # already canonical
    fields.AwareDateTime: _as_aware_datetime,
}


def _check(validator: Any, field: fields.Field) -> Callable[[Any], bool] | None:
    """A validator's test as a predicate, for the values the field's conversion lets
    through; None for one the plan does not know."""
    kind = type(validator)
    text = type(field) is fields.String
    number = type(field) in (fields.Integer, fields.Float)
    if kind is validate.Length and validator.equal is None and text:
        shortest, longest = validator.min or 0, math.inf if validator.max is None else validator.max
        return lambda v: shortest <= len(v) <= longest
    if kind is validate.Range and number:
        low = -math.inf if validator.min is None else validator.min
        high = math.inf if validator.max is None else validator.max
        if validator.min_inclusive and validator.max_inclusive:
            return lambda v: low <= v <= high
        above = (lambda v: v >= low) if validator.min_inclusive else (lambda v: v > low)
        below = (lambda v: v <= high) if validator.max_inclusive else (lambda v: v < high)
        return lambda v: above(v) and below(v)
    if kind is validate.OneOf and (text or number):
        choices = validator.choices
        return lambda v: v in choices
    if kind is validate.Regexp and text:
        match = validator.regex.match
        return lambda v: match(v) is not None
    return None


def _field_plan(name: str, field: fields.Field) -> tuple | None:
    plain, convert = _PLAIN_TYPES.get(type(field)), _CONVERSIONS.get(type(field))
    checks = [_check(v, field) for v in field.validators]
    if (plain is None and convert is None or None in checks
            or field.data_key is not None or field.attribute is not None
            or "." in name or field.pre_load or field.post_load
            or isinstance(field, fields.Integer) and field.as_string
            or isinstance(field, fields.Float) and (field.as_string or field.allow_nan)
            or isinstance(field, fields.Boolean) and (field.truthy != fields.Boolean.truthy
                                                      or field.falsy != fields.Boolean.falsy)
            or isinstance(field, fields.Dict) and (field.key_field or field.value_field)
            or isinstance(field, fields.AwareDateTime) and (field.format not in (None, "iso")
                                                            or field.default_timezone is not None)):
        return None
    return name, field.required, field.load_default, field.allow_none, plain, convert, checks


class PlannedLoad:
    """Schema.load, with its happy path planned once from the schema's own fields.

    A push loads two schemas per mutation, and marshmallow's machinery costs several
    times the conversions and checks it runs. For a flat schema of plain fields
    (strings, integers, floats, booleans, UUID text, aware datetimes, dicts, raw values)
    checked by Length, Range, OneOf and Regexp, the plan runs those conversions and checks
    itself. Whatever it is not sure of (a value that fails a check, a wrong type, a missing
    or unknown key, another kind of schema or field) goes to Schema.load, which stays the
    one authority and words every error: the plan never accepts what the schema refuses
    and never returns anything else (tests/test_planned_load.py)."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self._fields: list[tuple] | None = None
        # A schema with hooks, options or fields the plan does not know always loads itself.
        if (getattr(schema, "_hooks", None) is not None and not any(schema._hooks.values())
                and not schema.many and schema.only is None and not schema.exclude
                and not schema.partial and schema.unknown in (RAISE, EXCLUDE)):
            planned = [_field_plan(name, field) for name, field in schema.load_fields.items()]
            if None not in planned:
                self._fields = planned
        self._names = frozenset(schema.load_fields)
        self._unknown_refused = schema.unknown == RAISE

    @property
    def planned(self) -> bool:
        """Whether the schema's happy path is planned (or every load is Schema.load's)."""
        return self._fields is not None

    def load(self, data: Any) -> dict[str, Any]:
        result = self._planned(data) if self._fields is not None and type(data) is dict else None
        return self.schema.load(data) if result is None else result

    def _planned(self, data: dict[str, Any]) -> dict[str, Any] | None:
        if self._unknown_refused and not data.keys() <= self._names:
            return None
        loaded: dict[str, Any] = {}
        for name, required, default, allow_none, plain, convert, checks in self._fields:
            value = data.get(name, missing)
            if value is missing:
                if required:
                    return None
                if default is not missing:
                    loaded[name] = default() if callable(default) else default
                continue
            if value is None:
                if not allow_none:
                    return None
                loaded[name] = None
                continue
            if plain is not None:
                if type(value) is not plain:
                    return None
            else:
                value = convert(value)
                if value is _UNSURE:
                    return None
            for check in checks:
                if not check(value):
                    return None
            loaded[name] = value
        return loaded
