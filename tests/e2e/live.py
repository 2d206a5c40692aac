"""A live Fieldsync server and Debian's Chromium, for the browser tests and the PWA benchmarks.

The server is the real app (create_app) on a loopback port with its own SQLite file,
migrated and seeded with the demo data; the PWA is built by pwa/build.mjs into a folder
the server is pointed at (PWA_DIST_DIR), so a test can swap in another build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import WSGIRequestHandler, make_server

from backend import create_app
from backend.db import db
from backend.demo import seed_demo

PROJECT_DIR = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("FIELDSYNC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "timezone_id": "Asia/Shanghai"}


def build_pwa(outdir: Path, tag: str | None = None) -> str:
    """Runs `node pwa/build.mjs --outdir outdir`; returns its report (sizes)."""
    if not (PROJECT_DIR / "node_modules" / "esbuild").exists():
        raise RuntimeError("node_modules is missing: run `npm install` (or `make install`) first")
    command = ["node", "pwa/build.mjs", "--outdir", str(outdir)] + (["--tag", tag] if tag else [])
    done = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"pwa build failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def seeded_database(path: Path) -> Path:
    """A migrated SQLite file with the demo data (technicians tech1..tech5, password demo)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "e2e"})
    with app.app_context():
        upgrade(revision="heads")  # as bench/common.py: schema branches may be open
        seed_demo()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()  # closes the last connection: the WAL is folded into the file
    return path


class QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # one line per request drowns a failing test's output


class LiveServer:
    """The app served by werkzeug in a thread, on 127.0.0.1 and a free port."""

    def __init__(self, database: Path, dist_dir: Path | None, **config: Any) -> None:
        self.app: Flask = create_app({
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "SECRET_KEY": "e2e",
            **({"PWA_DIST_DIR": str(dist_dir)} if dist_dir else {}), **config,
        })
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True, request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server", daemon=True)
        self._thread.start()

    def use_dist(self, dist_dir: Path) -> None:
        """Serve another build from now on (the service worker update story)."""
        self.app.config["PWA_DIST_DIR"] = str(dist_dir)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        with self.app.app_context():
            db.engine.dispose()

    # The office's view of the same database, through the JSON API.
    def office(self, username: str = "dispatcher") -> OfficeClient:
        return OfficeClient(self.app, username)


class OfficeClient:
    """The office JSON API (dispatcher or warehouse), through Flask's test client."""

    def __init__(self, app: Flask, username: str) -> None:
        self.client = app.test_client()
        with self.client.post("/api/auth/login", json={"username": username, "password": "demo",
                                                       "device_name": "office"}) as response:
            assert response.status_code == 200, response.get_json()
            self.headers = {"Authorization": f"Bearer {response.get_json()['token']}"}

    def get(self, path: str) -> Any:
        with self.client.get(path, headers=self.headers) as response:
            assert response.status_code == 200, (path, response.status_code, response.get_data()[:300])
            return response.get_json() if response.is_json else response.get_data()

    def ticket(self, ticket_id: int) -> dict[str, Any]:
        return self.get(f"/api/tickets/{ticket_id}")

    def van(self, username: str) -> dict[str, int]:
        levels = self.get(f"/api/stock?location=van:{username}")["levels"]
        return {level["sku"]: level["qty"] for level in levels}


def copy_database(template: Path, target: Path) -> Path:
    shutil.copyfile(template, target)
    return target


def chromium_options(files_dir: Path) -> dict[str, Any]:
    """Debian's Chromium (never `playwright install`), its own files kept in files_dir."""
    files_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "XDG_CONFIG_HOME": str(files_dir), "XDG_CACHE_HOME": str(files_dir)}
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "env": env}


def launch_chromium(playwright: Any, files_dir: Path) -> Any:
    return playwright.chromium.launch(**chromium_options(files_dir))
