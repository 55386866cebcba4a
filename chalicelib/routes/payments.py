"""Payments: the provider's signed webhook, the caller's card, balance and earnings."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from .. import bootstrap, config
from ..api.http import Api
from ..api.schemas import payments as s
from ..domain.timeutil import format_instant
from ..services import payments

bp = Blueprint(__name__)
api = Api(bp)


@api.route("POST", "/payments/webhook", "paymentWebhook", "The payment provider's signed verdict on a charge or refund", "payments",
           request=s.PaymentWebhookIn, response=s.WebhookAck, errors=(401, 404, 409, 422), auth=False,
           headers=("X-Payment-Timestamp", "X-Payment-Signature"))
def payment_webhook() -> dict[str, Any]:
    r = payments.receive_webhook(api.header("X-Payment-Timestamp"), api.header("X-Payment-Signature"), api.request.raw_body or b"",
                                 o=bootstrap.deps().orders, secret=config.payment_webhook_secret(), max_skew_s=config.gate_max_skew_s())
    return {"received": True, "reservation_id": r.reservation_id, "state": r.state, "payment_status": r.payment_status}



@api.route("PUT", "/me/payment-method", "savePaymentMethod", "Save my card (a provider token) for automatic payment", "payments",
           request=s.PaymentMethodIn, response=s.PaymentMethodOut)
def save_payment_method() -> dict[str, Any]:
    req = api.body(s.PaymentMethodIn)
    m = payments.save_method(api.principal(), req.token, o=bootstrap.deps().orders)
    return {"method_id": m.method_id, "brand": m.brand, "last4": m.last4}


@api.route("GET", "/me/balance", "getMyBalance", "My balance as a sharer (payouts credited)", "payments", response=s.BalanceOut)
def my_balance() -> dict[str, Any]:
    amount, currency = payments.balance(api.principal(), o=bootstrap.deps().orders)
    return {"balance_minor": amount, "currency": currency}



@api.route("GET", "/me/earnings", "getMyEarnings", "My earnings as a sharer: each paid order, the platform fee, the payout",
           "payments", response=s.EarningsOut)
def my_earnings() -> dict[str, Any]:
    found = payments.earnings(api.principal(), o=bootstrap.deps().orders)
    rows = [{"reservation_id": r.reservation_id, "space_id": r.space_id, "paid_minor": p.amount_minor + p.fee_minor,
             "fee_minor": p.fee_minor, "payout_minor": p.amount_minor, "currency": p.currency, "credited_at": format_instant(p.created_at)}
            for r, p in found.payouts]
    return {"balance_minor": found.balance_minor, "currency": found.currency, "platform_fee_bp": found.platform_fee_bp,
            "paid_minor": sum(x["paid_minor"] for x in rows), "fee_minor": sum(x["fee_minor"] for x in rows),
            "payout_minor": sum(x["payout_minor"] for x in rows), "payouts": rows}


@api.route("GET", "/me/payment-method", "getPaymentMethod", "My saved card (brand and last four digits)", "payments",
           response=s.PaymentMethodOut)
def get_payment_method() -> dict[str, Any]:
    m = payments.current_method(api.principal(), o=bootstrap.deps().orders)
    return {"method_id": m.method_id, "brand": m.brand, "last4": m.last4}

