"""The local payment provider's hosted card fields, served on an origin of their own (as a real provider's are).

The app shows GET /hosted-fields?origin=<app origin> in an iframe. The page posts the card to POST /tokens here, which
asks the local provider (chalicelib/adapters/payments.py: tokenise) for a single-use token, and hands the token to the
app by postMessage, addressed to that app origin only. So card numbers reach this server, never the CarParker API or
the web server; the app saves the token with PUT /me/payment-method. Only `make run` starts it (see docs/web.md).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

PAGES = Path(__file__).resolve().parent / "hosted_fields"
FILES = {"/hosted-fields": ("index.html", "text/html; charset=utf-8"), "/hosted-fields.js": ("hosted-fields.js", "text/javascript"),
         "/hosted-fields.css": ("hosted-fields.css", "text/css")}
MAX_BODY = 4096
Tokenise = Callable[[str, int, int, str], dict[str, str]]


class _Handler(BaseHTTPRequestHandler):
    allowed: tuple[str, ...] = ()
    tokenise: Tokenise

    def _send(self, status: int, body: bytes, kind: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        found = FILES.get(parts.path)
        if found is None:
            self._send(404, b"not found", "text/plain")
            return
        name, kind = found
        extra = {}
        if parts.path == "/hosted-fields":
            origin = (parse_qs(parts.query).get("origin") or [""])[0]
            if origin not in self.allowed:
                self._send(400, b"this page may only be shown inside the CarParker app", "text/plain")
                return
            # Only the app may frame the fields; no script but the page's own; the card goes nowhere but here.
            extra["Content-Security-Policy"] = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                                                f"form-action 'none'; base-uri 'none'; frame-ancestors {origin}")
        self._send(200, (PAGES / name).read_bytes(), kind, extra)

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/tokens":
            self._json(404, {"code": "not_found", "message": "no such route", "field": None})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_BODY:
            self._json(400, {"code": "invalid_input", "message": f"the body must be 1 to {MAX_BODY} bytes", "field": "body"})
            return
        try:
            card = json.loads(self.rfile.read(length))
            answer = self._tokenise(card)
        except (ValueError, TypeError, KeyError):
            self._json(400, {"code": "invalid_input", "message": "send number, exp_month, exp_year and cvc", "field": "body"})
            return
        status = 201 if "token" in answer else 400
        self._json(status, answer)

    def _tokenise(self, card: dict[str, Any]) -> dict[str, Any]:
        from chalicelib.domain.errors import InvalidInputError

        if card.get("origin") not in self.allowed:
            return {"code": "origin_not_allowed", "message": "cards are taken only for the CarParker app", "field": None}
        try:
            return self.tokenise(str(card["number"]), int(card["exp_month"]), int(card["exp_year"]), str(card["cvc"]))
        except InvalidInputError as exc:
            return {"code": exc.code, "message": exc.message, "field": exc.field}

    def log_message(self, format: str, *args: Any) -> None:
        pass


class HostedFields:
    """The page and its token endpoint on 127.0.0.1 (port 0: a free one), in a thread of the calling process."""

    def __init__(self, port: int, allowed_origins: tuple[str, ...], tokenise: Tokenise) -> None:
        handler = type("Handler", (_Handler,), {"allowed": allowed_origins, "tokenise": staticmethod(tokenise)})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.port = int(self.httpd.server_address[1])
        self.origin = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.origin}/hosted-fields"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="hosted-fields", daemon=True)

    def serve(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        if self.thread.is_alive():
            self.httpd.shutdown()
        self.httpd.server_close()
