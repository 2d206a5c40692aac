"""What every office page shares: the menu by role, template filters (local time, money,
labels), the language switch and the strings the pages' scripts need."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, request, session, url_for
from flask_babel import get_locale, refresh
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from backend.config import PROJECT_DIR
from backend.db import yuan
from backend.dispatch import labels

OFFICE_STATIC = PROJECT_DIR / "pwa" / "static" / "office"

# (endpoint or path, label, roles). Paths of pages other features add appear once served.
MENU = (
    ("dispatch.board", _l("Dispatch board"), ("admin", "dispatcher")),
    ("dispatch.intake", _l("Intake"), ("admin", "dispatcher")),
    ("dispatch.sla", _l("SLA"), ("admin", "dispatcher")),
    ("dispatch.review", _l("Review queue"), ("admin", "dispatcher")),
    ("dispatch.search", _l("Search"), ("admin", "dispatcher", "warehouse", "finance")),
    ("/fees", _l("Fee schedule"), ("admin", "dispatcher", "warehouse", "finance")),
    ("/office/stock", _l("Stock"), ("admin", "warehouse", "dispatcher")),
    ("/office/commission", _l("Commission"), ("admin", "finance", "dispatcher")),
)


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai"))


def _served_paths() -> set[str]:
    cached = current_app.extensions.get("office_served_paths")
    if cached is None:
        cached = {rule.rule.rstrip("/") or "/" for rule in current_app.url_map.iter_rules()}
        current_app.extensions["office_served_paths"] = cached
    return cached


def menu_for(role: str | None) -> list[dict[str, Any]]:
    items = []
    for target, text, roles in MENU:
        if role not in roles:
            continue
        if target.startswith("/"):
            if target.rstrip("/") not in _served_paths():
                continue
            url, endpoint = target, None
        else:
            url, endpoint = url_for(target), target
        items.append({"url": url, "label": str(text), "endpoint": endpoint,
                      "active": request.endpoint == endpoint if endpoint else request.path.startswith(url)})
    return items


def home_for(role: str | None) -> str:
    for item in menu_for(role):
        return item["url"]
    return url_for("dispatch.login")


def _parse(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value


def localtime(value: Any, fmt: str = "%m-%d %H:%M", in_zone: ZoneInfo | None = None) -> str:
    """A moment in the office's time zone (or in_zone), formatted; "" for none."""
    moment = _parse(value)
    if moment is None:
        return ""
    return moment.astimezone(in_zone or zone()).strftime(fmt)


def localdate(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return value.isoformat()


def countdown(value: Any, now: datetime | None = None) -> str:
    """'in 1 h 20 min' or 'overdue 35 min': the first rendering; the page's script updates it."""
    moment = _parse(value)
    if moment is None:
        return ""
    now = now or g.get("now") or datetime.now(moment.tzinfo)
    minutes = int((moment - now).total_seconds() // 60)
    span = abs(minutes)
    text = (_("%(h)s h %(m)s min", h=span // 60, m=span % 60) if span >= 60
            else _("%(m)s min", m=span))
    return _("in %(span)s", span=text) if minutes >= 0 else _("overdue %(span)s", span=text)


def ago(value: Any) -> str:
    moment = _parse(value)
    if moment is None:
        return _("never")
    now = g.get("now") or datetime.now(moment.tzinfo)
    minutes = int((now - moment).total_seconds() // 60)
    if minutes < 1:
        return _("just now")
    if minutes < 60:
        return _("%(m)s min ago", m=minutes)
    if minutes < 48 * 60:
        return _("%(h)s h ago", h=minutes // 60)
    return localtime(moment)


LABEL_TABLES = {
    "category": labels.CATEGORIES, "urgency": labels.URGENCIES, "status": labels.STATUSES,
    "tier": labels.TIERS, "grade": labels.GRADES, "role": labels.ROLES, "live": labels.LIVE,
    "flag": labels.FLAG_KINDS, "resolution": labels.RESOLUTIONS, "action": labels.ACTIONS,
    "entity": labels.ENTITIES,
}

ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def audit_value(value: Any) -> str:
    """A before/after value of the audit log as a person reads it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str) and ISO_MOMENT.match(value):
        try:
            return localtime(value, "%Y-%m-%d %H:%M")
        except ValueError:
            return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def label_filter(code: str | None, table: str) -> str:
    return labels.label(LABEL_TABLES[table], code)


@lru_cache(maxsize=64)
def _file_version(path: str, mtime_ns: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:10]


def office_static(filename: str) -> str:
    path = OFFICE_STATIC / filename
    version = _file_version(str(path), path.stat().st_mtime_ns) if path.exists() else "0"
    return url_for("dispatch.static", filename=filename, v=version)


def js_messages() -> dict[str, str]:
    """The strings the pages' scripts show, in the page's language."""
    return {
        "in": _("in %(span)s", span="{span}"), "overdue": _("overdue %(span)s", span="{span}"),
        "hm": _("%(h)s h %(m)s min", h="{h}", m="{m}"), "m": _("%(m)s min", m="{m}"),
        "assign": _("Assign"), "reassign": _("Reassign"),
        "assigned": _("Assigned to %(name)s", name="{name}"),
        "over_capacity_confirm": _("%(name)s is over capacity that day (%(after)s of %(capacity)s). "
                                   "Assign anyway?", name="{name}", after="{after}", capacity="{capacity}"),
        "failed": _("Failed: %(message)s", message="{message}"), "offline": _("No connection to the server"),
        "loading": _("Loading…"), "no_customer": _("New customer: fill in the details below"),
        "existing_customer": _("Existing customer"), "new_appliance": _("New appliance"),
        "in_warranty": _("In warranty until %(date)s", date="{date}"),
        "out_of_warranty": _("Out of warranty since %(date)s", date="{date}"),
        "no_purchase_date": _("No purchase date: warranty unknown"),
        "repeat_warning": _("Repeat repair: %(number)s fixed the same fault on %(date)s "
                            "(within %(days)s days): labour is free and the ticket will be flagged.",
                            number="{number}", date="{date}", days="{days}"),
        "open_ticket_warning": _("Open ticket %(number)s exists for this appliance", number="{number}"),
        "created": _("Ticket %(number)s created", number="{number}"),
        "suggested": _("Suggested technicians"), "score": _("score"),
        "resolved": _("Resolved"), "note_required": _("Write a note first"),
        "cancelled": _("Ticket cancelled"), "reason_required": _("Give a reason"),
        "vip": _("VIP"), "candidates": _("Did you mean"), "refresh_paused": _("Auto-refresh paused"),
        "saved": _("Saved"), "category": _("Category"), "current": _("current"),
        "recent_repairs": _("Repaired recently"),
    }


def _html_lang() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh-CN"


def _fresh_locale() -> None:
    # Flask-Babel caches the locale on `g`, which lives as long as the app context; a
    # request inside an outer app context (tests, CLI) would keep the previous language.
    if request.path.startswith("/office"):
        refresh()


def init_app(app: Flask) -> None:
    app.before_request(_fresh_locale)
    app.add_template_filter(localtime)
    app.add_template_filter(localdate)
    app.add_template_filter(yuan, "money")
    app.add_template_filter(countdown)
    app.add_template_filter(ago)
    app.add_template_filter(label_filter, "label")
    app.add_template_filter(audit_value)
    app.add_template_global(office_static)

    @app.context_processor
    def office_context() -> dict[str, Any]:
        if not request.path.startswith("/office"):
            return {}
        role = session.get("role")
        user = getattr(g, "user", None)
        current = ({"username": user.username, "display_name": user.display_name, "role": user.role}
                   if user is not None else None)
        return {"menu": menu_for(role) if user is not None else [], "current_user": current,
                "html_lang": _html_lang(), "js_messages": js_messages,
                "timezone": current_app.config.get("TIMEZONE", "Asia/Shanghai")}
