"""Our side of the payment provider: saved payment methods and the provider's signed webhooks."""

from __future__ import annotations

from typing import Any

from ..domain import jsontext, signing
from ..domain.accounts import PARKER, Principal
from ..domain.errors import ForbiddenError, InvalidInputError
from ..domain.reservations import Reservation
from .order_ports import PaymentMethod
from .orders import OrderLifecycle, payment_settled, retry_failed_payments

MAX_WEBHOOK_BYTES = 64 * 1024
EVENT_TYPES = {"charge.succeeded", "charge.failed", "refund.succeeded", "refund.failed"}


def save_method(principal: Principal, token: str, *, o: OrderLifecycle) -> PaymentMethod:
    """Save the card; orders whose payment failed are charged again on it."""
    if not principal.has(PARKER):
        raise ForbiddenError("only parkers save a payment method", field="roles")
    method = o.payments.save_method(principal.user_id, token)
    retry_failed_payments(o, principal.user_id)
    return method


def _event(raw: bytes) -> dict[str, Any]:
    event = jsontext.loads(raw, max_bytes=MAX_WEBHOOK_BYTES, what="webhook body")
    data = event.get("data") if isinstance(event, dict) else None
    if not isinstance(data, dict) or event.get("type") not in EVENT_TYPES:
        raise InvalidInputError(f"webhook type must be one of {sorted(EVENT_TYPES)} with a data object", field="type")
    for name in ("charge_id", "reference", "currency"):
        value = data.get(name)
        if not isinstance(value, str) or not 1 <= len(value) <= 128:
            raise InvalidInputError(f"data.{name} must be a string of 1 to 128 characters", field=f"data.{name}")
    if not isinstance(data.get("amount_minor"), int):
        raise InvalidInputError("data.amount_minor must be an integer", field="data.amount_minor")
    return event


def receive_webhook(timestamp: str | None, signature: str | None, raw: bytes, *, o: OrderLifecycle, secret: bytes, max_skew_s: int) -> Reservation:
    """Verify the provider's signature and freshness, then apply its verdict (idempotent per charge)."""
    ts = signing.parse_timestamp(timestamp)
    signing.verify(secret, ts, raw, signature, now=o.clock.now(), max_skew_s=max_skew_s)
    event = _event(raw)
    kind, status = str(event["type"]).split(".")
    d = event["data"]
    return payment_settled(o, kind=kind, status=status, charge_id=d["charge_id"], reference=d["reference"],
                           amount_minor=d["amount_minor"], currency=d["currency"], failure=str(d.get("failure") or "")[:80] or None)
