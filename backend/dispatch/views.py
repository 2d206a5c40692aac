"""The office's pages under /office/ and the small JSON helpers their scripts call.

Writes go through the office JSON API (/api/tickets/..., /api/flags/...), which the pages
call with the session cookie and the CSRF header; only what that API lacks lives here.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from marshmallow import ValidationError

from backend.config import PROJECT_DIR
from backend.db import db, utcnow
from backend.dispatch import describe, security, service, ui
from backend.dispatch import search as ticket_search
from backend.dispatch.schemas import (
    board_query,
    board_schema,
    caller_query,
    caller_schema,
    login_form,
    office_intake_schema,
    review_queue_schema,
    search_page_schema,
    search_query,
    sla_page_schema,
    sla_schema,
    suggestions_schema,
)
from backend.dispatch.security import office_page
from backend.errors import DomainError
from backend.fees.settings import repeat_repair_days
from backend.people import service as people
from backend.people.auth import current_actor, login_required
from backend.people.models import User
from backend.request_args import parse_json, parse_query
from backend.tickets import service as tickets
from backend.tickets.models import STATUSES, URGENCIES, Ticket
from backend.tickets.schemas import CATEGORIES, resolve_flag_schema, ticket_detail_schema

bp = Blueprint("dispatch", __name__, template_folder=str(PROJECT_DIR / "pwa" / "templates"),
               static_folder=str(ui.OFFICE_STATIC), static_url_path="/office/static")

DISPATCH = ("admin", "dispatcher")
ID = "int(max=2147483647)"


@bp.record_once
def _setup(state) -> None:
    security.init_app(state.app)
    ui.init_app(state.app)


def _clock() -> service.Clock:
    g.now = utcnow()
    return service.Clock(now=g.now, zone=ui.zone())


def _page(template: str, partial: str | None = None, **context):
    """A whole page, or only its refreshable part when the page's script asks for it."""
    if partial and request.headers.get("X-Partial") == "1":
        response = make_response(render_template(partial, **context))
    else:
        response = make_response(render_template(template, **context))
    response.headers["Cache-Control"] = "no-store"
    return response


# --- session -------------------------------------------------------------------------

@bp.get("/office/")
def home():
    if session.get("user_id") is None:
        return redirect(url_for("dispatch.login"))
    return redirect(ui.home_for(session.get("role")))


@bp.route("/office/login", methods=["GET", "POST"])
def login():
    error = None
    next_url = security.safe_next(request.values.get("next"))
    if request.method == "POST":
        try:
            form = login_form.load(request.form.to_dict())
            user = people.authenticate(form["username"], form["password"])
            if user.role == "technician":
                raise DomainError("forbidden", _("Technicians use the app on their phone"), 403)
        except (ValidationError, DomainError) as failure:
            error = (failure.message if isinstance(failure, DomainError)
                     else _("Enter your username and password"))
        else:
            security.start_session(user.id, user.role)
            return redirect(next_url or ui.home_for(user.role))
    response = make_response(render_template("office/login.html", error=error, next_url=next_url),
                             401 if error else 200)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/office/logout")
def logout():
    session.clear()
    return redirect(url_for("dispatch.login"))


@bp.get("/office/lang/<code>")
def set_language(code: str):
    target = security.safe_next(request.args.get("next")) or url_for("dispatch.home")
    response = redirect(target)
    if code in current_app.config.get("LANGUAGES", ["zh", "en"]):
        response.set_cookie("lang", code, max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


# --- pages ---------------------------------------------------------------------------

@bp.get("/office/board")
@office_page(*DISPATCH)
def board():
    query = parse_query(board_query)
    data = board_schema.dump(service.board(_clock(), query.get("region")))
    return _page("office/board.html", "office/_board.html", board=data, region=query.get("region"))


@bp.get("/office/intake")
@office_page(*DISPATCH)
def intake():
    _clock()
    return _page("office/intake.html", categories=CATEGORIES, urgencies=URGENCIES,
                 fault_codes=service.fault_codes(),
                 repeat_days=repeat_repair_days())


@bp.get("/office/sla")
@office_page(*DISPATCH)
def sla():
    data = sla_page_schema.dump(service.sla_overview(_clock()))
    return _page("office/sla.html", "office/_sla.html", sla=data)


@bp.get("/office/review")
@office_page(*DISPATCH)
def review():
    _clock()
    queue = describe.review_queue(service.review_queue())
    return _page("office/review.html", queue=review_queue_schema.dump(queue))


@bp.get(f"/office/tickets/<{ID}:ticket_id>")
@office_page()
def ticket(ticket_id: int):
    clock = _clock()
    loaded = tickets.load_tickets([ticket_id])
    if not loaded:
        return render_template("office/not_found.html"), 404
    view = tickets.ticket_views(loaded, clock.now)[0]
    view["timeline"] = tickets.timeline_of(loaded[0])
    detail = ticket_detail_schema.dump(view)
    sources = service.device_names({e["device_id"] for e in detail["timeline"] if e.get("device_id")})
    repeat_of = None
    if detail.get("repeat_of_id"):
        first = db.session.get(Ticket, detail["repeat_of_id"])
        repeat_of = {"id": first.id, "number": first.number} if first else None
    loaded_ticket = loaded[0]
    row = service.sla_of(clock.now, status=loaded_ticket.status, created_at=loaded_ticket.created_at,
                         tier=loaded_ticket.customer.tier, scheduled_start=loaded_ticket.scheduled_start,
                         scheduled_end=loaded_ticket.scheduled_end,
                         contacted_at=loaded_ticket.contacted_at)
    names = {tech["username"]: tech["display_name"] for tech in service.technicians().values()}
    return _page("office/ticket.html", t=detail, sources=sources, repeat_of=repeat_of, names=names,
                 sla=sla_schema.dump(row),
                 can_dispatch=g.user.role in DISPATCH)


@bp.get("/office/search")
@office_page()
def search():
    clock = _clock()
    args = {k: v for k, v in request.args.items() if v.strip()}
    errors, result, filters = {}, None, {}
    try:
        filters = search_query.load(args)
    except ValidationError as error:
        errors = error.messages
    if not errors and set(filters) - {"page", "per_page"}:
        result = search_page_schema.dump(ticket_search.search(filters, clock.zone, clock.now))
    technicians = [u for u, in db.session.execute(
        db.select(User.username).where(User.role == "technician").order_by(User.username)).all()]
    return _page("office/search.html", args=args, errors=errors, result=result, statuses=STATUSES,
                 categories=CATEGORIES, urgencies=URGENCIES, technicians=technicians)


# --- JSON helpers of the pages -------------------------------------------------------

@bp.get("/office/api/callers")
@login_required(*DISPATCH)
def caller():
    query = parse_query(caller_query)
    days = repeat_repair_days()
    found = service.caller_lookup(query["phone"].replace(" ", "").replace("-", ""), _clock(), days)
    return jsonify(caller_schema.dump({**found, "repeat_repair_days": days}))


@bp.get(f"/office/api/tickets/<{ID}:ticket_id>/suggestions")
@login_required(*DISPATCH)
def suggestions(ticket_id: int):
    ticket = tickets.get_ticket(ticket_id)
    return jsonify(suggestions_schema.dump(describe.suggestions(service.suggestions(ticket, _clock()))))


@bp.post(f"/office/api/rejections/<{ID}:log_id>/resolve")
@login_required(*DISPATCH)
def resolve_rejection(log_id: int):
    data = parse_json(resolve_flag_schema)
    flag = service.resolve_rejection(current_actor(), log_id, data["note"], utcnow())
    db.session.commit()
    return jsonify({"id": flag.id, "resolved": True})


@bp.post("/office/api/tickets")
@login_required(*DISPATCH)
def create_ticket():
    """Intake from the office page: the public intake, but an existing appliance by its id."""
    data = parse_json(office_intake_schema)
    appliance_id = data.pop("appliance_id")
    if appliance_id:
        data["appliance"] = {**data["appliance"], "id": appliance_id}
    ticket = tickets.create_ticket(current_actor(), data, utcnow())
    db.session.commit()
    view = tickets.ticket_views(tickets.load_tickets([ticket.id]), utcnow())[0]
    return jsonify(ticket_detail_schema.dump({**view, "timeline": []})), 201
