"""Fieldsync: the central store and its web faces."""

from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context, request
from flask_babel import Babel
from flask_migrate import Migrate
from sqlalchemy import event

from backend.config import INSTANCE_DIR, PROJECT_DIR, Config
from backend.db import db, json_text

migrate = Migrate()
babel = Babel()


def select_locale() -> str:
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if chosen in ("zh", "en"):
        return chosen
    return request.accept_languages.best_match(["zh", "en"]) or "zh"


def _configure_sqlite(engine: Any) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; take it over (SQLAlchemy docs,
    # "Serializable isolation / Savepoints / Transactional DDL"). Requests that write begin
    # IMMEDIATE, so concurrent writers queue on the lock instead of failing on a stale
    # snapshot; reads begin deferred and never block anyone in WAL mode.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # Every push rewrites the same hot pages (the tickets' change_seq index, the stock
        # levels, the mutation log's tail). A checkpoint every 10,000 pages (40 MB of WAL)
        # instead of SQLite's 1,000 copies each of them into the database once rather than
        # ten times; the WAL file is cut back to 64 MB after a checkpoint.
        cursor.execute("PRAGMA wal_autocheckpoint=10000")
        cursor.execute("PRAGMA journal_size_limit=67108864")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # A pull is a GET that also records when the device last synced.
        writes = has_request_context() and (
            request.method not in ("GET", "HEAD", "OPTIONS") or request.path == "/api/sync/pull")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def create_app(config: type[Config] | dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(INSTANCE_DIR), static_folder=None)
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"json_serializer": json_text,
                                               **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(PROJECT_DIR / "migrations"), render_as_batch=True)
    babel.init_app(app, locale_selector=select_locale)

    from backend import cli, compression, errors, openapi
    from backend.commission.pages import bp as commission_pages_bp
    from backend.commission.views import bp as commission_bp
    from backend.dispatch.views import bp as dispatch_bp
    from backend.exports.views import bp as exports_bp
    from backend.fees.views import bp as fees_bp
    from backend.inventory.pages import bp as stock_pages_bp
    from backend.inventory.views import bp as inventory_bp
    from backend.notify.views import bp as notify_bp
    from backend.people.views import bp as people_bp
    from backend.sync.views import bp as sync_bp
    from backend.tickets.views import bp as tickets_bp
    from backend.web.views import bp as web_bp

    errors.init_app(app)
    compression.init_app(app)
    for blueprint in (people_bp, tickets_bp, inventory_bp, sync_bp, openapi.bp, web_bp, notify_bp,
                      dispatch_bp, fees_bp, commission_bp, exports_bp, stock_pages_bp, commission_pages_bp):
        app.register_blueprint(blueprint)
    cli.init_app(app)

    @app.teardown_request
    def end_transaction(exc: BaseException | None) -> None:
        # Views commit once; whatever a request still holds open (reads after that
        # commit, or a failed write) ends with the request, so no lock outlives it.
        db.session.rollback()

    return app
