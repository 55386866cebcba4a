"""CORS for the web apps: only the configured app origins may call the API from a browser.

Chalice's CORSConfig takes one allow_origin, and Chalice answers preflights itself from it without calling the app
(chalice local, and the MOCK integration it generates for API Gateway), so it cannot serve several origins. Instead
every path gets an OPTIONS route of its own (registered by Api.route) and one middleware sets the headers on every
response: the request's Origin echoed if it is in config.web_origins(), with Vary: Origin, read at call time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from chalice import Response
from chalice.app import Request

from .. import config

ALLOW_HEADERS = "Authorization,Content-Type,Idempotency-Key,X-Correlation-Id"
EXPOSE_HEADERS = "Idempotent-Replayed,Retry-After,X-Correlation-Id"
PREFLIGHT_MAX_AGE_S = 600  # a changed origin list reaches browsers within ten minutes


def cors_headers(origin: str | None, allowed: Iterable[str], *, preflight_methods: Iterable[str] | None = None) -> dict[str, str]:
    """Headers for a response to a request from `origin`. A preflight (preflight_methods given) also names what may follow."""
    headers = {"Vary": "Origin"}  # the answer depends on the Origin, so no cache may share it between origins
    if origin is None or origin not in set(allowed):
        return headers
    headers.update({"Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": EXPOSE_HEADERS})
    if preflight_methods is not None:
        headers.update({"Access-Control-Allow-Methods": ",".join(sorted({*preflight_methods, "OPTIONS"})),
                        "Access-Control-Allow-Headers": ALLOW_HEADERS,
                        "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_S)})
    return headers


def preflight(request: Request, methods: Iterable[str]) -> Response:
    """The OPTIONS answer: 204 with the CORS grant for an allowed origin, 403 (and no grant) for any other."""
    origin = request.headers.get("origin")
    headers = cors_headers(origin, config.web_origins(), preflight_methods=methods)
    if "Access-Control-Allow-Origin" in headers:
        return Response(body="", status_code=204, headers=dict(headers))
    body = {"code": "origin_not_allowed", "message": f"the origin {origin or '(none)'} may not call this API from a browser",
            "field": None}
    return Response(body=body, status_code=403, headers=dict(headers, **{"Content-Type": "application/json"}))


def browser_headers(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Chalice 'http' middleware: CORS on every response (ours, Chalice's 405/415/500 too); API responses hold personal
    data, so no browser or shared cache keeps them (the app's service worker never caches them either)."""
    response = get_response(event)
    if event.method != "OPTIONS":
        for name, value in cors_headers(event.headers.get("origin"), config.web_origins()).items():
            response.headers.setdefault(name, value)
    response.headers.setdefault("Cache-Control", "no-store")
    return response
