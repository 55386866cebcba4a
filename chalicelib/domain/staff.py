"""The people who run a car park: memberships with consent.

A membership links one user to one car park with a role (`owner` or `staff`). It starts `invited`; only the
invited user turns it `active` (or `declined`); an owner may end it (`removed`), and so may the member
(leaving). A user may hold memberships of many car parks, each with its own state: no change to one ever
touches another. The car park's founding owner (CarPark.owner_id) holds an `owner` membership from the
start and cannot be removed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from .errors import ConflictError, InvalidInputError, InvalidTransitionError, RuleViolationError

OWNER, STAFF = "owner", "staff"
ROLES = (OWNER, STAFF)
INVITED, ACTIVE, DECLINED, REMOVED = "invited", "active", "declined", "removed"
STATES = (INVITED, ACTIVE, DECLINED, REMOVED)


@dataclass(frozen=True)
class StaffMembership:
    carpark_id: str
    user_id: str
    role: str
    state: str
    invited_by: str
    invited_at: datetime
    decided_at: datetime | None = None  # when it was accepted, declined or ended
    ended_by: str | None = None  # who ended it: an owner, or the member leaving
    version: int = 1

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise InvalidInputError(f"role must be one of {ROLES}", field="role")
        if self.state not in STATES:
            raise InvalidInputError(f"state must be one of {STATES}", field="state")

    @property
    def is_active(self) -> bool:
        return self.state == ACTIVE

    def _decided(self, state: str, now: datetime, by: str | None = None) -> StaffMembership:
        return replace(self, state=state, decided_at=now, ended_by=by, version=self.version + 1)

    def accepted(self, now: datetime) -> StaffMembership:
        if self.state != INVITED:
            raise InvalidTransitionError(f"this invitation is {self.state}; only an open invitation can be accepted", field="carpark_id")
        return self._decided(ACTIVE, now)

    def declined(self, now: datetime) -> StaffMembership:
        if self.state != INVITED:
            raise InvalidTransitionError(f"this invitation is {self.state}; only an open invitation can be declined", field="carpark_id")
        return self._decided(DECLINED, now)

    def ended(self, by: str, now: datetime, *, founding_owner: str) -> StaffMembership:
        """Removed by an owner (an open invitation is withdrawn the same way), or left by the member."""
        if self.user_id == founding_owner:
            raise RuleViolationError("the car park's founding owner cannot be removed", field="user_id", code="founding_owner")
        if self.state not in (INVITED, ACTIVE):
            raise InvalidTransitionError(f"this membership is already {self.state}", field="user_id")
        return self._decided(REMOVED, now, by)

    def account_closed(self, now: datetime) -> StaffMembership:
        """The member closed their account: the membership ends, whatever their role."""
        return self._decided(REMOVED, now, self.user_id)

    def reinvited(self, role: str, by: str, now: datetime) -> StaffMembership:
        """A declined or ended membership may be offered again; a live one may not be replaced behind its holder's back."""
        if self.state == ACTIVE:
            raise ConflictError("this user already works at this car park", field="user_id", code="already_staff")
        if self.state == INVITED:
            raise ConflictError("this user already has an open invitation to this car park", field="user_id", code="already_invited")
        return replace(self, role=role, state=INVITED, invited_by=by, invited_at=now, decided_at=None, ended_by=None,
                       version=self.version + 1)


def founding_membership(carpark_id: str, owner_id: str, at: datetime) -> StaffMembership:
    return StaffMembership(carpark_id, owner_id, OWNER, ACTIVE, owner_id, at, at)


def invitation(carpark_id: str, user_id: str, role: str, by: str, at: datetime) -> StaffMembership:
    if user_id == by:
        raise RuleViolationError("you cannot invite yourself", field="user_id", code="self_invitation")
    return StaffMembership(carpark_id, user_id, role, INVITED, by, at)
