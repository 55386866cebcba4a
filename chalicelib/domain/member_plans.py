"""Membership plans of one plate over time: no two may overlap, and what renewing or ending one does (pure).

All the plans of one plate at one car park are kept in one calendar (its periods, and a version); a new plan is
written only if the calendar is still the version it was checked against, so two plans racing for one plate
cannot both pass (the space calendar's rule, applied to plates).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from .carparks import Membership, membership_end
from .errors import ConflictError, RuleViolationError

UPCOMING, ACTIVE, EXPIRING, EXPIRED, ENDED = "upcoming", "active", "expiring", "expired", "ended"
MEMBER_STATES = (UPCOMING, ACTIVE, EXPIRING, EXPIRED, ENDED)
MAX_PERIODS = 120  # ten years of monthly plans: one calendar item stays far below DynamoDB's 400 KB
SOON_DAYS = 14  # "expiring soon": the last day of the plan is within this many days


@dataclass(frozen=True)
class PlanPeriod:
    membership_id: str
    valid_from: date
    valid_until: date  # inclusive; before valid_from once ended before it began

    def overlaps(self, start: date, end: date) -> bool:
        return self.valid_from <= self.valid_until and start <= self.valid_until and self.valid_from <= end


@dataclass(frozen=True)
class PlateCalendar:
    periods: tuple[PlanPeriod, ...]
    version: int  # 0: no calendar stored yet

    def clash(self, start: date, end: date, ignore: str | None = None) -> PlanPeriod | None:
        return next((p for p in self.periods if p.membership_id != ignore and p.overlaps(start, end)), None)

    def with_period(self, period: PlanPeriod) -> PlateCalendar:
        clash = self.clash(period.valid_from, period.valid_until, ignore=period.membership_id)
        if clash is not None:
            raise ConflictError(f"this plate already holds membership {clash.membership_id} from {clash.valid_from.isoformat()} to "
                                f"{clash.valid_until.isoformat()}", field="valid_from", code="membership_overlap")
        kept = tuple(p for p in self.periods if p.membership_id != period.membership_id)
        if len(kept) >= MAX_PERIODS:
            raise RuleViolationError(f"a plate holds at most {MAX_PERIODS} plans here; end old ones first", field="plate",
                                     code="too_many_plans")
        return PlateCalendar(tuple(sorted(kept + (period,), key=lambda p: p.valid_from)), self.version + 1)

    def latest(self) -> PlanPeriod | None:
        live = [p for p in self.periods if p.valid_from <= p.valid_until]
        return max(live, key=lambda p: p.valid_until, default=None)


def state_on(m: Membership, today: date, ended: bool, soon_days: int = SOON_DAYS) -> str:
    if ended and m.valid_until < today:
        return ENDED
    if m.valid_from > today:
        return UPCOMING
    if m.valid_until < today:
        return EXPIRED
    return EXPIRING if (m.valid_until - today).days < soon_days else ACTIVE


def ended_on(m: Membership, today: date) -> Membership:
    """Ended today: no longer valid from today on (a member's car already inside still leaves: it has a presence)."""
    if m.valid_until < today:
        raise RuleViolationError("this membership is already over", field="membership_id", code="membership_over")
    return replace(m, valid_until=max(m.valid_from, today) - timedelta(days=1))


def renewal(latest: PlanPeriod, plan: str, today: date) -> tuple[date, date]:
    """The next period of a plate: from the day after its latest plan ends, or today if that is over."""
    start = max(latest.valid_until + timedelta(days=1), today)
    return start, membership_end(plan, start)
