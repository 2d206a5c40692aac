"""The published fee schedule (a page any customer may read, Chinese or English) and the
monthly claim report to manufacturers."""

from __future__ import annotations

from collections import defaultdict

from flask import Blueprint, jsonify, render_template
from flask_babel import get_locale, refresh

from backend.fees import service
from backend.fees.schemas import (
    ClaimQuery,
    ClaimReportSchema,
    claim_query,
    claim_report_schema,
    schedule_query,
)
from backend.people.auth import login_required
from backend.request_args import parse_query
from backend.tickets.schemas import CATEGORIES

bp = Blueprint("fees", __name__, template_folder="templates")


@bp.get("/fees")
def schedule_page():
    """收费标准: every item of the schedule by appliance, with the warranty card's prices."""
    query = parse_query(schedule_query)
    refresh()  # the locale is cached on `g`, which an enclosing app context may share
    rows = service.published_schedule(query.get("category"))
    by_category: dict[str, list] = defaultdict(list)
    for row in rows:
        by_category[row["category"]].append(row)
    ordered = [
        (c, by_category[c])
        for c in (*CATEGORIES, *sorted(set(by_category) - set(CATEGORIES)))
        if by_category.get(c)
    ]
    response = render_template(
        "fees/schedule.html",
        categories=ordered,
        card_terms=service.card_terms(),
        lang=get_locale().language,
    )
    return response, 200, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "public, max-age=300"}


@bp.get("/api/claims")
@login_required("admin", "finance", "dispatcher")
def claims():
    query = parse_query(claim_query)
    return jsonify(claim_report_schema.dump(service.claim_report(query["month"], query.get("brand"))))


API_OPERATIONS = [
    (
        "/api/claims",
        "get",
        "The month's claim lines to manufacturers, per brand",
        ("admin", "finance", "dispatcher"),
        None,
        ClaimQuery,
        ClaimReportSchema,
    ),
]
API_SUCCESS: dict = {}
