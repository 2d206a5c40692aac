"""Web Push for new dispatches: keys, subscriptions per device, and what a push service
receives. A loopback fake push service checks the VAPID JWT (ES256, the server's key, the
audience) and decrypts the aes128gcm body with the subscription's private key."""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from click.testing import CliRunner
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from backend.db import db
from backend.notify import vapid
from backend.notify.cli import push_keys_command
from backend.notify.models import PushSubscription
from backend.notify.tasks import send_dispatch_push
from backend.people.models import Device

pytestmark = pytest.mark.storage


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class FakePushService:
    """A push service on 127.0.0.1: records each message; answers `status_for[path]` or 201."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.status_for: dict[str, int] = {}
        self.arrived = threading.Event()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                service.received.append({"path": self.path, "body": body,
                                         "headers": {k.lower(): v for k, v in self.headers.items()}})
                self.send_response(service.status_for.get(self.path, 201))
                self.send_header("Content-Length", "0")
                self.end_headers()
                service.arrived.set()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def wait(self, count: int = 1, timeout: float = 10) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Browser:
    """A browser's push subscription: its own P-256 key pair and auth secret."""

    def __init__(self, service: FakePushService) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth = secrets.token_bytes(16)
        self.endpoint = f"{service.origin}/push/{uuid.uuid4().hex}"

    @property
    def subscription(self) -> dict:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": b64url(public), "auth": b64url(self.auth)}}

    def decrypt(self, message: dict) -> dict:
        plain = http_ece.decrypt(message["body"], private_key=self.private_key, auth_secret=self.auth,
                                 version="aes128gcm")
        return json.loads(plain)


def verify_vapid(message: dict, keys: vapid.VapidKeys, audience: str) -> dict:
    """The Authorization header of RFC 8292: `vapid t=<JWT>, k=<public key>`; returns the claims."""
    scheme, _, params = message["headers"]["authorization"].partition(" ")
    assert scheme == "vapid"
    values = dict(part.strip().split("=", 1) for part in params.split(","))
    assert values["k"] == keys.public_key
    header_b64, claims_b64, signature_b64 = values["t"].split(".")
    assert json.loads(b64url_decode(header_b64)) == {"typ": "JWT", "alg": "ES256"}
    raw = b64url_decode(signature_b64)
    assert len(raw) == 64
    signature = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(values["k"]))
    public.verify(signature, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    claims = json.loads(b64url_decode(claims_b64))
    assert claims["aud"] == audience
    assert claims["sub"] == keys.subject
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    return claims


@pytest.fixture
def push_service() -> Iterator[FakePushService]:
    service = FakePushService()
    yield service
    service.close()


@pytest.fixture
def vapid_keys(app, tmp_path, monkeypatch) -> vapid.VapidKeys:
    keys = vapid.generate("mailto:dispatch@example.com")
    path = tmp_path / "vapid.json"
    vapid.save(keys, path)
    monkeypatch.setitem(app.config, "VAPID_KEYS_PATH", str(path))
    return keys


def subscribe(device, browser: Browser, expect: int = 201) -> dict:
    response = device.client.post("/api/push/subscriptions", headers=device.headers,
                                  json=browser.subscription)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def assign(desk, ticket_id: int, technician: str, **extra) -> None:
    """Assign as the office does; closing the response is when the server has sent it."""
    response = desk.post(f"/api/tickets/{ticket_id}/assign", json={"technician": technician, **extra})
    assert response.status_code == 200, response.get_json()
    response.close()


# --- keys and subscriptions ----------------------------------------------------------

def test_push_keys_creates_a_private_file_once_and_serves_the_public_key(app, client, phone, shop, tmp_path,
                                                                        monkeypatch):
    path = tmp_path / "instance" / "vapid.json"
    monkeypatch.setitem(app.config, "VAPID_KEYS_PATH", str(path))
    runner = CliRunner()
    with app.app_context():
        first = runner.invoke(push_keys_command, ["--subject", "mailto:ops@example.com"])
        again = runner.invoke(push_keys_command, [])
    assert first.exit_code == 0, first.output
    assert os.stat(path).st_mode & 0o777 == 0o600
    keys = vapid.load(path)
    assert keys.subject == "mailto:ops@example.com"
    assert "kept" in again.output and vapid.load(path) == keys

    shop.technician("tech1")
    response = phone("tech1").get("/api/push/public-key")

    assert response.status_code == 200
    public = b64url_decode(response.get_json()["public_key"])
    assert len(public) == 65 and public[0] == 4
    private = keys.private_key_object().public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    assert public == private
    assert "=" not in response.get_json()["public_key"]


def test_without_keys_the_public_key_answers_503_not_configured(app, shop, phone, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "VAPID_KEYS_PATH", str(tmp_path / "missing.json"))
    shop.technician("tech1")

    response = phone("tech1").get("/api/push/public-key")

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "push_not_configured"


def test_a_device_keeps_one_subscription_and_an_endpoint_follows_the_device_that_registers_it(
        shop, phone, push_service):
    shop.technician("tech1")
    shop.technician("tech2")
    first, second = phone("tech1", "phone A"), phone("tech2", "phone B")
    browser = Browser(push_service)

    created = subscribe(first, browser)
    subscribe(first, browser, expect=200)  # sent again on each app start: same row
    newer = Browser(push_service)
    subscribe(first, newer)  # the browser renewed its subscription

    rows = db.session.scalars(db.select(PushSubscription)).all()
    assert [(r.endpoint, r.device_id) for r in rows] == [(newer.endpoint, first.device_id)]
    assert created["device_id"] == first.device_id

    # The same phone, now logged in as tech2: its endpoint must stop reaching tech1.
    subscribe(second, newer, expect=200)
    db.session.expire_all()
    rows = db.session.scalars(db.select(PushSubscription)).all()
    assert [(r.endpoint, r.device_id) for r in rows] == [(newer.endpoint, second.device_id)]

    response = second.client.delete("/api/push/subscriptions", headers=second.headers,
                                    json={"endpoint": newer.endpoint})
    assert response.get_json() == {"removed": True}
    assert db.session.scalar(db.select(db.func.count()).select_from(PushSubscription)) == 0


@pytest.mark.parametrize("change, field", [
    (lambda s: s["keys"].update(p256dh=b64url(b"\x04" + b"1" * 10)), "keys"),
    (lambda s: s["keys"].update(auth=b64url(b"short")), "keys"),
    (lambda s: s.update(endpoint="http://10.0.0.5/push/x"), "endpoint"),
    (lambda s: s.update(endpoint="file:///etc/passwd"), "endpoint"),
])
def test_a_malformed_subscription_is_refused(shop, phone, push_service, change, field):
    shop.technician("tech1")
    device = phone("tech1")
    body = Browser(push_service).subscription
    change(body)

    response = device.client.post("/api/push/subscriptions", headers=device.headers, json=body)

    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]


def test_a_web_session_without_a_device_cannot_subscribe(shop, client, push_service):
    from tests.test_dispatch_pages import login_session

    shop.user("dispatcher")
    csrf = login_session(client, "dispatcher")

    response = client.post("/api/push/subscriptions", json=Browser(push_service).subscription,
                           headers={"X-CSRF-Token": csrf})

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "device_required"


# --- sending -------------------------------------------------------------------------

def test_assigning_sends_an_encrypted_signed_push_to_each_device_of_the_technician(
        shop, phone, office, push_service, vapid_keys):
    tech = shop.technician("tech1")
    other_service = FakePushService()
    try:
        phones = [phone("tech1", "phone"), phone("tech1", "tablet")]
        browsers = [Browser(push_service), Browser(other_service)]
        for device, browser in zip(phones, browsers, strict=True):
            subscribe(device, browser)
        ticket = shop.ticket(urgency="emergency")
        desk = office("dispatcher")
        start = datetime(2030, 5, 1, 2, 0, tzinfo=UTC)

        assign(desk, ticket.id, tech.username, scheduled_start=start.isoformat())

        for service, browser in zip((push_service, other_service), browsers, strict=True):
            [message] = service.wait(1)
            # a fresh claims dict per call: each push service sees its own audience
            verify_vapid(message, vapid_keys, service.origin)
            headers = message["headers"]
            assert headers["content-encoding"] == "aes128gcm"
            assert headers["urgency"] == "high"
            assert int(headers["ttl"]) > 0
            assert headers["topic"] == f"ticket-{ticket.id}"
            payload = browser.decrypt(message)
            assert payload["ticket_id"] == ticket.id and payload["number"] == ticket.number
            assert payload["type"] == "ticket.assigned"
            assert payload["category"] == "air_conditioner" and payload["district"] == "浦东"
            assert payload["scheduled_start"] == start.isoformat()
            assert payload["url"] == f"/app/job/{ticket.id}"
            text = json.dumps(payload, ensure_ascii=False)
            assert "刘女士" not in text and "世纪大道" not in text and ticket.customer.phone not in text
            assert len(message["body"]) < 1024
    finally:
        other_service.close()


def test_a_normal_ticket_is_pushed_with_normal_urgency_and_only_to_the_new_technician(
        shop, phone, office, push_service, vapid_keys):
    first, second = shop.technician("tech1"), shop.technician("tech2")
    old_browser, new_browser = Browser(push_service), Browser(push_service)
    subscribe(phone("tech1"), old_browser)
    subscribe(phone("tech2"), new_browser)
    ticket = shop.ticket(first)
    desk = office("dispatcher")

    assign(desk, ticket.id, second.username)

    [message] = push_service.wait(1)
    assert message["path"] == "/push/" + new_browser.endpoint.rsplit("/", 1)[1]
    assert message["headers"]["urgency"] == "normal"
    assert new_browser.decrypt(message)["ticket_id"] == ticket.id


def test_the_push_is_sent_after_the_response_and_a_dead_push_service_never_fails_the_request(
        shop, phone, office, push_service, vapid_keys):
    tech = shop.technician("tech1")
    subscribe(phone("tech1"), Browser(push_service))
    ticket = shop.ticket()
    desk = office("dispatcher")

    response = desk.post(f"/api/tickets/{ticket.id}/assign", json={"technician": tech.username})

    assert response.status_code == 200 and response.get_json()["technician"] == "tech1"
    assert push_service.received == []  # not before the response is out
    push_service.close()  # and now nothing listens there any more
    response.close()  # the server finishes the response; the job runs and fails quietly
    row = db.session.scalars(db.select(PushSubscription)).one()
    db.session.refresh(row)
    assert row.failures == 1 and row.last_sent_at is None


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_push_service_forgot_is_pruned(shop, phone, office, push_service, vapid_keys,
                                                          status):
    tech = shop.technician("tech1")
    gone, alive = Browser(push_service), Browser(push_service)
    subscribe(phone("tech1", "phone"), gone)
    subscribe(phone("tech1", "tablet"), alive)
    push_service.status_for["/push/" + gone.endpoint.rsplit("/", 1)[1]] = status
    ticket = shop.ticket()

    assign(office("dispatcher"), ticket.id, tech.username)

    push_service.wait(2)
    db.session.expire_all()
    assert [r.endpoint for r in db.session.scalars(db.select(PushSubscription))] == [alive.endpoint]


def test_a_revoked_device_gets_no_push_and_loses_its_subscription(shop, phone, office, push_service,
                                                                   vapid_keys):
    tech = shop.technician("tech1")
    device = phone("tech1")
    subscribe(device, Browser(push_service))
    admin = office("admin")
    assert admin.post(f"/api/devices/{device.device_id}/revoke").status_code == 200
    ticket = shop.ticket()

    assign(admin, ticket.id, tech.username)

    assert push_service.received == []
    assert db.session.scalar(db.select(db.func.count()).select_from(PushSubscription)) == 0
    assert db.session.get(Device, device.device_id).revoked_at is not None


def test_a_ticket_reassigned_again_before_the_job_runs_is_not_announced_to_the_first_technician(
        app, shop, phone, push_service, vapid_keys):
    first, second = shop.technician("tech1"), shop.technician("tech2")
    subscribe(phone("tech1"), Browser(push_service))
    ticket = shop.ticket(first)
    shop.assign(ticket, second)

    with app.app_context():
        report = send_dispatch_push(ticket.id, first.id)

    assert report is None and push_service.received == []


# --- the RQ path ---------------------------------------------------------------------

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def rq_queue(app, monkeypatch):
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown
    from rq import Queue

    redis = Redis.from_url(REDIS_URL)
    try:
        redis.ping()
    except RedisDown:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at {REDIS_URL} is unreachable")
        pytest.skip("Redis is not reachable here")
    name = f"fieldsync-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app.config, "JOB_QUEUE", name)
    queue = Queue(name, connection=redis)
    yield queue
    queue.delete(delete_jobs=True)
    for registry in (queue.finished_job_registry, queue.failed_job_registry):
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)
    redis.close()


def test_with_redis_the_push_waits_in_the_queue_until_a_worker_sends_it(
        app, shop, phone, office, push_service, vapid_keys, rq_queue):
    from rq import SimpleWorker

    tech = shop.technician("tech1")
    browser = Browser(push_service)
    subscribe(phone("tech1"), browser)
    ticket = shop.ticket()

    assign(office("dispatcher"), ticket.id, tech.username)

    assert rq_queue.count == 1
    assert push_service.received == []  # the request only queued it

    with app.app_context():
        worker = SimpleWorker([rq_queue], connection=rq_queue.connection)
        assert worker.work(burst=True)

    [message] = push_service.wait(1)
    verify_vapid(message, vapid_keys, push_service.origin)
    assert browser.decrypt(message)["ticket_id"] == ticket.id
    assert rq_queue.count == 0
    assert len(rq_queue.finished_job_registry) == 1
    row = db.session.scalars(db.select(PushSubscription)).one()
    db.session.refresh(row)
    assert row.last_sent_at is not None and row.last_sent_at > datetime.now(UTC) - timedelta(minutes=1)


def test_a_forged_signature_would_not_verify(vapid_keys, push_service):
    """The checker itself: a JWT signed by another key is refused."""
    other = vapid.generate("mailto:dispatch@example.com")
    browser = Browser(push_service)
    from pywebpush import webpush

    webpush(browser.subscription, data="{}", vapid_private_key=other.private_key,
            vapid_claims={"sub": other.subject}, ttl=60)
    [message] = push_service.wait(1)
    forged = {**message, "headers": {**message["headers"], "authorization": message["headers"][
        "authorization"].replace(other.public_key, vapid_keys.public_key)}}

    with pytest.raises(InvalidSignature):
        verify_vapid(forged, vapid_keys, push_service.origin)
