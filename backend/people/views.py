from flask import Blueprint, g, jsonify, request, session

from backend.db import db, utcnow
from backend.people import service
from backend.people.auth import current_actor, login_required
from backend.people.models import Device
from backend.people.schemas import device_schema, login_result_schema, login_schema, user_schema
from backend.request_args import parse_json

bp = Blueprint("people", __name__)


@bp.post("/api/auth/login")
def login():
    data = parse_json(login_schema)
    user = service.authenticate(data["username"], data["password"])
    device, token = service.register_device(user, data["device_name"], utcnow())
    db.session.commit()
    return jsonify(login_result_schema.dump({"token": token, "device_id": device.id, "user": user}))


@bp.post("/api/auth/logout")
@login_required()
def logout():
    if g.device is not None:
        service.revoke_device(current_actor(), g.device.id, utcnow())
    session.clear()
    db.session.commit()
    return jsonify({"ok": True})


@bp.get("/api/auth/me")
@login_required()
def me():
    return jsonify(user_schema.dump(g.user))


@bp.post("/api/devices/<device_id>/revoke")
@login_required("admin")
def revoke(device_id: str):
    device = service.revoke_device(current_actor(), device_id, utcnow())
    db.session.commit()
    return jsonify(device_schema.dump(device))


@bp.get("/api/devices")
@login_required("admin")
def list_devices():
    user = request.args.get("user")
    query = db.select(Device).order_by(Device.created_at)
    if user:
        query = query.where(Device.user_id == service.find_user(user).id)
    return jsonify(device_schema.dump(db.session.scalars(query), many=True))
