"""The bill for a finished stay, the no-show fee and the payout split. Integer minor units only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .errors import InvalidInputError
from .pricing import MINUTES_PER_DAY, Tariff, price_for_minutes
from .timeutil import minutes_between

BASIS_POINTS = 10_000


@dataclass(frozen=True)
class BillingPolicy:
    grace_min: int = 10  # an exit this late after the reserved end is not overstay
    overstay_surcharge_bp: int = 5_000  # overstay costs the hourly rate plus this share of it
    refund_early_exit: bool = False
    no_show_fee_bp: int = BASIS_POINTS  # share of the reserved price a no-show pays

    def __post_init__(self) -> None:
        if not 0 <= self.grace_min <= 240:
            raise InvalidInputError("grace must be 0 to 240 minutes", field="grace_min")
        if not 0 <= self.overstay_surcharge_bp <= 10 * BASIS_POINTS:
            raise InvalidInputError("overstay surcharge must be 0 to 100000 basis points", field="overstay_surcharge_bp")
        if not 0 <= self.no_show_fee_bp <= BASIS_POINTS:
            raise InvalidInputError("no-show fee must be 0 to 10000 basis points", field="no_show_fee_bp")


@dataclass(frozen=True)
class Bill:
    reserved_minor: int  # the price fixed at reservation
    overstay_min: int  # minutes charged beyond the reserved end
    overstay_minor: int  # overstay at the hourly rate
    surcharge_minor: int  # the overstay surcharge
    cap_discount_minor: int  # taken off so that the daily cap holds
    refund_minor: int  # unused reserved time given back (only if the policy says so)

    @property
    def total_minor(self) -> int:
        return self.reserved_minor + self.overstay_minor + self.surcharge_minor - self.cap_discount_minor - self.refund_minor


def share(amount_minor: int, basis_points: int) -> int:
    """amount × bp / 10000, rounded half up, exact in integers."""
    return (amount_minor * basis_points + BASIS_POINTS // 2) // BASIS_POINTS


def cap_limit(minutes: int, tariff: Tariff) -> int | None:
    """The most a stay of `minutes` may cost under the daily cap: the cap for every started 24 h."""
    if tariff.daily_cap_minor is None:
        return None
    days = max(1, -(-minutes // MINUTES_PER_DAY))
    return days * tariff.daily_cap_minor


def bill_stay(
    *, start: datetime, end: datetime, reserved_minor: int, tariff: Tariff, entered_at: datetime, exited_at: datetime,
    policy: BillingPolicy,
) -> Bill:
    """Reserved price for the reserved window; overstay past end + grace at the rate plus surcharge; the cap on top."""
    if exited_at < entered_at:
        raise InvalidInputError("exit must not be before entry", field="exited_at")
    late_by = minutes_between(end, exited_at) if exited_at > end else 0
    overstay_min = late_by if late_by > policy.grace_min else 0
    overstay_minor = price_for_minutes(overstay_min, Tariff(tariff.rate_minor, None, tariff.increment_min))
    surcharge = share(overstay_minor, policy.overstay_surcharge_bp)
    refund = _early_refund(start, end, reserved_minor, tariff, exited_at, policy)
    limit = cap_limit(minutes_between(min(start, entered_at), max(end, exited_at)), tariff)
    gross = reserved_minor + overstay_minor + surcharge - refund
    discount = max(0, gross - max(limit, reserved_minor - refund)) if limit is not None else 0
    return Bill(reserved_minor, overstay_min, overstay_minor, surcharge, discount, refund)


def _early_refund(start: datetime, end: datetime, reserved_minor: int, tariff: Tariff, exited_at: datetime, policy: BillingPolicy) -> int:
    if not policy.refund_early_exit or exited_at >= end:
        return 0
    used = price_for_minutes(minutes_between(start, max(start, exited_at)), tariff)
    return max(0, reserved_minor - used)


def no_show_fee(reserved_minor: int, policy: BillingPolicy) -> int:
    return share(reserved_minor, policy.no_show_fee_bp)


def missed(end: datetime, now: datetime, grace_min: int) -> bool:
    """A reservation nobody drove into is a no-show once its end (plus grace) has passed."""
    return now >= end + timedelta(minutes=grace_min)


def payout_split(amount_minor: int, platform_fee_bp: int) -> tuple[int, int]:
    """(platform fee, sharer's share) of a payment; they always add up to the payment."""
    if amount_minor < 0 or not 0 <= platform_fee_bp <= BASIS_POINTS:
        raise InvalidInputError("amount must be >= 0 and the fee 0 to 10000 basis points", field="platform_fee_bp")
    fee = share(amount_minor, platform_fee_bp)
    return fee, amount_minor - fee
