"""Display names of the domain's codes, translated (Flask-Babel, resolved when shown)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CATEGORIES = {
    "air_conditioner": _l("Air conditioner"),
    "washer": _l("Washer"),
    "fridge": _l("Fridge"),
    "water_heater": _l("Water heater"),
}
URGENCIES = {"normal": _l("Normal"), "urgent": _l("Urgent"), "emergency": _l("Emergency")}
STATUSES = {
    "new": _l("Unassigned"), "assigned": _l("Assigned"), "in_progress": _l("In progress"),
    "pending": _l("Pending (next visit)"), "completed": _l("Completed"), "cancelled": _l("Cancelled"),
}
TIERS = {"regular": _l("Regular"), "vip": _l("VIP")}
GRADES = {"junior": _l("Junior"), "intermediate": _l("Intermediate"), "senior": _l("Senior")}
ROLES = {"admin": _l("Admin"), "dispatcher": _l("Dispatcher"), "warehouse": _l("Warehouse"),
         "finance": _l("Finance"), "technician": _l("Technician")}
LIVE = {"idle": _l("Idle"), "scheduled": _l("Scheduled"), "en_route": _l("En route"),
        "on_site": _l("On site"), "done": _l("Done")}
FLAG_KINDS = {
    "completed_after_cancel": _l("Completed after cancel"),
    "reassigned_during_visit": _l("Reassigned during visit"),
    "negative_van_stock": _l("Negative van stock"),
    "signature_summary_mismatch": _l("Signature does not match the totals"),
    "repeat_repair": _l("Repeat repair"),
    "clock_skew": _l("Device clock skew"),
    "price_override": _l("Price overridden"),
    "rejected_mutation": _l("Rejected mutation"),
    "warranty_unverified": _l("Part warranty not verified"),
}
RESOLUTIONS = {"fixed": _l("Fixed"), "pending_parts": _l("Waiting for parts"),
               "needs_workshop": _l("Needs workshop"), "not_fixed": _l("Not fixed")}
ACTIONS = {
    "create": _l("created"), "assign": _l("assigned"), "reassign": _l("reassigned"),
    "cancel": _l("cancelled"), "contact": _l("contacted the customer"), "resolve": _l("resolved"),
    "revoke": _l("revoked"),
    "depart": _l("departed"), "arrive": _l("arrived"), "work.complete": _l("work completed"),
    "checklist.answer": _l("checklist answered"), "diagnosis.record": _l("diagnosis recorded"),
    "part.use": _l("part used"), "part.remove": _l("part removed"),
    "old_part.collect": _l("old part collected"), "return": _l("returned"),
    "fee.set": _l("fee set"), "quote.accept": _l("quote accepted"), "signature.capture": _l("signed"),
    "payment.record": _l("payment recorded"), "rating.record": _l("rated"),
    "photo.attach": _l("photo attached"),
}
# A write that lost to a later one on the same field (it stays in the log): "... (superseded)".
SUPERSEDED = ".superseded"
ENTITIES = {
    "ticket": _l("Ticket"), "visit": _l("Visit"), "diagnosis": _l("Diagnosis"),
    "checklist_answer": _l("Checklist"), "part_line": _l("Part"), "old_part": _l("Old part"),
    "fee_line": _l("Fee"), "signature": _l("Signature"), "payment": _l("Payment"), "rating": _l("Rating"),
    "photo": _l("Photo"), "flag": _l("Flag"), "device": _l("Device"),
}


def label(table: dict, code: str | None) -> str:
    if code is None:
        return ""
    value = table.get(code)
    if value is None and table is ACTIONS and code.endswith(SUPERSEDED):
        base = table.get(code.removesuffix(SUPERSEDED))
        if base is not None:
            return f"{base} ({_l('superseded')})"
    return str(value) if value is not None else code
