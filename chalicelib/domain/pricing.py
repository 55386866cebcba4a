"""Prices in integer minor units (cents). Never float."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InvalidInputError

MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class Tariff:
    rate_minor: int  # per hour
    daily_cap_minor: int | None = None
    increment_min: int = 15  # time is billed in started increments

    def __post_init__(self) -> None:
        if not isinstance(self.rate_minor, int) or self.rate_minor < 0:
            raise InvalidInputError("hourly rate must be a non-negative integer of minor units", field="rate_minor")
        if self.daily_cap_minor is not None and (
            not isinstance(self.daily_cap_minor, int) or self.daily_cap_minor < 0
        ):
            raise InvalidInputError("daily cap must be a non-negative integer of minor units", field="daily_cap_minor")
        if not 1 <= self.increment_min <= 60:
            raise InvalidInputError("billing increment must be 1 to 60 minutes", field="increment_min")


def _charge_for(minutes: int, tariff: Tariff) -> int:
    """Charge for less than one day: started increments at the hourly rate, half-up to a minor unit."""
    increments = -(-minutes // tariff.increment_min)
    charge = (increments * tariff.increment_min * tariff.rate_minor + 30) // 60
    if tariff.daily_cap_minor is not None:
        charge = min(charge, tariff.daily_cap_minor)
    return charge


def price_for_minutes(minutes: int, tariff: Tariff) -> int:
    """Each full 24 h from the start costs at most the daily cap; the rest is charged by increment."""
    if minutes < 0:
        raise InvalidInputError("duration must not be negative", field="minutes")
    full_days, rest = divmod(minutes, MINUTES_PER_DAY)
    day_charge = _charge_for(MINUTES_PER_DAY, tariff)
    return full_days * day_charge + (_charge_for(rest, tariff) if rest else 0)
