"""Wire formats of the payments blueprint (routes/payments.py): the provider's webhook, the card, balance and earnings."""

from __future__ import annotations

from pydantic import BaseModel, Field

# Parsed by the service after the signature check, documented here: one model (services/messages.py).
from ...services.messages import PaymentWebhookIn as PaymentWebhookIn
from .common import Strict


class PaymentMethodIn(Strict):
    token: str = Field(min_length=1, max_length=64, examples=["tok_visa"])


class PaymentMethodOut(BaseModel):
    method_id: str
    brand: str
    last4: str




class WebhookAck(BaseModel):
    received: bool
    reservation_id: str
    state: str
    payment_status: str | None


class BalanceOut(BaseModel):
    balance_minor: int
    currency: str | None


class PayoutOut(BaseModel):
    reservation_id: str
    space_id: str
    paid_minor: int = Field(description="what the parker paid for the order")
    fee_minor: int = Field(description="the platform fee kept from it")
    payout_minor: int = Field(description="the sharer's share, credited to the balance")
    currency: str
    credited_at: str


class EarningsOut(BaseModel):
    balance_minor: int = Field(description="the payouts credited so far (the sum of payout_minor over every order)")
    currency: str | None
    platform_fee_bp: int = Field(description="the platform fee in basis points of each order's amount (1000 = 10%)")
    paid_minor: int = Field(description="sums over the orders listed")
    fee_minor: int
    payout_minor: int
    payouts: list[PayoutOut] = Field(description="the newest paid orders, newest first")
