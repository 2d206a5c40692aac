"""Sentences for what the service reports as codes and parameters: the reasons behind a
suggestion, and what happened behind a review item. Resolved in the viewer's language."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from backend.dispatch.labels import CATEGORIES, FLAG_KINDS, GRADES, label


def reason(code: str, params: dict[str, Any]) -> str:
    p = params
    if code == "skill":
        return _("Repairs %(category)s", category=label(CATEGORIES, p["category"]))
    if code == "no_skill":
        return _("No %(category)s skill", category=label(CATEGORIES, p["category"]))
    if code == "region":
        return _("Covers %(region)s", region=p["region"])
    if code == "other_region":
        return _("Outside their regions (%(regions)s)", regions=", ".join(p["regions"]))
    if code == "over_capacity":
        return _("Over capacity: %(after)s of %(capacity)s jobs that day", after=p["after"],
                 capacity=p["capacity"])
    if code == "load":
        return _("%(load)s of %(capacity)s jobs that day", load=p["load"], capacity=p["capacity"])
    if code == "vip_grade":
        return _("VIP customer: %(grade)s technician", grade=label(GRADES, p["grade"]))
    if code == "free_now":
        return _("No jobs yet that day")
    return code


def suggestions(result: dict[str, Any]) -> dict[str, Any]:
    for tech in result["technicians"]:
        for item in tech["reasons"]:
            item["text"] = reason(item["code"], item["params"])
    return result


def review_item(item: dict[str, Any]) -> str:
    """One sentence of what happened, from the flag's detail or the rejection."""
    d = dict(item.get("detail") or {})
    if item["kind"] == "rejected":
        return _("%(name)s was rejected: %(message)s", name=item["mutation"],
                 message=d.get("message") or d.get("code") or "?")
    kind = item["flag_kind"]
    if kind == "completed_after_cancel":
        return _("%(mutation)s arrived after the ticket was cancelled", mutation=d.get("mutation", "?"))
    if kind == "reassigned_during_visit":
        return _("%(user)s recorded %(mutation)s after the ticket was given to someone else",
                 user=d.get("device_user", "?"), mutation=d.get("mutation", "?"))
    if kind == "negative_van_stock":
        return _("Van %(van)s is at %(level)s of %(sku)s", van=d.get("van", "?"), level=d.get("level", "?"),
                 sku=d.get("sku", "?"))
    if kind == "signature_summary_mismatch":
        return _("The customer signed a summary that differs from the ticket's totals")
    if kind == "repeat_repair":
        return _("Same appliance and fault as %(previous)s, repaired recently: labour is free",
                 previous=d.get("number") or d.get("repeat_of") or "?")
    if kind == "clock_skew":
        minutes = round(int(d.get("offset_ms", 0)) / 60000)
        return _("The device clock was off by %(minutes)s minutes", minutes=minutes)
    if kind == "price_override":
        return _("A fee of %(item)s was priced by hand", item=d.get("item_code", "?"))
    return label(FLAG_KINDS, kind)


def review_queue(queue: dict[str, Any]) -> dict[str, Any]:
    for item in queue["items"]:
        item["summary"] = review_item(item)
    return queue
