from datetime import timedelta

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask_babel import gettext as _

from backend.db import db, utcnow
from backend.errors import DomainError
from backend.people.auth import current_actor, login_required
from backend.request_args import parse_json, parse_query
from backend.sync import blobs, feed, service
from backend.sync.protocol import pull_query, push_schema

bp = Blueprint("sync", __name__)


@bp.get("/api/sync/pull")
@login_required("technician")
def pull():
    query = parse_query(pull_query)
    user, device = g.user, g.device
    if device is None:
        raise DomainError("device_required", _("Pull needs a device token"), 400)
    device.last_seen_at = utcnow()  # the office shows when each phone last synced
    # A new transaction, so the whole page is read from one snapshot.
    db.session.commit()
    db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"}
                          if db.engine.dialect.name == "postgresql" else {})
    page = feed.pull(user, device, query["cursor"], query["limit"], utcnow(),
                     current_app.config["COMPLETED_VISIBLE_DAYS"])
    db.session.commit()
    return jsonify(page)


@bp.post("/api/sync/push")
@login_required("technician")
def push():
    body = parse_json(push_schema)
    if len(body["mutations"]) > current_app.config["PUSH_MAX_MUTATIONS"]:
        raise DomainError("too_many_mutations", _("Send at most %(n)s mutations per push",
                                                  n=current_app.config["PUSH_MAX_MUTATIONS"]), 413)
    results = service.apply_push(
        current_actor(), body, utcnow(),
        timedelta(seconds=current_app.config["CLOCK_SKEW_FLAG_SECONDS"]))
    db.session.commit()
    committed = db.session.info.pop("committed_seq", None)
    return jsonify({"results": results,
                    "cursor": feed.encode_cursor({"v": committed}) if committed else None})


@bp.put("/api/sync/blobs/<sha256>")
@login_required()
def put_blob(sha256: str):
    blob, created = blobs.store_blob(current_actor(), sha256, request.get_data(),
                                     current_app.config["BLOB_MAX_BYTES"], utcnow())
    db.session.commit()
    return jsonify({"sha256": blob.sha256, "size": blob.size, "content_type": blob.content_type}), (
        201 if created else 200)


@bp.get("/api/sync/blobs/<sha256>")
@login_required()
def get_blob(sha256: str):
    blob = blobs.readable_blob(current_actor(), sha256)
    response = Response(blob.data, mimetype=blob.content_type)
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
