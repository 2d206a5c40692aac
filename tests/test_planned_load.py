"""PlannedLoad: a push's envelope and every mutation's args load through the plan
exactly as marshmallow loads them. For each field of each schema, typical, boundary and
wrong values (and a missing key) give the same result, or the same error worded by the
schema itself."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from marshmallow import Schema, ValidationError, fields, validate

from backend.request_args import PlannedLoad
from backend.sync.mutations import HANDLERS
from backend.sync.protocol import mutation_schema

SHA = "ab" * 32
VALID_ARGS: dict[str, dict[str, Any]] = {
    "visit.depart": {"visit_id": "V1"},
    "visit.arrive": {"visit_id": "V1", "lat": 31.2, "lng": 121.5},
    "checklist.answer": {"visit_id": "V1", "item_code": "shoe_covers", "value": True, "note": "好"},
    "diagnosis.record": {"visit_id": "V1", "fault_code": "E1", "cause_code": "C2", "handling_code": None,
                         "notes": "电容鼓包"},
    "part.use": {"line_id": "L1", "sku": "CAP-35UF", "qty": 2, "source": "van", "charge": "paid"},
    "part.remove": {"line_id": "L1"},
    "old_part.collect": {"line_id": "L1", "sku": "CAP-35UF", "qty": 1},
    "fee.set": {"line_id": "F1", "item_code": "labour.capacitor", "qty": 1, "amount_fen": 8000},
    "fee.remove": {"line_id": "F1"},
    "quote.accept": {"signature_blob": SHA, "signer_name": "刘女士", "summary_hash": SHA},
    "signature.capture": {"blob": SHA, "signer_name": "刘女士", "summary_hash": SHA, "role": "customer",
                          "refused": False, "refusal_reason": None},
    "work.complete": {"visit_id": "V1", "resolution": "fixed", "notes": None},
    "payment.record": {"payment_id": "P1", "method": "wechat", "amount_fen": 12000},
    "rating.record": {"score": 5, "comment": "准时"},
    "photo.attach": {"blob": SHA, "caption": "铭牌"},
}
VALID_ENVELOPE = {"id": str(uuid.uuid4()), "seq": 7, "name": "part.use", "ticket_id": 42,
                  "at": "2026-11-23T05:11:57.123Z", "args": {"line_id": "L1"}}

# Values any field may be sent by a buggy or hostile device.
ANY_VALUES = [None, True, False, 0, 1, -1, 2**63, 10**400, 1.5, -0.0, float("nan"), float("inf"), "", "x",
              "E1", "5", "中文", "a\x00b", [], [1], {}, {"a": 1}]
TIMES = ["2026-11-23T05:11:57.123Z", "2026-11-23T13:11:57+08:00", "2026-11-23T05:11:57",
         "2026-11-23", "2026-W48-1T05:00Z", "20261123T051157Z", "2026-11-23 05:11:57+00:00", "now"]
UUIDS = [str(uuid.uuid4()), str(uuid.uuid4()).upper(), "{" + str(uuid.uuid4()) + "}", uuid.uuid4().hex,
         "urn:uuid:" + str(uuid.uuid4()), str(uuid.uuid4())[:-1]]


def _values_for(field: fields.Field, valid: Any) -> list[Any]:
    """What to send in one field: anything, its own boundaries, variations of a valid value."""
    values = [*ANY_VALUES, valid]
    for rule in field.validators:
        if isinstance(rule, validate.Range):
            values += [rule.min, rule.max, rule.min - 1, rule.max + 1, float(rule.min), rule.max + 0.5]
        if isinstance(rule, validate.Length):
            values += ["a" * n for n in (rule.min or 0, rule.max, rule.max + 1, max((rule.min or 0) - 1, 0))]
        if isinstance(rule, validate.OneOf):
            values += [*rule.choices, "nope", rule.choices[0].upper()]
    if isinstance(valid, str):
        values += [valid + "!", valid.upper(), " " + valid, valid + "\n"]
    if isinstance(field, fields.AwareDateTime):
        values += TIMES
    if isinstance(field, fields.UUID):  # UUIDText too
        values += UUIDS
    return values


def _outcome(loader: Schema | PlannedLoad, data: Any) -> tuple[str, Any]:
    try:
        return "loaded", loader.load(data)
    except ValidationError as error:
        return "refused", error.messages


def _same(schema: Schema, data: Any) -> None:
    expected, planned = _outcome(schema, data), _outcome(PlannedLoad(schema), data)
    if isinstance(expected[1], dict) and any(v != v for v in expected[1].values()):  # NaN never equals itself
        assert repr(planned) == repr(expected)
    else:
        assert planned == expected, data


CASES = [("envelope", mutation_schema, VALID_ENVELOPE)] + [
    (name, loader.schema, VALID_ARGS[name]) for name, (loader, _) in sorted(HANDLERS.items())]


def test_every_mutation_has_an_example_and_every_schema_is_planned():
    assert set(VALID_ARGS) == set(HANDLERS)
    assert all(PlannedLoad(schema).planned for _, schema, _ in CASES)


@pytest.mark.parametrize(("name", "schema", "valid"), CASES, ids=[c[0] for c in CASES])
def test_the_plan_loads_each_field_as_the_schema_does(name, schema, valid):
    _same(schema, valid)
    for field_name, field in schema.load_fields.items():
        _same(schema, {k: v for k, v in valid.items() if k != field_name})
        for value in _values_for(field, valid.get(field_name)):
            _same(schema, {**valid, field_name: value})


@pytest.mark.parametrize(("name", "schema", "valid"), CASES, ids=[c[0] for c in CASES])
def test_unknown_keys_and_bodies_that_are_not_objects_load_as_the_schema_loads_them(name, schema, valid):
    for data in ({**valid, "extra": 1}, {}, [], [valid], None, "x", 5):
        _same(schema, data)


def test_a_schema_the_plan_does_not_know_is_loaded_by_marshmallow_alone():
    class Visit(Schema):
        when = fields.Date(required=True)
        code = fields.String(validate=validate.ContainsOnly("ABC"))

    loader = PlannedLoad(Visit())
    assert not loader.planned
    assert loader.load({"when": "2026-11-23", "code": "AB"})["code"] == "AB"
    with pytest.raises(ValidationError):
        loader.load({"when": "tomorrow"})


@pytest.mark.parametrize(("name", "schema", "valid"), CASES, ids=[c[0] for c in CASES])
def test_a_valid_mutation_is_loaded_by_the_plan_without_marshmallows_machinery(name, schema, valid,
                                                                               monkeypatch):
    expected = schema.load(valid)
    loader = PlannedLoad(schema)
    monkeypatch.setattr(schema, "load", lambda data: pytest.fail("Schema.load was asked"))
    assert loader.load(valid) == expected
