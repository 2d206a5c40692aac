"""Pages: the technician PWA's shell and files under /app/, and `/` sending each role home."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, send_from_directory, session

from backend.config import PROJECT_DIR

PWA_DIR = PROJECT_DIR / "pwa"
STATIC_DIR = PWA_DIR / "static"
DIST_DIR = STATIC_DIR / "dist"

bp = Blueprint("web", __name__, template_folder=str(PWA_DIR / "templates"))


def dist_dir() -> Path:
    # The built bundle and service worker; PWA_DIST_DIR points elsewhere (browser tests
    # build into a temporary folder, and swap in a second build to test an update).
    return Path(current_app.config.get("PWA_DIST_DIR") or DIST_DIR)


@bp.get("/")
def home():
    role = session.get("role")
    if role and role != "technician":
        return redirect("/office/")
    return redirect("/app/")


@bp.get("/app/")
@bp.get("/app/<path:screen>")
def app_shell(screen: str | None = None):
    # Every in-app address returns the same shell; the PWA routes on the client.
    if screen and "." in Path(screen).name:
        abort(404)
    response = send_from_directory(PWA_DIR / "templates", "app.html", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/app/sw.js")
def service_worker():
    response = send_from_directory(dist_dir(), "sw.js", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/app/"
    return response


@bp.get("/app/manifest.webmanifest")
def manifest():
    return send_from_directory(STATIC_DIR, "manifest.webmanifest",
                               mimetype="application/manifest+json", max_age=0)


@bp.get("/app/static/dist/<path:filename>")
def dist_file(filename: str):
    return send_from_directory(dist_dir(), filename, max_age=0)


@bp.get("/app/static/<path:filename>")
def static_file(filename: str):
    return send_from_directory(STATIC_DIR, filename, max_age=0)
