"""The office's browser tests: the real app on a loopback port, over a migrated SQLite file
with the demo data and an ordinary morning on top, driven in Debian's Chromium."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from backend import create_app
from backend.audit import Actor
from backend.db import db, utcnow
from backend.people.models import User
from backend.tickets.models import Ticket
from backend.tickets.service import create_ticket
from tests.e2e import live
from tests.e2e.live import build_pwa, launch_chromium, seeded_database

__all__ = ["DESKTOP", "SCREENSHOTS", "LiveServer", "build_pwa", "launch_chromium", "seeded_morning"]

SCREENSHOTS = live.PROJECT_DIR / "tests" / "e2e" / "screenshots"


def mid_morning_zone(hour_utc: int) -> str:
    """A whole-hour zone where it is ten in the morning at this UTC hour. The office's stories
    read today's board and assign two hours ahead, which late in a Shanghai evening would
    land tomorrow: the office's browser and server both work in this zone instead."""
    offset = (10 - hour_utc + 12) % 24 - 12  # hours east of UTC, -12 .. 11
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/UTC"  # tz names the sign the other way


OFFICE_ZONE = mid_morning_zone(utcnow().hour)
DESKTOP = {"viewport": {"width": 1440, "height": 900}, "timezone_id": OFFICE_ZONE}


class LiveServer(live.LiveServer):
    """The phones' live server (tests/e2e/live.py) with the demo's PWA build unless
    PWA_DIST_DIR is given; `requests` records each request's method, path and token."""

    def __init__(self, database: Path, **config: Any) -> None:
        super().__init__(database, None, **{"TIMEZONE": OFFICE_ZONE, **config})
        self.requests: list[tuple[str, str, str]] = []
        inner = self.app.wsgi_app

        def recording(environ, start_response):
            self.requests.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""),
                                  environ.get("HTTP_AUTHORIZATION", "")))
            return inner(environ, start_response)

        self.app.wsgi_app = recording

    def phone(self, username: str) -> PhoneClient:
        return PhoneClient(self.app, username)

    def office(self, username: str = "dispatcher") -> PhoneClient:
        return PhoneClient(self.app, username, device="office")


class PhoneClient:
    """The JSON API as a technician's phone (or an office terminal) uses it."""

    def __init__(self, app: Flask, username: str, device: str = "phone") -> None:
        self.client = app.test_client()
        response = self.client.post("/api/auth/login", json={"username": username, "password": "demo",
                                                             "device_name": device})
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        self.token, self.device_id = body["token"], body["device_id"]
        self.headers = {"Authorization": f"Bearer {self.token}"}
        self.seq = 0

    def get(self, path: str) -> Any:
        response = self.client.get(path, headers=self.headers)
        assert response.status_code == 200, (path, response.get_json())
        return response.get_json()

    def post(self, path: str, body: Any) -> Any:
        response = self.client.post(path, headers=self.headers, json=body)
        assert response.status_code in (200, 201), (path, response.get_json())
        return response.get_json()

    def pull(self) -> dict[str, Any]:
        return self.get("/api/sync/pull?limit=500")

    def push(self, ticket_id: int, name: str, **args: Any) -> dict[str, Any]:
        self.seq += 1
        return self.post("/api/sync/push", {
            "device_id": self.device_id, "client_version": "e2e", "clock": utcnow().isoformat(),
            "mutations": [{"id": str(uuid.uuid4()), "seq": self.seq, "name": name, "ticket_id": ticket_id,
                           "at": utcnow().isoformat(), "args": args}]})


def _intake(actor: Actor, name: str, phone: str, region: str, tier: str, appliance: tuple, fault: tuple,
            urgency: str = "normal") -> Ticket:
    brand, category, model, serial = appliance
    return create_ticket(actor, {
        "customer": {"name": name, "phone": phone, "address": f"上海市{region}区建国路 {phone[-3:]} 号",
                     "region": region, "tier": tier},
        "appliance": {"brand": brand, "category": category, "model": model, "serial": serial,
                      "purchase_date": None, "warranty_months": 12},
        "fault": {"category": fault[0], "description": fault[1]}, "urgency": urgency, "source": "phone",
    }, utcnow())


def seeded_morning(path: Path) -> Path:
    """Demo data, then a morning: calls waiting, technicians on the road, a flag, a rejection,
    and a repair of 周先生's air conditioner completed last week."""
    seeded_database(path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "e2e-office"})
    with app.app_context():
        admin = db.session.execute(db.select(User).where(User.username == "admin")).scalar_one()
        actor = Actor(user_id=admin.id, username="admin", role="admin", terminal="e2e")
        now = utcnow()
        late = _intake(actor, "钱先生", "13700000011", "浦东", "regular",
                       ("美的", "air_conditioner", "KFR-50LW", "MD2020X011"), ("E1", "制冷效果差"))
        late.created_at = now - timedelta(hours=3)  # nobody has called him back: overdue
        _intake(actor, "冯女士", "13700000012", "静安", "vip", ("海尔", "fridge", "BCD-521", None),
                ("F-WARM", "冷藏室不凉，食物变质"), urgency="urgent")
        _intake(actor, "陈先生", "13700000013", "闵行", "regular",
                ("A.O.史密斯", "water_heater", "E80", None), ("H-NOHEAT", "热水器漏水，已关总阀"),
                urgency="emergency")
        db.session.commit()

    client = app.test_client()
    phones = {u: PhoneClient(app, u) for u in ("tech1", "tech2", "tech5")}
    with app.app_context():
        def tickets_of(username):
            return phones[username].pull()["tickets"]

        # tech1 on the way to 刘女士, tech2 at 周先生's (whose AC was fixed last week, see below)
        first = tickets_of("tech1")[0]
        phones["tech1"].push(first["id"], "visit.depart", visit_id=first["visits"][0]["id"])
        zhou = next(t for t in tickets_of("tech2") if t["customer"]["phone"] == "13800000002")
        visit = zhou["visits"][0]["id"]
        phones["tech2"].push(zhou["id"], "visit.arrive", visit_id=visit)
        phones["tech2"].push(zhou["id"], "diagnosis.record", visit_id=visit, fault_code="E5")
        phones["tech2"].push(zhou["id"], "work.complete", visit_id=visit, resolution="fixed")
        # (completed a week ago, as far as the repeat-repair window is concerned)
        row = db.session.get(Ticket, zhou["id"])
        row.completed_at = utcnow() - timedelta(days=7)
        db.session.commit()
        # tech5's job is cancelled by the office while he drives there; his arrival still syncs
        job = tickets_of("tech5")[0]
        office = PhoneClient(app, "dispatcher", device="office")
        office.post(f"/api/tickets/{job['id']}/cancel", {"reason": "客户临时外出"})
        phones["tech5"].push(job["id"], "visit.arrive", visit_id=job["visits"][0]["id"])
        # and a rating out of range is rejected, kept for review
        phones["tech5"].push(job["id"], "rating.record", score=9)
        db.session.remove()
        db.engine.dispose()
    del client
    return path
