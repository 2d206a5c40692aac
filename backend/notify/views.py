from flask import Blueprint, current_app, jsonify
from flask_babel import gettext as _

from backend.db import db, utcnow
from backend.errors import DomainError
from backend.notify import service
from backend.notify.schemas import (
    endpoint_field_check,
    public_key_schema,
    subscription_result_schema,
    subscription_schema,
    unsubscribe_result_schema,
    unsubscribe_schema,
)
from backend.notify.vapid import VapidKeysMissing, load
from backend.people.auth import current_actor, login_required
from backend.request_args import parse_json

bp = Blueprint("notify", __name__)


def _allow_http_loopback() -> bool:
    return bool(current_app.testing or current_app.debug)


@bp.get("/api/push/public-key")
@login_required()
def public_key():
    try:
        keys = load(current_app.config["VAPID_KEYS_PATH"])
    except VapidKeysMissing:
        raise DomainError("push_not_configured", _("Push notifications are not set up on this server"),
                          503) from None
    return jsonify(public_key_schema.dump({"public_key": keys.public_key}))


@bp.post("/api/push/subscriptions")
@login_required()
def subscribe():
    data = parse_json(subscription_schema)
    endpoint_field_check(data["endpoint"], _allow_http_loopback())
    row, created = service.subscribe(current_actor(), data, utcnow())
    db.session.commit()
    return jsonify(subscription_result_schema.dump(row)), 201 if created else 200


@bp.delete("/api/push/subscriptions")
@login_required()
def unsubscribe():
    data = parse_json(unsubscribe_schema)
    removed = service.unsubscribe(current_actor(), data["endpoint"])
    db.session.commit()
    return jsonify(unsubscribe_result_schema.dump({"removed": removed}))
