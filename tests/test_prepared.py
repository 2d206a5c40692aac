"""db.Prepared: the push's statements run on the driver's cursor read and write exactly
what Core would, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from backend.catalog.models import Part
from backend.db import Prepared, db, expanding
from backend.tickets.models import Flag

pytestmark = pytest.mark.storage

FLAGS = Flag.__table__
FLAGS_OF = Prepared(select(FLAGS.c.id, FLAGS.c.kind, FLAGS.c.detail, FLAGS.c.created_at, FLAGS.c.resolved_at)
                    .where(FLAGS.c.kind.in_(expanding("kinds")), FLAGS.c.resolved_at.is_(None))
                    .order_by(FLAGS.c.id))
RESOLVE = Prepared(update(FLAGS).where(FLAGS.c.id == bindparam("k_id")))
PRICES = Prepared(select(Part.sku, Part.price_fen).where(Part.sku.in_(expanding("skus")),
                                                         Part.active.is_(True)))
ADD_PART = Prepared(insert(Part.__table__))


def _flag(kind: str, detail: dict) -> int:
    flag = Flag(kind=kind, detail=detail, created_at=datetime(2026, 11, 23, 8, 30, 5, 123456, tzinfo=UTC))
    db.session.add(flag)
    db.session.flush()
    return flag.id


def test_rows_come_back_as_core_reads_them_aware_datetimes_and_decoded_json(app):
    with app.app_context():
        first = _flag("clock_skew", {"offset_ms": 2**40, "设备": "手机"})
        _flag("negative_van_stock", {"sku": "CAP"})
        core = db.session.execute(FLAGS_OF.statement, {"kinds": ["clock_skew"]}).all()
        rows = FLAGS_OF.rows(db.session.connection(), {"kinds": ["clock_skew", "price_override"]})
        assert rows == [tuple(r) for r in core]
        assert rows[0][0] == first
        assert rows[0][2] == {"offset_ms": 2**40, "设备": "手机"}
        assert rows[0][3] == datetime(2026, 11, 23, 8, 30, 5, 123456, tzinfo=UTC)
        assert FLAGS_OF.names == ("id", "kind", "detail", "created_at", "resolved_at")


def test_an_empty_in_list_matches_nothing(app, shop):
    with app.app_context():
        shop.part("CAP-35UF")
        connection = db.session.connection()
        assert PRICES.rows(connection, {"skus": set()}) == []
        assert PRICES.rows(connection, {"skus": {"CAP-35UF", "NONE"}}) == [("CAP-35UF", 4500)]


def test_updates_run_many_at_once_with_values_converted_by_their_columns(app):
    with app.app_context():
        ids = [_flag("clock_skew", {}), _flag("clock_skew", {}), _flag("clock_skew", {})]
        resolved = datetime(2026, 11, 24, 1, 2, 3, tzinfo=UTC)
        RESOLVE.run(db.session.connection(), [{"k_id": i, "resolved_at": resolved, "resolution_note": "ok"}
                                              for i in ids[:2]])
        db.session.commit()
        stored = {f.id: (f.resolved_at, f.resolution_note) for f in db.session.scalars(select(Flag))}
        assert stored == {ids[0]: (resolved, "ok"), ids[1]: (resolved, "ok"), ids[2]: (None, None)}


def test_a_parameter_neither_given_nor_bound_is_refused_before_anything_runs(app):
    with app.app_context(), pytest.raises(ValueError, match="k_id"):
        RESOLVE.run(db.session.connection(), {"resolved_at": None})


def test_a_refused_row_raises_sqlalchemys_integrity_error_and_the_savepoint_keeps_the_rest(app, shop):
    with app.app_context():
        shop.part("CAP-35UF")
        row = {"sku": "CAP-35UF", "name": "电容", "name_en": "Capacitor", "category": "air_conditioner",
               "price_fen": 1, "cost_fen": 1, "warranty_months": 3, "active": True}
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.connection()
            ADD_PART.run(db.session.connection(), row)
        db.session.commit()
        assert db.session.get(Part, "CAP-35UF").price_fen == 4500
