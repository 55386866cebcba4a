"""Car parks: their staff, space links, gate devices and commands, members, and the staff dashboard."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from .. import bootstrap
from ..api.http import Api
from ..api.present import notification_out, reservation_out, space_out
from ..api.schemas import accounts as acc
from ..api.schemas import carparks as s
from ..api.schemas import marketplace as ms
from ..domain.accounts import User
from ..domain.availability import parse_clock
from ..domain.carparks import CarPark, Device, Membership, OpeningRule
from ..domain.gate_devices import topics
from ..domain.staff import StaffMembership
from ..domain.timeutil import format_instant
from ..services import carparks, gate_devices
from ..services.carpark_ports import GateEventRecord
from ..services.device_ports import IssuedCertificate

bp = Blueprint(__name__)
api = Api(bp)


def carpark_out(cp: CarPark) -> dict[str, Any]:
    return {"carpark_id": cp.carpark_id, "owner_id": cp.owner_id, "name": cp.name, "kind": cp.kind, "address": cp.address,
            "lots": list(cp.lots), "timezone": cp.timezone, "created_at": format_instant(cp.created_at),
            "opening": [{"days": list(r.days), "open": f"{r.start_minute // 60:02d}:{r.start_minute % 60:02d}",
                         "close": f"{r.end_minute // 60:02d}:{r.end_minute % 60:02d}"} for r in cp.opening]}


def staff_out(m: StaffMembership, person: User | None = None) -> dict[str, Any]:
    return {"carpark_id": m.carpark_id, "user_id": m.user_id, "role": m.role, "state": m.state, "invited_by": m.invited_by,
            "invited_at": format_instant(m.invited_at), "decided_at": format_instant(m.decided_at) if m.decided_at else None,
            "ended_by": m.ended_by, "person": {"display_name": person.display_name, "email": person.email} if person else None}


def invitation_out(m: StaffMembership, cp: CarPark) -> dict[str, Any]:
    return {"carpark_id": cp.carpark_id, "carpark_name": cp.name, "carpark_address": cp.address, "role": m.role, "state": m.state,
            "invited_at": format_instant(m.invited_at)}


def device_out(d: Device, secret: str | None = None, certificate: IssuedCertificate | None = None,
               health: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"device_id": d.device_id, "carpark_id": d.carpark_id, "name": d.name, "status": d.status,
            "secret_version": d.secret_version, "created_at": format_instant(d.created_at), "secret": secret,
            "thing_name": d.thing_name, "certificate_id": d.certificate_id, "health": health,
            "certificate": certificate_out(certificate) if certificate else None}


def certificate_out(c: IssuedCertificate) -> dict[str, Any]:
    rt = bootstrap.devices()
    assert rt.certificates is not None  # a certificate was just issued by them
    return {"thing_name": c.thing_name, "certificate_id": c.certificate_id, "certificate_pem": c.certificate_pem,
            "private_key_pem": c.private_key_pem, "endpoint": rt.certificates.endpoint(),
            "topics": topics(rt.prefix, c.thing_name).as_dict()}


def membership_out(m: Membership) -> dict[str, Any]:
    return {"membership_id": m.membership_id, "carpark_id": m.carpark_id, "plate": m.plate, "holder": m.holder, "plan": m.plan,
            "valid_from": m.valid_from.isoformat(), "valid_until": m.valid_until.isoformat()}


def movement_out(e: GateEventRecord) -> dict[str, Any]:
    r = e.response or {}
    return {"device_id": e.device_id, "direction": e.direction, "plate": e.plate, "decision": r.get("decision"),
            "reason": r.get("reason"), "reservation_id": r.get("reservation_id"), "at": format_instant(e.occurred_at)}



# ---------------------------------------------------------------- car parks


@api.route("POST", "/carparks", "createCarPark", "Create a car park (admin or owner)", "carparks", request=s.CarParkIn,
           response=s.CarParkOut, status=201)
def create_carpark() -> dict[str, Any]:
    req = api.body(s.CarParkIn)
    opening = tuple(OpeningRule(tuple(o.days), parse_clock(o.open, field="open"), parse_clock(o.close, field="close")) for o in req.opening)
    cp = carparks.create_carpark(api.principal(), name=req.name, kind=req.kind, address=req.address, lots=tuple(req.lots),
                                 timezone=req.timezone, opening=opening, o=bootstrap.deps().carparks)
    return carpark_out(cp)


@api.route("GET", "/carparks/{carpark_id}", "getCarPark", "A car park (owner, admin, its staff)", "carparks", response=s.CarParkOut)
def get_carpark(carpark_id: str) -> dict[str, Any]:
    return carpark_out(carparks.viewed(api.principal(), carpark_id, bootstrap.deps().carparks))


@api.route("POST", "/carparks/{carpark_id}/staff", "inviteCarParkStaff",
           "Invite an existing account (by email or user id) as staff or co-owner; it counts only once they accept (owners)",
           "staff", request=s.StaffIn, response=s.StaffOut, status=201, errors=(404, 409, 422))
def invite_staff(carpark_id: str) -> dict[str, Any]:
    req = api.body(s.StaffIn)
    d = bootstrap.deps()
    m = carparks.invite_staff(api.principal(), carpark_id, user_id=req.user_id, email=req.email, role=req.role, o=d.carparks,
                              users=d.users, idp=d.idp)
    return staff_out(m)


@api.route("GET", "/carparks/{carpark_id}/staff", "listCarParkStaff", "Everyone invited to or working at the car park (owners)",
           "staff", response=s.StaffList)
def list_staff(carpark_id: str) -> dict[str, Any]:
    listed = carparks.staff(api.principal(), carpark_id, o=bootstrap.deps().carparks, users=bootstrap.deps().users)
    return {"staff": [staff_out(m, person) for m, person in listed]}


@api.route("POST", "/carparks/{carpark_id}/staff/{user_id}/remove", "removeCarParkStaff",
           "End a membership or withdraw an open invitation (owners); the founding owner stays", "staff", response=s.StaffOut,
           errors=(409, 422))
def remove_staff(carpark_id: str, user_id: str) -> dict[str, Any]:
    return staff_out(carparks.remove_staff(api.principal(), carpark_id, user_id, o=bootstrap.deps().carparks))


@api.route("GET", "/me/staff-invitations", "listMyStaffInvitations", "Open invitations to work at a car park", "staff",
           response=s.InvitationList)
def my_invitations() -> dict[str, Any]:
    return {"invitations": [invitation_out(m, cp) for m, cp in carparks.my_invitations(api.principal(), o=bootstrap.deps().carparks)]}


@api.route("POST", "/me/staff-invitations/{carpark_id}/accept", "acceptStaffInvitation", "Accept an invitation: I work here from now on",
           "staff", response=s.StaffOut, errors=(409,))
def accept_invitation(carpark_id: str) -> dict[str, Any]:
    return staff_out(carparks.answer_invitation(api.principal(), carpark_id, True, o=bootstrap.deps().carparks))


@api.route("POST", "/me/staff-invitations/{carpark_id}/decline", "declineStaffInvitation", "Decline an invitation", "staff",
           response=s.StaffOut, errors=(409,))
def decline_invitation(carpark_id: str) -> dict[str, Any]:
    return staff_out(carparks.answer_invitation(api.principal(), carpark_id, False, o=bootstrap.deps().carparks))


@api.route("GET", "/me/carparks", "listMyCarParks", "The car parks I own or work at, with my role at each", "staff",
           response=s.MyCarParkList)
def my_carparks() -> dict[str, Any]:
    return {"carparks": [{"role": m.role, "since": format_instant(m.decided_at) if m.decided_at else None, "carpark": carpark_out(cp)}
                         for m, cp in carparks.my_carparks(api.principal(), o=bootstrap.deps().carparks)]}


@api.route("POST", "/me/carparks/{carpark_id}/leave", "leaveCarPark", "Stop working at a car park (the founding owner cannot)",
           "staff", response=s.StaffOut, errors=(409, 422))
def leave_carpark(carpark_id: str) -> dict[str, Any]:
    return staff_out(carparks.leave(api.principal(), carpark_id, o=bootstrap.deps().carparks))


@api.route("GET", "/carparks/{carpark_id}/space-links", "listSpaceLinks",
           "Spaces that name this car park, by link state; pending ones wait for an owner's decision (owners)", "carparks",
           query=s.SpaceLinkQuery, response=ms.SpaceList)
def list_space_links(carpark_id: str) -> dict[str, Any]:
    q = api.query(s.SpaceLinkQuery)
    found = carparks.space_links(api.principal(), carpark_id, q.state, o=bootstrap.deps().carparks)
    return {"spaces": [space_out(sp, owner_view=False, link_view=True) for sp in found]}


@api.route("POST", "/carparks/{carpark_id}/space-links/{space_id}/accept", "acceptSpaceLink",
           "Accept a space into the car park: its bookings are admitted by the gate and counted here (owners)", "carparks",
           response=ms.SpaceOut, errors=(409,))
def accept_space_link(carpark_id: str, space_id: str) -> dict[str, Any]:
    space = carparks.decide_link(api.principal(), carpark_id, space_id, True, o=bootstrap.deps().carparks)
    return space_out(space, owner_view=False, link_view=True)


@api.route("POST", "/carparks/{carpark_id}/space-links/{space_id}/refuse", "refuseSpaceLink",
           "Refuse a space's request to join the car park, or end an accepted link (owners)", "carparks", response=ms.SpaceOut,
           errors=(409,))
def refuse_space_link(carpark_id: str, space_id: str) -> dict[str, Any]:
    space = carparks.decide_link(api.principal(), carpark_id, space_id, False, o=bootstrap.deps().carparks)
    return space_out(space, owner_view=False, link_view=True)


@api.route("POST", "/carparks/{carpark_id}/devices", "registerGateDevice", "Register a gate device; its secret is shown once",
           "carparks", request=s.DeviceIn, response=s.DeviceOut, status=201)
def register_device(carpark_id: str) -> dict[str, Any]:
    req = api.body(s.DeviceIn)
    mqtt = gate_devices.identities_for(None, req.mqtt, bootstrap.devices())
    made = carparks.register_device(api.principal(), carpark_id, req.name, o=bootstrap.deps().carparks, mqtt=mqtt)
    return device_out(made.device, made.secret, made.certificate)


@api.route("POST", "/carparks/{carpark_id}/devices/{device_id}/rotate", "rotateGateDeviceSecret",
           "Give a device a new secret (shown once); the old one stops working", "carparks", response=s.DeviceOut, errors=(409, 422))
def rotate_device(carpark_id: str, device_id: str) -> dict[str, Any]:
    made = carparks.rotate_device_secret(api.principal(), carpark_id, device_id, o=bootstrap.deps().carparks, mqtt=gate_devices.identities_of(device_id, bootstrap.deps().carparks, bootstrap.devices()))
    return device_out(made.device, made.secret, made.certificate)


@api.route("POST", "/carparks/{carpark_id}/devices/{device_id}/revoke", "revokeGateDevice",
           "Revoke a device: its signed events are refused from now on", "carparks", response=s.DeviceOut, errors=(422,))
def revoke_device(carpark_id: str, device_id: str) -> dict[str, Any]:
    return device_out(carparks.revoke_device(api.principal(), carpark_id, device_id, o=bootstrap.deps().carparks, mqtt=gate_devices.identities_of(device_id, bootstrap.deps().carparks, bootstrap.devices())))


@api.route("GET", "/carparks/{carpark_id}/devices", "listGateDevices", "The car park's gate devices", "dashboard",
           response=s.DeviceList)
def list_devices(carpark_id: str) -> dict[str, Any]:
    listed = gate_devices.devices_with_health(api.principal(), carpark_id, o=bootstrap.deps().carparks, rt=bootstrap.devices())
    return {"devices": [device_out(d, health=h) for d, h in listed]}


@api.route("POST", "/carparks/{carpark_id}/devices/{device_id}/commands", "sendGateCommand",
           "Order a gate to open or refuse, with a reason (owner, admin, the car park's staff); bills nothing", "gate",
           request=s.CommandIn, response=s.CommandOut, status=201, errors=(409, 422))
def send_gate_command(carpark_id: str, device_id: str) -> dict[str, Any]:
    req = api.body(s.CommandIn)
    c = gate_devices.enqueue_command(api.principal(), carpark_id, device_id, action=req.action, reason=req.reason, o=bootstrap.deps().carparks,
                                     rt=bootstrap.devices(), ttl_s=req.ttl_s)
    return {"command_id": c.command_id, "device_id": c.device_id, "action": c.action, "reason": c.reason, "issued_by": c.issued_by,
            "issued_at": format_instant(c.issued_at), "expires_at": format_instant(c.expires_at), "state": c.state}


@api.route("POST", "/carparks/{carpark_id}/memberships", "addMembership", "A monthly, quarterly or annual member", "carparks",
           request=s.MembershipIn, response=s.MembershipOut, status=201)
def add_membership(carpark_id: str) -> dict[str, Any]:
    req = api.body(s.MembershipIn)
    m = carparks.add_membership(api.principal(), carpark_id, plate=req.plate, holder=req.holder, plan=req.plan,
                                valid_from=req.valid_from, o=bootstrap.deps().carparks)
    return membership_out(m)


@api.route("GET", "/carparks/{carpark_id}/memberships", "listMemberships", "The car park's members", "dashboard",
           response=s.MembershipList)
def list_memberships(carpark_id: str) -> dict[str, Any]:
    return {"memberships": [membership_out(m) for m in carparks.memberships(api.principal(), carpark_id, o=bootstrap.deps().carparks)]}


@api.route("GET", "/carparks/{carpark_id}/movements", "listMovements", "Car in / car out for a day, newest first", "dashboard",
           query=s.DayQuery, response=s.MovementList)
def list_movements(carpark_id: str) -> dict[str, Any]:
    q = api.query(s.DayQuery)
    return {"movements": [movement_out(e) for e in carparks.movements(api.principal(), carpark_id, q.day, o=bootstrap.deps().carparks)]}


@api.route("GET", "/carparks/{carpark_id}/transactions", "listTransactions", "Paid orders between two days, with daily totals",
           "dashboard", query=s.RangeQuery, response=s.TransactionsOut)
def list_transactions(carpark_id: str) -> dict[str, Any]:
    q = api.query(s.RangeQuery)
    report = carparks.transactions(api.principal(), carpark_id, q.since, q.until, o=bootstrap.deps().carparks)
    return {**report, "orders": [reservation_out(r) for r in report["orders"]]}


@api.route("GET", "/carparks/{carpark_id}/reservations", "listCarParkReservations", "Reservations at the car park", "dashboard",
           response=ms.ReservationList)
def list_carpark_reservations(carpark_id: str) -> dict[str, Any]:
    return {"reservations": [reservation_out(r) for r in carparks.carpark_reservations(api.principal(), carpark_id, o=bootstrap.deps().carparks)]}


@api.route("GET", "/carparks/{carpark_id}/notifications", "listCarParkNotifications", "The car park's feed, newest first",
           "dashboard", response=acc.NotificationList)
def carpark_notifications(carpark_id: str) -> dict[str, Any]:
    return {"notifications": [notification_out(n) for n in carparks.carpark_feed(api.principal(), carpark_id, o=bootstrap.deps().carparks)]}

