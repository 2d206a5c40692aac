"""Shared set-up for benchmarks: a fresh migrated database and result files."""

from __future__ import annotations

import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import upgrade

from backend import create_app
from backend.db import db

RESULTS = Path(__file__).resolve().parent / "results"


def fresh_app(url: str | None = None) -> tuple[Flask, Path | None]:
    """An app on a new migrated SQLite file (or the given URL, emptied first)."""
    path = None
    if url is None:
        path = Path(tempfile.mkdtemp(prefix="fieldsync-bench-")) / "bench.sqlite"
        url = f"sqlite:///{path}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
        upgrade(revision="heads")  # feature branches of the schema may be open
    return app, path


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 2),
        "runs": len(ordered),
    }


def save(name: str, result: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(json.dumps(result, indent=2, ensure_ascii=False))
