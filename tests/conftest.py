"""Fixtures: an app on a migrated database (SQLite, or PostgreSQL with TEST_DATABASE_URL),
emptied before each test, and builders that state only what a story needs."""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from backend import create_app
from backend.audit import Actor
from backend.catalog.models import ChecklistTemplate, FeeItem, Part
from backend.db import db, utcnow
from backend.inventory.service import SINGLETON_LOCATIONS, ensure_location, move_stock, van_of
from backend.people.models import User
from backend.people.service import create_user
from backend.tickets.models import Ticket
from backend.tickets.service import assign_ticket, create_ticket

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
ON_POSTGRES = bool(TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgresql"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The PostgreSQL run repeats the storage and sync stories only; tests about
    # PostgreSQL's concurrency belong to that run alone (deselected, not skipped).
    if ON_POSTGRES:
        keep = [i for i in items if "storage" in i.keywords]
    else:
        keep = [i for i in items if "postgres_only" not in i.keywords]
    config.hook.pytest_deselected(items=[i for i in items if i not in keep])
    items[:] = keep


def _postgres_reachable(url: str) -> bool:
    try:
        engine = sa.create_engine(url)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except sa.exc.OperationalError:
        return False


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> None:
    import backend.people.service as people_service

    people_service.PASSWORD_METHOD = "pbkdf2:sha256:1000"


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    if ON_POSTGRES:
        if not _postgres_reachable(TEST_DATABASE_URL):
            if os.environ.get("CI") == "true":
                pytest.exit(f"PostgreSQL at {TEST_DATABASE_URL} is unreachable", returncode=3)
            pytest.skip("PostgreSQL is not reachable here")
        url = TEST_DATABASE_URL
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    with app.app_context():
        upgrade(revision="heads")
    yield app
    with app.app_context():
        db.engine.dispose()




@pytest.fixture(autouse=True)
def clean_database(app: Flask) -> Iterator[None]:
    with app.app_context():
        with db.engine.begin() as conn:
            # Children before parents; the counter row stays, reset.
            for table in reversed(db.metadata.sorted_tables):
                if table.name != "sync_counter":
                    conn.execute(table.delete())
            conn.execute(sa.text("UPDATE sync_counter SET value = 0, catalog_seq = 0"))
        yield
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


_names = itertools.count(1)


class Shop:
    """Builders for the given-part of a story; each commits, like the office would."""

    def __init__(self) -> None:
        self.now = utcnow()
        self._admin: User | None = None

    @property
    def actor(self) -> Actor:
        if self._admin is None:
            self._admin = create_user(f"boss{next(_names)}", "pw", "admin", "Boss")
        return Actor(user_id=self._admin.id, username=self._admin.username, role="admin",
                     terminal="test")

    def user(self, username: str, role: str = "dispatcher", password: str = "demo") -> User:
        user = create_user(username, password, role, username.title())
        db.session.commit()
        return user

    def technician(self, username: str = "tech1", **overrides: Any) -> User:
        profile = {"skills": ["air_conditioner"], "regions": ["浦东"], "grade": "senior",
                   "daily_capacity": 6}
        profile.update(overrides)
        user = create_user(username, "demo", "technician", username.title(), technician=profile)
        van_of(user.id, username)
        db.session.commit()
        return user

    def part(self, sku: str = "CAP-35UF", price_fen: int = 4500, **overrides: Any) -> Part:
        part = db.session.get(Part, sku)
        if part is None:
            fields = {"name": f"零件 {sku}", "name_en": sku, "category": "air_conditioner",
                      "price_fen": price_fen, "cost_fen": price_fen // 2, "warranty_months": 3}
            fields.update(overrides)
            part = Part(sku=sku, **fields)
            db.session.add(part)
            db.session.commit()
        return part

    def fee(self, item_code: str = "labour.capacitor", amount_fen: int = 8000, **overrides: Any) -> FeeItem:
        fields = {"name": item_code, "name_en": item_code, "kind": "labour",
                  "category": "air_conditioner", "brand": None, "region": None,
                  "warranty_covered": True}
        fields.update(overrides)
        item = FeeItem(item_code=item_code, amount_fen=amount_fen, **fields)
        db.session.add(item)
        db.session.commit()
        return item

    def checklist(self) -> None:
        db.session.add(ChecklistTemplate(code="arrival", phase="arrival", items=[
            {"item_code": "shoe_covers", "label": "已穿鞋套", "label_en": "Shoe covers", "kind": "bool"}]))
        db.session.commit()

    def locations(self) -> None:
        for code in SINGLETON_LOCATIONS:
            ensure_location(code, code)
        db.session.commit()

    def van(self, technician: User, stock: dict[str, int]) -> None:
        """Stock the technician's van from the warehouse, as a requisition would."""
        self.locations()
        warehouse = ensure_location("warehouse", "warehouse")
        van = van_of(technician.id, technician.username)
        for sku, qty in stock.items():
            self.part(sku)
            move_stock(self.actor, sku=sku, qty=qty, from_location=None, to_location=warehouse,
                       reason="purchase", at=self.now)
            move_stock(self.actor, sku=sku, qty=qty, from_location=warehouse, to_location=van,
                       reason="transfer", at=self.now)
        db.session.commit()

    def ticket(self, technician: User | None = None, *, in_warranty: bool = False,
               phone: str | None = None, category: str = "air_conditioner", **overrides: Any) -> Ticket:
        self.locations()
        purchase = date.today() - timedelta(days=100 if in_warranty else 1000)
        data = {
            "customer": {"name": "刘女士", "phone": phone or f"1380000{next(_names):04d}",
                         "address": "上海市浦东新区世纪大道 100 号", "region": "浦东", "tier": "regular"},
            "appliance": {"brand": "格力", "category": category, "model": "KFR-35GW",
                          "serial": f"SN{uuid.uuid4().hex[:10]}", "purchase_date": purchase,
                          "warranty_months": 12},
            "fault": {"category": "E1", "description": "不制冷"},
            "urgency": "normal", "source": "phone",
        }
        data.update(overrides)
        ticket = create_ticket(self.actor, data, self.now)
        if technician is not None:
            assign_ticket(self.actor, ticket, technician.username, self.now + timedelta(hours=1),
                          self.now + timedelta(hours=3), self.now)
        db.session.commit()
        return ticket

    def assign(self, ticket: Ticket, technician: User) -> None:
        assign_ticket(self.actor, db.session.get(Ticket, ticket.id), technician.username, None, None,
                      utcnow())
        db.session.commit()


@pytest.fixture
def shop(app: Flask) -> Shop:
    return Shop()


class Phone:
    """A technician's device talking the sync contract, with its own outbox seq."""

    def __init__(self, client: FlaskClient, username: str, password: str = "demo",
                 name: str = "phone") -> None:
        self.client = client
        response = client.post("/api/auth/login", json={"username": username, "password": password,
                                                       "device_name": name})
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        self.token, self.device_id = body["token"], body["device_id"]
        self.seq = 0
        self.cursor: str | None = None
        self.clock_offset = timedelta(0)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def now(self) -> datetime:
        return utcnow() + self.clock_offset

    def mutation(self, name: str, ticket_id: int, **args: Any) -> dict[str, Any]:
        self.seq += 1
        return {"id": str(uuid.uuid4()), "seq": self.seq, "name": name, "ticket_id": ticket_id,
                "at": self.now().isoformat(), "args": args}

    def push(self, *mutations: dict[str, Any], expect: int = 200) -> dict[str, Any]:
        response = self.client.post("/api/sync/push", headers=self.headers, json={
            "device_id": self.device_id, "client_version": "test", "clock": self.now().isoformat(),
            "mutations": list(mutations)})
        assert response.status_code == expect, response.get_json()
        return response.get_json()

    def pull(self, limit: int = 100, *, fresh: bool = False) -> dict[str, Any]:
        """Pull every page; returns the pages merged like a device would keep them."""
        if fresh:
            self.cursor = None
        merged: dict[str, Any] = {"tickets": [], "removed_ticket_ids": [], "pages": 0}
        # Requests here share the test's session (same app context): end its read
        # transaction, as a real request would start fresh.
        db.session.rollback()
        while True:
            query = {"limit": limit}
            if self.cursor:
                query["cursor"] = self.cursor
            response = self.client.get("/api/sync/pull", headers=self.headers, query_string=query)
            assert response.status_code == 200, response.get_json()
            page = response.get_json()
            merged["pages"] += 1
            merged["tickets"].extend(page["tickets"])
            merged["removed_ticket_ids"].extend(page["removed_ticket_ids"])
            for key in ("catalog", "stock", "device_last_seq", "server_time"):
                if key in page:
                    merged[key] = page[key]
            self.cursor = page["cursor"]
            if not page["has_more"]:
                return merged

    def get(self, path: str) -> Any:
        return self.client.get(path, headers=self.headers)

    def put_blob(self, data: bytes) -> str:
        import hashlib

        sha = hashlib.sha256(data).hexdigest()
        response = self.client.put(f"/api/sync/blobs/{sha}", headers=self.headers, data=data)
        assert response.status_code in (200, 201), response.get_json()
        return sha


@pytest.fixture
def phone(client: FlaskClient):
    def login(username: str, name: str = "phone") -> Phone:
        return Phone(client, username, name=name)

    return login


class Office:
    def __init__(self, client: FlaskClient, username: str) -> None:
        self.client = client
        body = client.post("/api/auth/login", json={"username": username, "password": "demo",
                                                    "device_name": "office"}).get_json()
        self.headers = {"Authorization": f"Bearer {body['token']}"}

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.headers, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.client.post(path, headers=self.headers, json=json, **kwargs)


@pytest.fixture
def office(client: FlaskClient, shop: Shop):
    def login(role: str = "dispatcher") -> Office:
        if db.session.execute(db.select(User).where(User.username == role)).first() is None:
            shop.user(role, role=role)
        return Office(client, role)

    return login


# A 1x1 transparent PNG: the smallest real signature image.
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4b900"
    "00000049454e44ae426082"
)
