"""The car-park console's API (docs/console.md): live view, gate overrides, alerts, transactions with proofs, the
history report and CSV exports, memberships, plate lists, settings and the audit trail. Owners, admins and the car
park's active staff; settings and the audit trail are for owners. Another car park's people get 404."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalice import Blueprint

from .. import bootstrap
from ..api.http import Api
from ..api.schemas import console as s
from ..domain.alerts import Alert
from ..domain.audit_trail import AuditEntry
from ..domain.availability import parse_clock
from ..domain.books import Summary
from ..domain.carpark_settings import CarParkSettings, LotSettings, Tariff
from ..domain.carparks import OpeningRule
from ..domain.gate import REASONS
from ..domain.plate_lists import ListedPlate
from ..domain.presence import Presence
from ..domain.timeutil import format_instant, parse_instant
from ..services import audit_log, console_admin, console_live, console_reports
from ..services.console_ports import Movement, Override
from .gate import gate_settings

bp = Blueprint(__name__)
api = Api(bp)
TAG = "console"


def _when(moment: datetime | None) -> str | None:
    return format_instant(moment) if moment else None


# ---------------------------------------------------------------- live view and gate actions


@api.route("GET", "/carparks/{carpark_id}/occupancy", "getOccupancy", "Cars inside now against capacity, per lot", TAG,
           response=s.OccupancyOut)
def get_occupancy(carpark_id: str) -> dict[str, Any]:
    occ = console_live.occupancy_now(api.principal(), carpark_id, o=bootstrap.deps().carparks)
    return {"carpark_id": occ.carpark.carpark_id, "at": format_instant(occ.at), "capacity": occ.capacity, "occupied": occ.occupied,
            "lots": [{"lot": lot.lot, "capacity": lot.capacity, "occupied": lot.occupied, "free": lot.free} for lot in occ.lots]}


def presence_out(p: Presence, now: datetime) -> dict[str, Any]:
    grace = gate_settings().grace_min
    return {"key": p.key, "kind": p.kind, "plate": p.plate, "lot": p.lot, "entered_at": format_instant(p.entered_at),
            "stay_min": p.stay_min(now), "due": _when(p.due), "overstaying": p.overstaying(now, grace),
            "reservation_id": p.reservation_id, "membership_id": p.membership_id}


@api.route("GET", "/carparks/{carpark_id}/inside", "listCarsInside", "The cars inside with their entry time and stay so far", TAG,
           query=s.InsideQuery, response=s.PresenceList)
def list_inside(carpark_id: str) -> dict[str, Any]:
    q = api.query(s.InsideQuery)
    o = bootstrap.deps().carparks
    page = console_live.inside(api.principal(), carpark_id, limit=q.limit, cursor=q.next, oldest_first=q.order == "oldest", o=o)
    now = o.clock.now()
    return {"inside": [presence_out(p, now) for p in page.items], "next": page.next}


def movement_out(m: Movement) -> dict[str, Any]:
    return {"movement_id": m.sort_key, "source": m.source, "direction": m.direction, "read": m.read, "matched": m.matched,
            "decision": m.decision, "reason": m.reason, "message": REASONS.get(m.reason) if m.source == "gate" else None,
            "occurred_at": format_instant(m.occurred_at), "device_id": m.device_id, "reservation_id": m.reservation_id,
            "membership_id": m.membership_id, "by": m.by}


@api.route("GET", "/carparks/{carpark_id}/feed", "pollMovements",
           "The movements feed: each gate event and override with the camera's read, the plate matched, the decision and "
           "its reason; poll with since=<next> for only what is new", TAG, query=s.FeedQuery, response=s.FeedOut)
def poll_feed(carpark_id: str) -> dict[str, Any]:
    q = api.query(s.FeedQuery)
    page = console_live.poll(api.principal(), carpark_id, since=q.since, limit=q.limit, o=bootstrap.deps().carparks)
    return {"movements": [movement_out(m) for m in page.movements], "next": page.next, "more": page.more}


def override_out(v: Override) -> dict[str, Any]:
    return {"override_id": v.override_id, "action": v.action, "plate": v.plate, "reason": v.reason, "by": v.by, "at": format_instant(v.at),
            "billed": v.billed, "device_id": v.device_id, "command_id": v.command_id, "reservation_id": v.reservation_id,
            "membership_id": v.membership_id, "flagged": v.flagged}


@api.route("POST", "/carparks/{carpark_id}/overrides", "createOverride",
           "Let a car in or out, or mark it as left, with a reason: the gate opens by a device command; recorded with who and why",
           TAG, request=s.OverrideIn, response=s.OverrideOut, status=201, errors=(409, 422))
def create_override(carpark_id: str) -> dict[str, Any]:
    req = api.body(s.OverrideIn)
    made = console_live.override(api.principal(), carpark_id,
                                 console_live.OverrideIn(req.action, req.plate, req.reason, req.device_id, req.reservation_id),
                                 o=bootstrap.deps().carparks, orders=bootstrap.deps().orders, rt=bootstrap.devices(),
                                 settings=gate_settings())
    return override_out(made)


@api.route("GET", "/carparks/{carpark_id}/overrides", "listOverrides", "Staff overrides, newest first", TAG, query=s.PageQuery,
           response=s.OverrideList)
def list_overrides(carpark_id: str) -> dict[str, Any]:
    q = api.query(s.PageQuery)
    page = console_live.overrides(api.principal(), carpark_id, limit=q.limit, cursor=q.next, o=bootstrap.deps().carparks)
    return {"overrides": [override_out(v) for v in page.items], "next": page.next}


# ---------------------------------------------------------------- alerts


def alert_out(a: Alert) -> dict[str, Any]:
    return {"alert_id": a.alert_id, "kind": a.kind, "title": a.title, "body": a.body, "raised_at": format_instant(a.raised_at),
            "state": a.state, "reservation_id": a.reservation_id, "device_id": a.device_id, "acknowledged_by": a.acknowledged_by,
            "acknowledged_at": _when(a.acknowledged_at)}


@api.route("GET", "/carparks/{carpark_id}/alerts", "listAlerts",
           "Overstays, failed payments, unknown or blocked plates at a gate, quiet devices; newest first", TAG, query=s.AlertQuery,
           response=s.AlertList)
def list_alerts(carpark_id: str) -> dict[str, Any]:
    q = api.query(s.AlertQuery)
    page = console_live.alerts(api.principal(), carpark_id, open_only=q.state == "open", limit=q.limit, cursor=q.next,
                               o=bootstrap.deps().carparks, rt=bootstrap.devices(), grace_min=gate_settings().grace_min)
    return {"alerts": [alert_out(a) for a in page.items], "next": page.next}


@api.route("POST", "/carparks/{carpark_id}/alerts/acknowledge", "acknowledgeAlert", "Mark an alert as seen and handled", TAG,
           request=s.AcknowledgeIn, response=s.AlertOut, errors=(409,))
def acknowledge_alert(carpark_id: str) -> dict[str, Any]:
    req = api.body(s.AcknowledgeIn)
    return alert_out(console_live.acknowledge(api.principal(), carpark_id, req.alert_id, o=bootstrap.deps().carparks))


# ---------------------------------------------------------------- transactions, proofs, the report, exports


def totals_out(t: dict[str, int]) -> dict[str, int]:
    return {k: int(t.get(k, 0)) for k in s.TotalsOut.model_fields}


@api.route("GET", "/carparks/{carpark_id}/books", "listBooks",
           "A day's or a period's paid stays, no-shows, fees and refunds, newest first, with totals and each paid stay's proof",
           TAG, query=s.PeriodQuery, response=s.TransactionList)
def list_books(carpark_id: str) -> dict[str, Any]:
    q = api.query(s.PeriodQuery)
    t = console_reports.transactions(api.principal(), carpark_id, since=q.since, until=q.until, limit=q.limit, cursor=q.next,
                                     o=bootstrap.deps().carparks)
    rows = []
    for e, facts in t.rows:
        entry = facts.ledger_entry if facts else None
        rows.append({**dict(zip(console_reports.TRANSACTION_HEADER, console_reports.transaction_row(e), strict=True)),
                     "state": facts.state if facts else None, "payment_status": facts.payment_status if facts else None,
                     "ledger_entry": entry,
                     "proof": f"/carparks/{t.carpark.carpark_id}/stays/{e.ref}/proof" if entry and e.kind == "paid" else None})
    return {"carpark_id": t.carpark.carpark_id, "since": t.period.since.isoformat(), "until": t.period.until.isoformat(),
            "currency": t.currency, "totals": totals_out(t.totals), "transactions": rows, "next": t.next}


@api.route("GET", "/carparks/{carpark_id}/stays/{reservation_id}/proof", "getStayProof",
           "A paid stay's ledger bundle (carparker.evidence/v1): verify it offline with verify-bundle", TAG,
           errors=(409,))
def stay_proof(carpark_id: str, reservation_id: str) -> dict[str, Any]:
    return console_reports.proof(api.principal(), carpark_id, reservation_id, o=bootstrap.deps().carparks,
                                 evidence=bootstrap.deps().evidence.evidence)


def summary_out(x: Summary, totals: dict[str, int]) -> dict[str, Any]:
    return {**totals_out(totals), "average_stay_min": x.average_stay_min, "no_show_rate": x.no_show_rate}


@api.route("GET", "/carparks/{carpark_id}/report", "getHistoryReport",
           "Revenue by day, week or month, occupancy by weekday and hour, average stay, no-show rate, overstays (from aggregates)",
           TAG, query=s.ReportQuery, response=s.ReportOut)
def history_report(carpark_id: str) -> dict[str, Any]:
    q = api.query(s.ReportQuery)
    r = console_reports.report(api.principal(), carpark_id, since=q.since, until=q.until, granularity=q.granularity, o=bootstrap.deps().carparks)
    return {"carpark_id": r.carpark.carpark_id, "since": r.period.since.isoformat(), "until": r.period.until.isoformat(),
            "granularity": r.granularity, "currency": r.currency, "summary": summary_out(r.summary, r.totals), "series": r.series,
            "heatmap": r.heat, "by_hour": r.by_hour}


@api.route("POST", "/carparks/{carpark_id}/exports", "createExport",
           "The rows behind a chart or list as CSV: inline when small, else a presigned download that expires", TAG,
           request=s.ExportIn, response=s.CsvExportOut, status=201)
def create_export(carpark_id: str) -> dict[str, Any]:
    req = api.body(s.ExportIn)
    x = console_reports.export(api.principal(), carpark_id, dataset=req.dataset, since=req.since, until=req.until,
                               granularity=req.granularity, o=bootstrap.deps().carparks)
    return {"dataset": x.dataset, "filename": x.filename, "rows": x.rows, "csv": x.csv, "url": x.url, "expires_at": _when(x.expires_at)}


# ---------------------------------------------------------------- memberships


def member_out(v: console_admin.MemberView) -> dict[str, Any]:
    r, m = v.record, v.record.membership
    return {"membership_id": m.membership_id, "carpark_id": m.carpark_id, "plate": m.plate, "holder": m.holder, "plan": m.plan,
            "valid_from": m.valid_from.isoformat(), "valid_until": m.valid_until.isoformat(), "state": v.state, "price_minor": r.price_minor,
            "added_by": r.added_by, "ended_at": _when(r.ended_at), "renews": r.renews}


@api.route("GET", "/carparks/{carpark_id}/members", "listMembers",
           "Members by last valid day (expiring_within_days: those ending soon); state flags expiring ones", TAG,
           query=s.MemberQuery, response=s.MemberList)
def list_members(carpark_id: str) -> dict[str, Any]:
    q = api.query(s.MemberQuery)
    page = console_admin.members(api.principal(), carpark_id, expiring_within_days=q.expiring_within_days, limit=q.limit, cursor=q.next,
                                 o=bootstrap.deps().carparks)
    return {"memberships": [member_out(v) for v in page.items], "next": page.next}


@api.route("POST", "/carparks/{carpark_id}/members", "addMember",
           "A monthly, quarterly or annual member; refused if the plate holds a plan on any of its days", TAG,
           request=s.MemberIn, response=s.MemberOut, status=201, errors=(409,))
def add_member(carpark_id: str) -> dict[str, Any]:
    req = api.body(s.MemberIn)
    return member_out(console_admin.add_member(api.principal(), carpark_id, plate=req.plate, holder=req.holder, plan=req.plan,
                                               valid_from=req.valid_from, o=bootstrap.deps().carparks))


@api.route("POST", "/carparks/{carpark_id}/members/{membership_id}/renew", "renewMember",
           "The next period for the same plate and holder, from the day after its latest plan", TAG, request=s.RenewIn,
           response=s.MemberOut, status=201, errors=(409,))
def renew_member(carpark_id: str, membership_id: str) -> dict[str, Any]:
    req = api.body(s.RenewIn)
    return member_out(console_admin.renew_member(api.principal(), carpark_id, membership_id, plan=req.plan, o=bootstrap.deps().carparks))


@api.route("POST", "/carparks/{carpark_id}/members/{membership_id}/end", "endMember",
           "End a membership today (a car inside still leaves)", TAG, response=s.MemberOut, errors=(409, 422))
def end_member(carpark_id: str, membership_id: str) -> dict[str, Any]:
    return member_out(console_admin.end_member(api.principal(), carpark_id, membership_id, o=bootstrap.deps().carparks))


# ---------------------------------------------------------------- allow and block lists


def listed_out(e: ListedPlate) -> dict[str, Any]:
    return {"entry_id": e.entry_id, "kind": e.kind, "plate": e.plate, "reason": e.reason, "added_by": e.added_by,
            "added_at": format_instant(e.added_at), "valid_until": e.valid_until.isoformat() if e.valid_until else None}


@api.route("GET", "/carparks/{carpark_id}/plate-lists", "listListedPlates", "Allowed and blocked plates", TAG, query=s.ListedQuery,
           response=s.ListedList)
def list_listed(carpark_id: str) -> dict[str, Any]:
    q = api.query(s.ListedQuery)
    page = console_admin.listed(api.principal(), carpark_id, kind=q.kind, limit=q.limit, cursor=q.next, o=bootstrap.deps().carparks)
    return {"entries": [listed_out(e) for e in page.items], "next": page.next}


@api.route("POST", "/carparks/{carpark_id}/plate-lists", "addListedPlate",
           "Allow a plate in, or block it (refused at the entry even with a reservation, and its parker told why)", TAG,
           request=s.ListedIn, response=s.ListedOut, status=201, errors=(409,))
def add_listed(carpark_id: str) -> dict[str, Any]:
    req = api.body(s.ListedIn)
    return listed_out(console_admin.add_listed(api.principal(), carpark_id, kind=req.kind, plate=req.plate, reason=req.reason,
                                               valid_until=req.valid_until, o=bootstrap.deps().carparks))


@api.route("POST", "/carparks/{carpark_id}/plate-lists/{entry_id}/remove", "removeListedPlate", "Take a plate off its list", TAG,
           response=s.ListedOut)
def remove_listed(carpark_id: str, entry_id: str) -> dict[str, Any]:
    return listed_out(console_admin.remove_listed(api.principal(), carpark_id, entry_id, o=bootstrap.deps().carparks))


# ---------------------------------------------------------------- settings


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def settings_out(carpark_id: str, x: CarParkSettings) -> dict[str, Any]:
    return {"carpark_id": carpark_id, "version": x.version, "currency": x.currency,
            "tariff": {"hourly_rate_minor": x.tariff.hourly_rate_minor, "daily_cap_minor": x.tariff.daily_cap_minor,
                       "plans": dict(x.tariff.plans)},
            "lots": [lot.__dict__ for lot in x.lots], "unassigned_capacity": x.unassigned_capacity,
            "opening": [{"days": list(r.days), "open": _clock(r.start_minute), "close": _clock(r.end_minute)} for r in x.opening]}


@api.route("GET", "/carparks/{carpark_id}/settings", "getCarParkSettings", "Tariff, lots with capacities, opening rules", TAG,
           response=s.SettingsOut)
def get_settings(carpark_id: str) -> dict[str, Any]:
    return settings_out(carpark_id, console_admin.settings(api.principal(), carpark_id, o=bootstrap.deps().carparks))


@api.route("PUT", "/carparks/{carpark_id}/settings", "saveCarParkSettings",
           "Change tariff, lots, capacities and opening rules, checked whole, on the version read (owners)", TAG,
           request=s.SettingsIn, response=s.SettingsOut, errors=(409,))
def save_settings(carpark_id: str) -> dict[str, Any]:
    req = api.body(s.SettingsIn)
    new = CarParkSettings(req.currency, Tariff(req.tariff.hourly_rate_minor, req.tariff.daily_cap_minor, {str(k): v for k, v in req.tariff.plans.items()}),
                          tuple(LotSettings(lot.name, lot.capacity, lot.hourly_rate_minor, lot.daily_cap_minor) for lot in req.lots),
                          req.unassigned_capacity,
                          tuple(OpeningRule(tuple(r.days), parse_clock(r.open, field=f"opening.{i}.open"),
                                            parse_clock(r.close, field=f"opening.{i}.close")) for i, r in enumerate(req.opening)),
                          req.version)
    return settings_out(carpark_id, console_admin.save_settings(api.principal(), carpark_id, new, o=bootstrap.deps().carparks))


# ---------------------------------------------------------------- the audit trail


def audit_out(a: AuditEntry) -> dict[str, Any]:
    return {"entry_id": a.entry_id, "at": format_instant(a.at), "actor": a.actor, "role": a.role, "action": a.action, "area": a.area,
            "target": a.target, "summary": a.summary, "details": dict(a.details)}


@api.route("GET", "/carparks/{carpark_id}/audit", "listAuditTrail",
           "Who did what and when: staff changes, overrides, devices, memberships, lists, settings (owners)", TAG,
           query=s.AuditQuery, response=s.AuditList)
def list_audit(carpark_id: str) -> dict[str, Any]:
    q = api.query(s.AuditQuery)
    since = parse_instant(q.since, field="from") if q.since else None
    until = parse_instant(q.until, field="to") if q.until else None
    page = audit_log.trail(api.principal(), carpark_id, since=since, until=until, limit=q.limit, cursor=q.next, o=bootstrap.deps().carparks)
    return {"entries": [audit_out(a) for a in page.items], "next": page.next}
