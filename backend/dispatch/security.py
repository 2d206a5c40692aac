"""The office's web session: login, CSRF token, and page access by role.

CSRF: one random token per session, sent back in a form field (`csrf_token`) or the
`X-CSRF-Token` header of a fetch. Every unsafe request that a session cookie
authenticates must carry it; requests with a bearer token need not (a token is never
sent by the browser on its own). The cookie is SameSite=Lax as a second line.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from backend.errors import DomainError
from backend.people.auth import login_required

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
# The JSON device login sends no cookie-borne credential; it is refused cross-site by CORS.
EXEMPT_ENDPOINTS = {"people.login"}
OFFICE_PAGE_ROLES = ("admin", "dispatcher", "warehouse", "finance")


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def _sent_token() -> str | None:
    return request.headers.get("X-CSRF-Token") or request.form.get("csrf_token")


def check_csrf() -> None:
    """before_request, app-wide: session-authenticated writes need the session's token."""
    if request.method in SAFE_METHODS or request.endpoint in EXEMPT_ENDPOINTS:
        return
    if request.headers.get("Authorization", "").startswith("Bearer "):
        return
    if "user_id" not in session and request.endpoint != "dispatch.login":
        return  # no session to ride on; login_required answers 401
    expected, sent = session.get("csrf"), _sent_token()
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise DomainError("csrf_failed", _("The form has expired; reload the page and try again"), 400)


def start_session(user_id: int, role: str) -> None:
    # A new session (and token) at login, so that nothing set before it carries over.
    session.clear()
    session["user_id"], session["role"] = user_id, role
    session["csrf"] = secrets.token_urlsafe(32)


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: never another host (open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def office_page(*roles: str) -> Callable:
    """A page: the role check of login_required, but a login redirect or an HTML 403."""
    roles = roles or OFFICE_PAGE_ROLES

    def decorator(view: Callable) -> Callable:
        guarded = login_required(*roles)(view)

        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            try:
                return guarded(*args, **kwargs)
            except DomainError as error:
                if error.code == "unauthorized":
                    return redirect(url_for("dispatch.login", next=request.full_path.rstrip("?")))
                if error.code == "forbidden":
                    return render_template("office/forbidden.html"), 403
                raise

        return wrapped

    return decorator


def init_app(app: Flask) -> None:
    app.before_request(check_csrf)
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.jinja_env.globals["csrf_token"] = csrf_token
