"""Bad input of every kind gets the one JSON error shape (or a `rejected` result inside a
push), never a 500 or an HTML page, and leaves what is stored as it was."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from backend.db import db

STORED = ["tickets", "customers", "part_lines", "fee_lines", "payments", "stock_moves", "stock_levels",
          "mutation_log", "audit_log", "flags", "blobs"]


def snapshot():
    """Row counts and the stock levels: what a bad request must leave untouched."""
    counts = {t: db.session.scalar(db.text(f"SELECT count(*) FROM {t}")) for t in STORED}
    counts["levels"] = sorted(db.session.execute(db.text("SELECT location_id, sku, qty FROM stock_levels")))
    db.session.rollback()  # end the read transaction: it must hold no lock or snapshot
    return counts


def assert_error(response, status, code=None):
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) <= {"code", "message", "fields"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


@pytest.fixture
def story(shop, phone, office):
    """A technician with a stocked van, a ticket of theirs and a phone; a dispatcher and the warehouse."""
    tech = shop.technician("tech1")
    shop.van(tech, {"CAP-35UF": 2})
    shop.fee("labour.capacitor", 8000)

    class Story:
        ticket = shop.ticket(tech)
        device = phone("tech1")
        desk = office("dispatcher")
        store = office("warehouse")

    return Story


def raw_push(device, body, **kwargs):
    return device.client.post("/api/sync/push", headers=device.headers, **kwargs,
                              **({} if "data" in kwargs else {"json": body}))


def push_body(device, *mutations):
    return {"device_id": device.device_id, "client_version": "test", "clock": device.now().isoformat(),
            "mutations": list(mutations)}


def part_use(device, ticket_id, **overrides):
    args = {"line_id": f"L-{uuid.uuid4().hex[:8]}", "sku": "CAP-35UF", "qty": 1, "source": "van",
            "charge": "paid"}
    args.update(overrides)
    return device.mutation("part.use", ticket_id, **args)


# --- bodies that are not a JSON object -----------------------------------------------------------

NOT_AN_OBJECT = {
    "truncated": b'{"customer": {"name": ',
    "array": b"[1, 2, 3]",
    "null": b"null",
    "string": b'"hello"',
    "not json at all": b"<html>hi</html>",
    "bad utf-8": b'{"a": "\xff\xfe"}',
    "nested too deep": b"[" * 100_000,
    "NaN is not JSON": b'{"device_id": NaN}',
}


@pytest.mark.storage
@pytest.mark.parametrize("body", NOT_AN_OBJECT.values(), ids=NOT_AN_OBJECT.keys())
@pytest.mark.parametrize("who, path", [("desk", "/api/tickets"), ("store", "/api/stock/moves"),
                                       ("device", "/api/sync/push")])
def test_a_body_that_is_not_a_json_object_is_refused(story, who, path, body):
    before = snapshot()

    response = story.device.client.post(path, headers=getattr(story, who).headers, data=body,
                                        content_type="application/json")

    assert_error(response, 400, "malformed_json")
    assert snapshot() == before


@pytest.mark.parametrize("body", NOT_AN_OBJECT.values(), ids=NOT_AN_OBJECT.keys())
def test_a_login_that_is_not_a_json_object_is_refused(client, body):
    assert_error(client.post("/api/auth/login", data=body, content_type="application/json"),
                 400, "malformed_json")


def test_a_form_post_instead_of_json_is_refused(client):
    response = client.post("/api/auth/login", data={"username": "tech1", "password": "demo"})

    assert_error(response, 400, "malformed_json")


# --- office requests with wrong fields -----------------------------------------------------------

BAD_MOVES = {
    "qty as a string": {"qty": "2"},
    "qty zero": {"qty": 0},
    "qty negative": {"qty": -3},
    "qty absurd": {"qty": 10**12},
    "qty fractional": {"qty": 1.5},
    "unknown reason": {"reason": "gift"},
    "no location": {"from": None, "to": None},
    "bad location": {"to": "the moon"},
    "sku missing": {"sku": None},
}


@pytest.mark.storage
@pytest.mark.parametrize("change", BAD_MOVES.values(), ids=BAD_MOVES.keys())
def test_a_malformed_stock_move_is_refused_with_its_fields(story, change):
    move = {"sku": "CAP-35UF", "qty": 1, "from": "warehouse", "to": "van:tech1", "reason": "transfer"}
    move.update(change)
    before = snapshot()

    error = assert_error(story.store.post("/api/stock/moves", json=move), 400, "validation_error")

    assert snapshot() == before
    if change != {"from": None, "to": None}:
        assert set(error["fields"]) == set(change)


@pytest.mark.storage
@pytest.mark.parametrize("change, status", [
    ({"sku": "NO-SUCH-PART"}, 404),
    ({"to": "van:nobody"}, 404),
])
def test_a_stock_move_naming_unknown_things_is_refused(story, change, status):
    move = {"sku": "CAP-35UF", "qty": 1, "from": "warehouse", "to": "van:tech1", "reason": "transfer"}
    move.update(change)
    before = snapshot()

    assert_error(story.store.post("/api/stock/moves", json=move), status, "not_found")

    assert snapshot() == before


@pytest.mark.storage
def test_an_intake_with_wrong_types_lists_every_bad_field(story):
    body = {"customer": {"name": "", "phone": 13800001111, "address": "x", "region": "浦东"},
            "appliance": {"brand": "格力", "category": "toaster", "model": "X", "warranty_months": "twelve"},
            "fault": "不制冷", "urgency": "whenever"}
    before = snapshot()

    error = assert_error(story.desk.post("/api/tickets", json=body), 400, "validation_error")

    assert set(error["fields"]) == {"customer", "appliance", "fault", "urgency"}
    assert set(error["fields"]["customer"]) == {"name", "phone"}
    assert set(error["fields"]["appliance"]) == {"category", "warranty_months"}
    assert snapshot() == before


@pytest.mark.storage
@pytest.mark.parametrize("path", ["/api/tickets/{id}", "/api/tickets/{id}/assign", "/api/tickets/{id}/cancel",
                                  "/api/flags/{id}/resolve"])
@pytest.mark.parametrize("unknown", [987654, 2**31, 10**30])
def test_an_unknown_ticket_or_flag_id_is_404(story, path, unknown):
    before = snapshot()
    url = path.format(id=unknown)
    body = {"assign": {"technician": "tech1"}, "cancel": {"reason": "x"}, "resolve": {"note": "x"}}

    if path == "/api/tickets/{id}":
        response = story.desk.get(url)
    else:
        response = story.desk.post(url, json=body[path.rsplit("/", 1)[1]])

    assert_error(response, 404, "not_found")
    assert snapshot() == before


@pytest.mark.storage
def test_assigning_to_someone_who_is_not_a_technician_is_refused(story):
    before = snapshot()

    nobody = story.desk.post(f"/api/tickets/{story.ticket.id}/assign", json={"technician": "nobody"})
    clerk = story.desk.post(f"/api/tickets/{story.ticket.id}/assign", json={"technician": "warehouse"})

    assert_error(nobody, 404, "not_found")
    assert_error(clerk, 400, "not_a_technician")
    assert snapshot() == before


@pytest.mark.storage
@pytest.mark.parametrize("query", [{"status": "lost"}, {"page": "two"}, {"page": 0}, {"per_page": 10_000},
                                   {"page": 10**30}, {"page": 2**62}])
def test_a_bad_ticket_list_query_is_refused(story, query):
    assert_error(story.desk.get("/api/tickets", query_string=query), 400, "validation_error")


@pytest.mark.storage
@pytest.mark.parametrize("who, path, body", [
    ("desk", "/api/tickets", {"customer": {"name": "王\x00", "phone": "13800001111", "address": "x",
                                           "region": "浦东"},
                              "appliance": {"brand": "格力", "category": "washer", "model": "X"},
                              "fault": {"category": "E1"}}),
    ("desk", "/api/tickets/{ticket}/cancel", {"reason": "客户\x00取消"}),
    ("desk", "/api/tickets/{ticket}/assign", {"technician": "tech1\x00"}),
    ("store", "/api/stock/moves", {"sku": "CAP-35UF\x00", "qty": 1, "from": None, "to": "warehouse",
                                   "reason": "purchase"}),
    (None, "/api/auth/login", {"username": "tech1\x00", "password": "demo"}),
], ids=["intake", "cancel", "assign", "stock move", "login"])
def test_text_with_a_nul_character_is_refused_before_it_reaches_the_database(story, who, path, body):
    before = snapshot()
    headers = getattr(story, who).headers if who else {}

    response = story.device.client.post(path.format(ticket=story.ticket.id), headers=headers, json=body)

    error = assert_error(response, 400, "validation_error")
    assert "\x00" not in json.dumps(error["fields"], ensure_ascii=False)
    assert snapshot() == before


@pytest.mark.storage
@pytest.mark.parametrize("query", [{"q": "王\x00"}, {"technician": "tech1\x00"}])
def test_a_ticket_search_with_a_nul_character_is_refused(story, query):
    assert_error(story.desk.get("/api/tickets", query_string=query), 400, "validation_error")


def test_a_stock_query_for_an_unknown_place_is_refused(shop, office):
    shop.locations()
    desk = office("warehouse")

    assert_error(desk.get("/api/stock?location=van:nobody"), 404, "not_found")
    assert_error(desk.get("/api/stock?location=../../etc"), 400, "validation_error")


# --- pushes --------------------------------------------------------------------------------------

def only_rejected_logs_added(before, after, rejected):
    """A rejected mutation is stored for review in mutation_log; nothing else may change."""
    assert after["mutation_log"] == before["mutation_log"] + rejected
    assert {k: v for k, v in after.items() if k != "mutation_log"} == {
        k: v for k, v in before.items() if k != "mutation_log"}


@pytest.mark.storage
@pytest.mark.parametrize("args, code", [
    ({"qty": "2"}, "validation_error"),
    ({"qty": 0}, "validation_error"),
    ({"qty": -1}, "validation_error"),
    ({"qty": 10**6}, "validation_error"),
    ({"qty": 10**20}, "validation_error"),
    ({"source": "pocket"}, "validation_error"),
    ({"sku": "NO-SUCH-PART"}, "unknown_sku"),
], ids=["qty string", "qty zero", "qty negative", "qty absurd", "qty huge", "bad source", "unknown sku"])
def test_a_bad_part_use_is_rejected_and_changes_nothing_but_the_log(story, args, code):
    device = story.device
    before = snapshot()

    [result] = device.push(part_use(device, story.ticket.id, **args))["results"]

    assert (result["status"], result["code"]) == ("rejected", code)
    assert result["message"]
    only_rejected_logs_added(before, snapshot(), 1)
    assert device.pull()["device_last_seq"] == 1


@pytest.mark.storage
@pytest.mark.parametrize("name, ticket, args, code", [
    ("no.such.mutation", None, {}, "unknown_mutation"),
    ("rating.record", 987654, {"score": 5}, "unknown_ticket"),
    ("fee.set", None, {"line_id": "F1", "item_code": "labour.teleport", "qty": 1}, "unknown_fee_item"),
    ("fee.set", None, {"line_id": "F1", "item_code": "labour.capacitor", "qty": 1, "amount_fen": -5},
     "validation_error"),
    ("payment.record", None, {"payment_id": "P1", "method": "cash", "amount_fen": 10**12},
     "validation_error"),
    ("rating.record", None, {"score": "5"}, "validation_error"),
    ("part.remove", None, {"line_id": "never-used"}, "unknown_line"),
], ids=["unknown name", "unknown ticket", "unknown fee item", "negative fee", "absurd payment",
        "score as string", "unknown line"])
def test_a_mutation_with_unknown_or_out_of_range_args_is_rejected(story, name, ticket, args, code):
    device = story.device
    before = snapshot()

    [result] = device.push(device.mutation(name, ticket or story.ticket.id, **args))["results"]

    assert (result["status"], result["code"]) == ("rejected", code)
    only_rejected_logs_added(before, snapshot(), 1)


@pytest.mark.storage
@pytest.mark.parametrize("missing", ["id", "seq"])
def test_a_mutation_without_id_or_seq_is_rejected_and_the_rest_apply(story, missing):
    device = story.device
    broken = part_use(device, story.ticket.id)
    del broken[missing]
    good = device.mutation("rating.record", story.ticket.id, score=5)
    before = snapshot()

    results = device.push(broken, good)["results"]

    assert [(r["status"], r.get("code")) for r in results] == [("rejected", "malformed_mutation"),
                                                               ("applied", None)]
    after = snapshot()
    assert after["part_lines"] == before["part_lines"]
    assert after["stock_moves"] == before["stock_moves"]
    assert after["mutation_log"] == before["mutation_log"] + 1


@pytest.mark.storage
@pytest.mark.parametrize("field, value", [("ticket_id", "{ticket}"), ("at", "yesterday"), ("args", [1, 2]),
                                          ("name", 7)])
def test_a_mutation_with_a_wrongly_typed_envelope_is_rejected(story, field, value):
    device = story.device
    mutation = part_use(device, story.ticket.id)
    mutation[field] = value.format(ticket=story.ticket.id) if isinstance(value, str) else value
    before = snapshot()

    [result] = device.push(mutation)["results"]

    assert (result["status"], result["id"]) == ("rejected", mutation["id"])
    after = snapshot()
    assert (after["part_lines"], after["stock_moves"], after["audit_log"]) == (
        before["part_lines"], before["stock_moves"], before["audit_log"])


@pytest.mark.storage
def test_a_malformed_mutation_with_an_id_and_seq_still_settles_its_seq(story):
    # DESIGN: a rejected mutation is stored with its reason and settles its seq, or the
    # device's outbox is stuck below it for ever.
    device = story.device
    bad = part_use(device, story.ticket.id)
    bad["ticket_id"] = str(story.ticket.id)
    good = device.mutation("rating.record", story.ticket.id, score=4)

    results = device.push(bad, good)["results"]

    assert [r["status"] for r in results] == ["rejected", "applied"]
    assert device.pull()["device_last_seq"] == 2
    assert device.push(bad)["results"][0]["status"] == "duplicate"


@pytest.mark.storage
@pytest.mark.parametrize("field, value", [("ticket_id", 2**40), ("ticket_id", 10**30), ("seq", 2**70)])
def test_an_out_of_range_number_in_a_mutation_is_rejected_not_a_crash(story, field, value):
    device = story.device
    mutation = device.mutation("rating.record", story.ticket.id, score=5)
    mutation[field] = value
    before = snapshot()

    response = raw_push(device, push_body(device, mutation))

    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    [result] = response.get_json()["results"]
    assert result["status"] == "rejected"
    after = snapshot()
    assert (after["part_lines"], after["audit_log"]) == (before["part_lines"], before["audit_log"])


@pytest.mark.storage
def test_a_mutation_name_with_a_nul_character_is_rejected_not_a_crash(story):
    device = story.device
    mutation = device.mutation("rating.record\x00", story.ticket.id, score=5)
    before = snapshot()

    response = raw_push(device, push_body(device, mutation))

    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.get_json()["results"][0]["status"] == "rejected"
    after = snapshot()
    assert (after["part_lines"], after["audit_log"]) == (before["part_lines"], before["audit_log"])


@pytest.mark.storage
@pytest.mark.parametrize("change, code", [
    ({"device_id": None}, "validation_error"),
    ({"clock": "now"}, "validation_error"),
    ({"clock": "2025-01-01T08:00:00"}, "validation_error"),  # a naive clock: which zone?
    ({"mutations": {"not": "a list"}}, "validation_error"),
])
def test_a_push_envelope_with_wrong_fields_is_refused(story, change, code):
    device = story.device
    body = push_body(device, part_use(device, story.ticket.id))
    body.update(change)
    before = snapshot()

    assert_error(raw_push(device, body), 400, code)

    assert snapshot() == before


@pytest.mark.storage
def test_a_push_for_another_device_is_refused_and_applies_nothing(story, phone):
    device = story.device
    other = phone("tech1", "other phone")
    body = push_body(device, part_use(device, story.ticket.id))
    body["device_id"] = other.device_id
    before = snapshot()

    assert_error(raw_push(device, body), 403, "device_mismatch")

    assert snapshot() == before


@pytest.mark.storage
def test_more_mutations_than_a_push_may_carry_are_refused_whole(story, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUSH_MAX_MUTATIONS", 3)
    device = story.device
    mutations = [device.mutation("rating.record", story.ticket.id, score=s) for s in (1, 2, 3, 4)]
    before = snapshot()

    assert_error(raw_push(device, push_body(device, *mutations)), 413, "too_many_mutations")

    assert snapshot() == before
    assert [r["status"] for r in device.push(*mutations[:3])["results"]] == ["applied"] * 3


@pytest.mark.storage
@pytest.mark.parametrize("who, path", [("device", "/api/sync/push"), ("desk", "/api/tickets")])
def test_a_body_over_the_size_limit_is_413_json(story, app, who, path):
    limit = app.config["MAX_CONTENT_LENGTH"]
    padding = "x" * (limit + 1)
    body = json.dumps({"device_id": story.device.device_id, "padding": padding}).encode()
    before = snapshot()

    response = story.device.client.post(path, headers=getattr(story, who).headers, data=body,
                                        content_type="application/json")

    assert_error(response, 413, "payload_too_large")
    assert snapshot() == before


def cursor_of(value):
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.storage
@pytest.mark.parametrize("cursor", [
    "not a cursor!", "%%%", cursor_of([1, 2]), cursor_of({"v": "12"}), cursor_of("v"),
    cursor_of({"v": 1, "hi": "x"}), cursor_of({"v": 1, "after": 5}), cursor_of({"v": 1, "after": ["a", "b"]}),
    cursor_of({"snap": 1, "after": "x"}), cursor_of({"v": 10**30}),
], ids=["garbage", "percent", "list", "v string", "bare string", "hi string", "after int", "after strings",
        "snapshot after string", "v huge"])
def test_an_invalid_pull_cursor_is_400(story, cursor):
    response = story.device.get(f"/api/sync/pull?cursor={cursor}")

    assert_error(response, 400, "invalid_cursor")


@pytest.mark.storage
@pytest.mark.parametrize("limit", ["0", "-1", "lots", "100000"])
def test_a_pull_limit_out_of_range_is_400(story, limit):
    assert_error(story.device.get(f"/api/sync/pull?limit={limit}"), 400, "validation_error")


@pytest.mark.storage
@pytest.mark.parametrize("header", ["Bearer revoked", "Bearer made-up-token", "Bearer ",
                                    "Basic dGVjaDE6ZGVtbw==", "bearer lowercase"])
def test_a_revoked_or_unknown_token_is_401_and_pushes_nothing(story, header):
    device = story.device
    mutation = part_use(device, story.ticket.id)
    if header == "Bearer revoked":
        story.device.client.post("/api/auth/logout", headers=device.headers)
        header = f"Bearer {device.token}"
    if header == "bearer lowercase":
        header = f"bearer {device.token}"
    before = snapshot()

    response = device.client.post("/api/sync/push", headers={"Authorization": header},
                                  json=push_body(device, mutation))

    assert_error(response, 401, "unauthorized")
    assert_error(device.client.get("/api/sync/pull", headers={"Authorization": header}), 401, "unauthorized")
    assert snapshot() == before


# --- the app around the API ----------------------------------------------------------------------

@pytest.mark.parametrize("method, path, status", [
    ("GET", "/api/no/such/thing", 404),
    ("GET", "/no-such-page", 404),
    ("GET", "/api/tickets/abc", 404),
    ("DELETE", "/api/tickets", 405),
    ("PUT", "/api/auth/login", 405),
])
def test_unknown_urls_and_methods_answer_the_json_error_shape(client, method, path, status):
    assert_error(client.open(path, method=method), status)
