"""Who may call what: device tokens, revocation at once, and the role check on every endpoint."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.db import db, utcnow
from backend.people.auth import hash_token
from backend.people.models import Device


def login(client, username, password="demo", device_name="phone"):
    return client.post("/api/auth/login", json={"username": username, "password": password,
                                                "device_name": device_name})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]


def test_logging_in_gives_a_device_token_and_the_user(shop, client):
    shop.technician("tech1")

    response = login(client, "tech1", device_name="刘师傅的手机")

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"token", "device_id", "user"}
    assert body["user"]["username"] == "tech1"
    assert body["user"]["role"] == "technician"
    assert body["user"]["technician"]["skills"] == ["air_conditioner"]
    assert "password" not in body["user"] and "password_hash" not in body["user"]
    device = db.session.get(Device, body["device_id"])
    assert device.name == "刘师傅的手机"
    assert device.token_hash == hash_token(body["token"]) != body["token"]
    me = client.get("/api/auth/me", headers=bearer(body["token"]))
    assert me.get_json()["username"] == "tech1"


def test_each_login_is_a_new_device_with_its_own_token(shop, client):
    shop.technician("tech1")

    first, second = login(client, "tech1").get_json(), login(client, "tech1").get_json()

    assert first["device_id"] != second["device_id"]
    assert first["token"] != second["token"]


@pytest.mark.parametrize("username, password", [("tech1", "wrong"), ("nobody", "demo")])
def test_a_wrong_password_or_unknown_user_gets_401_in_the_shared_shape(shop, client, username, password):
    shop.technician("tech1")

    response = login(client, username, password)

    assert_error(response, 401, "invalid_credentials")
    assert db.session.scalar(db.select(db.func.count()).select_from(Device)) == 0


def test_logging_out_revokes_the_token_at_once(shop, client):
    shop.technician("tech1")
    token = login(client, "tech1").get_json()["token"]

    assert client.post("/api/auth/logout", headers=bearer(token)).status_code == 200

    assert_error(client.get("/api/auth/me", headers=bearer(token)), 401, "unauthorized")
    assert_error(client.get("/api/sync/pull", headers=bearer(token)), 401, "unauthorized")


def test_an_admin_revokes_a_technicians_device_and_only_that_one_stops(shop, phone, office):
    shop.technician("tech1")
    lost, spare = phone("tech1", "lost phone"), phone("tech1", "spare phone")
    admin = office("admin")
    assert lost.get("/api/sync/pull").status_code == 200

    response = admin.post(f"/api/devices/{lost.device_id}/revoke")

    assert response.status_code == 200
    assert response.get_json()["revoked_at"] is not None
    assert_error(lost.get("/api/sync/pull"), 401, "unauthorized")
    assert spare.get("/api/sync/pull").status_code == 200
    listed = {d["id"]: d for d in admin.get("/api/devices").get_json()}
    assert listed[lost.device_id]["revoked_at"] is not None
    assert listed[spare.device_id]["revoked_at"] is None


@pytest.mark.parametrize("role", ["dispatcher", "warehouse", "finance", "technician"])
def test_only_an_admin_may_revoke_another_users_device(shop, phone, office, client, role):
    shop.technician("tech1")
    device = phone("tech1")
    if role == "technician":
        shop.technician("tech2")
        caller = phone("tech2")
    else:
        caller = office(role)

    response = client.post(f"/api/devices/{device.device_id}/revoke", headers=caller.headers)

    assert_error(response, 403, "forbidden")
    assert db.session.get(Device, device.device_id).revoked_at is None
    assert device.get("/api/sync/pull").status_code == 200


OFFICE_ENDPOINTS = [
    ("post", "/api/tickets"),
    ("get", "/api/tickets"),
    ("post", "/api/tickets/1/assign"),
    ("post", "/api/tickets/1/cancel"),
    ("get", "/api/flags"),
    ("post", "/api/flags/1/resolve"),
    ("get", "/api/stock"),
    ("post", "/api/stock/moves"),
    ("get", "/api/devices"),
]


@pytest.mark.parametrize("method, path", OFFICE_ENDPOINTS)
def test_office_endpoints_refuse_a_technicians_token(shop, phone, client, method, path):
    shop.technician("tech1")
    device = phone("tech1")

    response = client.open(path, method=method.upper(), headers=device.headers, json={})

    assert_error(response, 403, "forbidden")


@pytest.mark.parametrize("method, path", OFFICE_ENDPOINTS)
def test_office_endpoints_want_a_token(client, method, path):
    response = client.open(path, method=method.upper(), json={})

    assert_error(response, 401, "unauthorized")


def test_a_technician_reads_a_ticket_only_while_it_is_or_was_theirs(shop, phone):
    first, second = shop.technician("tech1"), shop.technician("tech2")
    shop.technician("tech3")
    ticket = shop.ticket(first)
    shop.assign(ticket, second)
    before, now, never = phone("tech1"), phone("tech2"), phone("tech3")

    assert before.get(f"/api/tickets/{ticket.id}").status_code == 200
    assert now.get(f"/api/tickets/{ticket.id}").status_code == 200
    assert_error(never.get(f"/api/tickets/{ticket.id}"), 403, "forbidden")


def test_a_dispatcher_cannot_post_stock_moves_but_the_warehouse_can(shop, office):
    shop.locations()
    shop.part("CAP-35UF")
    move = {"sku": "CAP-35UF", "qty": 5, "from": None, "to": "warehouse", "reason": "purchase"}

    assert_error(office("dispatcher").post("/api/stock/moves", json=move), 403, "forbidden")
    assert office("warehouse").post("/api/stock/moves", json=move).status_code == 201


@pytest.mark.parametrize("role", ["admin", "dispatcher", "warehouse", "finance"])
def test_an_office_token_cannot_pull_or_push(shop, office, role):
    desk = office(role)
    device_id = db.session.scalars(db.select(Device.id)).one()

    assert_error(desk.get("/api/sync/pull"), 403, "forbidden")
    push = desk.post("/api/sync/push", json={"device_id": device_id, "clock": "2025-01-01T00:00:00+00:00",
                                             "mutations": []})
    assert_error(push, 403, "forbidden")


def test_a_device_idle_past_the_limit_must_log_in_again(shop, phone, app):
    shop.technician("tech1")
    device = phone("tech1")
    row = db.session.get(Device, device.device_id)
    row.last_seen_at = utcnow() - timedelta(days=app.config["TOKEN_IDLE_DAYS"] + 1)
    db.session.commit()

    response = device.get("/api/sync/pull")

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "token_expired"


def test_a_pull_records_when_the_device_last_synced(shop, phone):
    shop.technician("tech1")
    device = phone("tech1")
    before = db.session.get(Device, device.device_id).last_seen_at

    device.pull()

    db.session.expire_all()
    assert db.session.get(Device, device.device_id).last_seen_at > before
