from flask import Blueprint, jsonify

from backend.db import db, utcnow
from backend.errors import DomainError
from backend.inventory import service
from backend.inventory.schemas import stock_levels_schema, stock_move_schema, stock_query
from backend.people.auth import current_actor, login_required
from backend.request_args import parse_json, parse_query

bp = Blueprint("inventory", __name__)


@bp.get("/api/stock")
@login_required("admin", "dispatcher", "warehouse", "finance")
def levels():
    query = parse_query(stock_query)
    location = service.location_by_code(query["location"])
    levels = service.levels_at(location)
    return jsonify(stock_levels_schema.dump({"location": location.code, "levels": levels}))


@bp.post("/api/stock/moves")
@login_required("admin", "warehouse")
def create_move():
    data = parse_json(stock_move_schema)
    if data["from_"] is None and data["to"] is None:
        raise DomainError("validation_error", "A move needs a from or a to location", 400)
    from_location = service.location_by_code(data["from_"]) if data["from_"] else None
    to_location = service.location_by_code(data["to"]) if data["to"] else None
    move = service.move_stock(current_actor(), sku=data["sku"], qty=data["qty"],
                              from_location=from_location, to_location=to_location,
                              reason=data["reason"], ref=data["ref"], note=data["note"], at=utcnow())
    db.session.commit()
    return jsonify({"id": move.id, "sku": move.sku, "qty": move.qty,
                    "from": data["from_"], "to": data["to"], "reason": move.reason}), 201
