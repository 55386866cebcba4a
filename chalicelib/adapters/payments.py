"""A local payment provider that behaves like a real one, its state in its own DynamoDB table.

- a saved payment method per customer (test tokens as card networks publish them: tok_visa succeeds,
  tok_chargeDeclined is declined), or a single-use token its hosted card fields minted from a test card
  number (tokenise(); the page is infra/hosted_fields.py, so card numbers reach the provider, never our API);
- charges and refunds are created `pending` and settle later (asynchronously), each settlement
  announced by a webhook signed with HMAC-SHA256 (chalicelib/domain/signing.py) to our
  POST /payments/webhook; undelivered webhooks stay in an outbox and are retried;
- every create call carries an idempotency key: a retried call returns the first charge, a reused
  key with a different request is refused, so a charge is never taken twice;
- all of it is in the provider's table, so it survives restarts.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import urllib.request
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from ..domain.errors import ConflictError, InvalidInputError, NotFoundError, RuleViolationError
from ..domain.signing import sign
from ..domain.timeutil import format_instant
from ..services.order_ports import Charge, PaymentMethod
from ..services.ports import Clock
from .dynamo import condition_failed
from .tables import OperationsModels

log = logging.getLogger(__name__)
REDELIVERIES = 14  # 1 s doubling to 60 s: about ten minutes of retries
REDELIVERY_MAX_DELAY_S = 60.0

DECLINING_TOKENS = {"tok_chargeDeclined": "card_declined", "tok_insufficientFunds": "insufficient_funds"}
BRANDS = {"tok_visa": ("visa", "4242"), "tok_mastercard": ("mastercard", "4444"), "tok_chargeDeclined": ("visa", "0002"),
          "tok_insufficientFunds": ("visa", "9995")}
# The test card numbers card networks publish, and the test token each behaves as.
TEST_CARDS = {"4242424242424242": "tok_visa", "5555555555554444": "tok_mastercard", "4000000000000002": "tok_chargeDeclined",
              "4000000000009995": "tok_insufficientFunds"}
Deliver = Callable[[bytes, dict[str, str]], int]


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def check_card(number: str, exp_month: int, exp_year: int, cvc: str, today: datetime) -> str:
    """The card number's digits, or the first field a person must correct."""
    digits = re.sub(r"[\s-]", "", number)
    if not re.fullmatch(r"\d{12,19}", digits) or not luhn_ok(digits):
        raise InvalidInputError("that is not a valid card number", field="number", code="invalid_card")
    if not 1 <= exp_month <= 12 or (exp_year, exp_month) < (today.year, today.month) or exp_year > today.year + 20:
        raise InvalidInputError("the card has expired, or the expiry date is not a month and year to come", field="expiry",
                                code="invalid_card")
    if not re.fullmatch(r"\d{3,4}", cvc):
        raise InvalidInputError("the security code is the 3 or 4 digits on the card", field="cvc", code="invalid_card")
    if digits not in TEST_CARDS:
        raise InvalidInputError("the local payment provider takes test cards only, such as 4242 4242 4242 4242", field="number",
                                code="card_not_accepted")
    return digits


def http_deliver(url: str) -> Deliver:
    def deliver(body: bytes, headers: dict[str, str]) -> int:
        req = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=5) as response:  # noqa: S310 - URL from config
                return int(response.status)
        except OSError:
            return 599

    return deliver


class LocalPaymentProvider:
    def __init__(self, models: OperationsModels, connection: Any, *, secret: bytes, clock: Clock, new_id: Callable[[], str],
                 webhook_url: str | None = None, delay_s: float = 1.0) -> None:
        self.model = models.payments
        self.connection = connection
        self.secret, self.clock, self.new_id = secret, clock, new_id
        self.webhook_url, self.delay_s = webhook_url, delay_s

    # ------------------------------------------------------------ payment methods

    def tokenise(self, number: str, exp_month: int, exp_year: int, cvc: str) -> dict[str, str]:
        """What the hosted card fields call: a single-use token for a (test) card; the number is not kept."""
        card = TEST_CARDS[check_card(number, exp_month, exp_year, cvc, self.clock.now())]
        token = "tok_" + hashlib.sha256(self.new_id().encode()).hexdigest()[:32]
        self.model(f"token#{token}", kind="token", status="unused", data={"card": card}).save(condition=self.model.pk.does_not_exist())
        brand, last4 = BRANDS[card]
        return {"token": token, "brand": brand, "last4": last4}

    def _redeem(self, token: str) -> str:
        """A minted token, used once: the test token its card behaves as."""
        try:
            item = self.model.get(f"token#{token}", consistent_read=True)
            item.update(actions=[self.model.status.set("used")], condition=self.model.status == "unused")
        except (DoesNotExist, UpdateError) as exc:
            if isinstance(exc, UpdateError) and not condition_failed(exc):
                raise
            raise InvalidInputError("this card token is unknown or was already used; enter the card again", field="token",
                                    code="invalid_token") from None
        return str(item.data["card"])

    def save_method(self, customer_id: str, token: str) -> PaymentMethod:
        if token not in BRANDS and token.startswith("tok_") and len(token) == 36:
            token = self._redeem(token)
        if token not in BRANDS:
            raise InvalidInputError(f"unknown card token; use one of {sorted(BRANDS)}", field="token", code="invalid_token")
        brand, last4 = BRANDS[token]
        method = PaymentMethod(customer_id, "pm_" + self.new_id()[:20], brand, last4)
        self.model(f"method#{customer_id}", kind="method", data={"method_id": method.method_id, "brand": brand, "last4": last4,
                                                               "token": token}).save()
        return method

    def method(self, customer_id: str) -> PaymentMethod | None:
        try:
            d = self.model.get(f"method#{customer_id}", consistent_read=True).data
        except DoesNotExist:
            return None
        return PaymentMethod(customer_id, d["method_id"], d["brand"], d["last4"])

    # ------------------------------------------------------------ charges and refunds

    def create_charge(self, *, customer_id: str, amount_minor: int, currency: str, reference: str, idempotency_key: str) -> Charge:
        if amount_minor <= 0:
            raise InvalidInputError("a charge must be for a positive amount", field="amount_minor")
        charge = Charge("ch_" + self.new_id()[:24], customer_id, amount_minor, currency, reference, "pending")
        return self._create(charge, idempotency_key)

    def refund(self, *, charge_id: str, amount_minor: int, reference: str, idempotency_key: str) -> Charge:
        original = self.get(charge_id)
        if original.kind != "charge" or original.status != "succeeded":
            raise RuleViolationError("only a succeeded charge can be refunded", field="charge_id", code="not_refundable")
        if not 0 < amount_minor <= original.amount_minor:
            raise InvalidInputError("refund must be positive and at most the charge", field="amount_minor")
        refund = Charge("re_" + self.new_id()[:24], original.customer_id, amount_minor, original.currency, reference, "pending", "refund")
        return self._create(refund, idempotency_key)

    def get(self, charge_id: str) -> Charge:
        try:
            return _charge(self.model.get(f"charge#{charge_id}", consistent_read=True).data)
        except DoesNotExist:
            raise NotFoundError("no such charge", field="charge_id") from None

    def _create(self, charge: Charge, idempotency_key: str) -> Charge:
        fingerprint = hashlib.sha256(f"{charge.kind}|{charge.customer_id}|{charge.amount_minor}|{charge.currency}|{charge.reference}".encode()).hexdigest()
        now = format_instant(self.clock.now())
        key_item = self.model(f"idem#{idempotency_key}", kind="idempotency", data={"charge_id": charge.charge_id, "fingerprint": fingerprint})
        item = self.model(f"charge#{charge.charge_id}", kind=charge.kind, data=_data(charge), status="pending", queue="pending", created_at=now)
        try:
            with TransactWrite(connection=self.connection) as tx:
                tx.save(key_item, condition=self.model.pk.does_not_exist())
                tx.save(item, condition=self.model.pk.does_not_exist())
        except TransactWriteError:
            return self._replay(idempotency_key, fingerprint)
        self._schedule()
        return charge

    def _replay(self, idempotency_key: str, fingerprint: str) -> Charge:
        stored = self.model.get(f"idem#{idempotency_key}", consistent_read=True).data
        if stored["fingerprint"] != fingerprint:
            raise ConflictError("idempotency key reused for a different payment", field="idempotency_key", code="idempotency_key_reused")
        return self.get(stored["charge_id"])

    # ------------------------------------------------------------ settlement and webhooks

    def settle_due(self, deliver: Deliver | None = None) -> list[Charge]:
        """Settle every pending charge, then (re)send every undelivered webhook. Returns what settled."""
        settled = [c for c in (self._settle(i) for i in self.model.by_queue.query("pending")) if c is not None]
        send = deliver or (http_deliver(self.webhook_url) if self.webhook_url else None)
        if send is not None:
            for item in list(self.model.by_queue.query("outbox")):
                self._deliver(item, send)
        return settled

    def _outcome(self, charge: Charge) -> tuple[str, str | None]:
        if charge.kind == "refund":
            return "succeeded", None
        try:
            token = self.model.get(f"method#{charge.customer_id}", consistent_read=True).data["token"]
        except DoesNotExist:
            return "failed", "no_payment_method"
        failure = DECLINING_TOKENS.get(token)
        return ("failed", failure) if failure else ("succeeded", None)

    def _settle(self, item: Any) -> Charge | None:
        charge = _charge(item.data)
        status, failure = self._outcome(charge)
        done = Charge(**{**_data(charge), "status": status, "failure": failure})
        try:
            item.update(actions=[self.model.status.set(status), self.model.data.set(_data(done)), self.model.queue.set("outbox")],
                        condition=self.model.status == "pending")
        except UpdateError as exc:
            if condition_failed(exc):
                return None  # another worker settled it
            raise
        return done

    def _deliver(self, item: Any, send: Deliver) -> None:
        charge = _charge(item.data)
        body, headers = self.webhook(charge, self.clock.now())
        if 200 <= send(body, headers) < 300:
            item.update(actions=[self.model.queue.remove()], condition=self.model.queue == "outbox")

    def webhook(self, charge: Charge, at: datetime) -> tuple[bytes, dict[str, str]]:
        """The signed event announcing a settled charge or refund (event id stable across redeliveries)."""
        kind = "refund" if charge.kind == "refund" else "charge"
        event = {"event_id": f"evt_{charge.charge_id}_{charge.status}", "type": f"{kind}.{charge.status}",
                 "created": format_instant(at), "data": _data(charge)}
        body = json.dumps(event, separators=(",", ":"), sort_keys=True).encode()
        ts = int(at.timestamp())
        return body, {"Content-Type": "application/json", "X-Payment-Timestamp": str(ts), "X-Payment-Signature": sign(self.secret, ts, body)}

    def undelivered(self) -> bool:
        """Whether a settled charge's webhook has not been accepted yet (or a charge is still pending)."""
        return any(True for queue in ("outbox", "pending") for _ in self.model.by_queue.query(queue, limit=1))

    def _schedule(self, delay_s: float | None = None, attempt: int = 0) -> None:
        """Make run: settle on our own a moment later, and send the webhook again until our API accepts it, with a
        doubling delay up to a minute, as a real provider retries (Stripe for three days; here for about ten minutes:
        REDELIVERIES). The next charge starts a new round, which also resends what an earlier round gave up on."""
        if not self.webhook_url:
            return
        delay = self.delay_s if delay_s is None else delay_s

        def run() -> None:
            try:
                self.settle_due()
                again = self.undelivered()
            except Exception:  # noqa: BLE001 - a background retry: log it and try again later
                log.exception("local payment provider: settling or delivering failed; retrying")
                again = True
            if again and attempt < REDELIVERIES:
                self._schedule(min(delay * 2, REDELIVERY_MAX_DELAY_S), attempt + 1)

        timer = threading.Timer(delay, run)
        timer.daemon = True
        timer.start()


def _data(c: Charge) -> dict[str, Any]:
    return {"charge_id": c.charge_id, "customer_id": c.customer_id, "amount_minor": c.amount_minor, "currency": c.currency,
            "reference": c.reference, "status": c.status, "kind": c.kind, "failure": c.failure}


def _charge(d: dict[str, Any]) -> Charge:
    return Charge(d["charge_id"], d["customer_id"], int(d["amount_minor"]), d["currency"], d["reference"], d["status"],
                  d.get("kind", "charge"), d.get("failure"))
