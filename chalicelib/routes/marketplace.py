"""The marketplace: spaces, availability, search, reservations, and the admin review queue."""

from __future__ import annotations

import functools
from typing import Any

from chalice import Blueprint

from .. import bootstrap, config
from ..api.http import Api
from ..api.present import reservation_out, search_out, space_out, window_spec
from ..api.schemas import marketplace as s
from ..domain.geo import Point
from ..domain.spaces import SpaceAttributes, SpaceFilter
from ..domain.timeutil import format_instant, parse_instant
from ..services import carparks, orders, reservations, search, spaces

bp = Blueprint(__name__)
api = Api(bp)
LIST_LIMIT = 200  # the newest 200: what one listing reads is bounded, whatever the account's history



@api.route("POST", "/spaces", "createSpace",
           "Register a space (pending until reviewed); naming a car park you do not own asks its owners to accept it", "spaces",
           request=s.SpaceIn, response=s.SpaceOut, status=201, errors=(404, 422))
def create_space() -> dict[str, Any]:
    req = api.body(s.SpaceIn)
    d = bootstrap.deps()
    who = api.principal()
    space = spaces.register_space(
        who, title=req.title, address=req.address, location=Point(req.lat, req.lng),
        attributes=SpaceAttributes(**req.attributes.model_dump()), timezone=req.timezone, currency=config.currency(),
        carpark_id=req.carpark_id, lot=req.lot, spaces=d.spaces, clock=d.clock, new_id=d.new_id,
        link_for=carparks.link_for(who, d.carparks))
    return space_out(space, owner_view=True)


@api.route("GET", "/spaces", "listMySpaces", "The spaces I registered", "spaces", response=s.SpaceList)
def list_spaces() -> dict[str, Any]:
    who = api.principal()
    return {"spaces": [space_out(sp, owner_view=True) for sp in spaces.my_spaces(who, bootstrap.deps().spaces, LIST_LIMIT)]}


@api.route("GET", "/spaces/{space_id}", "getSpace", "A space (full detail for its owner, public detail if approved)", "spaces",
     response=s.SpaceOut)
def get_space(space_id: str) -> dict[str, Any]:
    space, owner_view = spaces.visible_space(api.principal(), space_id, bootstrap.deps().spaces)
    return space_out(space, owner_view=owner_view)


@api.route("POST", "/spaces/{space_id}/document", "requestOwnershipUpload", "Get a presigned PUT for the ownership document",
     "spaces", request=s.DocumentRequest, response=s.UploadTicketOut, status=201, errors=(422,))
def request_document(space_id: str) -> dict[str, Any]:
    req = api.body(s.DocumentRequest)
    d = bootstrap.deps()
    ticket = spaces.request_document_upload(api.principal(), space_id, req.content_type, req.size, spaces=d.spaces, blobs=d.blobs)
    return {"url": ticket.url, "method": ticket.method, "headers": ticket.headers, "expires_in": ticket.expires_in}


@api.route("POST", "/spaces/{space_id}/document/complete", "completeOwnershipUpload", "Check the uploaded ownership document",
     "spaces", response=s.SpaceOut, errors=(422,))
def complete_document(space_id: str) -> dict[str, Any]:
    d = bootstrap.deps()
    return space_out(spaces.complete_document_upload(api.principal(), space_id, spaces=d.spaces, blobs=d.blobs), owner_view=True)


@api.route("POST", "/spaces/{space_id}/windows", "addWindow", "Offer the space in a one-off or weekly window", "availability",
     request=s.WindowIn, response=s.SpaceOut, status=201, errors=(409, 422))
def add_window(space_id: str) -> dict[str, Any]:
    spec = window_spec(api.body(s.WindowIn))
    d = bootstrap.deps()
    space = spaces.add_window(api.principal(), space_id, spec, spaces=d.spaces, clock=d.clock, new_id=d.new_id,
                              increment_min=config.billing_increment_min())
    return space_out(space, owner_view=True)


@api.route("PUT", "/spaces/{space_id}/windows/{window_id}", "replaceWindow", "Edit a window (booked time must stay offered)",
     "availability", request=s.WindowIn, response=s.SpaceOut, errors=(409, 422))
def replace_window(space_id: str, window_id: str) -> dict[str, Any]:
    spec = window_spec(api.body(s.WindowIn))
    d = bootstrap.deps()
    space = spaces.replace_window(api.principal(), space_id, window_id, spec, spaces=d.spaces, clock=d.clock,
                                  increment_min=config.billing_increment_min())
    return space_out(space, owner_view=True)


@api.route("DELETE", "/spaces/{space_id}/windows/{window_id}", "withdrawWindow", "Withdraw a window not yet booked",
     "availability", response=s.SpaceOut, errors=(409, 422))
def withdraw_window(space_id: str, window_id: str) -> dict[str, Any]:
    d = bootstrap.deps()
    space = spaces.replace_window(api.principal(), space_id, window_id, None, spaces=d.spaces, clock=d.clock,
                                  increment_min=config.billing_increment_min())
    return space_out(space, owner_view=True)


@api.route("GET", "/spaces/{space_id}/reservations", "listSpaceReservations", "Reservations on one of my spaces", "reservations",
     response=s.ReservationList)
def space_reservations(space_id: str) -> dict[str, Any]:
    d = bootstrap.deps()
    found = reservations.space_reservations(api.principal(), space_id, spaces=d.spaces, reservations=d.reservations, limit=LIST_LIMIT)
    return {"reservations": [reservation_out(r) for r in found]}


# ---------------------------------------------------------------- search



@api.route("GET", "/search", "searchSpaces", "Free spaces near a point or a named place for a whole window", "search",
     query=s.SearchQuery, response=s.SearchOut, errors=(422,))
def search_spaces() -> dict[str, Any]:
    q = api.query(s.SearchQuery)
    api.principal()
    d = bootstrap.deps()
    center, place = search.resolve_center(q.lat, q.lng, q.q, d.geocoder)
    start, end = parse_instant(q.start, field="start"), parse_instant(q.end, field="end")
    wanted = SpaceFilter(q.covered, q.ev_charger, q.accessible, q.min_height_cm, q.vehicle_size, q.max_price_minor)
    result = search.search(center=center, place=place, start=start, end=end, radius_m=q.radius_m, wanted=wanted,
                           sort=q.sort, limit=q.limit, now=d.clock.now(), spaces=d.spaces)
    return search_out(result, start, end)


# ---------------------------------------------------------------- reservations



@api.route("POST", "/reservations", "createReservation", "Reserve a space for a plate and a window (price fixed now)",
     "reservations", request=s.ReservationIn, response=s.ReservationOut, status=201, errors=(409, 422))
def create_reservation() -> dict[str, Any]:
    req = api.body(s.ReservationIn)
    d = bootstrap.deps()
    r = reservations.reserve(
        api.principal(), req.space_id, req.plate, parse_instant(req.start, field="start"), parse_instant(req.end, field="end"),
        spaces=d.spaces, reservations=d.reservations, clock=d.clock, new_id=d.new_id,
        identity=d.identity_cases if config.require_verified_identity() else None)
    return reservation_out(r)


@api.route("GET", "/reservations", "listMyReservations", "My reservations as a parker, newest first", "reservations",
     response=s.ReservationList)
def my_reservations() -> dict[str, Any]:
    return {"reservations": [reservation_out(r) for r in reservations.parker_reservations(api.principal(), bootstrap.deps().reservations, LIST_LIMIT)]}


@api.route("GET", "/sharer/reservations", "listSharerReservations", "Reservations on all my spaces", "reservations",
     response=s.ReservationList)
def sharer_reservations() -> dict[str, Any]:
    return {"reservations": [reservation_out(r) for r in reservations.sharer_reservations(api.principal(), bootstrap.deps().reservations, LIST_LIMIT)]}


@api.route("GET", "/reservations/{reservation_id}", "getReservation", "One reservation (its parker or sharer)", "reservations",
     response=s.ReservationOut)
def get_reservation(reservation_id: str) -> dict[str, Any]:
    d, who = bootstrap.deps(), api.principal()
    r = reservations.visible_reservation(who, reservation_id, d.reservations)
    terms = reservations.cancellation_quote(who, r, d.clock.now())
    return {**reservation_out(r), "cancellation": {"fee_minor": terms[0], "refund_minor": terms[1]} if terms else None}


@api.route("POST", "/reservations/{reservation_id}/cancel", "cancelReservation",
     "Cancel (parker: free before the start; sharer: parker fully refunded)", "reservations", response=s.ReservationOut,
     errors=(409,))
def cancel_reservation(reservation_id: str) -> dict[str, Any]:
    d = bootstrap.deps()
    settle = functools.partial(orders.settle_cancellation, d.orders)
    return reservation_out(reservations.cancel(api.principal(), reservation_id, spaces=d.spaces, reservations=d.reservations,
                                               clock=d.clock, settle=settle))


@api.route("POST", "/reservations/{reservation_id}/extend", "extendReservation", "Extend when the following time is free",
     "reservations", request=s.ExtendIn, response=s.ReservationOut, errors=(409, 422))
def extend_reservation(reservation_id: str) -> dict[str, Any]:
    req = api.body(s.ExtendIn)
    d = bootstrap.deps()
    r = reservations.extend(api.principal(), reservation_id, parse_instant(req.end, field="end"), spaces=d.spaces,
                            reservations=d.reservations, clock=d.clock)
    return reservation_out(r)


# ---------------------------------------------------------------- admin



@api.route("GET", "/admin/spaces", "listPendingSpaces", "Spaces waiting for review (admin)", "admin", response=s.SpaceList)
def pending_spaces() -> dict[str, Any]:
    return {"spaces": [space_out(sp, owner_view=True) for sp in spaces.pending_review(api.principal(), bootstrap.deps().spaces, 100)]}


@api.route("POST", "/admin/spaces/{space_id}/approve", "approveSpace", "Approve a space (admin)", "admin", response=s.SpaceOut,
     errors=(409, 422))
def approve_space(space_id: str) -> dict[str, Any]:
    return space_out(spaces.review_space(api.principal(), space_id, True, None, spaces=bootstrap.deps().spaces), owner_view=True)


@api.route("POST", "/admin/spaces/{space_id}/reject", "rejectSpace", "Reject a space with a reason (admin)", "admin",
     request=s.ReviewRequest, response=s.SpaceOut, errors=(409, 422))
def reject_space(space_id: str) -> dict[str, Any]:
    req = api.body(s.ReviewRequest)
    return space_out(spaces.review_space(api.principal(), space_id, False, req.reason, spaces=bootstrap.deps().spaces), owner_view=True)


# ---------------------------------------------------------------- quotes and the document, for the apps


@api.route("GET", "/spaces/{space_id}/quote", "quoteReservation",
     "What reserving the space for a window would cost now (refused as POST /reservations would refuse it)", "reservations",
     query=s.QuoteQuery, response=s.QuoteOut, errors=(409, 422))
def quote_reservation(space_id: str) -> dict[str, Any]:
    q = api.query(s.QuoteQuery)
    d = bootstrap.deps()
    found = reservations.quote(api.principal(), space_id, parse_instant(q.start, field="start"), parse_instant(q.end, field="end"),
                               spaces=d.spaces, clock=d.clock)
    return {"space_id": found.space_id, "start": format_instant(found.start), "end": format_instant(found.end),
            "price_minor": found.price_minor, "rate_minor": found.rate_minor, "daily_cap_minor": found.daily_cap_minor,
            "currency": found.currency, "timezone": found.timezone}


@api.route("GET", "/reservations/{reservation_id}/extension", "quoteExtension",
     "What extending my reservation to a new end would cost now", "reservations", query=s.ExtensionQuery,
     response=s.ExtensionQuoteOut, errors=(409, 422))
def quote_extension(reservation_id: str) -> dict[str, Any]:
    q = api.query(s.ExtensionQuery)
    d = bootstrap.deps()
    end = parse_instant(q.end, field="end")
    r, price = reservations.extension_quote(api.principal(), reservation_id, end, spaces=d.spaces, reservations=d.reservations,
                                            clock=d.clock)
    return {"reservation_id": r.reservation_id, "start": format_instant(r.start), "end": format_instant(end), "price_minor": price,
            "current_price_minor": r.price_minor, "extra_minor": price - r.price_minor, "currency": r.currency}


@api.route("GET", "/spaces/{space_id}/document", "getOwnershipDocument",
     "A short-lived download URL of the ownership document (its owner, or an admin reviewing it)", "spaces",
     response=s.DocumentLinkOut, errors=(422,))
def get_document(space_id: str) -> dict[str, Any]:
    d = bootstrap.deps()
    doc, url = spaces.document_link(api.principal(), space_id, spaces=d.spaces, blobs=d.blobs)
    return {"url": url, "expires_in": spaces.DOCUMENT_LINK_TTL_S, "content_type": doc.content_type, "size": doc.size}
