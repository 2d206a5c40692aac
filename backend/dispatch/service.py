"""What the office's pages show: board, suggestions, SLA, live status, review queue, caller lookup.

No Flask here: callers pass the clock, the time zone and the settings. Results are plain
dicts (the views dump them with schemas), never ORM objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Integer, and_, any_, bindparam, func, or_
from sqlalchemy.dialects.postgresql import ARRAY

from backend.audit import Actor, record_audit
from backend.catalog.models import FaultCode
from backend.customers.models import Appliance, Customer
from backend.db import db
from backend.errors import DomainError, NotFound
from backend.fees.service import in_warranty, warranty_until
from backend.people.models import Device, Technician, User
from backend.sync.models import MutationLog
from backend.tickets.models import OPEN_STATUSES, Flag, Ticket, Visit

CONTACT_HOURS = {"vip": 1, "regular": 2}  # SLA: contact the customer within (DESIGN.md)
VISIT_WINDOW_DEFAULT = timedelta(hours=2)  # a visit scheduled without an end
DUE_SOON = timedelta(minutes=30)
UNASSIGNED_LIMIT = 300
LIST_LIMIT = 500
WAITING_LIMIT = 200  # the board lists the oldest; the search finds the rest
URGENCY_RANK = {"emergency": 0, "urgent": 1, "normal": 2}
ARRIVED_STATUSES = ("in_progress", "pending", "completed")


@dataclass(frozen=True)
class Clock:
    now: datetime
    zone: ZoneInfo

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()

    def day_bounds(self, day: date | None = None) -> tuple[datetime, datetime]:
        day = day or self.today
        start = datetime.combine(day, time.min, tzinfo=self.zone)
        return start, start + timedelta(days=1)


# --- rows and SLA --------------------------------------------------------------------

TICKET_COLUMNS = (
    Ticket.id, Ticket.number, Ticket.status, Ticket.urgency, Ticket.fault_category,
    Ticket.fault_description, Ticket.created_at, Ticket.scheduled_start, Ticket.scheduled_end,
    Ticket.technician_id, Ticket.repeat_of_id, Ticket.completed_at, Ticket.customer_id, Ticket.appliance_id,
    Ticket.contacted_at,
)


def id_in(column: Any, ids: Any) -> Any:
    """`column IN ids`; on PostgreSQL as `= ANY(array)`, one parameter however many ids,
    which halves the time of a thousand-id lookup (no thousand placeholders to bind)."""
    ids = sorted(set(ids))
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, ids, type_=ARRAY(Integer)))
    return column.in_(ids)


def _tickets(*conditions: Any):
    return db.select(*TICKET_COLUMNS).where(*conditions)


def _load_rows(*queries: Any, now: datetime, techs: dict[int, dict[str, Any]]) -> list[list[dict]]:
    """The tickets of each query, then the customers and appliances of all of them by
    primary key, once: index-driven statements rather than joins, which with a thousand
    tickets the planner tends to answer by hash-joining a full scan of the customers
    (200,000 rows at scale). Returns the rows the pages show, one list per query."""
    # Core execution on the session's connection: no ORM row processing for plain columns.
    connection = db.session.connection()
    results = [connection.execute(query).all() for query in queries]
    everything = [t for tickets in results for t in tickets]
    if not everything:
        return [[] for _ in queries]
    customers = {c.id: c for c in connection.execute(
        db.select(Customer.id, Customer.name, Customer.phone, Customer.region, Customer.tier,
                  Customer.address).where(id_in(Customer.id, (t.customer_id for t in everything)))).all()}
    appliances = {a.id: a for a in connection.execute(
        db.select(Appliance.id, Appliance.brand, Appliance.category, Appliance.model)
        .where(id_in(Appliance.id, (t.appliance_id for t in everything)))).all()}
    customer_of = {c.id: (c.name, c.phone, c.region, c.tier, c.address) for c in customers.values()}
    appliance_of = {a.id: (a.brand, a.category, a.model) for a in appliances.values()}
    tech_names = {i: (t["username"], t["display_name"]) for i, t in techs.items()}
    rows = []
    for tickets in results:
        page = []
        # Plain tuple unpacking: this loop builds every card of the board (2,000 at scale).
        for (ticket_id, number, status, urgency, fault_category, fault_description, created_at, start, end,
             technician_id, repeat_of_id, _completed_at, customer_id, appliance_id, contacted_at) in tickets:
            name, phone, region, tier, address = customer_of[customer_id]
            brand, category, model = appliance_of[appliance_id]
            username, display_name = tech_names.get(technician_id, (None, None))
            page.append({
                "id": ticket_id, "number": number, "status": status, "urgency": urgency,
                "fault_category": fault_category, "fault_description": fault_description,
                "created_at": created_at, "scheduled_start": start, "scheduled_end": end,
                "repeat_of_id": repeat_of_id, "customer_name": name, "phone": phone, "region": region,
                "tier": tier, "address": address, "brand": brand, "category": category, "model": model,
                "technician": username, "technician_name": display_name,
                "sla": sla_of(now, status=status, created_at=created_at, tier=tier, scheduled_start=start,
                              scheduled_end=end, contacted_at=contacted_at),
            })
        rows.append(page)
    return rows


def _in_region(region: str | None) -> tuple:
    if not region:
        return ()
    return (Ticket.customer_id.in_(db.select(Customer.id).where(Customer.region == region)),)


def sla_of(now: datetime, *, status: str, created_at: datetime, tier: str,
           scheduled_start: datetime | None, scheduled_end: datetime | None,
           contacted_at: datetime | None = None) -> dict[str, Any]:
    """Deadlines of one ticket: contact (recorded, or an appointment made) within 2 h of
    intake, 1 h for VIP; then arrival within the scheduled visit window."""
    contact_due = created_at + timedelta(hours=CONTACT_HOURS.get(tier, 2))
    arrived = status in ARRIVED_STATUSES
    contacted = contacted_at is not None or scheduled_start is not None or arrived
    visit_end = None
    if scheduled_start is not None:
        visit_end = scheduled_end or scheduled_start + VISIT_WINDOW_DEFAULT
    sla: dict[str, Any] = {"contact_due": contact_due, "contacted": contacted,
                           "visit_start": scheduled_start, "visit_end": visit_end,
                           "arrived": arrived, "next_kind": None, "next_due": None, "state": "closed"}
    if status in ("completed", "cancelled"):
        return sla
    if not contacted:
        sla["next_kind"], sla["next_due"] = "contact", contact_due
    elif not arrived and visit_end is not None:
        sla["next_kind"], sla["next_due"] = "visit", visit_end
    else:
        sla["state"] = "ok"
        return sla
    due = sla["next_due"]
    if now > due:
        sla["state"] = "overdue"
    elif due - now <= DUE_SOON or (sla["next_kind"] == "visit" and now > scheduled_start):
        sla["state"] = "due_soon"
    else:
        sla["state"] = "ok"
    return sla


def sla_for(row: Any, now: datetime) -> dict[str, Any]:
    """sla_of for anything with the ticket's fields as a mapping (a result row's _mapping)."""
    return sla_of(now, status=row["status"], created_at=row["created_at"], tier=row["tier"],
                  scheduled_start=row["scheduled_start"], scheduled_end=row["scheduled_end"],
                  contacted_at=row.get("contacted_at"))


def priority_key(row: dict[str, Any]) -> tuple:
    """VIP first, then urgency, then the nearest deadline."""
    due = row["sla"]["next_due"] or row["created_at"]
    return (row["tier"] != "vip", URGENCY_RANK.get(row["urgency"], 3), due, row["id"])


# --- technicians ---------------------------------------------------------------------

def technicians() -> dict[int, dict[str, Any]]:
    rows = db.session.execute(
        db.select(User.id, User.username, User.display_name, Technician.skills, Technician.regions,
                  Technician.grade, Technician.daily_capacity)
        .join(Technician, Technician.user_id == User.id)
        .where(User.active.is_(True), User.role == "technician")
        .order_by(User.username)
    ).all()
    return {r.id: {"id": r.id, "username": r.username, "display_name": r.display_name,
                   "skills": list(r.skills or []), "regions": list(r.regions or []),
                   "grade": r.grade, "capacity": r.daily_capacity} for r in rows}


def loads_on(day_start: datetime, day_end: datetime) -> dict[int, int]:
    """Tickets scheduled per technician in [day_start, day_end), cancelled ones aside."""
    return dict(db.session.execute(
        db.select(Ticket.technician_id, func.count())
        .where(Ticket.scheduled_start >= day_start, Ticket.scheduled_start < day_end,
               Ticket.technician_id.is_not(None), Ticket.status != "cancelled")
        .group_by(Ticket.technician_id)
    ).all())


def last_sync_by_user(user_ids: list[int] | None = None) -> dict[int, datetime]:
    query = (db.select(Device.user_id, func.max(Device.last_seen_at))
             .where(Device.revoked_at.is_(None)).group_by(Device.user_id))
    if user_ids is not None and len(user_ids) <= 50:  # for many, reading all devices is cheaper
        query = query.where(Device.user_id.in_(user_ids))
    return {user_id: seen for user_id, seen in db.session.execute(query).all() if seen is not None}


def live_status(ticket_ids: list[int], technician_ids: list[int],
                scheduled: set[int] = frozenset()) -> dict[int, dict[str, Any]]:
    """Each technician's state from the visits of the given tickets: on site, en route, done;
    `scheduled` technicians have jobs but no visit begun, the others are idle."""
    status = {tid: {"state": "scheduled" if tid in scheduled else "idle", "at": None, "ticket_id": None}
              for tid in technician_ids}
    if not ticket_ids:
        return status
    visits = db.session.execute(
        db.select(Visit.technician_id, Visit.ticket_id, Visit.departed_at, Visit.arrived_at,
                  Visit.completed_at)
        .where(id_in(Visit.ticket_id, ticket_ids), Visit.technician_id.is_not(None),
               or_(Visit.departed_at.is_not(None), Visit.arrived_at.is_not(None),
                   Visit.completed_at.is_not(None)))
    ).all()
    ranked: dict[int, tuple] = {}
    for v in visits:
        if v.technician_id not in status:
            continue
        if v.arrived_at and not v.completed_at:
            candidate = (3, v.arrived_at, "on_site", v.ticket_id)
        elif v.departed_at and not v.arrived_at and not v.completed_at:
            candidate = (2, v.departed_at, "en_route", v.ticket_id)
        elif v.completed_at:
            candidate = (1, v.completed_at, "done", v.ticket_id)
        else:
            candidate = (0, None, "scheduled", v.ticket_id)
        best = ranked.get(v.technician_id)
        if best is None or _outranks(candidate, best):
            ranked[v.technician_id] = candidate
    for tech_id, (_rank, at, state, ticket_id) in ranked.items():
        status[tech_id] = {"state": state, "at": at, "ticket_id": ticket_id}
    return status


def _outranks(a: tuple, b: tuple) -> bool:
    # On site beats en route beats done beats scheduled; within a state, the latest event.
    if a[0] != b[0]:
        return a[0] > b[0]
    return a[1] is not None and (b[1] is None or a[1] > b[1])


def technician_lanes(techs: dict[int, dict[str, Any]], rows: list[dict[str, Any]],
                     loads: dict[int, int]) -> list[dict[str, Any]]:
    """One lane per technician: today's tickets, load against capacity, live state, last sync."""
    by_tech: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row["technician"]:
            by_tech.setdefault(row["technician"], []).append(row)
    ids = list(techs)
    ticket_ids = [row["id"] for row in rows if row["technician"]]
    busy = {tech_id for tech_id, tech in techs.items() if tech["username"] in by_tech}
    live = live_status(ticket_ids, ids, busy)
    seen = last_sync_by_user(ids)
    lanes = []
    for tech_id, tech in techs.items():
        load = loads.get(tech_id, 0)
        lanes.append({
            **tech, "load": load, "over_capacity": load > tech["capacity"],
            "full": load >= tech["capacity"],
            "live": live.get(tech_id, {"state": "idle", "at": None, "ticket_id": None}),
            "last_sync_at": seen.get(tech_id),
            "tickets": by_tech.get(tech["username"], []),  # in visit order, as queried
        })
    return lanes


def board(clock: Clock, region: str | None = None,
          techs: dict[int, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Unassigned tickets (oldest first, shown VIP and urgent first), today's tickets per
    technician, and assigned tickets still waiting for an appointment or a next visit.
    `techs`: technicians() when the caller has them already."""
    techs = technicians() if techs is None else techs
    day_start, day_end = clock.day_bounds()
    region_only = _in_region(region)
    unassigned, today, waiting = _load_rows(
        _tickets(Ticket.status == "new", *region_only)
        .order_by(Ticket.created_at, Ticket.id).limit(UNASSIGNED_LIMIT),
        _tickets(Ticket.scheduled_start >= day_start, Ticket.scheduled_start < day_end,
                 Ticket.status != "cancelled", *region_only)
        .order_by(Ticket.scheduled_start, Ticket.id),
        _tickets(or_(and_(Ticket.status == "assigned", Ticket.scheduled_start.is_(None)),
                     Ticket.status == "pending"), *region_only)
        .order_by(Ticket.created_at, Ticket.id).limit(WAITING_LIMIT),
        now=clock.now, techs=techs)
    unassigned.sort(key=priority_key)
    waiting.sort(key=priority_key)
    unassigned_total = db.session.execute(
        db.select(func.count()).select_from(Ticket).where(Ticket.status == "new", *region_only)).scalar_one()
    ids_by_name = {t["username"]: i for i, t in techs.items()}
    loads: dict[int, int] = {}
    for row in today:
        tech_id = ids_by_name.get(row["technician"])
        if tech_id is not None:
            loads[tech_id] = loads.get(tech_id, 0) + 1
    return {
        "day": clock.today, "unassigned": unassigned,
        "unassigned_total": unassigned_total,
        "waiting": waiting, "lanes": technician_lanes(techs, today, loads),
        "regions": sorted({r for t in techs.values() for r in t["regions"]}),
        "overdue_count": sum(1 for r in (*unassigned, *today, *waiting) if r["sla"]["state"] == "overdue"),
    }


def overdue(clock: Clock, limit: int = LIST_LIMIT,
            techs: dict[int, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Open tickets past a deadline: no appointment made in time, or the visit window over
    without an arrival. Most overdue first. `techs` as for board()."""
    now = clock.now
    techs = technicians() if techs is None else techs
    # Open tickets without an appointment are few: fetch them all, keep those past 2 h (1 h VIP).
    contact = _tickets(
        Ticket.status.in_(("new", "assigned")), Ticket.scheduled_start.is_(None),
        Ticket.contacted_at.is_(None),
        Ticket.created_at < now - timedelta(hours=min(CONTACT_HOURS.values())),
    ).order_by(Ticket.created_at)
    visit = _tickets(
        Ticket.status == "assigned", Ticket.scheduled_start < now,
        or_(Ticket.scheduled_end < now,
            and_(Ticket.scheduled_end.is_(None), Ticket.scheduled_start < now - VISIT_WINDOW_DEFAULT)),
    ).order_by(Ticket.scheduled_start).limit(limit)
    contact_rows, visit_rows = _load_rows(contact, visit, now=now, techs=techs)
    rows = contact_rows + visit_rows
    rows = [r for r in rows if r["sla"]["state"] == "overdue"]
    rows.sort(key=lambda r: (r["sla"]["next_due"], r["id"]))
    return rows[:limit]


def sla_overview(clock: Clock) -> dict[str, Any]:
    """The SLA page: overdue tickets, those due within the hour, and every technician's state."""
    techs = technicians()
    data = board(clock, techs=techs)
    open_rows = [*data["unassigned"], *data["waiting"],
                 *(t for lane in data["lanes"] for t in lane["tickets"])]
    seen: set[int] = set()
    due_soon = []
    for row in sorted(open_rows, key=lambda r: (r["sla"]["next_due"] or clock.now, r["id"])):
        if row["id"] in seen:
            continue
        seen.add(row["id"])
        due = row["sla"]["next_due"]
        if row["sla"]["state"] == "due_soon" or (
                row["sla"]["state"] == "ok" and due is not None and due - clock.now <= timedelta(hours=1)):
            due_soon.append(row)
    return {"overdue": overdue(clock, techs=techs), "due_soon": due_soon, "lanes": data["lanes"],
            "day": data["day"]}


# --- suggestions ---------------------------------------------------------------------

GRADE_BONUS = {"senior": 15, "intermediate": 7, "junior": 0}


def suggestions(ticket: Ticket, clock: Clock, limit: int = 10) -> dict[str, Any]:
    """Technicians ranked for a ticket, each with the reasons that moved them up or down:
    skill for the appliance category, region, load on the visit's day against capacity,
    and for VIP customers the technician's grade."""
    techs = technicians()
    day = ticket.scheduled_start.astimezone(clock.zone).date() if ticket.scheduled_start else clock.today
    loads = loads_on(*clock.day_bounds(day))
    seen = last_sync_by_user(list(techs))
    category, region = ticket.appliance.category, ticket.customer.region
    vip = ticket.customer.tier == "vip"
    ranked = []
    for tech_id, tech in techs.items():
        load, capacity = loads.get(tech_id, 0), tech["capacity"]
        already = ticket.technician_id == tech_id
        after = load if already and ticket.scheduled_start else load + 1
        reasons: list[dict[str, Any]] = []
        score = 0
        reason = _reasons_into(reasons)
        if category in tech["skills"]:
            score += 40
            reason("skill", True, category=category)
        else:
            score -= 40
            reason("no_skill", False, category=category)
        if region in tech["regions"]:
            score += 25
            reason("region", True, region=region)
        else:
            reason("other_region", False, regions=tech["regions"])
        free = max(capacity - load, 0)
        score += round(20 * free / capacity) if capacity else 0
        if after > capacity:
            score -= 30
            reason("over_capacity", False, after=after, capacity=capacity)
        else:
            reason("load", True, load=load, capacity=capacity)
        if vip:
            bonus = GRADE_BONUS.get(tech["grade"], 0)
            score += bonus
            if bonus:
                reason("vip_grade", True, grade=tech["grade"])
        if ticket.urgency == "emergency" and load == 0:
            score += 10
            reason("free_now", True)
        ranked.append({"username": tech["username"], "display_name": tech["display_name"],
                       "grade": tech["grade"], "score": score, "load": load, "capacity": capacity,
                       "over_capacity": after > capacity, "current": already,
                       "last_sync_at": seen.get(tech_id), "reasons": reasons})
    ranked.sort(key=lambda r: (-r["score"], r["load"], r["username"]))
    return {"ticket_id": ticket.id, "number": ticket.number, "day": day, "vip": vip,
            "category": category, "region": region, "technicians": ranked[:limit]}


def _reasons_into(reasons: list[dict[str, Any]]):
    def reason(code: str, ok: bool, **params: Any) -> None:
        reasons.append({"code": code, "ok": ok, "params": params})

    return reason


# --- review queue --------------------------------------------------------------------

def device_names(device_ids: set[str]) -> dict[str, dict[str, str]]:
    if not device_ids:
        return {}
    rows = db.session.execute(
        db.select(Device.id, Device.name, User.username, User.display_name)
        .join(User, User.id == Device.user_id).where(Device.id.in_(device_ids))
    ).all()
    return {r.id: {"device": r.name, "username": r.username, "display_name": r.display_name} for r in rows}


def review_queue(limit: int = LIST_LIMIT) -> dict[str, Any]:
    """Open sync flags and rejected mutations not yet looked at, oldest first."""
    flags = db.session.execute(
        db.select(Flag, Ticket.number).outerjoin(Ticket, Ticket.id == Flag.ticket_id)
        .where(Flag.resolved_at.is_(None)).order_by(Flag.created_at, Flag.id).limit(limit)
    ).all()
    resolved = db.select(Flag.id).where(Flag.kind == "rejected_mutation",
                                        Flag.mutation_id == MutationLog.mutation_id,
                                        Flag.device_id == MutationLog.device_id)
    rejected = db.session.execute(
        db.select(MutationLog).where(MutationLog.status == "rejected", ~resolved.exists())
        .order_by(MutationLog.received_at, MutationLog.id).limit(limit)
    ).scalars().all()
    sent = {(f.device_id, f.mutation_id) for f, _n in flags if f.mutation_id and f.device_id}
    mutations = {}
    if sent:
        # Devices and ids both named: searches of the log's unique (device, id) index; by id
        # alone the database reads the whole log.
        for m in db.session.execute(
            db.select(MutationLog.mutation_id, MutationLog.device_id, MutationLog.name, MutationLog.args,
                      MutationLog.device_at, MutationLog.corrected_at)
            .where(MutationLog.device_id.in_({d for d, _m in sent}),
                   MutationLog.mutation_id.in_({m for _d, m in sent}))
        ).all():
            mutations[(m.mutation_id, m.device_id)] = m
    devices = device_names({f.device_id for f, _n in flags if f.device_id} | {m.device_id for m in rejected})
    rejected_ticket_ids = {m.ticket_id for m in rejected if m.ticket_id}
    ticket_numbers = dict(db.session.execute(
        db.select(Ticket.id, Ticket.number).where(Ticket.id.in_(rejected_ticket_ids))
    ).all()) if rejected_ticket_ids else {}
    items = []
    for flag, number in flags:
        mutation = mutations.get((flag.mutation_id, flag.device_id))
        items.append({
            "kind": "flag", "id": flag.id, "flag_kind": flag.kind, "ticket_id": flag.ticket_id,
            "ticket_number": number, "at": flag.created_at, "detail": dict(flag.detail or {}),
            "mutation": mutation.name if mutation else None,
            "mutation_args": mutation.args if mutation else None,
            "device_at": mutation.device_at if mutation else None,
            "source": devices.get(flag.device_id),
        })
    for m in rejected:
        items.append({
            "kind": "rejected", "id": m.id, "flag_kind": "rejected_mutation",
            "ticket_id": m.ticket_id if m.ticket_id in ticket_numbers else None,
            "ticket_number": ticket_numbers.get(m.ticket_id), "at": m.received_at,
            "detail": {"code": m.code, "message": m.message},
            "mutation": m.name, "mutation_args": m.args, "device_at": m.device_at,
            "source": devices.get(m.device_id),
        })
    items.sort(key=lambda i: (i["at"], i["kind"], i["id"]))
    return {"items": items, "flags": len(flags), "rejected": len(rejected)}


def resolve_rejection(actor: Actor, log_id: int, note: str, now: datetime) -> Flag:
    """A rejected mutation looked at: recorded as a resolved `rejected_mutation` flag."""
    log = db.session.get(MutationLog, log_id)
    if log is None or log.status != "rejected":
        raise NotFound(_("Rejected mutation %(id)s", id=log_id))
    done = db.session.execute(
        db.select(Flag.id).where(Flag.kind == "rejected_mutation", Flag.mutation_id == log.mutation_id,
                                 Flag.device_id == log.device_id).limit(1)
    ).first()
    if done is not None:
        raise DomainError("already_resolved", _("This flag is already resolved"), 409)
    ticket_id = log.ticket_id if log.ticket_id and db.session.get(Ticket, log.ticket_id) else None
    flag = Flag(ticket_id=ticket_id, kind="rejected_mutation", device_id=log.device_id,
                mutation_id=log.mutation_id, created_at=log.received_at,
                detail={"mutation_log_id": log.id, "name": log.name, "code": log.code,
                        "message": log.message},
                resolved_at=now, resolved_by_id=actor.user_id, resolution_note=note)
    db.session.add(flag)
    db.session.flush()
    record_audit(actor, entity="flag", entity_id=flag.id, ticket_id=ticket_id, action="resolve", at=now,
                 after={"kind": "rejected_mutation", "mutation": log.name, "note": note})
    return flag


# --- intake --------------------------------------------------------------------------

def caller_lookup(phone: str, clock: Clock, repeat_days: int) -> dict[str, Any]:
    """A caller by phone: the customer, their appliances (warranty, recent repairs) and open
    tickets; without an exact match, customers whose number starts with what was typed."""
    customer = db.session.execute(db.select(Customer).where(Customer.phone == phone)).scalar_one_or_none()
    if customer is None:
        candidates = []
        if len(phone) >= 5:
            candidates = [{"phone": c.phone, "name": c.name, "region": c.region, "tier": c.tier}
                          for c in db.session.execute(
                              db.select(Customer).where(Customer.phone.like(_prefix(phone)))
                              .order_by(Customer.phone).limit(8)).scalars()]
        return {"customer": None, "appliances": [], "open_tickets": [], "candidates": candidates}
    today = clock.today
    since = clock.now - timedelta(days=repeat_days)
    tickets = db.session.execute(
        db.select(Ticket).where(Ticket.customer_id == customer.id)
        .order_by(Ticket.created_at.desc()).limit(50)
    ).scalars().all()
    # The repeat-repair rule (backend/fees): a ticket completed as fixed within the window.
    fixed = set(db.session.execute(
        db.select(Visit.ticket_id).where(Visit.ticket_id.in_([t.id for t in tickets]),
                                         Visit.resolution == "fixed")
    ).scalars()) if tickets else set()
    appliances = []
    for a in db.session.execute(
        db.select(Appliance).where(Appliance.customer_id == customer.id).order_by(Appliance.id)
    ).scalars():
        recent = [{"id": t.id, "number": t.number, "fault_category": t.fault_category,
                   "completed_at": t.completed_at}
                  for t in tickets if t.appliance_id == a.id and t.status == "completed" and t.id in fixed
                  and t.completed_at is not None and t.completed_at >= since]
        appliances.append({
            "id": a.id, "brand": a.brand, "category": a.category, "model": a.model, "serial": a.serial,
            "purchase_date": a.purchase_date, "warranty_months": a.warranty_months,
            "warranty_until": warranty_until(a), "in_warranty": in_warranty(a, today),
            "recent_repairs": recent,
        })
    open_tickets = [{"id": t.id, "number": t.number, "status": t.status, "fault_category": t.fault_category,
                     "created_at": t.created_at, "appliance_id": t.appliance_id}
                    for t in tickets if t.status in OPEN_STATUSES]
    return {"customer": {"id": customer.id, "name": customer.name, "phone": customer.phone,
                         "address": customer.address, "region": customer.region, "tier": customer.tier},
            "appliances": appliances, "open_tickets": open_tickets, "candidates": []}


def fault_codes() -> list[dict[str, Any]]:
    return [{"code": f.code, "category": f.category, "description": f.description,
             "description_en": f.description_en}
            for f in db.session.execute(
                db.select(FaultCode).where(FaultCode.kind == "fault").order_by(FaultCode.code)).scalars()]


def _prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"
