"""HTTP plumbing shared by every blueprint: the route decorator that also writes /openapi.json,
request parsing, the caller's identity, Idempotency-Key, and the one table from domain errors
to HTTP statuses."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from chalice import AuthResponse, Blueprint, Response
from pydantic import BaseModel, ValidationError

from .. import bootstrap
from ..domain import errors as e
from ..domain import jsontext
from ..domain.accounts import Principal
from ..services import accounts
from ..services.idempotency import Reply, request_hash, respond_once
from . import cors
from .routing import Operation, Registry

REGISTRY = Registry()
auth = Blueprint(__name__)
log = logging.getLogger(__name__)
MAX_BODY_BYTES = 11 * 1024 * 1024  # above API Gateway's 10 MB payload limit: the same bound locally
MAX_PATH_PARAM = 200  # our ids are far shorter; DynamoDB refuses keys over 2 KB with a ValidationException
auth.register_middleware(cors.browser_headers, "http")
_PREFLIGHT_PATHS: set[str] = set()

# The one table from domain errors to HTTP statuses (first match wins; anything else is a 500).
ERROR_STATUS: tuple[tuple[type[e.DomainError], int], ...] = (
    (e.KeyErasedError, 410),
    (e.SealError, 422),
    (e.CertificateError, 422),
    (e.InvalidInputError, 400),
    (e.UnauthenticatedError, 401),
    (e.ForbiddenError, 403),
    (e.NotFoundError, 404),
    (e.ConflictError, 409),
    (e.RuleViolationError, 422),
    (e.UnavailableError, 503),
)

M = TypeVar("M", bound=BaseModel)


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(body=json.dumps(body, separators=(",", ":")), status_code=status,
                    headers={"Content-Type": "application/json", **(headers or {})})


def error_response(status: int, code: str, message: str, field: str | None) -> Response:
    return json_response(status, {"code": code, "message": message, "field": field})


def status_for(exc: e.DomainError) -> int:
    return next((status for cls, status in ERROR_STATUS if isinstance(exc, cls)), 400)


def _validation_error(exc: ValidationError, where: str) -> Response:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or where
    return error_response(400, "invalid_input", f"{field}: {first['msg']}", field)


@auth.authorizer()
def cognito(auth_request: Any) -> AuthResponse:
    """Verify the Cognito ID token; the verified claims travel to the routes in the context."""
    token = (auth_request.token or "").removeprefix("Bearer ").strip()
    try:
        claims = bootstrap.deps().idp.verify(token)
    except e.DomainError:  # a bad token, or the pool's keys out of reach: denied either way
        return AuthResponse(routes=[], principal_id="anonymous")
    except Exception:  # noqa: BLE001 - an authorizer that raises is a 500 with a traceback; deny instead
        log.exception("the authorizer failed")
        return AuthResponse(routes=[], principal_id="anonymous")
    groups = claims.get("cognito:groups") or []
    return AuthResponse(routes=["*"], principal_id=str(claims["sub"]),
                        context={"sub": str(claims["sub"]), "groups": ",".join(groups) if isinstance(groups, list) else ""})


class Api:
    """Routes of one blueprint. Handlers stay thin: parse, call one service, return a dict."""

    def __init__(self, blueprint: Blueprint) -> None:
        self.bp = blueprint

    @property
    def request(self) -> Any:
        return self.bp.current_request

    def principal(self) -> Principal:
        ctx = self.request.context.get("authorizer") or {}
        groups = [g for g in str(ctx.get("groups", "")).split(",") if g]
        return accounts.principal_for({"sub": ctx.get("sub") or ctx.get("principalId"), "cognito:groups": groups},
                                      users=bootstrap.deps().users)

    def body(self, model: type[M]) -> M:
        data = jsontext.loads(self.request.raw_body or b"{}", max_bytes=MAX_BODY_BYTES)
        if not isinstance(data, dict):
            raise e.InvalidInputError("request body must be a JSON object", field="body")
        return model.model_validate(data)

    def query(self, model: type[M]) -> M:
        return model.model_validate(dict(self.request.query_params or {}))

    def header(self, name: str) -> str | None:
        return self.request.headers.get(name.lower())

    def route(self, method: str, path: str, operation_id: str, summary: str, tag: str, *,
              request: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
              response: type[BaseModel] | None = None, status: int = 200, errors: tuple[int, ...] = (),
              auth: bool = True, headers: tuple[str, ...] = (),
              media_type: str = "application/json") -> Callable[[Callable[..., Any]], Any]:
        """Register a route and its OpenAPI operation; domain and validation errors become JSON 4xx."""
        idempotent = method == "POST" and auth
        all_headers = headers + (("Idempotency-Key",) if idempotent else ())
        REGISTRY.add(Operation(method, path, operation_id, summary, tag, request, query, response, status, errors, auth, all_headers,
                               media_type))
        self._preflight_route(path)

        def decorate(view: Callable[..., Any]) -> Any:
            @functools.wraps(view)
            def handler(**params: str) -> Response:
                try:
                    _check_path(params)
                    if idempotent and (key := self.header("Idempotency-Key")):
                        return self._idempotent(key, status, lambda: view(**params))
                    return _respond(status, view(**params))
                except e.DomainError as exc:
                    return error_response(status_for(exc), exc.code, exc.message, exc.field)
                except ValidationError as exc:
                    return _validation_error(exc, "body")
                except Exception:  # noqa: BLE001 - logged with its traceback; the body never carries one
                    log.exception("%s %s failed", method, path)
                    return error_response(500, "internal_error", "something went wrong on our side; it has been logged", None)

            return self.bp.route(path, methods=[method], authorizer=cognito if auth else None)(handler)

        return decorate

    def _preflight_route(self, path: str) -> None:
        """One OPTIONS route per path, so browsers' preflights reach cors.preflight (see cors.py for why not CORSConfig)."""
        if path in _PREFLIGHT_PATHS:
            return
        _PREFLIGHT_PATHS.add(path)

        def preflight(**_params: str) -> Response:
            return cors.preflight(self.request, [op.method for op in REGISTRY.operations if op.path == path])

        self.bp.route(path, methods=["OPTIONS"])(preflight)

    def _idempotent(self, key: str, status: int, view: Callable[[], Any]) -> Response:
        req = self.request
        who = self.principal()

        def action() -> Reply:
            response = _respond(status, view())
            return Reply(response.status_code, response.body if isinstance(response.body, str) else json.dumps(response.body))

        deps = bootstrap.deps()
        fingerprint = request_hash(req.method, req.path, req.raw_body or b"")
        reply, replayed = respond_once(who.user_id, key, fingerprint, action, store=deps.idempotency,
                                       now_s=int(deps.clock.now().timestamp()))
        return Response(body=reply.body, status_code=reply.status_code,
                        headers={"Content-Type": "application/json", "Idempotent-Replayed": str(replayed).lower()})


def _check_path(params: dict[str, str]) -> None:
    for name, value in params.items():
        if not value or len(value) > MAX_PATH_PARAM or not value.isprintable():
            raise e.InvalidInputError(f"{name} must be 1 to {MAX_PATH_PARAM} printable characters", field=name)


def _respond(status: int, result: Any) -> Response:
    if isinstance(result, Response):
        return result
    return json_response(status, result)
