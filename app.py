"""CarParker API: thin routes over services. Domain errors map to HTTP in ERROR_STATUS below."""

from __future__ import annotations

import functools
import json
import os
from typing import Any, Callable, TypeVar

from chalice import AuthResponse, Chalice, Response
from pydantic import BaseModel, ValidationError

from chalicelib import VERSION, bootstrap, config
from chalicelib.api import schemas as s
from chalicelib.api.present import reservation_out, search_out, space_out, user_out, window_spec
from chalicelib.api.routing import Operation, Registry
from chalicelib.domain import errors as e
from chalicelib.domain.accounts import Principal
from chalicelib.domain.geo import Point
from chalicelib.domain.spaces import SpaceAttributes, SpaceFilter
from chalicelib.domain.timeutil import parse_instant
from chalicelib.services import accounts, reservations, search, spaces
from chalicelib.services.idempotency import request_hash, run_once

app = Chalice(app_name="carparker")
app.debug = os.environ.get("CP_STAGE") == "local"
registry = Registry()

# The one table from domain errors to HTTP statuses (most specific class first).
ERROR_STATUS: tuple[tuple[type[e.DomainError], int], ...] = (
    (e.InvalidInputError, 400),
    (e.UnauthenticatedError, 401),
    (e.ForbiddenError, 403),
    (e.NotFoundError, 404),
    (e.ConflictError, 409),
    (e.RuleViolationError, 422),
    (e.UnavailableError, 503),
)

M = TypeVar("M", bound=BaseModel)


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(body=json.dumps(body, separators=(",", ":")), status_code=status,
                    headers={"Content-Type": "application/json", **(headers or {})})


def _error(status: int, code: str, message: str, field: str | None) -> Response:
    return _json(status, {"code": code, "message": message, "field": field})


def _status_for(exc: e.DomainError) -> int:
    return next((status for cls, status in ERROR_STATUS if isinstance(exc, cls)), 400)


def _validation_error(exc: ValidationError, where: str) -> Response:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or where
    return _error(400, "invalid_input", f"{field}: {first['msg']}", field)


@app.authorizer()
def cognito(auth_request: Any) -> AuthResponse:
    """Verify the Cognito ID token; the verified claims travel to the routes in the context."""
    token = (auth_request.token or "").removeprefix("Bearer ").strip()
    try:
        claims = bootstrap.deps().idp.verify(token)
    except e.UnauthenticatedError:
        return AuthResponse(routes=[], principal_id="anonymous")
    groups = claims.get("cognito:groups") or []
    return AuthResponse(routes=["*"], principal_id=str(claims["sub"]),
                        context={"sub": str(claims["sub"]), "groups": ",".join(groups) if isinstance(groups, list) else ""})


def principal() -> Principal:
    ctx = app.current_request.context.get("authorizer") or {}
    groups = [g for g in str(ctx.get("groups", "")).split(",") if g]
    return accounts.principal_for({"sub": ctx.get("sub") or ctx.get("principalId"), "cognito:groups": groups},
                                  users=bootstrap.deps().users)


def body(model: type[M]) -> M:
    raw = app.current_request.raw_body or b"{}"
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise e.InvalidInputError("request body must be JSON", field="body") from None
    if not isinstance(data, dict):
        raise e.InvalidInputError("request body must be a JSON object", field="body")
    return model.model_validate(data)


def query(model: type[M]) -> M:
    return model.model_validate(dict(app.current_request.query_params or {}))


def api(method: str, path: str, operation_id: str, summary: str, tag: str, *, request: type[BaseModel] | None = None,
        query_model: type[BaseModel] | None = None, response: type[BaseModel] | None = None, status: int = 200,
        errors: tuple[int, ...] = (), auth: bool = True) -> Callable[[Callable[..., Any]], Any]:
    """Register a route and its OpenAPI operation; turn domain and validation errors into JSON 4xx."""
    headers = ("Idempotency-Key",) if method == "POST" and auth else ()
    registry.add(Operation(method, path, operation_id, summary, tag, request, query_model, response, status, errors, auth, headers))

    def decorate(view: Callable[..., Any]) -> Any:
        @functools.wraps(view)
        def handler(**params: str) -> Response:
            try:
                if headers and (key := app.current_request.headers.get("idempotency-key")):
                    return _idempotent(key, lambda: view(**params))
                return _respond(status, view(**params))
            except e.DomainError as exc:
                return _error(_status_for(exc), exc.code, exc.message, exc.field)
            except ValidationError as exc:
                return _validation_error(exc, "body")

        return app.route(path, methods=[method], authorizer=cognito if auth else None)(handler)

    return decorate


def _respond(status: int, result: Any) -> Response:
    if isinstance(result, Response):
        return result
    return _json(status, result)


def _idempotent(key: str, view: Callable[[], Any]) -> Response:
    req = app.current_request
    who = principal()

    def action() -> tuple[int, str]:
        response = _respond(201 if req.method == "POST" else 200, view())
        return response.status_code, response.body if isinstance(response.body, str) else json.dumps(response.body)

    deps = bootstrap.deps()
    fingerprint = request_hash(req.method, req.path, req.raw_body or b"")
    status, text, replayed = run_once(who.user_id, key, fingerprint, action, store=deps.idempotency,
                                      now_s=int(deps.clock.now().timestamp()))
    return Response(body=text, status_code=status, headers={"Content-Type": "application/json", "Idempotent-Replayed": str(replayed).lower()})


# ---------------------------------------------------------------- system


@api("GET", "/health", "getHealth", "Liveness, version and backend", "system", response=s.HealthOut, auth=False)
def health() -> dict[str, str]:
    backend = "moto" if os.environ.get("AWS_ENDPOINT_URL") else "aws"
    return {"status": "ok", "version": VERSION, "backend": backend, "stage": config.stage()}


@api("GET", "/openapi.json", "getOpenApi", "This API's OpenAPI 3.1 description", "system", auth=False)
def openapi() -> dict[str, Any]:
    return registry.document("CarParker API", VERSION)


# ---------------------------------------------------------------- accounts


@api("POST", "/auth/signup", "signUp", "Create an account (email + password)", "accounts", request=s.SignUpRequest,
     response=s.UserOut, status=201, errors=(409,), auth=False)
def sign_up() -> dict[str, Any]:
    req = body(s.SignUpRequest)
    d = bootstrap.deps()
    user = accounts.sign_up(req.email, req.password, req.display_name, tuple(req.roles), idp=d.idp, users=d.users, clock=d.clock)
    return user_out(user, frozenset())


@api("POST", "/auth/confirm", "confirmSignUp", "Confirm an account with the emailed code", "accounts",
     request=s.ConfirmRequest, auth=False)
def confirm() -> dict[str, str]:
    req = body(s.ConfirmRequest)
    bootstrap.deps().idp.confirm(req.email, req.code)
    return {"status": "confirmed"}


@api("POST", "/auth/signin", "signIn", "Sign in; returns Cognito tokens", "accounts", request=s.SignInRequest,
     response=s.TokensOut, errors=(401,), auth=False)
def sign_in() -> dict[str, Any]:
    req = body(s.SignInRequest)
    d = bootstrap.deps()
    tokens = accounts.sign_in(req.email, req.password, idp=d.idp, users=d.users, clock=d.clock)
    return s.TokensOut(id_token=tokens.id_token, access_token=tokens.access_token, refresh_token=tokens.refresh_token,
                       expires_in=tokens.expires_in).model_dump()


@api("GET", "/me", "getMe", "My profile", "accounts", response=s.UserOut)
def me() -> dict[str, Any]:
    who = principal()
    return user_out(bootstrap.deps().users.get(who.user_id), who.groups)


@api("PATCH", "/me", "updateMe", "Change my display name or roles", "accounts", request=s.ProfilePatch, response=s.UserOut)
def update_me() -> dict[str, Any]:
    req = body(s.ProfilePatch)
    who = principal()
    user = accounts.update_profile(who, req.display_name, tuple(req.roles) if req.roles else None, users=bootstrap.deps().users)
    return user_out(user, who.groups)


# ---------------------------------------------------------------- spaces


@api("POST", "/spaces", "createSpace", "Register a space (pending until reviewed)", "spaces", request=s.SpaceIn,
     response=s.SpaceOut, status=201)
def create_space() -> dict[str, Any]:
    req = body(s.SpaceIn)
    d = bootstrap.deps()
    space = spaces.register_space(
        principal(), title=req.title, address=req.address, location=Point(req.lat, req.lng),
        attributes=SpaceAttributes(**req.attributes.model_dump()), timezone=req.timezone, currency=config.currency(),
        carpark_id=req.carpark_id, lot=req.lot, spaces=d.spaces, clock=d.clock, new_id=d.new_id)
    return space_out(space, owner_view=True)


@api("GET", "/spaces", "listMySpaces", "The spaces I registered", "spaces", response=s.SpaceList)
def list_spaces() -> dict[str, Any]:
    who = principal()
    return {"spaces": [space_out(sp, owner_view=True) for sp in bootstrap.deps().spaces.by_owner(who.user_id)]}


@api("GET", "/spaces/{space_id}", "getSpace", "A space (full detail for its owner, public detail if approved)", "spaces",
     response=s.SpaceOut)
def get_space(space_id: str) -> dict[str, Any]:
    who = principal()
    space = bootstrap.deps().spaces.get(space_id)
    if space.owner_id == who.user_id or who.is_admin:
        return space_out(space, owner_view=True)
    if space.status != "approved":
        raise e.NotFoundError("no such space", field="space_id")
    return space_out(space, owner_view=False)


@api("POST", "/spaces/{space_id}/document", "requestOwnershipUpload", "Get a presigned PUT for the ownership document",
     "spaces", request=s.DocumentRequest, response=s.UploadTicketOut, status=201, errors=(422,))
def request_document(space_id: str) -> dict[str, Any]:
    req = body(s.DocumentRequest)
    d = bootstrap.deps()
    ticket = spaces.request_document_upload(principal(), space_id, req.content_type, req.size, spaces=d.spaces, blobs=d.blobs)
    return {"url": ticket.url, "method": ticket.method, "headers": ticket.headers, "expires_in": ticket.expires_in}


@api("POST", "/spaces/{space_id}/document/complete", "completeOwnershipUpload", "Check the uploaded ownership document",
     "spaces", response=s.SpaceOut, errors=(422,))
def complete_document(space_id: str) -> dict[str, Any]:
    d = bootstrap.deps()
    return space_out(spaces.complete_document_upload(principal(), space_id, spaces=d.spaces, blobs=d.blobs), owner_view=True)


@api("POST", "/spaces/{space_id}/windows", "addWindow", "Offer the space in a one-off or weekly window", "availability",
     request=s.WindowIn, response=s.SpaceOut, status=201, errors=(409, 422))
def add_window(space_id: str) -> dict[str, Any]:
    spec = window_spec(body(s.WindowIn))
    d = bootstrap.deps()
    space = spaces.add_window(principal(), space_id, spec, spaces=d.spaces, clock=d.clock, new_id=d.new_id,
                              increment_min=config.billing_increment_min())
    return space_out(space, owner_view=True)


@api("PUT", "/spaces/{space_id}/windows/{window_id}", "replaceWindow", "Edit a window (booked time must stay offered)",
     "availability", request=s.WindowIn, response=s.SpaceOut, errors=(409, 422))
def replace_window(space_id: str, window_id: str) -> dict[str, Any]:
    spec = window_spec(body(s.WindowIn))
    d = bootstrap.deps()
    space = spaces.replace_window(principal(), space_id, window_id, spec, spaces=d.spaces, clock=d.clock,
                                  increment_min=config.billing_increment_min())
    return space_out(space, owner_view=True)


@api("DELETE", "/spaces/{space_id}/windows/{window_id}", "withdrawWindow", "Withdraw a window not yet booked",
     "availability", response=s.SpaceOut, errors=(409, 422))
def withdraw_window(space_id: str, window_id: str) -> dict[str, Any]:
    d = bootstrap.deps()
    space = spaces.replace_window(principal(), space_id, window_id, None, spaces=d.spaces, clock=d.clock,
                                  increment_min=config.billing_increment_min())
    return space_out(space, owner_view=True)


@api("GET", "/spaces/{space_id}/reservations", "listSpaceReservations", "Reservations on one of my spaces", "reservations",
     response=s.ReservationList)
def space_reservations(space_id: str) -> dict[str, Any]:
    d = bootstrap.deps()
    space = spaces.own_space(principal(), space_id, d.spaces)
    return {"reservations": [reservation_out(r) for r in d.reservations.by_space(space.space_id)]}


# ---------------------------------------------------------------- search


@api("GET", "/search", "searchSpaces", "Free spaces near a point or a named place for a whole window", "search",
     query_model=s.SearchQuery, response=s.SearchOut)
def search_spaces() -> dict[str, Any]:
    q = query(s.SearchQuery)
    principal()
    d = bootstrap.deps()
    center, place = search.resolve_center(q.lat, q.lng, q.q, d.geocoder)
    start, end = parse_instant(q.start, field="start"), parse_instant(q.end, field="end")
    wanted = SpaceFilter(q.covered, q.ev_charger, q.accessible, q.min_height_cm, q.vehicle_size, q.max_price_minor)
    result = search.search(center=center, place=place, start=start, end=end, radius_m=q.radius_m, wanted=wanted,
                           sort=q.sort, limit=q.limit, now=d.clock.now(), spaces=d.spaces)
    return search_out(result, start, end)


# ---------------------------------------------------------------- reservations


@api("POST", "/reservations", "createReservation", "Reserve a space for a plate and a window (price fixed now)",
     "reservations", request=s.ReservationIn, response=s.ReservationOut, status=201, errors=(409, 422))
def create_reservation() -> Response:
    req = body(s.ReservationIn)
    d = bootstrap.deps()
    key = app.current_request.headers.get("idempotency-key")
    r, created = reservations.reserve(
        principal(), req.space_id, req.plate, parse_instant(req.start, field="start"), parse_instant(req.end, field="end"),
        idempotency_key=key, spaces=d.spaces, reservations=d.reservations, clock=d.clock, new_id=d.new_id)
    return _json(201 if created else 200, reservation_out(r))


@api("GET", "/reservations", "listMyReservations", "My reservations as a parker, newest first", "reservations",
     response=s.ReservationList)
def my_reservations() -> dict[str, Any]:
    return {"reservations": [reservation_out(r) for r in bootstrap.deps().reservations.by_parker(principal().user_id)]}


@api("GET", "/sharer/reservations", "listSharerReservations", "Reservations on all my spaces", "reservations",
     response=s.ReservationList)
def sharer_reservations() -> dict[str, Any]:
    return {"reservations": [reservation_out(r) for r in bootstrap.deps().reservations.by_sharer(principal().user_id)]}


@api("GET", "/reservations/{reservation_id}", "getReservation", "One reservation (its parker or sharer)", "reservations",
     response=s.ReservationOut)
def get_reservation(reservation_id: str) -> dict[str, Any]:
    return reservation_out(reservations.visible_reservation(principal(), reservation_id, bootstrap.deps().reservations))


@api("POST", "/reservations/{reservation_id}/cancel", "cancelReservation",
     "Cancel (parker: free before the start; sharer: parker fully refunded)", "reservations", response=s.ReservationOut,
     errors=(409,))
def cancel_reservation(reservation_id: str) -> dict[str, Any]:
    d = bootstrap.deps()
    return reservation_out(reservations.cancel(principal(), reservation_id, spaces=d.spaces, reservations=d.reservations, clock=d.clock))


@api("POST", "/reservations/{reservation_id}/extend", "extendReservation", "Extend when the following time is free",
     "reservations", request=s.ExtendIn, response=s.ReservationOut, errors=(409, 422))
def extend_reservation(reservation_id: str) -> dict[str, Any]:
    req = body(s.ExtendIn)
    d = bootstrap.deps()
    r = reservations.extend(principal(), reservation_id, parse_instant(req.end, field="end"), spaces=d.spaces,
                            reservations=d.reservations, clock=d.clock)
    return reservation_out(r)


# ---------------------------------------------------------------- admin


@api("GET", "/admin/spaces", "listPendingSpaces", "Spaces waiting for review (admin)", "admin", response=s.SpaceList)
def pending_spaces() -> dict[str, Any]:
    who = principal()
    if not who.is_admin:
        raise e.ForbiddenError("admins only")
    return {"spaces": [space_out(sp, owner_view=True) for sp in bootstrap.deps().spaces.pending(100)]}


@api("POST", "/admin/spaces/{space_id}/approve", "approveSpace", "Approve a space (admin)", "admin", response=s.SpaceOut,
     errors=(409, 422))
def approve_space(space_id: str) -> dict[str, Any]:
    return space_out(spaces.review_space(principal(), space_id, True, None, spaces=bootstrap.deps().spaces), owner_view=True)


@api("POST", "/admin/spaces/{space_id}/reject", "rejectSpace", "Reject a space with a reason (admin)", "admin",
     request=s.ReviewRequest, response=s.SpaceOut, errors=(409, 422))
def reject_space(space_id: str) -> dict[str, Any]:
    req = body(s.ReviewRequest)
    return space_out(spaces.review_space(principal(), space_id, False, req.reason, spaces=bootstrap.deps().spaces), owner_view=True)
