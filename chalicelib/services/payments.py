"""Our side of the payment provider: saved payment methods and the provider's signed webhooks."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain import signing
from ..domain.accounts import PARKER, Principal
from ..domain.errors import ForbiddenError, NotFoundError
from ..domain.reservations import Reservation
from .messages import PaymentWebhookIn, parsed
from .order_ports import PaymentMethod, Payout
from .orders import OrderLifecycle, payment_settled, retry_failed_payments

MAX_WEBHOOK_BYTES = 64 * 1024


def save_method(principal: Principal, token: str, *, o: OrderLifecycle) -> PaymentMethod:
    """Save the card; orders whose payment failed are charged again on it."""
    if not principal.has(PARKER):
        raise ForbiddenError("only parkers save a payment method", field="roles")
    method = o.payments.save_method(principal.user_id, token)
    retry_failed_payments(o, principal.user_id)
    return method


def current_method(principal: Principal, *, o: OrderLifecycle) -> PaymentMethod:
    method = o.payments.method(principal.user_id)
    if method is None:
        raise NotFoundError("you have not saved a card yet", field="payment_method", code="no_payment_method")
    return method


def balance(principal: Principal, *, o: OrderLifecycle) -> tuple[int, str | None]:
    """The caller's balance as a sharer (payouts credited) and its currency (None before the first payout)."""
    return o.balances.balance(principal.user_id)


EARNINGS_ORDERS = 200  # the newest paid orders a statement lists (cursors come with the API's paging)


@dataclass(frozen=True)
class Earnings:
    balance_minor: int
    currency: str | None
    platform_fee_bp: int
    payouts: list[tuple[Reservation, Payout]]  # newest first


def earnings(principal: Principal, *, o: OrderLifecycle) -> Earnings:
    """The sharer's statement: each paid order's payout (what the parker paid, the platform fee, the share credited)
    and the balance those credits add up to."""
    amount, currency = o.balances.balance(principal.user_id)
    paid = [r for r in o.reservations.by_sharer(principal.user_id) if r.paid_at is not None][:EARNINGS_ORDERS]
    found = {p.payout_id: p for p in o.balances.payouts([r.reservation_id for r in paid])}
    rows = [(r, found[r.reservation_id]) for r in paid if r.reservation_id in found and found[r.reservation_id].account_id == principal.user_id]
    return Earnings(amount, currency, o.platform_fee_bp, rows)


def receive_webhook(timestamp: str | None, signature: str | None, raw: bytes, *, o: OrderLifecycle, secret: bytes, max_skew_s: int) -> Reservation:
    """Verify the provider's signature and freshness, then apply its verdict (idempotent per charge)."""
    ts = signing.parse_timestamp(timestamp)
    signing.verify(secret, ts, raw, signature, now=o.clock.now(), max_skew_s=max_skew_s)
    event = parsed(PaymentWebhookIn, raw, max_bytes=MAX_WEBHOOK_BYTES, what="webhook body")
    kind, status = event.type.split(".")
    d = event.data
    return payment_settled(o, kind=kind, status=status, charge_id=d.charge_id, reference=d.reference, amount_minor=d.amount_minor,
                           currency=d.currency, failure=(d.failure or "")[:80] or None)