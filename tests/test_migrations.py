"""The schema comes from the migrations, and the migrations match the models."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from backend import create_app
from backend.db import db

pytestmark = pytest.mark.storage


@pytest.fixture
def empty_app(tmp_path):
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.sqlite'}",
                       "TESTING": True})


def test_migrations_build_the_whole_schema_from_an_empty_database(empty_app):
    with empty_app.app_context():
        upgrade(revision="heads")
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {t.name for t in db.metadata.sorted_tables} <= tables
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT value FROM sync_counter WHERE id = 1")).scalar() == 0


def test_the_models_need_no_migration_that_is_not_written(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_go_down_to_empty_and_up_again(empty_app):
    with empty_app.app_context():
        upgrade(revision="heads")
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade(revision="heads")
