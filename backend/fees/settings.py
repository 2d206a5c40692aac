"""Settings the money rules read, from the app's config when there is one.

Services take these as arguments; only callers at the edge (mutation handlers, views,
the ticket view builder) read them here."""

from __future__ import annotations

from flask import current_app, has_app_context

DEFAULTS = {"REPEAT_REPAIR_DAYS": 90, "OLD_PART_RETURN_DAYS": 30}


def setting(name: str) -> int:
    if has_app_context():
        return int(current_app.config.get(name, DEFAULTS[name]))
    return DEFAULTS[name]


def repeat_repair_days() -> int:
    return setting("REPEAT_REPAIR_DAYS")


def old_part_return_days() -> int:
    return setting("OLD_PART_RETURN_DAYS")
