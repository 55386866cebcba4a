"""HMAC-SHA256 request signatures for webhooks (gate devices, payment provider).

The signed message is the decimal Unix timestamp, a dot, and the exact request body bytes:
    signature = hex(HMAC-SHA256(secret, f"{timestamp}." + body))
sent as "v1=<hex>". Verification raises; it never returns False.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime

from .errors import UnauthenticatedError

SCHEME = "v1"


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"{SCHEME}={mac}"


def parse_timestamp(raw: str | None) -> int:
    if raw is None or raw == "":
        raise UnauthenticatedError("request is not signed: timestamp header missing", code="unsigned")
    if not raw.isdigit() or len(raw) > 12:
        raise UnauthenticatedError("timestamp must be Unix seconds", code="bad_timestamp")
    return int(raw)


def verify(secret: bytes, timestamp: int, body: bytes, signature: str | None, *, now: datetime, max_skew_s: int) -> None:
    """Check the signature first (so the answer leaks nothing about freshness to forgers), then the age."""
    if not signature:
        raise UnauthenticatedError("request is not signed: signature header missing", code="unsigned")
    candidates = [part.strip() for part in signature.split(",")]  # several during a secret rotation
    expected = sign(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise UnauthenticatedError("signature does not match the body and timestamp", code="bad_signature")
    if abs(int(now.timestamp()) - timestamp) > max_skew_s:
        raise UnauthenticatedError(f"request is older than {max_skew_s} s (or from the future); refused", code="stale_request")


def gate_request(device_id: str, secret: bytes, event: dict[str, object], timestamp: int) -> tuple[bytes, dict[str, str]]:
    """What a gate device sends: the JSON body and the headers that authenticate it (docs/gate.md)."""
    body = json.dumps(event, separators=(",", ":"), sort_keys=True).encode()
    return body, {
        "Content-Type": "application/json",
        "X-Gate-Device": device_id,
        "X-Gate-Timestamp": str(timestamp),
        "X-Gate-Signature": sign(secret, timestamp, body),
    }
