"""/api/openapi.json: valid OpenAPI 3, complete, generated from the marshmallow schemas the
views use, and true to what the endpoints answer."""

from __future__ import annotations

import hashlib
import re

import pytest
from marshmallow import Schema
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from backend.openapi import OPERATIONS
from tests.conftest import PNG_1X1

# DESIGN.md, "The office JSON API" and "The sync contract (v1)": (method, path).
DESIGN_PATHS = [
    ("post", "/api/auth/login"), ("post", "/api/auth/logout"),
    ("get", "/api/sync/pull"), ("post", "/api/sync/push"),
    ("put", "/api/sync/blobs/{sha256}"), ("get", "/api/sync/blobs/{sha256}"),
    ("post", "/api/tickets"), ("get", "/api/tickets"), ("get", "/api/tickets/{ticket_id}"),
    ("post", "/api/tickets/{ticket_id}/assign"), ("post", "/api/tickets/{ticket_id}/cancel"),
    ("post", "/api/flags/{flag_id}/resolve"),
    ("get", "/api/stock"), ("post", "/api/stock/moves"),
    ("get", "/api/commission/statements"), ("post", "/api/commission/statements/close"),
    ("get", "/api/push/public-key"), ("post", "/api/push/subscriptions"),
    ("delete", "/api/push/subscriptions"),
]
UNDOCUMENTED = {"/api/openapi.json"}


@pytest.fixture
def spec(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def served_api_routes(app):
    """(method, path) of every /api/ route the app serves, with {name} for path arguments."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.rule in UNDOCUMENTED:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        routes |= {(method.lower(), path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def test_the_document_is_valid_openapi_3(spec):
    validate(spec)

    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] == "Fieldsync"
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}


def test_every_design_path_the_app_serves_is_documented(app, spec):
    served = served_api_routes(app)
    documented = {(method, path) for path, item in spec["paths"].items() for method in item}

    missing = {op for op in DESIGN_PATHS if op in served} - documented

    assert missing == set()
    assert {(method, path) for path, method, *_ in OPERATIONS} == documented


def test_every_api_route_the_app_serves_is_documented(app, spec):
    documented = {(method, path) for path, item in spec["paths"].items() for method in item}

    assert served_api_routes(app) - documented == set()
    assert documented - served_api_routes(app) == set()


def test_only_login_is_open_and_every_other_operation_wants_a_bearer_token(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if (method, path) == ("post", "/api/auth/login"):
                assert "security" not in operation
            else:
                assert operation["security"] == [{"bearer": []}], (method, path)
            assert operation["responses"]["401"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"}


def component_name(schema) -> str:
    name = (schema if isinstance(schema, type) else type(schema)).__name__
    return name.removesuffix("Schema")


def loadable_fields(schema_class: type[Schema]) -> dict:
    return {field.data_key or name: field for name, field in schema_class().fields.items()
            if not field.dump_only}


@pytest.mark.parametrize("path, method, body", [(p, m, b) for p, m, _, _, b, _, _ in OPERATIONS if b],
                         ids=lambda v: v.__name__ if isinstance(v, type) else str(v))
def test_each_request_body_is_the_views_marshmallow_schema(spec, path, method, body):
    content = spec["paths"][path][method]["requestBody"]["content"]["application/json"]
    name = component_name(body)

    assert content["schema"] == {"$ref": f"#/components/schemas/{name}"}
    component = spec["components"]["schemas"][name]
    fields = loadable_fields(body)
    assert set(fields) <= set(component["properties"])
    assert set(component.get("required", [])) == {key for key, f in fields.items() if f.required}


def test_the_office_request_schemas_are_components(spec):
    assert {"TicketCreate", "Assign", "Cancel", "ResolveFlag", "StockMove", "Login", "Customer", "Appliance",
            "Fault"} <= set(spec["components"]["schemas"])
    stock_move = spec["components"]["schemas"]["StockMove"]["properties"]
    assert "from" in stock_move and "from_" not in stock_move
    assert spec["components"]["schemas"]["TicketCreate"]["properties"]["customer"] == {
        "$ref": "#/components/schemas/Customer"}


@pytest.mark.parametrize("path, method, query", [(p, m, q) for p, m, _, _, _, q, _ in OPERATIONS if q],
                         ids=lambda v: v.__name__ if isinstance(v, type) else str(v))
def test_each_query_string_is_the_views_marshmallow_schema(spec, path, method, query):
    parameters = spec["paths"][path][method]["parameters"]

    assert {p["name"] for p in parameters if p["in"] == "query"} == set(loadable_fields(query))


class Documented:
    """Checks that a response has a documented status and matches its documented schema."""

    def __init__(self, spec):
        self.spec = spec
        self.checked: set[tuple[str, str]] = set()

    def check(self, method, path_template, response):
        responses = self.spec["paths"][path_template][method]["responses"]
        status = str(response.status_code)
        assert status in responses, (method, path_template, status, response.get_json())
        media = responses[status].get("content", {}).get("application/json")
        if media is not None:
            schema = {**media["schema"], "components": self.spec["components"]}
            errors = list(OAS30Validator(schema).iter_errors(response.get_json()))
            assert errors == [], (method, path_template, [e.message for e in errors[:5]])
        self.checked.add((method, path_template))
        return response


def test_what_the_endpoints_answer_is_what_the_document_says(spec, shop, phone, office, client):
    doc = Documented(spec)
    tech = shop.technician("tech1")
    shop.technician("tech2")
    shop.van(tech, {"CAP-35UF": 1})
    shop.fee("labour.capacitor", 8000)
    admin, store = office("admin"), office("warehouse")
    device = phone("tech1")

    login = client.post("/api/auth/login", json={"username": "tech2", "password": "demo"})
    doc.check("post", "/api/auth/login", login)
    doc.check("get", "/api/auth/me", device.get("/api/auth/me"))
    created = doc.check("post", "/api/tickets", admin.post("/api/tickets", json={
        "customer": {"name": "王先生", "phone": "13800001111", "address": "上海", "region": "浦东"},
        "appliance": {"brand": "格力", "category": "air_conditioner", "model": "KFR-35GW"},
        "fault": {"category": "E1"}})).get_json()
    ticket = f"/api/tickets/{created['id']}"
    doc.check("post", "/api/tickets/{ticket_id}/assign", admin.post(f"{ticket}/assign",
                                                                    json={"technician": "tech1"}))
    visit_id = device.pull()["tickets"][0]["visits"][0]["id"]
    put = client.put(f"/api/sync/blobs/{hashlib.sha256(PNG_1X1).hexdigest()}", headers=device.headers,
                     data=PNG_1X1)
    doc.check("put", "/api/sync/blobs/{sha256}", put)
    sha = put.get_json()["sha256"]
    doc.check("get", "/api/sync/blobs/{sha256}", device.get(f"/api/sync/blobs/{sha}"))
    device.push(
        device.mutation("visit.arrive", created["id"], visit_id=visit_id),
        device.mutation("part.use", created["id"], line_id="L1", sku="CAP-35UF", qty=2, source="van",
                        charge="paid"),
        device.mutation("fee.set", created["id"], line_id="F1", item_code="labour.capacitor", qty=1,
                        amount_fen=5000),
        device.mutation("diagnosis.record", created["id"], visit_id=visit_id, fault_code="E1"),
        device.mutation("old_part.collect", created["id"], line_id="O1", sku="CAP-35UF", qty=1),
        device.mutation("signature.capture", created["id"], blob=sha, signer_name="王先生",
                        summary_hash="0" * 64),
        device.mutation("payment.record", created["id"], payment_id="P1", method="cash", amount_fen=14000),
        device.mutation("rating.record", created["id"], score=5),
        device.mutation("photo.attach", created["id"], blob=sha),
    )
    doc.check("get", "/api/tickets/{ticket_id}", admin.get(ticket))
    doc.check("get", "/api/tickets/{ticket_id}", device.get(ticket))
    doc.check("get", "/api/tickets", admin.get("/api/tickets?status=in_progress"))
    flags = doc.check("get", "/api/flags", admin.get("/api/flags")).get_json()["flags"]
    doc.check("post", "/api/flags/{flag_id}/resolve", admin.post(f"/api/flags/{flags[0]['id']}/resolve",
                                                                 json={"note": "ok"}))
    doc.check("get", "/api/stock", store.get("/api/stock?location=van:tech1"))
    doc.check("post", "/api/stock/moves", store.post("/api/stock/moves", json={
        "sku": "CAP-35UF", "qty": 3, "from": None, "to": "warehouse", "reason": "purchase"}))
    doc.check("post", "/api/tickets/{ticket_id}/cancel", admin.post(f"{ticket}/cancel", json={"reason": "x"}))
    doc.check("get", "/api/devices", admin.get("/api/devices"))
    doc.check("post", "/api/devices/{device_id}/revoke",
              admin.post(f"/api/devices/{login.get_json()['device_id']}/revoke"))
    doc.check("post", "/api/auth/logout", client.post("/api/auth/logout", headers=device.headers))
    # and the error shape, as documented for 400, 401, 403 and 404
    doc.check("get", "/api/tickets/{ticket_id}", admin.get("/api/tickets/999999"))
    doc.check("post", "/api/tickets", admin.post("/api/tickets", json={"customer": {}}))
    doc.check("get", "/api/stock", client.get("/api/stock"))
    doc.check("get", "/api/flags", store.get("/api/flags"))

    office = {op for op in DESIGN_PATHS if op[1].startswith(("/api/tickets", "/api/flags", "/api/stock"))}
    assert office <= doc.checked
