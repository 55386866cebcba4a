"""The order after the reservation: entry, exit and bill, automatic payment, payout, completion, no-shows.

Every state change is a conditional write on the reservation's version (a lost race is retried from a
fresh read, an impossible transition is a 409). Each step is safe to repeat: a redelivered gate event or
payment webhook finds the step done and moves on to the next, so an interrupted order resumes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from .. import observability
from ..domain.billing import BillingPolicy, bill_stay, missed, no_show_fee, payout_split
from ..domain.errors import NotFoundError, RuleViolationError, UnavailableError
from ..domain.pricing import Tariff
from ..domain.reservations import BILLED, CANCELLED, COMPLETED, ENTERED, EXITED, NO_SHOW, PAID, RESERVED, Reservation
from ..domain.spaces import Space
from ..domain.timeutil import format_instant
from . import console_hooks
from .console_ports import Console
from .order_ports import Balances, Notification, NotificationFeed, PaymentProvider, Payout
from .ports import Clock, Ledger, LedgerReceipt, ReservationRepository, SpaceRepository
from .retry import on_conflict

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OrderLifecycle:
    """What the order's steps after the reservation depend on, and nothing else (the composition root builds it;
    tests build it from fakes)."""

    reservations: ReservationRepository
    spaces: SpaceRepository
    payments: PaymentProvider
    balances: Balances
    notifications: NotificationFeed
    clock: Clock
    policy: BillingPolicy
    platform_fee_bp: int
    ledger: Ledger | None = None
    console: Console | None = None  # the car-park console's stores (services/console_hooks.py); None: no console hooks


def _tariff(space: Space, window_id: str) -> Tariff:
    for window in space.calendar.windows:
        if window.window_id == window_id:
            return window.tariff
    raise RuleViolationError("the reservation's availability window is gone; bill by hand", field="window_id", code="window_missing")


def _released(space: Space, reservation_id: str) -> Space:
    return replace(space, calendar=space.calendar.without_booking(reservation_id), version=space.version + 1)


# ---------------------------------------------------------------- entry and exit


def _reader(o: OrderLifecycle, reservation_id: str, held: Reservation | None) -> Callable[[], Reservation]:
    """What each try of a conditional step reads. The first try takes the copy the caller holds: one it read
    consistently or wrote itself in this request, so the reservation is not read, and its plate not unsealed, again.
    A try after a lost race (the version condition failed) reads the stored one."""
    first = [held] if held is not None else []

    def read() -> Reservation:
        return first.pop() if first else o.reservations.get(reservation_id)

    return read


def _seen_at_gate(o: OrderLifecycle, reservation_id: str, seen: Reservation | None) -> Reservation | None:
    """The gate found the reservation through an index, which may lag: the copy is used only if it is still the
    stored version (a consistent read of the version alone, nothing unsealed)."""
    return o.reservations.unchanged(seen) if seen is not None and seen.reservation_id == reservation_id else None


def start_stay(o: OrderLifecycle, reservation_id: str, entered_at: datetime, seen: Reservation | None = None) -> Reservation:
    """Step 6: timekeeping starts with the gate's entry time."""
    read = _reader(o, reservation_id, _seen_at_gate(o, reservation_id, seen))

    def attempt() -> Reservation:
        r = read()
        entered = replace(r.moved_to(ENTERED), entered_at=entered_at)
        o.reservations.change(entered, r.version)
        return entered

    entered = on_conflict(attempt)
    _notify(o, entered.parker_id, f"{reservation_id}:entered", "entered", "Parked", f"{entered.plate} entered at {format_instant(entered_at)}",
            entered_at, reservation_id)
    return entered


def finish_stay(o: OrderLifecycle, reservation_id: str, exited_at: datetime, seen: Reservation | None = None) -> Reservation:
    """Steps 9-12: the exit time ends the stay, the space's time is released, the bill is made and charged."""
    read = _reader(o, reservation_id, _seen_at_gate(o, reservation_id, seen))

    def attempt() -> Reservation:
        r = read()
        space = o.spaces.get(r.space_id)
        bill = bill_stay(start=r.start, end=r.end, reserved_minor=r.price_minor, tariff=_tariff(space, r.window_id),
                         entered_at=r.entered_at or r.start, exited_at=exited_at, policy=o.policy)
        billed = replace(r.moved_to(EXITED).moved_to(BILLED), exited_at=exited_at, bill=bill)
        o.reservations.change(billed, r.version, _released(space, r.reservation_id), space.version)
        return billed

    billed = on_conflict(attempt)
    try:
        return collect_payment(o, billed)
    except Exception as exc:  # the car has left and the bill stands; the scheduled sweep charges it later
        log.exception("order %s billed but not charged yet", reservation_id)
        observability.count("PaymentFailures", kind="unavailable" if isinstance(exc, UnavailableError) else "error")
        return billed


# ---------------------------------------------------------------- payment


def collect_payment(o: OrderLifecycle, r: Reservation) -> Reservation:
    """Charge what is due under an idempotency key derived from the order: a retry can never charge twice. `r` is
    the order as stored: just written by the caller or read consistently."""
    amount = r.amount_due_minor
    if amount == 0:  # nothing to charge: a free stay is paid at once and completes
        return complete(o, _paid(o, r, o.clock.now())) if r.state == BILLED else r
    kind = "order" if r.state in (BILLED, PAID, COMPLETED) else "fee"
    charge = o.payments.create_charge(customer_id=r.parker_id, amount_minor=amount, currency=r.currency, reference=r.reservation_id,
                                      idempotency_key=f"{kind}:{r.reservation_id}")
    return _record_charge(o, r.reservation_id, charge.charge_id, r)


def retry_failed_payments(o: OrderLifecycle, parker_id: str) -> list[Reservation]:
    """After the parker fixes the card: charge each failed order again, keyed by the failed charge so a retry is made once."""
    retried = []
    for r in o.reservations.by_parker(parker_id):
        if r.payment_status != "failed" or r.charge_id is None:
            continue
        charge = o.payments.create_charge(customer_id=r.parker_id, amount_minor=r.amount_due_minor, currency=r.currency,
                                          reference=r.reservation_id, idempotency_key=f"retry:{r.charge_id}")
        retried.append(_record_charge(o, r.reservation_id, charge.charge_id, None))  # listed through an index: read again
    return retried


def _record_charge(o: OrderLifecycle, reservation_id: str, charge_id: str, held: Reservation | None) -> Reservation:
    read = _reader(o, reservation_id, held)

    def attempt() -> Reservation:
        current = read()
        if current.charge_id == charge_id:
            return current
        pending = replace(current, charge_id=charge_id, payment_status="pending", version=current.version + 1)
        o.reservations.change(pending, current.version)
        return pending

    return on_conflict(attempt)


def payment_settled(o: OrderLifecycle, *, kind: str, status: str, charge_id: str, reference: str, amount_minor: int, currency: str,
                    failure: str | None) -> Reservation:
    """Step 13: the provider's verdict on a charge (or refund) we asked for."""
    try:
        r = o.reservations.get(reference)
    except NotFoundError:
        raise NotFoundError("no order for this charge", field="charge_id", code="unknown_charge") from None
    if kind == "refund":
        return _refund_settled(o, r, status, charge_id, amount_minor)
    if r.charge_id != charge_id:
        # Also a verdict that overtakes our own record of the charge: refused now, the provider redelivers it.
        raise NotFoundError("this charge is not one we made", field="charge_id", code="unknown_charge")
    if amount_minor != r.amount_due_minor or currency != r.currency:
        raise RuleViolationError("the settled amount differs from the amount charged", field="amount_minor", code="amount_mismatch")
    if status != "succeeded":
        return _payment_failed(o, r, failure or "failed")
    if r.state in (CANCELLED, NO_SHOW):
        return _fee_paid(o, r)
    paid = _paid(o, r, o.clock.now())
    return complete(o, paid)


def _paid(o: OrderLifecycle, held: Reservation, at: datetime) -> Reservation:
    read = _reader(o, held.reservation_id, held)

    def attempt() -> Reservation:
        r = read()
        if r.state in (PAID, COMPLETED):
            return r
        paid = replace(r.moved_to(PAID), paid_at=at, payment_status="succeeded")
        o.reservations.change(paid, r.version)
        return paid

    return on_conflict(attempt)


def _payment_failed(o: OrderLifecycle, r: Reservation, failure: str) -> Reservation:
    read = _reader(o, r.reservation_id, r)

    def attempt() -> Reservation:
        current = read()
        if current.payment_status == "failed":
            return current
        failed = replace(current, payment_status="failed", version=current.version + 1)
        o.reservations.change(failed, current.version)
        return failed

    failed = on_conflict(attempt)
    if r.payment_status != "failed":  # the provider's redelivery of one verdict is one failure
        log.warning("order %s: charge declined (%s)", r.reservation_id, failure)
        observability.count("PaymentFailures", kind="declined")
    console_hooks.payment_failed(o.console, failed)
    _notify(o, r.parker_id, f"{r.charge_id}:failed", "payment_failed", "Payment failed",
            f"We could not charge {r.amount_due_minor} {r.currency} minor units ({failure}); update your payment method",
            o.clock.now(), r.reservation_id)
    return failed


def _fee_paid(o: OrderLifecycle, r: Reservation) -> Reservation:
    read = _reader(o, r.reservation_id, r)

    def attempt() -> Reservation:
        current = read()
        if current.payment_status == "succeeded":
            return current
        done = replace(current, payment_status="succeeded", paid_at=o.clock.now(), version=current.version + 1)
        o.reservations.change(done, current.version)
        return done

    done = on_conflict(attempt)
    assert done.paid_at is not None
    _payout(o, done, done.paid_at)
    console_hooks.fee_paid(o.console, done)
    return done


def _refund_settled(o: OrderLifecycle, r: Reservation, status: str, refund_id: str, amount_minor: int) -> Reservation:
    if r.state != CANCELLED or r.refund_minor != amount_minor:
        raise NotFoundError("this refund is not one we made", field="charge_id", code="unknown_charge")
    _notify(o, r.parker_id, f"{refund_id}:{status}", f"refund_{status}", "Refund", f"Refund of {amount_minor} {r.currency} minor units {status}",
            o.clock.now(), r.reservation_id)
    return r


def settle_cancellation(o: OrderLifecycle, r: Reservation) -> Reservation:
    """Cancellation money through the same port: the fee is charged, a captured payment is refunded."""
    if r.state != CANCELLED:
        return r
    if r.refund_minor > 0 and r.charge_id and r.payment_status == "succeeded":
        o.payments.refund(charge_id=r.charge_id, amount_minor=r.refund_minor, reference=r.reservation_id,
                          idempotency_key=f"refund:{r.reservation_id}")
    if r.fee_minor > 0:
        return collect_payment(o, r)
    return r


# ---------------------------------------------------------------- payout, completion, ledger


def _payout(o: OrderLifecycle, r: Reservation, at: datetime) -> None:
    fee, share = payout_split(r.amount_due_minor, o.platform_fee_bp)
    if o.balances.credit(Payout(r.reservation_id, r.sharer_id, share, fee, r.currency, at)):
        _notify(o, r.sharer_id, f"{r.reservation_id}:payout", "payout", "Payout",
                f"{share} {r.currency} minor units credited (platform fee {fee})", at, r.reservation_id)


def ledger_fields(r: Reservation, completed_at: datetime) -> dict[str, str]:
    """The seed's sealed fields of a paid order (times RFC 3339 UTC; fees in minor units and currency)."""
    assert r.entered_at is not None and r.exited_at is not None
    return {
        "OrderStartTime": format_instant(r.created_at),
        "OrderCompleteTime": format_instant(completed_at),
        "CarEnterTime": format_instant(r.entered_at),
        "CarLeftTime": format_instant(r.exited_at),
        "VehiclePlateNum": r.plate,
        "CarparkID": r.carpark_id or "",
        "ParkingLotNum": r.lot or "",
        "Fees": f"{r.amount_due_minor} {r.currency}",
    }


def complete(o: OrderLifecycle, r: Reservation) -> Reservation:
    """Steps 14-16: payout to the sharer, the paid order into the ledger, everyone told, order completed.

    Without a ledger the order stays `paid` (a later delivery completes it): it is never called
    completed before its ledger entry exists.
    """
    if r.state != PAID:
        return r
    assert r.paid_at is not None
    _payout(o, r, r.paid_at)
    console_hooks.stay_paid(o.console, r)  # the car park's books: counted once, whatever the redeliveries
    if o.ledger is None:
        log.warning("order %s paid but no ledger is configured; it stays paid", r.reservation_id)
        return r
    completed_at = o.clock.now()
    receipt = o.ledger.record(log="parent", action="paid", user_id=r.parker_id, order_id=r.reservation_id,
                              sealed=ledger_fields(r, completed_at))
    _announce(o, r, receipt)  # before the transition: a retry after a crash re-announces (idempotently), never skips
    return _completed(o, r, completed_at, receipt)


def _completed(o: OrderLifecycle, held: Reservation, at: datetime, receipt: LedgerReceipt) -> Reservation:
    read = _reader(o, held.reservation_id, held)

    def attempt() -> Reservation:
        r = read()
        if r.state == COMPLETED:
            return r
        done = replace(r.moved_to(COMPLETED), completed_at=at, ledger_entry=receipt.entry_id)
        o.reservations.change(done, r.version)
        return done

    return on_conflict(attempt)


def _announce(o: OrderLifecycle, r: Reservation, receipt: LedgerReceipt) -> None:
    assert r.paid_at is not None
    text = f"{r.plate}: {r.amount_due_minor} {r.currency} minor units paid; ledger entry {receipt.entry_id}"
    feeds = [r.parker_id, r.sharer_id] + ([f"carpark:{r.carpark_id}"] if r.carpark_id else [])
    for feed in feeds:
        _notify(o, feed, f"{r.reservation_id}:completed", "order_completed", "Order completed", text, r.paid_at, r.reservation_id)


def _notify(o: OrderLifecycle, feed: str, notification_id: str, kind: str, title: str, body: str, at: datetime, reservation_id: str | None) -> None:
    o.notifications.add(Notification(feed, notification_id, kind, title, body, at, reservation_id))


# ---------------------------------------------------------------- no-shows


def expire_no_shows(o: OrderLifecycle, *, limit: int = 100) -> list[Reservation]:
    """The scheduled sweep: a reservation nobody drove into expires as a no-show, pays the policy fee, frees the space."""
    now = o.clock.now()
    done = []
    for candidate in o.reservations.expired(now - timedelta(minutes=o.policy.grace_min), limit):
        expired = _expire(o, candidate.reservation_id, now)
        if expired is not None:
            console_hooks.no_show(o.console, expired)
            done.append(collect_payment(o, expired))
            _notify(o, expired.parker_id, f"{expired.reservation_id}:no_show", "no_show", "Missed reservation",
                    f"No entry was recorded; a fee of {expired.fee_minor} {expired.currency} minor units applies", now,
                    expired.reservation_id)
    return done


def _expire(o: OrderLifecycle, reservation_id: str, now: datetime) -> Reservation | None:
    def attempt() -> Reservation | None:
        r = o.reservations.get(reservation_id)
        if r.state != RESERVED or not missed(r.end, now, o.policy.grace_min):
            return None
        space = o.spaces.get(r.space_id)
        gone = replace(r.moved_to(NO_SHOW), fee_minor=no_show_fee(r.price_minor, o.policy))
        o.reservations.change(gone, r.version, _released(space, r.reservation_id), space.version)
        return gone

    return on_conflict(attempt)


def charge_uncharged(o: OrderLifecycle, *, limit: int = 100) -> list[Reservation]:
    """The scheduled sweep's second half: charge bills and fees whose charge was never created."""
    charged = []
    for r in o.reservations.uncharged(limit):
        try:
            charged.append(collect_payment(o, o.reservations.get(r.reservation_id)))
        except UnavailableError:
            log.warning("payment provider unavailable; order %s stays uncharged until the next sweep", r.reservation_id)
            observability.count("PaymentFailures", kind="unavailable")
    return charged
