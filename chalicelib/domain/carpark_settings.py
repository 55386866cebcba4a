"""A car park's tariff, lots with their capacities, and opening rules, as its owners edit them (pure).

Capacity: each lot holds `capacity` cars (by default the number of spaces accepted into that lot); cars that belong to
no lot (members, allow-listed plates, cars let in by staff) count against `unassigned_capacity`. The car park's
capacity is the sum. Tariff: the car park's posted prices, an hourly rate and a daily cap (each lot may post its
own) and the price of each membership plan, which a new or renewed membership records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .carparks import PLANS, OpeningRule
from .errors import InvalidInputError

MAX_LOTS = 200
MAX_CAPACITY = 100_000
MAX_PRICE = 10_000_000  # minor units, as everywhere else


def _price(value: Any, field_name: str, *, required: bool = False) -> int | None:
    if value is None:
        if required:
            raise InvalidInputError("a price is required here", field=field_name)
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PRICE:
        raise InvalidInputError(f"must be a whole number of minor units from 0 to {MAX_PRICE}", field=field_name)
    return value


@dataclass(frozen=True)
class Tariff:
    hourly_rate_minor: int | None = None
    daily_cap_minor: int | None = None
    plans: dict[str, int] = field(default_factory=dict)  # plan -> price in minor units

    def check(self, where: str) -> None:
        _price(self.hourly_rate_minor, f"{where}.hourly_rate_minor")
        _price(self.daily_cap_minor, f"{where}.daily_cap_minor")
        if self.hourly_rate_minor is not None and self.daily_cap_minor is not None and self.daily_cap_minor < self.hourly_rate_minor:
            raise InvalidInputError("the daily cap must be at least one hour's rate", field=f"{where}.daily_cap_minor",
                                    code="cap_below_rate")
        for plan, price in self.plans.items():
            if plan not in PLANS:
                raise InvalidInputError(f"plans are {sorted(PLANS)}", field=f"{where}.plans.{plan}")
            _price(price, f"{where}.plans.{plan}", required=True)


@dataclass(frozen=True)
class LotSettings:
    name: str
    capacity: int | None = None  # None: the number of spaces accepted into the lot
    hourly_rate_minor: int | None = None  # None: the car park's
    daily_cap_minor: int | None = None

    def check(self, index: int) -> None:
        where = f"lots.{index}"
        if not 1 <= len(self.name) <= 32 or not self.name.isprintable():
            raise InvalidInputError("a lot name is 1 to 32 printable characters", field=f"{where}.name")
        if self.capacity is not None and (isinstance(self.capacity, bool) or not 0 <= self.capacity <= MAX_CAPACITY):
            raise InvalidInputError(f"capacity is 0 to {MAX_CAPACITY} cars", field=f"{where}.capacity")
        Tariff(self.hourly_rate_minor, self.daily_cap_minor).check(where)


@dataclass(frozen=True)
class CarParkSettings:
    currency: str
    tariff: Tariff
    lots: tuple[LotSettings, ...]
    unassigned_capacity: int
    opening: tuple[OpeningRule, ...]
    version: int

    def check(self) -> None:
        if len(self.lots) > MAX_LOTS:
            raise InvalidInputError(f"at most {MAX_LOTS} lots", field="lots")
        names = [lot.name for lot in self.lots]
        for i, lot in enumerate(self.lots):
            lot.check(i)
            if names.index(lot.name) != i:
                raise InvalidInputError(f"lot {lot.name!r} is listed twice", field=f"lots.{i}.name", code="duplicate_lot")
        self.tariff.check("tariff")
        if isinstance(self.unassigned_capacity, bool) or not 0 <= self.unassigned_capacity <= MAX_CAPACITY:
            raise InvalidInputError(f"capacity is 0 to {MAX_CAPACITY} cars", field="unassigned_capacity")
        _check_opening(self.opening)

    def lot(self, name: str | None) -> LotSettings | None:
        return next((lot for lot in self.lots if lot.name == name), None)

    def plan_price(self, plan: str) -> int | None:
        return self.tariff.plans.get(plan)


def _check_opening(rules: tuple[OpeningRule, ...]) -> None:
    """Rules of one weekday must not overlap (two rules saying different things about one minute)."""
    for day in range(7):
        spans = sorted((r.start_minute, r.end_minute, i) for i, r in enumerate(rules) if day in r.days)
        for (_, end, _), (start, _, j) in zip(spans, spans[1:], strict=False):
            if start < end:
                raise InvalidInputError(f"opening rules overlap on weekday {day}", field=f"opening.{j}", code="opening_overlap")


def capacities(settings: CarParkSettings, spaces_per_lot: dict[str, int]) -> dict[str, int]:
    """Each lot's capacity: as set, or the number of spaces accepted into it."""
    return {lot.name: lot.capacity if lot.capacity is not None else spaces_per_lot.get(lot.name, 0) for lot in settings.lots}


def settings_to_dict(s: CarParkSettings) -> dict[str, Any]:
    """What the carparks item stores beside its lots and opening rules."""
    return {"currency": s.currency, "unassigned_capacity": s.unassigned_capacity,
            "tariff": {"hourly_rate_minor": s.tariff.hourly_rate_minor, "daily_cap_minor": s.tariff.daily_cap_minor,
                       "plans": dict(s.tariff.plans)},
            "lots": {lot.name: {"capacity": lot.capacity, "hourly_rate_minor": lot.hourly_rate_minor,
                                "daily_cap_minor": lot.daily_cap_minor} for lot in s.lots}}


def settings_from(stored: dict[str, Any] | None, lots: tuple[str, ...], opening: tuple[OpeningRule, ...], version: int,
                  currency: str) -> CarParkSettings:
    stored = stored or {}
    tariff = stored.get("tariff") or {}
    per_lot = stored.get("lots") or {}
    return CarParkSettings(
        stored.get("currency") or currency,
        Tariff(tariff.get("hourly_rate_minor"), tariff.get("daily_cap_minor"), {k: int(v) for k, v in (tariff.get("plans") or {}).items()}),
        tuple(LotSettings(name, *(per_lot.get(name, {}).get(k) for k in ("capacity", "hourly_rate_minor", "daily_cap_minor")))
              for name in lots),
        int(stored.get("unassigned_capacity") or 0), opening, version)
